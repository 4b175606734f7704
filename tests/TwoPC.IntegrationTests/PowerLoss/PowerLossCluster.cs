using System.Diagnostics;
using TwoPC.IntegrationTests.Support;
using TwoPC.Client;

namespace TwoPC.IntegrationTests.PowerLoss;

/// <summary>
/// A coordinator and two ledger participants as real processes, each with its data on its own <see cref="LossyDisk"/>.
/// <see cref="CutPowerAsync"/> kills the three disks and the three processes at once.
/// </summary>
internal sealed class PowerLossCluster : IAsyncDisposable
{
    private readonly string _root;
    private List<Process> _running = [];

    private PowerLossCluster(string root, IReadOnlyList<LossyDisk> disks, ServiceProcess coordinator, IReadOnlyList<ServiceProcess> participants)
    {
        _root = root;
        Disks = disks;
        Coordinator = coordinator;
        Participants = participants;
        Client = new TwoPcClient(new TwoPcClientOptions
        {
            CoordinatorAddress = coordinator.Address,
            CallTimeout = TimeSpan.FromSeconds(10),
            CompletionTimeout = TimeSpan.FromSeconds(20),
        });
    }

    /// <summary>Coordinator's disk first, then p0's and p1's.</summary>
    public IReadOnlyList<LossyDisk> Disks { get; }

    public ServiceProcess Coordinator { get; }

    public IReadOnlyList<ServiceProcess> Participants { get; }

    public TwoPcClient Client { get; }

    public string CoordinatorFile => Path.Combine(Disks[0].MountPoint, "coordinator.db");

    public string ParticipantFile(int index) => Path.Combine(Disks[index + 1].MountPoint, $"p{index}.db");

    /// <param name="coordinatorDisk">The coordinator's disk.</param>
    /// <param name="participantDisks">Both participants' disks.</param>
    /// <param name="participantArgs">Extra settings for both participants.</param>
    public static async Task<PowerLossCluster> StartAsync(DiskMode coordinatorDisk = DiskMode.Volatile, DiskMode participantDisks = DiskMode.Volatile, string[]? participantArgs = null)
    {
        var exe = await LossyFsBuild.ExecutableAsync();
        var root = Path.Combine(Path.GetTempPath(), "twopc-it", Guid.NewGuid().ToString("N"));
        var disks = new List<LossyDisk>
        {
            new(exe, root, "coordinator", coordinatorDisk),
            new(exe, root, "p0", participantDisks),
            new(exe, root, "p1", participantDisks),
        };
        await Task.WhenAll(disks.Select(d => d.PowerOnAsync()));
        var coordinator = ServiceProcess.Coordinator(disks[0].MountPoint);
        var participants = Enumerable.Range(0, 2)
            .Select(i => ServiceProcess.Participant($"p{i}", disks[i + 1].MountPoint, coordinator.Address, participantArgs ?? []))
            .ToList();
        var cluster = new PowerLossCluster(root, disks, coordinator, participants);
        await cluster.StartProcessesAsync();
        return cluster;
    }

    private IEnumerable<ServiceProcess> Processes => Participants.Prepend(Coordinator);

    /// <summary>Starts the three processes and notes their OS processes, so that a power cut needs no lookup.</summary>
    public async Task StartProcessesAsync()
    {
        await Task.WhenAll(Processes.Select(p => p.StartAsync()));
        foreach (var p in _running) p.Dispose();
        _running = Processes.Select(p => FindProcess(p) ?? throw new InvalidOperationException($"{p.Name} answers on port {p.Port}, but no process has it on its command line")).ToList();
    }

    /// <summary>A crash of the three processes only (SIGKILL); the disks keep what was written, as the page cache would.</summary>
    public void KillProcesses()
    {
        foreach (var p in Processes) p.Kill();
    }

    /// <summary>
    /// The plug: SIGKILL to the three disk daemons and then to the three processes, microseconds apart (no lookup in
    /// between); then the dead mounts are detached. Nothing written since its last flush survives.
    /// </summary>
    public async Task CutPowerAsync()
    {
        foreach (var disk in Disks) disk.CutPower();
        foreach (var p in _running) if (!p.HasExited) p.Kill();
        KillProcesses(); // waits for them to be gone
        foreach (var disk in Disks) await disk.WaitDownAsync();
    }

    /// <summary>The power comes back: the disks mount their backing folders, then the processes start on them.</summary>
    public async Task PowerOnAsync()
    {
        await Task.WhenAll(Disks.Select(d => d.PowerOnAsync()));
        await StartProcessesAsync();
    }

    /// <summary>The OS process of a service, found by the port on its command line (it is a child of this test run).</summary>
    private static Process? FindProcess(ServiceProcess service)
    {
        var marker = $"http://127.0.0.1:{service.Port}\0";
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            try
            {
                var cmdline = File.ReadAllText(Path.Combine(dir, "cmdline"));
                if (cmdline.Contains("--urls\0" + marker, StringComparison.Ordinal)) return Process.GetProcessById(pid);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
            {
                // The process went away while we looked.
            }
        }

        return null;
    }

    /// <summary>Everything the processes and the disks printed, for failure messages.</summary>
    public string Output =>
        string.Join("\n", Processes.Select(p => $"===== {p.Name} =====\n{Tail(p.Output)}").Concat(Disks.Select(d => $"===== disk {d.Name} =====\n{Tail(d.Output)}")));

    private static string Tail(string text) => text.Length <= 12000 ? text : text[..6000] + "\n...\n" + text[^6000..];

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        foreach (var p in _running) p.Dispose();
        foreach (var p in Processes) p.Dispose();
        foreach (var d in Disks) d.Dispose();
        await Task.Yield();
        try
        {
            Directory.Delete(_root, true);
        }
        catch (IOException)
        {
        }
    }
}
