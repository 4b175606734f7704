using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace TwoPC.Demo.Cluster;

/// <summary>
/// One service of the demo running as a real child process (<c>dotnet app.dll args</c>). Its output is appended to a
/// log file; it can be killed and started again with the same arguments (same port, same data file).
/// </summary>
internal sealed class ChildProcess : IDisposable
{
    private readonly string _dll;
    private readonly IReadOnlyList<string> _args;
    private readonly StreamWriter _log;
    private Process? _process;

    public ChildProcess(string name, string dll, IReadOnlyList<string> args, string logPath)
    {
        Name = name;
        _dll = dll;
        _args = args;
        LogPath = logPath;
        _log = new StreamWriter(new FileStream(logPath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
    }

    public string Name { get; }

    public string LogPath { get; }

    public bool HasExited => _process is null || _process.HasExited;

    public void Start()
    {
        var info = new ProcessStartInfo(DotnetHost())
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        info.ArgumentList.Add(_dll);
        foreach (var a in _args) info.ArgumentList.Add(a);
        info.Environment["DOTNET_gcServer"] = "0";
        var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        Append($"---- {Name} started, pid {process.Id}");
    }

    /// <summary>Kills the process (like a crash: no shutdown) and waits until it is gone.</summary>
    public void Kill()
    {
        if (_process is not { } p) return;
        if (!p.HasExited)
        {
            p.Kill(entireProcessTree: true);
            p.WaitForExit();
        }

        Append($"---- {Name} killed");
        p.Dispose();
        _process = null;
    }

    public string Tail(int lines = 20)
    {
        using var reader = new StreamReader(new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite));
        var all = reader.ReadToEnd().Split('\n');
        return string.Join('\n', all.TakeLast(lines));
    }

    public void Dispose()
    {
        Kill();
        lock (_log) _log.Dispose();
    }

    /// <summary>A loopback port that was free a moment ago.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_log)
        {
            try
            {
                _log.WriteLine(line);
            }
            catch (ObjectDisposedException)
            {
                // The demo is shutting down.
            }
        }
    }

    // `dotnet run` and `dotnet test` set DOTNET_HOST_PATH; otherwise the muxer on PATH.
    private static string DotnetHost() =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";
}
