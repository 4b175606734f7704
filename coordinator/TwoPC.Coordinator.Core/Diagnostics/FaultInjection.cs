using System.Diagnostics;
using Microsoft.Extensions.Options;

namespace TwoPC.Coordinator.Diagnostics;

/// <summary>What happens when a named fault point is reached. Test configuration only.</summary>
public enum FaultAction
{
    /// <summary>Nothing.</summary>
    None,

    /// <summary>The process kills itself with SIGKILL on the spot, like <c>kill -9</c>: no cleanup, no flush.</summary>
    Crash,

    /// <summary>An <see cref="InjectedFaultException"/> is thrown.</summary>
    Throw,

    /// <summary>The call never returns (until cancelled).</summary>
    Hang,

    /// <summary>
    /// The process stops itself with SIGSTOP, like <c>kill -STOP</c> (a pause: no thread runs, no lease is renewed),
    /// and goes on from this point when it receives SIGCONT. Linux only.
    /// </summary>
    Pause,
}

/// <summary>Fault points, enabled only by configuration (<c>TwoPC:Faults:Points:{name}=Crash</c>). Default: none.</summary>
public sealed class FaultOptions
{
    /// <summary>Action per point name (see <see cref="FaultPoints"/>).</summary>
    public Dictionary<string, FaultAction> Points { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>Names of the coordinator's fault points.</summary>
public static class FaultPoints
{
    /// <summary>2PC: Commit received, state PREPARING, before any Prepare is sent.</summary>
    public const string BeforePrepare = "2pc.before-prepare";

    /// <summary>2PC: every vote is in (all yes), before the decision is written.</summary>
    public const string VotesIn = "2pc.votes-in";

    /// <summary>2PC: the COMMIT decision is durable; nobody has been told yet.</summary>
    public const string DecisionDurable = "2pc.decision-durable";

    /// <summary>2PC: a branch acknowledged Commit (a crash here hits after the first ack; others may not have acked).</summary>
    public const string AfterFirstCommitAck = "2pc.after-first-commit-ack";

    /// <summary>2PC: every branch acknowledged; before the final record is saved.</summary>
    public const string BeforeFinish = "2pc.before-finish";

    /// <summary>Saga: a step is durably recorded as running; its Execute is not sent yet.</summary>
    public const string SagaStepRecorded = "saga.step-recorded";

    /// <summary>Saga: a step's action answered; the answer is not recorded yet.</summary>
    public const string SagaStepDoneUnrecorded = "saga.step-done-unrecorded";

    /// <summary>Saga: a compensation is durably recorded as in flight; Compensate is not sent yet.</summary>
    public const string SagaCompensationRecorded = "saga.compensation-recorded";

    /// <summary>Saga: a compensation answered; the answer is not recorded yet.</summary>
    public const string SagaCompensationDoneUnrecorded = "saga.compensation-done-unrecorded";
}

/// <summary>Raised by a <see cref="FaultAction.Throw"/> fault point.</summary>
public sealed class InjectedFaultException(string point) : Exception($"injected fault at {point}");

/// <summary>Reaches fault points. The default does nothing.</summary>
public interface IFaultInjector
{
    /// <summary>Runs the action configured for <paramref name="point"/>, if any.</summary>
    ValueTask HitAsync(string point, string transactionId, CancellationToken cancellationToken);
}

/// <summary>No faults (production).</summary>
public sealed class NoFaults : IFaultInjector
{
    /// <summary>The instance.</summary>
    public static readonly NoFaults Instance = new();

    /// <inheritdoc />
    public ValueTask HitAsync(string point, string transactionId, CancellationToken cancellationToken) => ValueTask.CompletedTask;
}

/// <summary>Faults from <see cref="FaultOptions"/>.</summary>
public sealed class ConfiguredFaultInjector(IOptions<FaultOptions> options) : IFaultInjector
{
    /// <inheritdoc />
    public async ValueTask HitAsync(string point, string transactionId, CancellationToken cancellationToken)
    {
        if (!options.Value.Points.TryGetValue(point, out var action)) return;
        switch (action)
        {
            case FaultAction.Crash:
                await Console.Error.WriteLineAsync($"FAULT {point} crash tx={transactionId}").ConfigureAwait(false);
                Process.GetCurrentProcess().Kill();
                await Task.Delay(Timeout.Infinite, CancellationToken.None).ConfigureAwait(false);
                break;
            case FaultAction.Pause:
                await Console.Error.WriteLineAsync($"FAULT {point} pause tx={transactionId}").ConfigureAwait(false);
                await Console.Error.FlushAsync(cancellationToken).ConfigureAwait(false);
                if (SelfSignal.Stop() != 0) await Console.Error.WriteLineAsync($"FAULT {point} pause failed: kill(SIGSTOP) returned an error").ConfigureAwait(false);
                break;
            case FaultAction.Throw:
                throw new InjectedFaultException(point);
            case FaultAction.Hang:
                await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
                break;
        }
    }
}

/// <summary>SIGSTOP to this process (the Pause fault action).</summary>
internal static class SelfSignal
{
    private const int SigStop = 19;

    public static int Stop() => Kill(Environment.ProcessId, SigStop);

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill")]
    private static extern int Kill(int pid, int signal);
}
