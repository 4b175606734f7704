namespace TwoPC.Durability.Tests;

public sealed class FdatasyncFileFlusherTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    [Fact]
    public void Flush_CountsTheFileAndANewDirectoryEntry()
    {
        var metrics = new DurabilityMetrics();
        var sut = new FdatasyncFileFlusher(metrics);
        var path = _dir.File("a.bin");
        File.WriteAllBytes(path, [1, 2, 3]);

        sut.Flush(path);
        var afterFirst = metrics.Fsyncs;
        sut.Flush(path);

        // First flush: the file and its (new) directory entry; second: the file only.
        Assert.Equal(2, afterFirst);
        Assert.Equal(3, metrics.Fsyncs);
    }

    [Fact]
    public void Flush_OfADifferentFile_SyncsItsDirectoryEntryToo()
    {
        var metrics = new DurabilityMetrics();
        var sut = new FdatasyncFileFlusher(metrics);
        File.WriteAllBytes(_dir.File("a.bin"), [1]);
        File.WriteAllBytes(_dir.File("b.bin"), [2]);
        sut.Flush(_dir.File("a.bin"));
        var before = metrics.Fsyncs;

        sut.Flush(_dir.File("b.bin"));

        Assert.Equal(before + 2, metrics.Fsyncs);
    }

    [Fact]
    public void Flush_OfAMissingFile_ThrowsIOException()
    {
        var sut = new FdatasyncFileFlusher(new DurabilityMetrics());
        var error = Assert.Throws<IOException>(() => sut.Flush(_dir.File("missing.bin")));
        Assert.Contains("missing.bin", error.Message);
    }

    public void Dispose() => _dir.Dispose();
}
