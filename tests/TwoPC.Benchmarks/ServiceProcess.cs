using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace TwoPC.Benchmarks;

/// <summary>One TwoPC process (coordinator or participant) started with <c>dotnet &lt;dll&gt;</c> on a loopback port.</summary>
internal sealed class ServiceProcess : IDisposable
{
    private readonly Process _process;
    private readonly Queue<string> _tail = new();

    private ServiceProcess(string name, Process process, Uri address)
    {
        Name = name;
        _process = process;
        Address = address;
    }

    public string Name { get; }

    public Uri Address { get; }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>The last lines the process wrote (for error messages).</summary>
    public string Tail
    {
        get
        {
            lock (_tail) return string.Join(Environment.NewLine, _tail);
        }
    }

    /// <summary>Starts the dll; "{address}" in a setting is replaced by the process's own address.</summary>
    public static ServiceProcess Start(string name, string dll, IEnumerable<string> settings)
    {
        var port = FreePort();
        var address = new Uri($"http://127.0.0.1:{port}");
        var info = new ProcessStartInfo("dotnet")
        {
            // The app's own folder, so its appsettings.json (log levels) is found.
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(dll);
        info.ArgumentList.Add("--urls");
        info.ArgumentList.Add(address.ToString().TrimEnd('/'));
        // Per-request logging would measure the console, not the protocol.
        info.ArgumentList.Add("--Logging:LogLevel:Default=Warning");
        foreach (var s in settings) info.ArgumentList.Add(s.Replace("{address}", address.ToString().TrimEnd('/'), StringComparison.Ordinal));
        info.Environment["DOTNET_ENVIRONMENT"] = "Production";
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";

        var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {name}");
        var service = new ServiceProcess(name, process, address);
        process.OutputDataReceived += (_, e) => service.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => service.Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return service;
    }

    /// <summary>Resident set size from /proc (0 where unavailable).</summary>
    public long RssBytes()
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{Pid}/status"))
            {
                if (!line.StartsWith("VmRSS:", StringComparison.Ordinal)) continue;
                var kb = line["VmRSS:".Length..].Trim().Split(' ')[0];
                return long.Parse(kb, CultureInfo.InvariantCulture) * 1024;
            }
        }
        catch (IOException)
        {
        }

        return 0;
    }

    /// <summary>User + system CPU time the process used so far, from /proc (zero where unavailable).</summary>
    public TimeSpan CpuTime()
    {
        try
        {
            // Fields after the ")" of the command name: state is field 3; utime and stime are fields 14 and 15.
            var stat = File.ReadAllText($"/proc/{Pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            return TimeSpan.FromSeconds(ticks / 100.0);
        }
        catch (IOException)
        {
            return TimeSpan.Zero;
        }
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
        }

        _process.Dispose();
    }

    private void Keep(string? line)
    {
        if (line is null) return;
        lock (_tail)
        {
            _tail.Enqueue(line);
            while (_tail.Count > 40) _tail.Dequeue();
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
