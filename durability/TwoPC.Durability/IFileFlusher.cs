namespace TwoPC.Durability;

/// <summary>
/// Forces the bytes already written to a file down to stable storage (fdatasync on Linux).
/// This is the one seam through which every forced write of TwoPC reaches the disk, so tests can count,
/// delay or fail flushes.
/// </summary>
public interface IFileFlusher
{
    /// <summary>
    /// Returns only when every byte written to <paramref name="path"/> before the call is on stable storage,
    /// including the directory entry of a file created since the last flush. Throws <see cref="IOException"/>
    /// when the flush fails; the caller must then treat the data as possibly lost.
    /// </summary>
    void Flush(string path);
}
