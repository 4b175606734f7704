using System.Diagnostics;
using System.Security.Cryptography;
using TwoPC.IntegrationTests.Support;

namespace TwoPC.IntegrationTests.PowerLoss;

/// <summary>
/// Builds the lossy FUSE filesystem (<c>lossyfs.c</c> beside this file) into a temp folder, once per test run,
/// installing its build dependencies with apt-get when they are missing and we are root. Every reason it cannot
/// run is an exception that says what to do: these tests fail rather than skip.
/// </summary>
internal static class LossyFsBuild
{
    private static readonly string[] Packages = ["fuse3", "libfuse3-dev", "gcc", "libc6-dev", "pkg-config"];
    private static readonly Lazy<Task<string>> Built = new(BuildAsync);

    /// <summary>The path of the built <c>lossyfs</c> executable.</summary>
    public static Task<string> ExecutableAsync() => Built.Value;

    private static async Task<string> BuildAsync()
    {
        if (!OperatingSystem.IsLinux())
            throw new PlatformNotSupportedException("The power-loss tests need Linux: they mount a FUSE filesystem (tests/TwoPC.IntegrationTests/PowerLoss/lossyfs.c).");
        if (!Environment.IsPrivilegedProcess)
            throw new InvalidOperationException($"The power-loss tests mount a FUSE filesystem and must run as root; this test run is user '{Environment.UserName}'. Run `dotnet test` as root (CI's .ci/run does).");
        if (!File.Exists("/dev/fuse"))
            throw new InvalidOperationException("The power-loss tests need /dev/fuse, which does not exist: the kernel has no FUSE, or this container does not expose it (e.g. docker run --device /dev/fuse --cap-add SYS_ADMIN).");

        await EnsurePackagesAsync();
        var source = Path.Combine(Paths.RepoRoot, "tests", "TwoPC.IntegrationTests", "PowerLoss", "lossyfs.c");
        var hash = Convert.ToHexString(SHA256.HashData(await File.ReadAllBytesAsync(source)))[..16];
        var dir = Path.Combine(Path.GetTempPath(), "twopc-lossyfs", hash);
        var exe = Path.Combine(dir, "lossyfs");
        if (File.Exists(exe)) return exe;

        Directory.CreateDirectory(dir);
        var flags = (await RunAsync("pkg-config", ["--cflags", "--libs", "fuse3"])).Output.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var temp = $"{exe}.{Environment.ProcessId}";
        var gcc = await RunAsync("gcc", ["-O2", "-Wall", "-o", temp, source, .. flags]);
        if (gcc.ExitCode != 0) throw new InvalidOperationException($"gcc could not build {source}:\n{gcc.Output}");
        File.Move(temp, exe, overwrite: true);
        return exe;
    }

    private static async Task EnsurePackagesAsync()
    {
        if (await HaveEverythingAsync()) return;
        var install = await RunAsync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", .. Packages]);
        if (install.ExitCode != 0)
        {
            var update = await RunAsync("apt-get", ["update", "-qq"]);
            install = await RunAsync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", .. Packages]);
            if (install.ExitCode != 0)
                throw new InvalidOperationException($"The power-loss tests need {string.Join(' ', Packages)}; apt-get could not install them:\n{update.Output}\n{install.Output}");
        }

        if (!await HaveEverythingAsync())
            throw new InvalidOperationException($"apt-get installed {string.Join(' ', Packages)}, but gcc or `pkg-config fuse3` still does not work.");
    }

    private static async Task<bool> HaveEverythingAsync()
    {
        try
        {
            return (await RunAsync("gcc", ["--version"])).ExitCode == 0 && (await RunAsync("pkg-config", ["--exists", "fuse3"])).ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false; // the program itself is missing
        }
    }

    /// <summary>Runs a program to its end and returns its exit code and its output (stdout and stderr).</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(string program, IEnumerable<string> arguments)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in arguments) info.ArgumentList.Add(a);
        info.Environment["DEBIAN_FRONTEND"] = "noninteractive";
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, ((await stdout) + (await stderr)).Trim());
    }
}
