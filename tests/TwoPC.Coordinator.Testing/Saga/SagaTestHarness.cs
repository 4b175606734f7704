using System.Collections.Concurrent;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using NSubstitute;
using TwoPC.Coordinator.Diagnostics;
using TwoPC.Coordinator.Participants;
using TwoPC.Coordinator.Protocols;
using TwoPC.Coordinator.Protocols.Saga;
using TwoPC.Coordinator.Storage;
using TwoPC.Coordinator.Storage.InMemory;
using TwoPC.Coordinator.Transactions;

namespace TwoPC.Coordinator.Tests.Protocols.Saga;

/// <summary>
/// A saga engine over an in-memory "disk" and an NSubstitute participant client whose answers are scripted per
/// step name. Every Execute/Compensate call is recorded in order.
/// </summary>
internal sealed class SagaTestHarness
{
    public const int CompensationLimit = 3;

    private readonly ConcurrentDictionary<string, Func<int, CancellationToken, Task<ExecuteReply>>> _execute = new();
    private readonly ConcurrentDictionary<string, Func<int, Task<bool>>> _compensate = new();

    /// <param name="time">The engine's clock (default the system clock; a FakeTimeProvider only advances when told).</param>
    /// <param name="configure">Changes to the harness's options.</param>
    /// <param name="faults">Fault points (default none).</param>
    public SagaTestHarness(TimeProvider? time = null, Action<CoordinatorOptions>? configure = null, IFaultInjector? faults = null)
    {
        Time = time ?? TimeProvider.System;
        Participants = Substitute.For<IParticipantClient>();
        Participants.ExecuteAsync(Arg.Any<SagaStepRecord>(), Arg.Any<string>(), Arg.Any<int>(), Arg.Any<CancellationToken>())
            .Returns(ci =>
            {
                var step = ci.Arg<SagaStepRecord>();
                var attempt = ci.ArgAt<int>(2);
                Calls.Enqueue(("execute", step.Name, attempt));
                OnExecute?.Invoke(step.Name, attempt);
                return _execute.TryGetValue(step.Name, out var f) ? f(attempt, ci.ArgAt<CancellationToken>(3)) : Task.FromResult(Succeeded(step.Name));
            });
        Participants.CompensateAsync(Arg.Any<SagaStepRecord>(), Arg.Any<string>(), Arg.Any<int>(), Arg.Any<CancellationToken>())
            .Returns(ci =>
            {
                var step = ci.Arg<SagaStepRecord>();
                var attempt = ci.ArgAt<int>(2);
                Calls.Enqueue(("compensate", step.Name, attempt));
                OnCompensate?.Invoke(step.Name, attempt);
                return _compensate.TryGetValue(step.Name, out var f) ? f(attempt) : Task.FromResult(false);
            });
        var options = new CoordinatorOptions
        {
            RetryInitialDelay = TimeSpan.FromMilliseconds(1),
            RetryMaxDelay = TimeSpan.FromMilliseconds(5),
            CompensationAttemptLimit = CompensationLimit,
        };
        configure?.Invoke(options);
        Engine = new EngineServices(Log, new TransactionTable(), Participants, Options.Create(options), Time, new CoordinatorMetrics(), NullLogger<EngineServices>.Instance)
        {
            Faults = faults ?? NoFaults.Instance,
        };
    }

    public TimeProvider Time { get; }

    public InMemoryTransactionLog Log { get; } = new();

    public IParticipantClient Participants { get; }

    public EngineServices Engine { get; }

    /// <summary>Every call in the order it was made: kind ("execute"/"compensate"), step, attempt.</summary>
    public ConcurrentQueue<(string Kind, string Step, int Attempt)> Calls { get; } = new();

    /// <summary>Runs inside the substitute before it answers an Execute (to observe the log at that moment).</summary>
    public Action<string, int>? OnExecute { get; set; }

    /// <summary>Runs inside the substitute before it answers a Compensate.</summary>
    public Action<string, int>? OnCompensate { get; set; }

    public SagaProcessor CreateSut() => new(Engine);

    public void Execute(string step, Func<int, Task<ExecuteReply>> answer) => _execute[step] = (attempt, _) => answer(attempt);

    /// <summary>Scripts a step's Execute with the call's cancellation token (cancelled at the step's timeout).</summary>
    public void Execute(string step, Func<int, CancellationToken, Task<ExecuteReply>> answer) => _execute[step] = answer;

    /// <summary>An Execute that never answers: it ends only when the coordinator gives up on the call.</summary>
    public static async Task<ExecuteReply> NeverAnswers(CancellationToken cancellationToken)
    {
        await Task.Delay(Timeout.Infinite, cancellationToken);
        throw new InvalidOperationException("unreachable");
    }

    /// <summary>
    /// With a FakeTimeProvider: advances the clock by <paramref name="step"/> at a time (so retry delays and the
    /// parked-saga cadence elapse) until <paramref name="condition"/> holds; fails after 30 s of real time.
    /// </summary>
    public async Task AdvanceUntilAsync(Func<Task<bool>> condition, TimeSpan step)
    {
        var fake = (Microsoft.Extensions.Time.Testing.FakeTimeProvider)Time;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!await condition())
        {
            fake.Advance(step);
            await Task.Delay(1, timeout.Token);
        }
    }

    /// <summary>What a crash right now would leave of the record.</summary>
    public TransactionRecord Durable(string id) => Log.GetDurable(id)!;

    public void Compensate(string step, Func<int, Task<bool>> answer) => _compensate[step] = answer;

    public static ExecuteReply Succeeded(string step) => new(StepOutcome.Succeeded, System.Text.Encoding.UTF8.GetBytes("ok:" + step), null);

    public static SagaStepRecord Step(string name, int group, bool optional = false, bool compensable = true) => new()
    {
        Name = name,
        Group = group,
        Optional = optional,
        ParticipantAddress = "http://127.0.0.1:5001",
        Resource = name,
        ActionPayload = [1],
        CompensationPayload = compensable ? [2] : null,
        MaxAttempts = 3,
        InitialBackoff = TimeSpan.FromMilliseconds(1),
        MaxBackoff = TimeSpan.FromMilliseconds(5),
        Timeout = TimeSpan.FromSeconds(10),
    };

    /// <summary>Trip booking: leave, flight and hotel in parallel (required), then a rental car (optional).</summary>
    public static SagaStepRecord[] Trip() => [Step("leave", 0), Step("flight", 0), Step("hotel", 0), Step("car", 1, optional: true)];

    /// <summary>Shopping: order, then payment, then shipping, one after the other.</summary>
    public static SagaStepRecord[] Shopping() => [Step("order", 0), Step("payment", 1), Step("shipping", 2)];

    /// <summary>A saga record as RunSaga forces it, already on the disk, wrapped in a live handle.</summary>
    public async Task<TransactionHandle> RecordAsync(TransactionState state, params SagaStepRecord[] steps)
    {
        var record = new TransactionRecord
        {
            Id = TransactionManager.NewId(),
            Mode = TransactionMode.Saga,
            State = state,
            CreatedAt = DateTimeOffset.UtcNow,
            Steps = [.. steps],
        };
        await Log.SaveAsync(record, WriteDurability.Forced, CancellationToken.None);
        var handle = new TransactionHandle(record);
        Engine.Table.TryAdd(handle);
        return handle;
    }

    /// <summary>
    /// Drives the saga to its end, or until it parks (then its driver is stopped), with a fresh processor and returns
    /// what is on the disk after a power loss.
    /// </summary>
    public async Task<TransactionRecord> RunToEndAsync(TransactionHandle handle)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var driver = CreateSut().ResumeAsync(handle, cts.Token);
        await Task.WhenAny(driver, handle.Finished.Task);
        if (driver.IsCompleted)
        {
            await driver; // a failure surfaces here
        }
        else
        {
            Assert.Equal(TransactionState.SagaNeedsAttention, handle.Record.State);
            await cts.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => driver);
        }

        Assert.True(handle.Finished.Task.IsCompleted, "Finished was not signalled");
        Log.Crash();
        return (await Log.GetAsync(handle.Id, CancellationToken.None))!;
    }

    public List<string> Executed() => Calls.Where(c => c.Kind == "execute").Select(c => c.Step).ToList();

    public List<string> Compensated() => Calls.Where(c => c.Kind == "compensate").Select(c => c.Step).ToList();
}

internal static class SagaRecordExtensions
{
    public static SagaStepRecord Step(this TransactionRecord record, string name) => record.Steps.Single(s => s.Name == name);
}
