using System.Collections.Concurrent;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using TwoPC.Client.Serialization;
using P = TwoPC.Protocol.V1;

namespace TwoPC.Client.Tests.Infrastructure;

/// <summary>
/// A participant on a real Kestrel host that votes yes for its 2PC resource "accounts" and runs the saga steps
/// "flight" and "hotel" (output: a JSON <see cref="Booking"/>) and "gated" (which answers only once <see cref="Gate"/>
/// is opened). Every call is recorded.
/// </summary>
internal sealed class FakeParticipant : P.Participant.ParticipantBase, IAsyncDisposable
{
    private KestrelHost? _host;

    public Uri Address => _host!.Address;

    /// <summary>Held closed, the "gated" step's action does not answer.</summary>
    public TaskCompletionSource Gate { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ConcurrentQueue<(string Kind, string Tx, string Target)> Calls { get; } = new();

    public static async Task<FakeParticipant> StartAsync()
    {
        var participant = new FakeParticipant();
        participant._host = await KestrelHost.StartAsync(
            s => { s.AddGrpc(); s.AddSingleton(participant); },
            app => app.MapGrpcService<FakeParticipant>());
        return participant;
    }

    public override Task<P.DescribeResponse> Describe(P.DescribeRequest request, ServerCallContext context) =>
        Task.FromResult(new P.DescribeResponse { Resources = { "accounts" }, SagaSteps = { "flight", "hotel", "gated" } });

    public override Task<P.PrepareResponse> Prepare(P.PrepareRequest request, ServerCallContext context)
    {
        Calls.Enqueue((request.OnePhase ? "prepare-one-phase" : "prepare", request.TransactionId, request.Resource));
        return Task.FromResult(new P.PrepareResponse { Vote = P.Vote.Prepared, Outcome = request.OnePhase ? P.Outcome.Committed : P.Outcome.Unspecified });
    }

    public override Task<P.BranchAck> Commit(P.BranchRequest request, ServerCallContext context)
    {
        Calls.Enqueue(("commit", request.TransactionId, request.Resource));
        return Task.FromResult(new P.BranchAck { State = P.BranchState.Committed });
    }

    public override Task<P.BranchAck> Abort(P.BranchRequest request, ServerCallContext context)
    {
        Calls.Enqueue(("abort", request.TransactionId, request.Resource));
        return Task.FromResult(new P.BranchAck { State = P.BranchState.Aborted });
    }

    public override async Task<P.ExecuteResponse> Execute(P.ExecuteRequest request, ServerCallContext context)
    {
        Calls.Enqueue(("execute", request.TransactionId, request.StepName));
        if (request.Resource == "gated") await Gate.Task.WaitAsync(context.CancellationToken);
        var booking = new Booking(request.StepName, request.Payload.ToStringUtf8());
        return new P.ExecuteResponse { Result = P.StepResult.Succeeded, Output = ByteString.CopyFrom(TwoPcSerializer.Default.Serialize(booking)) };
    }

    public override Task<P.CompensateResponse> Compensate(P.CompensateRequest request, ServerCallContext context)
    {
        Calls.Enqueue(("compensate", request.TransactionId, request.StepName));
        return Task.FromResult(new P.CompensateResponse { Result = P.CompensationResult.Compensated });
    }

    public async ValueTask DisposeAsync()
    {
        Gate.TrySetResult();
        if (_host is not null) await _host.DisposeAsync();
    }
}

/// <summary>What the fake participant's saga steps return: the step and the action payload it received, as text.</summary>
internal sealed record Booking(string Step, string Received);
