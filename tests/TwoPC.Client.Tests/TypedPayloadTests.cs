using System.Text;
using TwoPC.Client.Serialization;
using TwoPC.Client.Tests.Infrastructure;
using P = TwoPC.Protocol.V1;

namespace TwoPC.Client.Tests;

/// <summary>Typed payloads go through the configured serializer; the byte-level overloads send bytes as they are.</summary>
public sealed class TypedPayloadTests : IAsyncLifetime
{
    private static readonly Uri Participant = new("http://127.0.0.1:5001");
    private StubCoordinator _coordinator = null!;

    public async Task InitializeAsync() => _coordinator = await StubCoordinator.StartAsync();

    public async Task DisposeAsync() => await _coordinator.DisposeAsync();

    private TwoPcClient CreateClient(ITwoPcSerializer? serializer = null)
    {
        var options = new TwoPcClientOptions { CoordinatorAddress = _coordinator.Address };
        if (serializer is not null) options.Serializer = serializer;
        return new TwoPcClient(options);
    }

    [Fact]
    public async Task EnlistTyped_SendsThePayloadAsJson_ByDefault()
    {
        using var client = CreateClient();
        var tx = await client.BeginAsync();

        await tx.EnlistAsync(Participant, "accounts", new Debit("acc-1", 25), branchKey: "debit");

        var enlist = (P.EnlistRequest)_coordinator.Received.Single(r => r.Method == "Enlist").Request;
        Assert.Equal("""{"account":"acc-1","amount":25}""", enlist.Payload.ToStringUtf8());
        Assert.Equal("debit", enlist.BranchKey);
    }

    [Fact]
    public async Task EnlistTyped_ProtobufMessage_IsSentInItsBinaryEncoding()
    {
        using var client = CreateClient();
        var tx = await client.BeginAsync();
        var message = new Google.Protobuf.WellKnownTypes.StringValue { Value = "hello" };

        await tx.EnlistAsync(Participant, "accounts", message);

        var enlist = (P.EnlistRequest)_coordinator.Received.Single(r => r.Method == "Enlist").Request;
        Assert.Equal(Google.Protobuf.MessageExtensions.ToByteArray(message), enlist.Payload.ToByteArray());
    }

    [Fact]
    public async Task TypedPayloads_UseTheSerializerOfTheOptions()
    {
        using var client = CreateClient(new UpperCaseSerializer());
        var tx = await client.BeginAsync();

        await tx.EnlistAsync(Participant, "accounts", new Debit("acc-1", 25));
        await client.Saga().Step("debit", Participant, "debit", new Debit("a", 1), new Refund("a", 1)).RunAsync();

        Assert.Equal("DEBIT { ACCOUNT = ACC-1, AMOUNT = 25 }", ((P.EnlistRequest)_coordinator.Received.Single(r => r.Method == "Enlist").Request).Payload.ToStringUtf8());
        Assert.Equal("REFUND { ACCOUNT = A, REFUNDED = 1 }", ((P.RunSagaRequest)_coordinator.Received.Single(r => r.Method == "RunSaga").Request).Steps[0].CompensationPayload.ToStringUtf8());
    }

    [Fact]
    public async Task TypedSagaStep_PutsTheActionInTheActionAndTheCompensationInTheCompensation()
    {
        using var client = CreateClient();

        await client.Saga()
            .Step("debit", Participant, "debit", new Debit("acc-1", 25), new Refund("acc-1", 25), s => s.Retry(3, TimeSpan.Zero, TimeSpan.Zero))
            .Parallel(g => g.OptionalStep("mail", Participant, "mail", new Debit("x", 0)))
            .RunAsync();

        var sent = (P.RunSagaRequest)_coordinator.Received.Single(r => r.Method == "RunSaga").Request;
        Assert.Equal("""{"account":"acc-1","amount":25}""", sent.Steps[0].ActionPayload.ToStringUtf8());
        Assert.Equal("""{"account":"acc-1","refunded":25}""", sent.Steps[0].CompensationPayload.ToStringUtf8());
        Assert.Equal(3, sent.Steps[0].Retry.MaxAttempts);
        Assert.False(sent.Steps[1].HasCompensationPayload);
        Assert.True(sent.Steps[1].Optional);
    }

    [Fact]
    public async Task ByteLevelOverloads_SendTheBytesAsTheyAre()
    {
        using var client = CreateClient(new UpperCaseSerializer());
        var tx = await client.BeginAsync();
        ReadOnlyMemory<byte> bytes = new byte[] { 0xff, 0x00 };

        await tx.EnlistAsync(Participant, "accounts", bytes);
        await tx.EnlistAsync(Participant, "accounts", new byte[] { 0xff, 0x00 }, "k");
        await client.Saga().Step("debit", Participant, "debit", bytes, bytes).RunAsync();

        Assert.All(_coordinator.Received.Where(r => r.Method == "Enlist"), r => Assert.Equal(new byte[] { 0xff, 0x00 }, ((P.EnlistRequest)r.Request).Payload.ToByteArray()));
        var step = ((P.RunSagaRequest)_coordinator.Received.Single(r => r.Method == "RunSaga").Request).Steps[0];
        Assert.Equal(new byte[] { 0xff, 0x00 }, step.ActionPayload.ToByteArray());
        Assert.Equal(new byte[] { 0xff, 0x00 }, step.CompensationPayload.ToByteArray());
    }

    [Fact]
    public async Task StepOutput_IsReadTypedWithTheClientsSerializer()
    {
        using var client = CreateClient();
        _coordinator.OnRunSaga = _ => new P.RunSagaResponse
        {
            TransactionId = "saga-1",
            Outcome = P.SagaOutcome.Completed,
            Steps = { new P.SagaStepInfo { Name = "debit", Resource = "debit", Result = Google.Protobuf.ByteString.CopyFromUtf8("""{"account":"acc-1","amount":7}""") } },
        };

        var result = await client.Saga().Step("debit", Participant, "debit", new Debit("acc-1", 7), new Refund("acc-1", 7)).RunAsync();

        Assert.Equal(new Debit("acc-1", 7), result.Step("debit")!.OutputAs<Debit>());
        Assert.Throws<TwoPcSerializationException>(() => result.Step("debit")!.OutputAs<int[]>());
    }

    private sealed record Debit(string Account, int Amount);

    private sealed record Refund(string Account, int Refunded);

    private sealed class UpperCaseSerializer : ITwoPcSerializer
    {
        public byte[] Serialize<T>(T value) => Encoding.UTF8.GetBytes(value!.ToString()!.ToUpperInvariant());

        public T Deserialize<T>(ReadOnlyMemory<byte> data) => throw new NotSupportedException();
    }
}
