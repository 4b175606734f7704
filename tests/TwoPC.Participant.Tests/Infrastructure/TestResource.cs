using TwoPC.Participant.Propagation;
using System.Collections.Concurrent;
using LiteDB;
using TwoPC.Client;
using TwoPC.Participant.Resources;

namespace TwoPC.Participant.Tests.Infrastructure;

/// <summary>A resource that records every call and lets a test choose its behaviour.</summary>
internal sealed class TestResource : ITransactionalResource
{
    private readonly ITwoPcTransactionContextAccessor _accessor;

    public TestResource(ITwoPcTransactionContextAccessor accessor) => _accessor = accessor;

    public ConcurrentQueue<(string Op, string Tx, int Branch)> Calls { get; } = new();

    public Func<PrepareContext, PrepareResult> OnPrepare { get; set; } = _ => PrepareResult.Prepared(new byte[] { 7 });

    public Action<BranchContext>? OnCommit { get; set; }

    /// <summary>Like <see cref="OnCommit"/>, with the call's cancellation token.</summary>
    public Action<BranchContext, CancellationToken>? OnCommitWithToken { get; set; }

    public TwoPcTransactionContext? SeenContext { get; private set; }

    public bool EnlistSelf { get; set; }

    public int EnlistedBranch { get; private set; }

    public byte[]? RecoveredState { get; private set; }

    public int Count(string op, string tx) => Calls.Count(c => c.Op == op && c.Tx == tx);

    public async ValueTask<PrepareResult> PrepareAsync(PrepareContext context, CancellationToken cancellationToken)
    {
        Calls.Enqueue(("prepare", context.TransactionId, context.BranchId));
        SeenContext = _accessor.Current;
        if (EnlistSelf) EnlistedBranch = await _accessor.EnlistSelfAsync("accounts", new byte[] { 1 }, cancellationToken);
        await Task.Yield();
        return OnPrepare(context);
    }

    public ValueTask CommitAsync(BranchContext context, CancellationToken cancellationToken)
    {
        Calls.Enqueue(("commit", context.TransactionId, context.BranchId));
        OnCommit?.Invoke(context);
        OnCommitWithToken?.Invoke(context, cancellationToken);
        return ValueTask.CompletedTask;
    }

    public ValueTask AbortAsync(BranchContext context, CancellationToken cancellationToken)
    {
        Calls.Enqueue(("abort", context.TransactionId, context.BranchId));
        return ValueTask.CompletedTask;
    }

    public ValueTask RecoverAsync(BranchContext context, CancellationToken cancellationToken)
    {
        Calls.Enqueue(("recover", context.TransactionId, context.BranchId));
        RecoveredState = context.State;
        return ValueTask.CompletedTask;
    }

    /// <summary>A local write the resource can add: inserts one document into "business".</summary>
    public static Action<LiteDatabase> InsertBusinessRow(string id) =>
        db => db.GetCollection("business").Insert(new BsonDocument { ["_id"] = id });
}
