using System.Collections.Concurrent;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using P = TwoPC.Protocol.V1;

namespace TwoPC.Client.Tests.Infrastructure;

/// <summary>A fake coordinator on a real Kestrel host: each call answers through a replaceable delegate and is recorded.</summary>
internal sealed class StubCoordinator : P.Coordinator.CoordinatorBase, IAsyncDisposable
{
    private KestrelHost? _host;

    public Uri Address => _host!.Address;

    public ConcurrentQueue<(string Method, object Request, Metadata Headers)> Received { get; } = new();

    public Func<P.GetTransactionRequest, P.TransactionInfo> OnGetTransaction { get; set; } = _ => throw new RpcException(new Status(StatusCode.Unimplemented, "stub"));

    public Func<P.BeginRequest, P.BeginResponse> OnBegin { get; set; } = _ => new P.BeginResponse { TransactionId = "tx-stub" };

    public Func<P.EnlistRequest, P.EnlistResponse> OnEnlist { get; set; } = _ => new P.EnlistResponse { BranchId = 1 };

    public Func<P.CommitRequest, P.CommitResponse> OnCommit { get; set; } = _ => new P.CommitResponse { Outcome = P.Outcome.Committed, State = P.TransactionState.Committing };

    public Func<P.AbortRequest, P.AbortResponse> OnAbort { get; set; } = _ => new P.AbortResponse { Outcome = P.Outcome.Aborted, State = P.TransactionState.Aborted };

    public Func<P.RunSagaRequest, P.RunSagaResponse> OnRunSaga { get; set; } = _ => new P.RunSagaResponse { TransactionId = "saga-1", Outcome = P.SagaOutcome.Completed };

    public int Count(string method) => Received.Count(r => r.Method == method);

    public static async Task<StubCoordinator> StartAsync()
    {
        var stub = new StubCoordinator();
        stub._host = await KestrelHost.StartAsync(
            s => { s.AddGrpc(); s.AddSingleton(stub); },
            app => app.MapGrpcService<StubCoordinator>());
        return stub;
    }

    private Task<TResponse> Answer<TRequest, TResponse>(string method, TRequest request, ServerCallContext context, Func<TRequest, TResponse> handler)
        where TRequest : class
    {
        Received.Enqueue((method, request, context.RequestHeaders));
        return Task.FromResult(handler(request));
    }

    public override Task<P.TransactionInfo> GetTransaction(P.GetTransactionRequest request, ServerCallContext context) =>
        Answer("GetTransaction", request, context, OnGetTransaction);

    public override Task<P.BeginResponse> Begin(P.BeginRequest request, ServerCallContext context) => Answer("Begin", request, context, OnBegin);

    public override Task<P.EnlistResponse> Enlist(P.EnlistRequest request, ServerCallContext context) => Answer("Enlist", request, context, OnEnlist);

    public override Task<P.CommitResponse> Commit(P.CommitRequest request, ServerCallContext context) => Answer("Commit", request, context, OnCommit);

    public override Task<P.AbortResponse> Abort(P.AbortRequest request, ServerCallContext context) => Answer("Abort", request, context, OnAbort);

    public override Task<P.RunSagaResponse> RunSaga(P.RunSagaRequest request, ServerCallContext context) => Answer("RunSaga", request, context, OnRunSaga);

    public async ValueTask DisposeAsync()
    {
        if (_host is not null) await _host.DisposeAsync();
    }
}
