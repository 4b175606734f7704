using NSubstitute;
using NSubstitute.ExceptionExtensions;
using TwoPC.Coordinator.Participants;
using TwoPC.Coordinator.Protocols.Saga;
using TwoPC.Coordinator.Protocols.TwoPhase;
using TwoPC.Coordinator.Transactions;
using static TwoPC.Coordinator.Tests.Protocols.Saga.SagaTestHarness;

namespace TwoPC.Coordinator.Tests.Protocols.Saga;

public sealed class RunSagaManagerTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly SagaTestHarness _h = new();

    public RunSagaManagerTests()
    {
        _h.Participants.DescribeAsync(Arg.Any<string>(), Arg.Any<CancellationToken>())
            .Returns(((IReadOnlyList<string>)[], (IReadOnlyList<string>)["leave", "flight", "hotel", "car", "order", "payment", "shipping"]));
    }

    private TransactionManager CreateSut() => new(_h.Engine, new TwoPhaseCommitProcessor(_h.Engine), new SagaProcessor(_h.Engine));

    public static TheoryData<string, string> Invalid => new()
    {
        { "group", "steps[1].group" },
        { "attempts-negative", "steps[1].retry.max_attempts" },
        { "attempts-too-many", "steps[1].retry.max_attempts" },
        { "payload", "steps[1].action_payload" },
        { "compensation-payload", "steps[1].compensation_payload" },
        { "timeout", "steps[1].timeout" },
        { "backoff", "steps[1].retry.max_backoff" },
        { "address", "steps[1].participant_address" },
        { "resource", "steps[1].resource" },
        { "name", "steps[1].name" },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public async Task RunSagaAsync_InvalidStep_InvalidRequestNamingTheField(string problem, string field)
    {
        var bad = Step("payment", 1);
        switch (problem)
        {
            case "group": bad.Group = -1; break;
            case "attempts-negative": bad.MaxAttempts = -1; break;
            case "attempts-too-many": bad.MaxAttempts = 101; break;
            case "payload": bad.ActionPayload = new byte[_h.Engine.Options.MaxPayloadBytes + 1]; break;
            case "compensation-payload": bad.CompensationPayload = new byte[_h.Engine.Options.MaxPayloadBytes + 1]; break;
            case "timeout": bad.Timeout = TimeSpan.FromDays(2); break;
            case "backoff": bad.MaxBackoff = TimeSpan.FromSeconds(-1); break;
            case "address": bad.ParticipantAddress = "ftp://x"; break;
            case "resource": bad.Resource = ""; break;
            case "name": bad.Name = " "; break;
        }

        var ex = await Assert.ThrowsAsync<InvalidRequestException>(() => CreateSut().RunSagaAsync([Step("order", 0), bad], null, false, null, CancellationToken.None));

        Assert.Equal(field, ex.Field);
        Assert.Empty(await _h.Log.ListAsync([], null, 10, CancellationToken.None));
    }

    [Fact]
    public async Task RunSagaAsync_TooManySteps_InvalidRequest()
    {
        var steps = Enumerable.Range(0, _h.Engine.Options.MaxBranches + 1).Select(i => Step("s" + i, i)).ToList();

        var ex = await Assert.ThrowsAsync<InvalidRequestException>(() => CreateSut().RunSagaAsync(steps, null, false, null, CancellationToken.None));

        Assert.Contains("limit", ex.Message);
    }

    [Fact]
    public async Task RunSagaAsync_DescribeRejected_InvalidRequestNamingTheAddress()
    {
        _h.Participants.DescribeAsync("http://127.0.0.1:5001", Arg.Any<CancellationToken>()).ThrowsAsync(new ParticipantRejectedException("Unimplemented"));

        var ex = await Assert.ThrowsAsync<InvalidRequestException>(() => CreateSut().RunSagaAsync(Shopping(), null, false, null, CancellationToken.None));

        Assert.Contains("http://127.0.0.1:5001", ex.Message);
    }

    [Fact]
    public async Task RunSagaAsync_SecondSagaWithinTheCacheTime_DoesNotDescribeAgain()
    {
        var sut = CreateSut();
        await sut.RunSagaAsync(Shopping(), null, wait: true, null, CancellationToken.None);
        var described = _h.Participants.ReceivedCalls().Count(c => c.GetMethodInfo().Name == nameof(IParticipantClient.DescribeAsync));

        await sut.RunSagaAsync(Shopping(), null, wait: true, null, CancellationToken.None);

        Assert.True(described > 0);
        Assert.Equal(described, _h.Participants.ReceivedCalls().Count(c => c.GetMethodInfo().Name == nameof(IParticipantClient.DescribeAsync)));
    }

    [Fact]
    public async Task RunSagaAsync_FailedDescribe_IsNotCached()
    {
        var sut = CreateSut();
        _h.Participants.DescribeAsync("http://127.0.0.1:5001", Arg.Any<CancellationToken>()).ThrowsAsync(new ParticipantUnreachableException("down"));
        await Assert.ThrowsAsync<RetryLaterException>(() => sut.RunSagaAsync(Shopping(), null, false, null, CancellationToken.None));

        _h.Participants.DescribeAsync("http://127.0.0.1:5001", Arg.Any<CancellationToken>())
            .Returns(((IReadOnlyList<string>)[], (IReadOnlyList<string>)["leave", "flight", "hotel", "car", "order", "payment", "shipping"]));
        var record = await sut.RunSagaAsync(Shopping(), null, wait: true, null, CancellationToken.None);

        Assert.Equal(TransactionState.SagaCompleted, record.State);
    }

    [Fact]
    public async Task RunSagaAsync_CachedAnswerWithoutTheHandler_AsksAgainBeforeRejecting()
    {
        var sut = CreateSut();
        _h.Participants.DescribeAsync(Arg.Any<string>(), Arg.Any<CancellationToken>())
            .Returns(((IReadOnlyList<string>)[], (IReadOnlyList<string>)["leave"]));
        await Assert.ThrowsAsync<InvalidRequestException>(() => sut.RunSagaAsync(Shopping(), null, false, null, CancellationToken.None));

        _h.Participants.DescribeAsync(Arg.Any<string>(), Arg.Any<CancellationToken>())
            .Returns(((IReadOnlyList<string>)[], (IReadOnlyList<string>)["leave", "flight", "hotel", "car", "order", "payment", "shipping"]));
        var record = await sut.RunSagaAsync(Shopping(), null, wait: true, null, CancellationToken.None);

        Assert.Equal(TransactionState.SagaCompleted, record.State);
    }

    [Fact]
    public async Task RunSagaAsync_Recorded_ForcedBeforeAnyStepRuns()
    {
        TransactionRecord? onDiskAtFirstExecute = null;
        _h.OnExecute = (_, _) =>
        {
            if (onDiskAtFirstExecute is not null) return;
            var all = _h.Log.ListAsync([], null, 10, CancellationToken.None).Result;
            _h.Log.Crash();
            onDiskAtFirstExecute = _h.Log.GetAsync(all.Single().Id, CancellationToken.None).Result;
        };

        var record = await CreateSut().RunSagaAsync(Shopping(), null, wait: true, null, CancellationToken.None);

        Assert.Equal(TransactionState.SagaCompleted, record.State);
        Assert.NotNull(onDiskAtFirstExecute);
        Assert.Equal(record.Id, onDiskAtFirstExecute!.Id);
    }

    [Fact]
    public async Task RunSagaAsync_RetryWithSameKey_ReturnsSameSagaEvenWhenParticipantIsGoneNow()
    {
        var sut = CreateSut();
        var first = await sut.RunSagaAsync(Shopping(), "key-1", wait: true, null, CancellationToken.None);
        _h.Participants.DescribeAsync(Arg.Any<string>(), Arg.Any<CancellationToken>()).ThrowsAsync(new ParticipantUnreachableException("down"));

        var second = await sut.RunSagaAsync(Shopping(), "key-1", wait: true, null, CancellationToken.None);

        Assert.Equal(first.Id, second.Id);
        Assert.Equal(TransactionState.SagaCompleted, second.State);
        Assert.Equal(3, _h.Executed().Count);
    }

    [Fact]
    public async Task RunSagaAsync_ConcurrentCallsWithSameKey_OneSaga()
    {
        var sut = CreateSut();
        var calls = Enumerable.Range(0, 8).Select(_ => Task.Run(() => sut.RunSagaAsync(Shopping(), "key-2", wait: true, null, CancellationToken.None)));

        var results = await Task.WhenAll(calls).WaitAsync(Patience);

        Assert.Single(results.Select(r => r.Id).Distinct());
        Assert.Equal(["order", "payment", "shipping"], _h.Executed());
    }

    [Fact]
    public async Task RunSagaAsync_CreationWriteFails_TheRecordIsWrittenAgainUntilDurable_BeforeAnyStepRuns()
    {
        var sut = CreateSut();
        var failures = 0;
        _h.Log.FailBeforeWrite = r => r.Steps.All(s => s.State == BranchState.StepPending) && ++failures <= 2;

        var record = await sut.RunSagaAsync(Shopping(), "key-3", wait: true, null, CancellationToken.None);

        Assert.Equal(TransactionState.SagaCompleted, record.State);
        Assert.Equal(3, failures);
        Assert.Equal(["order", "payment", "shipping"], _h.Executed());
        Assert.Equal(record.Id, (await sut.RunSagaAsync(Shopping(), "key-3", wait: true, null, CancellationToken.None)).Id);
    }

    [Fact]
    public async Task RunSagaAsync_CreationWriteAmbiguousButDurable_RunsTheSaga()
    {
        var sut = CreateSut();
        var ambiguous = 0;
        _h.Log.FailAfterWrite = r => r.State == TransactionState.SagaRunning && r.Steps.All(s => s.State == BranchState.StepPending) && ++ambiguous == 1;

        var record = await sut.RunSagaAsync(Shopping(), null, wait: true, null, CancellationToken.None);

        Assert.Equal(TransactionState.SagaCompleted, record.State);
        Assert.True(ambiguous >= 1);
    }

    [Fact]
    public async Task RunSagaAsync_AmendLiveSaga_LinksUnderItsGateAndDurably()
    {
        var sut = CreateSut();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _h.Execute("order", async _ =>
        {
            await release.Task.WaitAsync(Patience);
            return Succeeded("order");
        });
        var original = await sut.RunSagaAsync(Shopping(), null, wait: false, null, CancellationToken.None);

        var amendment = await sut.RunSagaAsync([Step("car", 0, optional: true)], null, wait: true, original.Id, CancellationToken.None);
        release.SetResult();
        Assert.True(_h.Engine.Table.TryGet(original.Id, out var handle));
        await handle.Finished.Task.WaitAsync(Patience);

        _h.Log.Crash();
        var stored = await _h.Log.GetAsync(original.Id, CancellationToken.None);
        Assert.Equal([amendment.Id], stored!.AmendedBy);
        Assert.Equal(TransactionState.SagaCompleted, stored.State);
        Assert.Equal(original.Id, (await _h.Log.GetAsync(amendment.Id, CancellationToken.None))!.AmendsTransactionId);
    }

    [Fact]
    public async Task RunSagaAsync_AmendTwoPhaseTransaction_StateConflict()
    {
        var sut = CreateSut();
        var twoPhase = await sut.BeginAsync(TransactionMode.TwoPhase, null, null, null, CancellationToken.None);

        await Assert.ThrowsAsync<TransactionStateConflictException>(() => sut.RunSagaAsync(Shopping(), null, true, twoPhase.Id, CancellationToken.None));
    }
}
