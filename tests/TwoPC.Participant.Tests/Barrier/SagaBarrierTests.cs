using Google.Protobuf;
using Grpc.Core;
using TwoPC.Participant.Barrier;
using TwoPC.Participant.Tests.Infrastructure;
using P = TwoPC.Protocol.V1;

namespace TwoPC.Participant.Tests.Barrier;

public sealed class SagaBarrierTests : HostedParticipantTest
{
    private static P.ExecuteRequest Execute(string tx) => new()
    {
        TransactionId = tx, StepName = "reserve-seat", Resource = "reserve", Payload = ByteString.CopyFromUtf8("seat 1"), Attempt = 1,
    };

    private static P.CompensateRequest Compensate(string tx) => new()
    {
        TransactionId = tx, StepName = "reserve-seat", Resource = "reserve", Payload = ByteString.CopyFromUtf8("free seat 1"), Attempt = 1,
    };

    private bool BusinessRow(string id) => Host.Store.Database.GetCollection("business").FindById(id) is not null;

    [Fact]
    public async Task Execute_Duplicate_ReturnsFirstResultWithoutRunningAgain()
    {
        var first = await Host.Client.ExecuteAsync(Execute("s-dup"));
        var again = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Host.Client.ExecuteAsync(Execute("s-dup")).ResponseAsync));

        Assert.Equal(P.StepResult.Succeeded, first.Result);
        Assert.Equal(new byte[] { 42 }, first.Output.ToByteArray());
        Assert.All(again, a => Assert.Equal(first, a));
        Assert.Equal(1, Host.Steps.Count("execute", "s-dup"));
    }

    [Fact]
    public async Task Compensate_ActionNeverRan_NullCompensationWithoutCallingHandler()
    {
        var response = await Host.Client.CompensateAsync(Compensate("s-null"));
        Assert.Equal(P.CompensationResult.NullCompensation, response.Result);
        Assert.Equal(0, Host.Steps.Count("compensate", "s-null"));
    }

    [Fact]
    public async Task Execute_AfterItsCompensation_IsRejectedWithoutCallingHandler()
    {
        await Host.Client.CompensateAsync(Compensate("s-hang"));
        var response = await Host.Client.ExecuteAsync(Execute("s-hang"));

        Assert.Equal(P.StepResult.RejectedAfterCompensation, response.Result);
        Assert.Equal(0, Host.Steps.Count("execute", "s-hang"));
    }

    [Fact]
    public async Task Compensate_Duplicate_CompensatesOnce()
    {
        await Host.Client.ExecuteAsync(Execute("s-comp"));
        var first = await Host.Client.CompensateAsync(Compensate("s-comp"));
        var second = await Host.Client.CompensateAsync(Compensate("s-comp"));

        Assert.Equal(P.CompensationResult.Compensated, first.Result);
        Assert.Equal(P.CompensationResult.Compensated, second.Result);
        Assert.Equal(1, Host.Steps.Count("compensate", "s-comp"));
        Assert.True(BusinessRow("undo-s-comp"));
    }

    [Fact]
    public async Task Execute_HandlerWrite_IsAtomicWithTheBarrierRow()
    {
        Host.Steps.OnExecute = ctx =>
        {
            ctx.Write(TestResource.InsertBusinessRow("do-" + ctx.TransactionId));
            if (ctx.TransactionId == "s-broken") ctx.Write(_ => throw new InvalidOperationException("broken write"));
            return Resources.StepResult.Succeeded();
        };

        await Host.Client.ExecuteAsync(Execute("s-atomic"));
        Assert.True(BusinessRow("do-s-atomic"));
        Assert.NotNull(BarrierDocuments.Find(Host.Store.Database, "s-atomic", "reserve-seat", BarrierRow.Action));

        var error = await Assert.ThrowsAsync<RpcException>(() => Host.Client.ExecuteAsync(Execute("s-broken")).ResponseAsync);
        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.False(BusinessRow("do-s-broken"));
        Assert.Null(BarrierDocuments.Find(Host.Store.Database, "s-broken", "reserve-seat", BarrierRow.Action));
    }

    [Fact]
    public async Task Execute_HandlerThrows_UnavailableAndNothingRecorded_SoTheRetryRuns()
    {
        Host.Steps.Throw = true;
        var error = await Assert.ThrowsAsync<RpcException>(() => Host.Client.ExecuteAsync(Execute("s-throw")).ResponseAsync);
        Assert.Equal(StatusCode.Unavailable, error.StatusCode);

        Host.Steps.Throw = false;
        var retry = await Host.Client.ExecuteAsync(Execute("s-throw"));
        Assert.Equal(P.StepResult.Succeeded, retry.Result);
        Assert.Equal(2, Host.Steps.Count("execute", "s-throw"));
    }

    [Fact]
    public async Task Execute_BusinessFailure_IsRecordedAndDropsWrites()
    {
        Host.Steps.OnExecute = ctx =>
        {
            ctx.Write(TestResource.InsertBusinessRow("fail-" + ctx.TransactionId));
            return Resources.StepResult.Failed("sold out");
        };
        var first = await Host.Client.ExecuteAsync(Execute("s-fail"));
        var second = await Host.Client.ExecuteAsync(Execute("s-fail"));

        Assert.Equal(P.StepResult.Failed, first.Result);
        Assert.Equal("sold out", second.Reason);
        Assert.Equal(1, Host.Steps.Count("execute", "s-fail"));
        Assert.False(BusinessRow("fail-s-fail"));
    }

    [Fact]
    public async Task Execute_UnknownHandler_NotFound()
    {
        var request = Execute("s-x");
        request.Resource = "nope";
        var error = await Assert.ThrowsAsync<RpcException>(() => Host.Client.ExecuteAsync(request).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, error.StatusCode);
    }
}
