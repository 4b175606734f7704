using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace TwoPC.Durability;

/// <summary>
/// The real <see cref="IFileFlusher"/>: opens the file with open(2), calls fdatasync(2), closes it.
/// Linux keeps dirty pages per inode, so a separate descriptor flushes what LiteDB wrote through its own.
/// When a path is flushed for the first time, or its inode number changed (the file was re-created), the parent
/// directory is fsync'ed too, so that the new directory entry survives a power loss. The inode check is best
/// effort (a freed inode number can be reused at once); LiteDB 5 creates its log file once per open and only
/// truncates it afterwards, so the first-flush rule is the one that matters.
/// </summary>
public sealed partial class FdatasyncFileFlusher : IFileFlusher
{
    private const int ORdOnly = 0;
    private const int OCloExec = 0x80000;
    private const int ODirectory = 0x10000;

    private readonly DurabilityMetrics _metrics;
    private readonly ConcurrentDictionary<string, ulong> _knownInodes = new(StringComparer.Ordinal);

    /// <summary>Creates a flusher that counts every flush in <paramref name="metrics"/>.</summary>
    public FdatasyncFileFlusher(DurabilityMetrics metrics) => _metrics = metrics;

    /// <inheritdoc />
    public void Flush(string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            using var fs = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
            fs.Flush(flushToDisk: true);
            _metrics.AddFsync();
            return;
        }

        var fd = Open(path, ORdOnly | OCloExec, 0);
        if (fd < 0) throw Error("open", path);
        try
        {
            if (Fdatasync(fd) != 0) throw Error("fdatasync", path);
            _metrics.AddFsync();
            var inode = InodeOf(fd);
            if (!_knownInodes.TryGetValue(path, out var known) || known != inode)
            {
                SyncDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
                _knownInodes[path] = inode;
            }
        }
        finally
        {
            _ = Close(fd);
        }
    }

    private void SyncDirectory(string directory)
    {
        var fd = Open(directory, ORdOnly | OCloExec | ODirectory, 0);
        if (fd < 0) throw Error("open", directory);
        try
        {
            if (Fsync(fd) != 0) throw Error("fsync", directory);
            _metrics.AddFsync();
        }
        finally
        {
            _ = Close(fd);
        }
    }

    private static unsafe ulong InodeOf(int fd)
    {
        // struct stat on x86_64 and arm64 Linux starts with st_dev (8 bytes) then st_ino (8 bytes).
        // The inode changes when a file is deleted and created again under the same name.
        var stat = stackalloc byte[256];
        return Fstat(fd, stat) == 0 ? *(ulong*)(stat + 8) : 0;
    }

    private static IOException Error(string call, string path)
    {
        var errno = Marshal.GetLastPInvokeError();
        return new IOException($"{call}({path}) failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})");
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "fdatasync", SetLastError = true)]
    private static partial int Fdatasync(int fd);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "fstat", SetLastError = true)]
    private static unsafe partial int Fstat(int fd, byte* buffer);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
