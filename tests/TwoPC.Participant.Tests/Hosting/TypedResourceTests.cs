using System.Collections.Concurrent;
using System.Text.Json;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using TwoPC.Participant.Resources;
using TwoPC.Participant.Tests.Infrastructure;
using P = TwoPC.Protocol.V1;

namespace TwoPC.Participant.Tests.Hosting;

/// <summary>Typed resources and saga steps on a real host: payloads, kept state and outputs go through the serializer.</summary>
public sealed class TypedResourceTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();
    private KestrelHost _host = null!;
    private GrpcChannel _channel = null!;
    private P.Participant.ParticipantClient _client = null!;

    public sealed record Transfer(string Account, long Amount);

    public sealed record Hold(string Seat);

    public sealed record Release(string Seat, string Why);

    public sealed record HoldTicket(string Ticket);

    /// <summary>Records what it was handed, typed.</summary>
    public sealed class TransferResource : ITransactionalResource<Transfer>
    {
        public ConcurrentQueue<string> Calls { get; } = new();

        public ValueTask<PrepareResult> PrepareAsync(Transfer payload, PrepareContext context, CancellationToken cancellationToken)
        {
            Calls.Enqueue($"prepare {payload.Account} {payload.Amount}");
            return ValueTask.FromResult(context.Prepared(new HoldTicket("t-" + payload.Account)));
        }

        public ValueTask CommitAsync(Transfer payload, BranchContext context, CancellationToken cancellationToken)
        {
            Calls.Enqueue($"commit {payload.Account} {payload.Amount} {context.ReadState<HoldTicket>()!.Ticket}");
            return ValueTask.CompletedTask;
        }

        public ValueTask AbortAsync(Transfer payload, BranchContext context, CancellationToken cancellationToken)
        {
            Calls.Enqueue($"abort {payload.Account}");
            return ValueTask.CompletedTask;
        }

        public ValueTask RecoverAsync(Transfer payload, BranchContext context, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }

    /// <summary>A protobuf-typed resource: its payload is a protobuf message in binary.</summary>
    public sealed class NoteResource : ITransactionalResource<StringValue>
    {
        public ConcurrentQueue<string> Notes { get; } = new();

        public ValueTask<PrepareResult> PrepareAsync(StringValue payload, PrepareContext context, CancellationToken cancellationToken)
        {
            Notes.Enqueue(payload.Value);
            return ValueTask.FromResult(PrepareResult.ReadOnly());
        }

        public ValueTask CommitAsync(StringValue payload, BranchContext context, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask AbortAsync(StringValue payload, BranchContext context, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask RecoverAsync(StringValue payload, BranchContext context, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }

    public sealed class SeatStep : ISagaStepResource<Hold, Release>
    {
        public ConcurrentQueue<string> Calls { get; } = new();

        public ValueTask<StepResult> ExecuteAsync(Hold action, SagaStepContext context, CancellationToken cancellationToken)
        {
            Calls.Enqueue($"hold {action.Seat}");
            return ValueTask.FromResult(context.Succeeded(new HoldTicket("ticket-" + action.Seat)));
        }

        public ValueTask CompensateAsync(Release compensation, SagaStepContext context, CancellationToken cancellationToken)
        {
            Calls.Enqueue($"release {compensation.Seat} ({compensation.Why}) {context.ReadActionOutput<HoldTicket>()!.Ticket}");
            return ValueTask.CompletedTask;
        }
    }

    public async Task InitializeAsync()
    {
        var path = _dir.File("typed.db");
        _host = await KestrelHost.StartAsync(
            services => services.AddTwoPcParticipant(_ => { })
                .UseLiteDbStore(o => o.DataPath = path)
                .AddResource<TransferResource, Transfer>("transfers")
                .AddResource<NoteResource, StringValue>("notes")
                .AddSagaStep<SeatStep, Hold, Release>("seats"),
            app => app.MapTwoPcParticipant());
        _channel = GrpcChannel.ForAddress(_host.Address);
        _client = new P.Participant.ParticipantClient(_channel);
    }

    public async Task DisposeAsync()
    {
        _channel.Dispose();
        await _host.DisposeAsync();
        _dir.Dispose();
    }

    private static ByteString Json<T>(T value) => ByteString.CopyFrom(JsonSerializer.SerializeToUtf8Bytes(value, new JsonSerializerOptions(JsonSerializerDefaults.Web)));

    [Fact]
    public async Task ATypedResource_GetsItsPayload_AndReadsTheStateItKeptAtPrepare()
    {
        var prepare = await _client.PrepareAsync(new P.PrepareRequest { TransactionId = "tx-typed", BranchId = 1, Resource = "transfers", Payload = Json(new Transfer("alice", 40)) });
        Assert.Equal(P.Vote.Prepared, prepare.Vote);
        await _client.CommitAsync(new P.BranchRequest { TransactionId = "tx-typed", BranchId = 1, Resource = "transfers" });

        var resource = _host.Services.GetRequiredService<TransferResource>();
        Assert.Equal(["prepare alice 40", "commit alice 40 t-alice"], resource.Calls);
    }

    [Fact]
    public async Task APayloadTheTypeCannotRead_VotesAbortWithTheReason_WithoutCallingTheResource()
    {
        var prepare = await _client.PrepareAsync(new P.PrepareRequest { TransactionId = "tx-bad", BranchId = 1, Resource = "transfers", Payload = ByteString.CopyFromUtf8("not json") });

        Assert.Equal(P.Vote.Abort, prepare.Vote);
        Assert.Contains(nameof(Transfer), prepare.Reason);
        Assert.Empty(_host.Services.GetRequiredService<TransferResource>().Calls);
    }

    [Fact]
    public async Task AProtobufPayload_IsReadInItsBinaryEncoding()
    {
        var prepare = await _client.PrepareAsync(new P.PrepareRequest { TransactionId = "tx-proto", BranchId = 1, Resource = "notes", Payload = new StringValue { Value = "hello" }.ToByteString() });

        Assert.Equal(P.Vote.ReadOnly, prepare.Vote);
        Assert.Equal(["hello"], _host.Services.GetRequiredService<NoteResource>().Notes);
    }

    [Fact]
    public async Task ATypedSagaStep_GetsActionAndCompensationPayloads_AndItsOwnOutputBack()
    {
        var executed = await _client.ExecuteAsync(new P.ExecuteRequest { TransactionId = "s-typed", StepName = "seat", Resource = "seats", Payload = Json(new Hold("12A")), Attempt = 1 });
        Assert.Equal(new HoldTicket("ticket-12A"), JsonSerializer.Deserialize<HoldTicket>(executed.Output.Span, new JsonSerializerOptions(JsonSerializerDefaults.Web)));

        await _client.CompensateAsync(new P.CompensateRequest { TransactionId = "s-typed", StepName = "seat", Resource = "seats", Payload = Json(new Release("12A", "trip cancelled")), Attempt = 1 });

        Assert.Equal(["hold 12A", "release 12A (trip cancelled) ticket-12A"], _host.Services.GetRequiredService<SeatStep>().Calls);
    }
}
