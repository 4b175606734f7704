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
    public void Flush_OfAFileCreatedAgainUnderTheSameName_SyncsItsDirectoryEntryAgain()
    {
        var metrics = new DurabilityMetrics();
        var sut = new FdatasyncFileFlusher(metrics);
        var path = _dir.File("log.db");
        File.WriteAllBytes(path, [1]);
        sut.Flush(path);
        sut.Flush(path);
        var before = metrics.Fsyncs;

        // The old file lives on under another name, so the new one cannot reuse its inode number.
        File.Move(path, _dir.File("log.old"));
        File.WriteAllBytes(path, [2]);
        sut.Flush(path);

        Assert.Equal(before + 2, metrics.Fsyncs);
    }

    [Fact]
    public void Flush_OfADirectoryEntry_OpensTheDirectoryWithThisArchitecturesFlag()
    {
        Assert.Equal(System.Runtime.InteropServices.RuntimeInformation.OSArchitecture switch
        {
            System.Runtime.InteropServices.Architecture.X64 => 0x10000,
            System.Runtime.InteropServices.Architecture.Arm64 => 0x4000,
            _ => FdatasyncFileFlusher.ODirectory,
        }, FdatasyncFileFlusher.ODirectory);
    }

    [Fact]
    public void InodeReader_StatxAndTheStatFallbacks_AgreeOnThisMachine()
    {
        if (!OperatingSystem.IsLinux()) return;
        var path = _dir.File("i.bin");
        File.WriteAllBytes(path, [1]);
        using var handle = File.OpenHandle(path);
        var fd = (int)handle.DangerousGetHandle();

        var statx = InodeReader.ReadWithStatx(fd);
        var stat = InodeReader.ReadWithStat(fd);

        Assert.True(statx is not null || stat is not null, "no way to read an inode here");
        if (statx is not null && stat is not null) Assert.Equal(statx, stat);
        Assert.Equal(statx ?? stat, InodeReader.Read(fd));
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
