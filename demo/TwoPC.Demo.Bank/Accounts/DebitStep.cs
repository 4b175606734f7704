using TwoPC.Participant.Resources;

namespace TwoPC.Demo.Bank.Accounts;

/// <summary>Saga step <c>debit</c>, payload "account:amount": takes the money now (Failed if it would overdraw); compensation gives it back.</summary>
public sealed class DebitStep(AccountBook book) : ISagaStepHandler
{
    public ValueTask<StepResult> ExecuteAsync(SagaStepContext context, CancellationToken cancellationToken)
    {
        var (account, amount) = Payload.Parse(context.Payload);
        if (!book.Exists(account) || amount <= 0) return ValueTask.FromResult(StepResult.Failed($"bad debit {account}:{amount}"));
        if (book.TryApply(account, -amount) is not { } doc) return ValueTask.FromResult(StepResult.Failed($"insufficient funds in account {account}"));
        context.Write(db => db.GetCollection(AccountBook.Collection).Upsert(doc));
        return ValueTask.FromResult(StepResult.Succeeded());
    }

    public ValueTask CompensateAsync(SagaStepContext context, CancellationToken cancellationToken)
    {
        var (account, amount) = Payload.Parse(context.Payload);
        var doc = book.TryApply(account, amount, force: true)!;
        context.Write(db => db.GetCollection(AccountBook.Collection).Upsert(doc));
        return ValueTask.CompletedTask;
    }
}
