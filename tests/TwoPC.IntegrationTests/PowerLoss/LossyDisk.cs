using System.Diagnostics;
using System.Text;

namespace TwoPC.IntegrationTests.PowerLoss;

/// <summary>How a <see cref="LossyDisk"/> treats writes between flushes.</summary>
internal enum DiskMode
{
    /// <summary>Unflushed writes stay in memory until flushed: a power cut loses all of them.</summary>
    Volatile,

    /// <summary>Also writes back random unflushed pages early, as a kernel may: a power cut keeps some of them.</summary>
    EarlyWriteback,

    /// <summary>Acknowledges fsync without making anything durable.</summary>
    Lying,
}

/// <summary>
/// One lossy disk: a <c>lossyfs</c> daemon serving <see cref="Backing"/> at <see cref="MountPoint"/>. Writes reach
/// the backing folder only when flushed; <see cref="CutPower"/> (SIGKILL of the daemon) loses the rest, and
/// <see cref="PowerOnAsync"/> mounts the backing folder again as the disk would come back.
/// </summary>
internal sealed class LossyDisk : IDisposable
{
    private readonly string _executable;
    private readonly StringBuilder _output = new();
    private Process? _daemon;

    public LossyDisk(string executable, string root, string name, DiskMode mode)
    {
        _executable = executable;
        Name = name;
        Mode = mode;
        Backing = Path.Combine(root, name + ".disk");
        MountPoint = Path.Combine(root, name);
        Directory.CreateDirectory(Backing);
        Directory.CreateDirectory(MountPoint);
    }

    public string Name { get; }

    /// <summary>The mode of the next <see cref="PowerOnAsync"/>.</summary>
    public DiskMode Mode { get; set; }

    /// <summary>What survives a power loss.</summary>
    public string Backing { get; }

    /// <summary>Where programs read and write.</summary>
    public string MountPoint { get; }

    public string Output
    {
        get
        {
            lock (_output) return _output.ToString();
        }
    }

    /// <summary>Starts the daemon (which first drops the directory entries never synced) and waits for the mount.</summary>
    public async Task PowerOnAsync()
    {
        if (_daemon is { HasExited: false }) throw new InvalidOperationException($"disk {Name} is already on");
        var info = new ProcessStartInfo(_executable) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (Mode == DiskMode.Lying) info.ArgumentList.Add("--ignore-fsync");
        if (Mode == DiskMode.EarlyWriteback) info.ArgumentList.Add("--early-writeback");
        info.ArgumentList.Add(Backing);
        info.ArgumentList.Add(MountPoint);
        var daemon = new Process { StartInfo = info };
        daemon.OutputDataReceived += (_, e) => Append(e.Data);
        daemon.ErrorDataReceived += (_, e) => Append(e.Data);
        daemon.Start();
        daemon.BeginOutputReadLine();
        daemon.BeginErrorReadLine();
        _daemon = daemon;

        var until = DateTime.UtcNow.AddSeconds(20);
        while (!IsMounted())
        {
            if (daemon.HasExited)
            {
                daemon.WaitForExit();
                throw new InvalidOperationException($"lossyfs for {Name} exited with {daemon.ExitCode} before mounting {MountPoint}:\n{Output}");
            }

            if (DateTime.UtcNow > until) throw new TimeoutException($"lossyfs did not mount {MountPoint} in 20 s:\n{Output}");
            await Task.Delay(20);
        }
    }

    /// <summary>SIGKILL to the daemon: every write since the last flush is gone. Returns at once.</summary>
    public void CutPower()
    {
        if (_daemon is { HasExited: false } daemon) daemon.Kill();
    }

    /// <summary>Waits for the daemon to be gone and detaches the dead mount, so the disk can be powered on again.</summary>
    public async Task WaitDownAsync()
    {
        if (_daemon is { } daemon)
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await daemon.WaitForExitAsync(cts.Token);
            daemon.Dispose();
            _daemon = null;
        }

        if (IsMounted())
        {
            var umount = await LossyFsBuild.RunAsync("umount", ["-l", MountPoint]);
            if (umount.ExitCode != 0 && IsMounted()) throw new InvalidOperationException($"umount -l {MountPoint} failed: {umount.Output}");
        }
    }

    private bool IsMounted()
    {
        // /proc/self/mountinfo: "id parent major:minor root mountpoint options ... - fstype source superoptions".
        foreach (var line in File.ReadLines("/proc/self/mountinfo"))
        {
            var fields = line.Split(' ');
            var dash = Array.IndexOf(fields, "-");
            if (fields.Length > 4 && dash > 0 && dash + 1 < fields.Length && fields[4] == MountPoint && fields[dash + 1] == "fuse.lossyfs") return true;
        }

        return false;
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
    }

    public void Dispose()
    {
        CutPower();
        try
        {
            WaitDownAsync().GetAwaiter().GetResult();
        }
        catch (Exception ex) when (ex is InvalidOperationException or OperationCanceledException)
        {
            // Best effort at the end of a test; a lazy unmount left behind is harmless.
        }
    }
}
