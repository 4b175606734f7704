using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Grpc.Net.Client;
using TwoPC.Protocol.V1;

namespace TwoPC.IntegrationTests.Support;

/// <summary>
/// A real coordinator or participant process on a loopback port: started with <c>dotnet app.dll</c>, ready once it
/// answers Diagnostics.GetStats over gRPC, killed with SIGKILL, restarted on the same port and data.
/// </summary>
internal sealed class ServiceProcess : IDisposable
{
    private readonly string _dll;
    private readonly Func<IReadOnlyList<string>> _args;
    private readonly StringBuilder _output = new();
    private Process? _process;
    private GrpcChannel? _channel;

    private ServiceProcess(string name, string dll, int port, Func<IReadOnlyList<string>> args)
    {
        Name = name;
        _dll = dll;
        Port = port;
        _args = args;
    }

    public string Name { get; }

    public int Port { get; }

    public Uri Address => new($"http://127.0.0.1:{Port}");

    /// <summary>Start the process in a new session (for tests that stop it with SIGSTOP and continue it themselves).</summary>
    public bool OwnSession { get; set; }

    /// <summary>Extra arguments for the next start (cleared by <see cref="ClearExtraArgs"/>).</summary>
    public List<string> ExtraArgs { get; } = [];

    public GrpcChannel Channel => _channel ??= GrpcChannel.ForAddress(Address);

    public string Output
    {
        get
        {
            lock (_output) return _output.ToString();
        }
    }

    public static ServiceProcess Coordinator(string dataDir, params string[] extra)
    {
        var port = FreePort();
        return new ServiceProcess("coordinator", Paths.Executable("coordinator/TwoPC.Coordinator", "TwoPC.Coordinator"), port, () =>
        [
            "--urls", $"http://127.0.0.1:{port}",
            $"--TwoPC:Coordinator:DataPath={Path.Combine(dataDir, "coordinator.db")}",
            $"--TwoPC:Coordinator:AdvertisedAddress=http://127.0.0.1:{port}",
            "--TwoPC:Coordinator:RetryInitialDelay=00:00:00.020",
            "--TwoPC:Coordinator:RetryMaxDelay=00:00:00.250",
            .. extra,
        ]);
    }

    public static ServiceProcess Participant(string name, string dataDir, Uri coordinator, params string[] extra)
    {
        var port = FreePort();
        return new ServiceProcess(name, Paths.Executable("tests/TwoPC.TestParticipant", "TwoPC.TestParticipant"), port, () =>
        [
            "--urls", $"http://127.0.0.1:{port}",
            $"--TwoPC:Participant:DataPath={Path.Combine(dataDir, name + ".db")}",
            $"--TwoPC:Participant:CoordinatorAddress={coordinator}",
            "--TwoPC:Participant:InDoubtRetryInitial=00:00:00.050",
            "--TwoPC:Participant:InDoubtRetryMax=00:00:00.300",
            "--TwoPC:Participant:InDoubtCheckAfter=00:00:01",
            "--Ledger:InitialBalance=1000",
            .. extra,
        ]);
    }

    public void ClearExtraArgs() => ExtraArgs.Clear();

    /// <summary>Starts the process and waits until it answers gRPC.</summary>
    public async Task StartAsync()
    {
        if (_process is { HasExited: false }) throw new InvalidOperationException($"{Name} is already running");
        // In a session of its own (setsid execs in place: same pid), a process stopped with SIGSTOP stays stopped until
        // the test sends SIGCONT: the kernel sends SIGHUP + SIGCONT to every stopped member of a process group that
        // becomes orphaned when some other member exits, which in the test host's group happens at random.
        var info = new ProcessStartInfo(OwnSession ? "setsid" : "dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (OwnSession) info.ArgumentList.Add("dotnet");
        info.ArgumentList.Add(_dll);
        foreach (var a in _args()) info.ArgumentList.Add(a);
        foreach (var a in ExtraArgs) info.ArgumentList.Add(a);
        info.Environment["DOTNET_gcServer"] = "0";
        var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        await WaitReadyAsync(TimeSpan.FromSeconds(60));
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
    }

    private async Task WaitReadyAsync(TimeSpan timeout)
    {
        var client = new Diagnostics.DiagnosticsClient(Channel);
        var until = DateTime.UtcNow + timeout;
        while (true)
        {
            if (_process!.HasExited)
            {
                _process.WaitForExit(); // drains the redirected output, so the message has all of it
                throw new InvalidOperationException($"{Name} exited with {_process.ExitCode} during start:\n{Output}");
            }
            try
            {
                await client.GetStatsAsync(new GetStatsRequest(), deadline: DateTime.UtcNow.AddSeconds(2));
                return;
            }
            catch (Grpc.Core.RpcException) when (DateTime.UtcNow < until)
            {
                await Task.Delay(50);
            }
        }
    }

    /// <summary>SIGKILL: no shutdown code runs, nothing is flushed.</summary>
    public void Kill()
    {
        if (_process is null || _process.HasExited) return;
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit(10_000);
    }

    /// <summary>Sends <paramref name="signal"/> (e.g. "CONT", "STOP") to the running process.</summary>
    public void Signal(string signal)
    {
        using var kill = Process.Start("kill", ["-" + signal, _process!.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
        if (kill.ExitCode != 0) throw new InvalidOperationException($"kill -{signal} {_process.Id} failed with {kill.ExitCode}");
    }

    /// <summary>True while the process is stopped by a signal (state T in /proc/PID/stat).</summary>
    public bool IsStopped
    {
        get
        {
            if (_process is null || _process.HasExited) return false;
            var stat = File.ReadAllText($"/proc/{_process.Id}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].StartsWith('T');
        }
    }

    /// <summary>Waits until the process exits by itself (e.g. a Crash fault point).</summary>
    public async Task WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process!.WaitForExitAsync(cts.Token);
    }

    public bool HasExited => _process?.HasExited ?? true;

    /// <summary>The exit code of the process, once it has exited.</summary>
    public int ExitCode => _process!.ExitCode;

    public async Task<GetStatsResponse> StatsAsync() =>
        await new Diagnostics.DiagnosticsClient(Channel).GetStatsAsync(new GetStatsRequest(), deadline: DateTime.UtcNow.AddSeconds(5));

    public void Dispose()
    {
        Kill();
        _channel?.Dispose();
        _process?.Dispose();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
