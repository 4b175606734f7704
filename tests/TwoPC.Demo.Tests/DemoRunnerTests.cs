using System.Text.RegularExpressions;
using Xunit;
using Xunit.Abstractions;

namespace TwoPC.Demo.Tests;

/// <summary>Runs a small demo in-process (the coordinator and banks are real child processes) and checks its RESULT lines.</summary>
public sealed partial class DemoRunnerTests(ITestOutputHelper log)
{
    private const int Transfers = 200;

    [Fact]
    public async Task RunAsync_BothModesWithFaults_EveryTransferDecidedTotalsExactNoTwoPhaseViolation()
    {
        var buffer = new StringWriter();
        var output = TextWriter.Synchronized(buffer);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));

        var exitCode = await DemoRunner.RunAsync(["--transfers", Transfers.ToString(), "--concurrency", "8", "--mode", "both"], output, timeout.Token);

        var text = buffer.ToString();
        log.WriteLine(text);
        var results = ResultLine().Matches(text).ToDictionary(
            m => m.Groups["mode"].Value,
            m => m.Groups["fields"].Value.Split(' ').Select(f => f.Split('=')).ToDictionary(kv => kv[0], kv => kv[1]));
        Assert.Equal(["2pc", "saga"], results.Keys.Order());
        foreach (var (mode, r) in results)
        {
            Assert.True(int.Parse(r["transfers"]) == Transfers, $"{mode}: transfers={r["transfers"]}");
            Assert.True(int.Parse(r["committed"]) + int.Parse(r["aborted"]) == Transfers, $"{mode}: not every transfer decided");
            Assert.True(r["final_total_ok"] == "true", $"{mode}: final total wrong");
            Assert.True(int.Parse(r["audits"]) > 0, $"{mode}: no audit completed");
        }

        Assert.Equal("0", results["2pc"]["audit_violations"]);
        Assert.Contains("[fault] killed bank-b", text);
        Assert.Contains("[fault] killed coordinator", text);
        Assert.Equal(0, exitCode);
    }

    [Fact]
    public async Task RunAsync_ClusterOfThree_OneInstanceKilledForGood_Every2pcTransferDecidedTotalsExact()
    {
        var buffer = new StringWriter();
        var output = TextWriter.Synchronized(buffer);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));

        var exitCode = await DemoRunner.RunAsync(["--cluster", "3", "--transfers", Transfers.ToString(), "--concurrency", "8", "--mode", "2pc"], output, timeout.Token);

        var text = buffer.ToString();
        log.WriteLine(text);
        var r = ResultLine().Matches(text).Single().Groups["fields"].Value.Split(' ').Select(f => f.Split('=')).ToDictionary(kv => kv[0], kv => kv[1]);
        Assert.True(int.Parse(r["committed"]) + int.Parse(r["aborted"]) == Transfers, "not every transfer decided");
        Assert.True(r["final_total_ok"] == "true", "final total wrong");
        Assert.Equal("0", r["audit_violations"]);
        Assert.Contains("cluster: 3 coordinator instances over PostgreSQL", text);
        Assert.Contains("[fault] killed coordinator instance 2 of 3 for good", text);
        Assert.Equal(0, exitCode);
    }

    [GeneratedRegex(@"^RESULT mode=(?<mode>\S+) (?<fields>.+?)\r?$", RegexOptions.Multiline)]
    private static partial Regex ResultLine();
}
