using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace TwoPC.Durability;

/// <summary>
/// The real <see cref="IFileFlusher"/>: opens the file through the runtime (<see cref="File.OpenHandle"/>), calls
/// fdatasync(2) on it, closes it. Linux keeps dirty pages per inode, so a separate descriptor flushes what LiteDB
/// wrote through its own. When a path is flushed for the first time, or its inode number changed (the file was
/// re-created), the parent directory is fsync'ed too, so that the new directory entry survives a power loss. When the
/// inode cannot be read, the directory is fsync'ed on every flush (slower, never wrong). The inode check is best
/// effort (a freed inode number can be reused at once); LiteDB 5 creates its log file once per open and only
/// truncates it afterwards, so the first-flush rule is the one that matters.
/// </summary>
/// <remarks>
/// Portable across Linux architectures and C libraries: the file is opened by the runtime; fdatasync, fsync, open and
/// close are exported by every glibc and musl; <c>O_DIRECTORY</c> is taken per architecture (it is <c>0x10000</c> on
/// x86 and in asm-generic, but <c>0x4000</c> on arm, arm64 and powerpc, where <c>0x10000</c> means something else);
/// the inode comes from statx(2), whose layout is the same everywhere, with fstat (glibc 2.33+, musl) and
/// __fxstat (older glibc) as fallbacks.
/// </remarks>
public sealed partial class FdatasyncFileFlusher : IFileFlusher
{
    private const int ORdOnly = 0;
    private const int OCloExec = 0x80000; // 02000000 on every architecture .NET runs on

    private readonly DurabilityMetrics _metrics;
    private readonly ConcurrentDictionary<string, ulong> _knownInodes = new(StringComparer.Ordinal);

    /// <summary>Creates a flusher that counts every flush in <paramref name="metrics"/>.</summary>
    public FdatasyncFileFlusher(DurabilityMetrics metrics) => _metrics = metrics;

    /// <summary>
    /// <c>O_DIRECTORY</c> for this architecture, or 0 where it is not known (fsync works on any directory
    /// descriptor; the flag only guards against opening something else).
    /// </summary>
    internal static int ODirectory { get; } = RuntimeInformation.OSArchitecture switch
    {
        Architecture.X64 or Architecture.X86 or Architecture.S390x or Architecture.RiscV64 or Architecture.LoongArch64 => 0x10000,
        Architecture.Arm64 or Architecture.Arm or Architecture.Armv6 or Architecture.Ppc64le => 0x4000,
        _ => 0,
    };

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

        using var handle = OpenForFlush(path);

        var added = false;
        handle.DangerousAddRef(ref added);
        try
        {
            var fd = (int)handle.DangerousGetHandle();
            if (Fdatasync(fd) != 0) throw Error("fdatasync", path);
            _metrics.AddFsync();
            var inode = InodeReader.Read(fd);
            if (inode is null || !_knownInodes.TryGetValue(path, out var known) || known != inode)
            {
                SyncDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
                if (inode is { } i) _knownInodes[path] = i;
            }
        }
        finally
        {
            if (added) handle.DangerousRelease();
        }
    }

    private static Microsoft.Win32.SafeHandles.SafeFileHandle OpenForFlush(string path)
    {
        try
        {
            return File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"open({path}) failed: {ex.Message}", ex);
        }
    }

    private void SyncDirectory(string directory)
    {
        // The runtime does not open directories, so this one goes through open(2).
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

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
