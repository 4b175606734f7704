using TwoPC.Participant.LiteDb;
using TwoPC.Participant.Resources;

namespace TwoPC.Demo.Bank.Accounts;

/// <summary>Saga step <c>debit</c>, payload "account:amount": takes the money now (Failed if it would overdraw); compensation gives it back.</summary>
public sealed class DebitStep(AccountBook book) : ISagaStepResource
{
    public ValueTask<StepResult> ExecuteAsync(SagaStepContext context, CancellationToken cancellationToken)
    {
        var (account, amount) = Payload.Parse(context.Payload);
        if (!book.Exists(account) || amount <= 0) return ValueTask.FromResult(StepResult.Failed($"bad debit {account}:{amount}"));
        if (book.TryApply(account, -amount) is not { } persist) return ValueTask.FromResult(StepResult.Failed($"insufficient funds in account {account}"));
        context.Write(persist);
        return ValueTask.FromResult(StepResult.Succeeded());
    }

    public ValueTask CompensateAsync(SagaStepContext context, CancellationToken cancellationToken)
    {
        var (account, amount) = Payload.Parse(context.Payload);
        var persist = book.TryApply(account, amount, force: true)!;
        context.Write(persist);
        return ValueTask.CompletedTask;
    }
}
