using TwoPC.Durability;

namespace TwoPC.IntegrationTests.PowerLoss;

/// <summary>The lossy disk itself: after a power cut exactly the flushed writes are there.</summary>
[Collection(PowerLossCollection.Name)]
public sealed class LossyDiskTests
{
    [Fact]
    public async Task CutPower_KeepsWhatWasFlushed_LosesEverythingElse()
    {
        var root = Path.Combine(Path.GetTempPath(), "twopc-it", Guid.NewGuid().ToString("N"));
        using var disk = new LossyDisk(await LossyFsBuild.ExecutableAsync(), root, "disk", DiskMode.Volatile);
        await disk.PowerOnAsync();
        var m = disk.MountPoint;
        var flusher = new FdatasyncFileFlusher(new DurabilityMetrics());

        // The real flusher: a read-only descriptor, fdatasync, and (first flush) fsync of the directory, which also
        // makes "sub" durable.
        Directory.CreateDirectory(Path.Combine(m, "sub"));
        // LiteDB's way: it writes through its own descriptor, which stays open while another one is flushed.
        await using (var f = new FileStream(Path.Combine(m, "flushed"), FileMode.CreateNew, FileAccess.ReadWrite, FileShare.ReadWrite))
        {
            f.Write("flushed v1"u8);
            f.Flush(flushToDisk: false);
            flusher.Flush(Path.Combine(m, "flushed"));
            f.Position = 0;
            f.Write("FLUSHED v2 never flushed"u8);
        }

        // Data forced with fsync, but its directory never synced: the file itself is lost.
        await using (var f = new FileStream(Path.Combine(m, "sub", "no-dir-sync"), FileMode.CreateNew, FileAccess.ReadWrite))
        {
            f.Write("data"u8);
            f.Flush(flushToDisk: true);
        }

        // Directory synced (by the real flusher), data written after that never flushed: an empty file.
        await using (var f = new FileStream(Path.Combine(m, "unflushed"), FileMode.CreateNew, FileAccess.ReadWrite, FileShare.ReadWrite))
        {
            flusher.Flush(Path.Combine(m, "unflushed"));
            f.Write("lost"u8);
            f.Flush(flushToDisk: false);
        }

        // Truncated and grown after a flush.
        await File.WriteAllTextAsync(Path.Combine(m, "resized"), "0123456789");
        flusher.Flush(Path.Combine(m, "resized"));
        await using (var f = new FileStream(Path.Combine(m, "resized"), FileMode.Open, FileAccess.ReadWrite))
        {
            f.SetLength(3);
        }

        // Reads see pending writes, as they would see the page cache.
        Assert.Equal("FLUSHED v2 never flushed", await File.ReadAllTextAsync(Path.Combine(m, "flushed")));
        Assert.Equal("lost", await File.ReadAllTextAsync(Path.Combine(m, "unflushed")));
        Assert.Equal(3, new FileInfo(Path.Combine(m, "resized")).Length);

        disk.CutPower();
        await disk.WaitDownAsync();
        await disk.PowerOnAsync();

        Assert.Equal("flushed v1", await File.ReadAllTextAsync(Path.Combine(m, "flushed")));
        Assert.False(File.Exists(Path.Combine(m, "sub", "no-dir-sync")), "a file whose directory was never synced must be gone");
        Assert.Equal("", await File.ReadAllTextAsync(Path.Combine(m, "unflushed")));
        Assert.Equal("0123456789", await File.ReadAllTextAsync(Path.Combine(m, "resized")));
        Assert.Equal(["flushed", "resized", "sub", "unflushed"], Directory.GetFileSystemEntries(m).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Contains("1 entry created but never synced removed", disk.Output, StringComparison.Ordinal);

        disk.Dispose();
        Directory.Delete(root, true);
    }

    [Fact]
    public async Task LyingDisk_AcknowledgesFlushes_ButLosesEverything()
    {
        var root = Path.Combine(Path.GetTempPath(), "twopc-it", Guid.NewGuid().ToString("N"));
        using var disk = new LossyDisk(await LossyFsBuild.ExecutableAsync(), root, "disk", DiskMode.Lying);
        await disk.PowerOnAsync();
        var path = Path.Combine(disk.MountPoint, "file");
        await File.WriteAllTextAsync(path, "acknowledged, never durable");
        new FdatasyncFileFlusher(new DurabilityMetrics()).Flush(path);

        disk.CutPower();
        await disk.WaitDownAsync();
        await disk.PowerOnAsync();

        Assert.False(File.Exists(path), "a lying disk keeps nothing, even what it acknowledged as flushed");
        disk.Dispose();
        Directory.Delete(root, true);
    }
}
