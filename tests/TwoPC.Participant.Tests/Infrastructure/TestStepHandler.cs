using System.Collections.Concurrent;
using TwoPC.Participant.Resources;

namespace TwoPC.Participant.Tests.Infrastructure;

/// <summary>A saga step handler that records calls and can add or break local writes.</summary>
internal sealed class TestStepHandler : ISagaStepResource
{
    public ConcurrentQueue<(string Op, string Tx, string Step)> Calls { get; } = new();

    public Func<SagaStepContext, StepResult> OnExecute { get; set; } = ctx => StepResult.Succeeded(new byte[] { 42 });

    public bool Throw { get; set; }

    public int Count(string op, string tx) => Calls.Count(c => c.Op == op && c.Tx == tx);

    public ValueTask<StepResult> ExecuteAsync(SagaStepContext context, CancellationToken cancellationToken)
    {
        Calls.Enqueue(("execute", context.TransactionId, context.StepName));
        if (Throw) throw new InvalidOperationException("transient handler failure");
        return ValueTask.FromResult(OnExecute(context));
    }

    public ValueTask CompensateAsync(SagaStepContext context, CancellationToken cancellationToken)
    {
        Calls.Enqueue(("compensate", context.TransactionId, context.StepName));
        context.Write(TestResource.InsertBusinessRow("undo-" + context.TransactionId));
        return ValueTask.CompletedTask;
    }
}
