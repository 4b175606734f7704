using TwoPC.Durability;

namespace TwoPC.TestParticipant;

/// <summary>
/// UNSAFE, for tests only: an <see cref="IFileFlusher"/> that returns without flushing, so a forced write is only in
/// the page cache. Chosen with <c>--UnsafeTestOnly:SkipFlush=true</c>; the power-loss test uses it to show that it
/// catches a participant that does not reach the disk.
/// </summary>
internal sealed class UnsafeSkippedFlusher : IFileFlusher
{
    public void Flush(string path)
    {
    }
}
