using System.Text.RegularExpressions;
using Xunit;
using Xunit.Abstractions;

namespace TwoPC.Demo.Tests;

/// <summary>The CI run of the bank nemesis soak: 30 seconds at concurrency 16 then 64, the coordinator killed every 5-10 s.</summary>
public sealed partial class SoakTests(ITestOutputHelper log)
{
    [Fact]
    public async Task Soak_30Seconds_WithNemesis_NoViolation()
    {
        var buffer = new StringWriter();
        var output = TextWriter.Synchronized(buffer);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));

        var exitCode = await DemoRunner.RunAsync(["soak", "--duration", "30", "--concurrency", "16,64"], output, timeout.Token);

        var text = buffer.ToString();
        log.WriteLine(text);
        var line = SoakLine().Match(text);
        Assert.True(line.Success, "no SOAK line");
        var r = line.Groups["fields"].Value.Split(' ').Select(f => f.Split('=')).ToDictionary(kv => kv[0], kv => kv[1]);
        foreach (var zero in new[] { "negative_balances", "lost", "duplicated", "phantom", "balance_mismatches", "unresolved", "run_violations" })
            Assert.True(r[zero] == "0", $"{zero}={r[zero]}");
        Assert.Equal("true", r["total_ok"]);
        Assert.Equal("true", r["nothing_in_doubt"]);
        Assert.True(int.Parse(r["committed"]) > 0, "nothing committed");
        Assert.True(int.Parse(r["coordinator_kills"]) >= 1, "the coordinator was never killed");
        Assert.True(int.Parse(r["recoveries"]) >= 1, "no recovery checked");
        Assert.Equal(0, exitCode);
    }

    [GeneratedRegex(@"^SOAK (?<fields>.+?)\r?$", RegexOptions.Multiline)]
    private static partial Regex SoakLine();
}
