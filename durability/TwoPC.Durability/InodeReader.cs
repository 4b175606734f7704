using System.Runtime.InteropServices;

namespace TwoPC.Durability;

/// <summary>
/// Reads a Linux file descriptor's inode number without depending on one C library version or architecture:
/// statx(2) first (glibc 2.28+, musl 1.2.5+; its struct has one layout everywhere), then fstat (exported by glibc
/// 2.33+ and musl), then __fxstat (glibc before 2.33), the last two only where <c>struct stat</c> starts with
/// st_dev and st_ino as two 8-byte fields (x86-64, arm64 and the other asm-generic 64-bit targets). Null when none
/// works; the caller must then assume the file may be new.
/// </summary>
internal static unsafe partial class InodeReader
{
    private const int AtEmptyPath = 0x1000;
    private const uint StatxIno = 0x100;
    private const int StatxInoOffset = 32; // stx_mask, stx_blksize, stx_attributes, stx_nlink, stx_uid, stx_gid, stx_mode, pad
    private const int StatInoOffset = 8; // st_dev, then st_ino

    // Which calls failed to resolve (missing export, or a kernel / seccomp filter without statx): never tried again.
    private static volatile bool s_noStatx;
    private static volatile bool s_noFstat;
    private static volatile bool s_noFxstat;

    /// <summary>The inode number of <paramref name="fd"/>, or null when it cannot be read here.</summary>
    public static ulong? Read(int fd)
    {
        var buffer = stackalloc byte[512];
        return ViaStatx(fd, buffer) ?? ViaFstat(fd, buffer) ?? ViaFxstat(fd, buffer);
    }

    /// <summary>statx only (for tests: null where it is unavailable).</summary>
    internal static ulong? ReadWithStatx(int fd)
    {
        var buffer = stackalloc byte[512];
        return ViaStatx(fd, buffer);
    }

    /// <summary>The struct-stat fallbacks only (for tests: null where they are unavailable).</summary>
    internal static ulong? ReadWithStat(int fd)
    {
        var buffer = stackalloc byte[512];
        return ViaFstat(fd, buffer) ?? ViaFxstat(fd, buffer);
    }

    private static ulong? ViaStatx(int fd, byte* buffer)
    {
        if (s_noStatx) return null;
        try
        {
            if (Statx(fd, "", AtEmptyPath, StatxIno, buffer) == 0 && (*(uint*)buffer & StatxIno) != 0) return *(ulong*)(buffer + StatxInoOffset);
            var errno = Marshal.GetLastPInvokeError();
            if (errno is 38 /* ENOSYS */ or 1 /* EPERM: a seccomp filter */) s_noStatx = true;
            return null;
        }
        catch (EntryPointNotFoundException)
        {
            s_noStatx = true;
            return null;
        }
    }

    private static bool StatLayoutKnown => RuntimeInformation.OSArchitecture is Architecture.X64 or Architecture.Arm64 or Architecture.RiscV64 or Architecture.LoongArch64;

    private static ulong? ViaFstat(int fd, byte* buffer)
    {
        if (s_noFstat || !StatLayoutKnown) return null;
        try
        {
            return Fstat(fd, buffer) == 0 ? *(ulong*)(buffer + StatInoOffset) : null;
        }
        catch (EntryPointNotFoundException)
        {
            s_noFstat = true;
            return null;
        }
    }

    private static ulong? ViaFxstat(int fd, byte* buffer)
    {
        if (s_noFxstat || !StatLayoutKnown) return null;
        // _STAT_VER: 1 (_STAT_VER_LINUX) on x86-64, 0 on the asm-generic targets.
        var version = RuntimeInformation.OSArchitecture == Architecture.X64 ? 1 : 0;
        try
        {
            return Fxstat(version, fd, buffer) == 0 ? *(ulong*)(buffer + StatInoOffset) : null;
        }
        catch (EntryPointNotFoundException)
        {
            s_noFxstat = true;
            return null;
        }
    }

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Statx(int dirfd, string path, int flags, uint mask, byte* buffer);

    [LibraryImport("libc", EntryPoint = "fstat", SetLastError = true)]
    private static partial int Fstat(int fd, byte* buffer);

    [LibraryImport("libc", EntryPoint = "__fxstat", SetLastError = true)]
    private static partial int Fxstat(int version, int fd, byte* buffer);
}
