using TwoPC.Participant.LiteDb;
using TwoPC.Participant.Resources;

namespace TwoPC.TestParticipant;

/// <summary>Saga step "ledger-step": the action applies "account:delta" at once; the compensation applies -delta.</summary>
public sealed class LedgerStep(Ledger ledger) : ISagaStepResource
{
    public ValueTask<StepResult> ExecuteAsync(SagaStepContext context, CancellationToken cancellationToken)
    {
        var (account, delta, _) = Ledger.Parse(context.Payload);
        var write = ledger.TryApply(account, delta);
        if (write is null) return ValueTask.FromResult(StepResult.Failed($"insufficient funds in {account}"));
        context.Write(write);
        return ValueTask.FromResult(StepResult.Succeeded());
    }

    public ValueTask CompensateAsync(SagaStepContext context, CancellationToken cancellationToken)
    {
        var (account, delta, _) = Ledger.Parse(context.Payload);
        var write = ledger.TryApply(account, -delta) ?? throw new InvalidOperationException($"compensation would overdraw {account}");
        context.Write(write);
        return ValueTask.CompletedTask;
    }
}
