using TwoPC.Participant.LiteDb;
using TwoPC.Participant.Resources;

namespace TwoPC.Demo.Bank.Accounts;

/// <summary>
/// Saga step <c>credit</c>, payload "account:amount": adds the money now; compensation takes it back, even if that
/// overdraws (a compensation must not fail for business reasons).
/// </summary>
public sealed class CreditStep(AccountBook book) : ISagaStepResource
{
    public ValueTask<StepResult> ExecuteAsync(SagaStepContext context, CancellationToken cancellationToken)
    {
        var (account, amount) = Payload.Parse(context.Payload);
        if (!book.Exists(account) || amount <= 0) return ValueTask.FromResult(StepResult.Failed($"bad credit {account}:{amount}"));
        // An amount that would overflow the balance used to wrap around and hand a null document to the write.
        if (book.TryApply(account, amount) is not { } persist) return ValueTask.FromResult(StepResult.Failed($"amount {amount} would overflow account {account}"));
        context.Write(persist);
        return ValueTask.FromResult(StepResult.Succeeded());
    }

    public ValueTask CompensateAsync(SagaStepContext context, CancellationToken cancellationToken)
    {
        var (account, amount) = Payload.Parse(context.Payload);
        var persist = book.TryApply(account, -amount, force: true)!;
        context.Write(persist);
        return ValueTask.CompletedTask;
    }
}
