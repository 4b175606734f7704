using Google.Protobuf;
using Grpc.Core;
using TwoPC.Coordinator.Storage;
using TwoPC.Coordinator.Transactions;
using Microsoft.Extensions.Options;
using Proto = TwoPC.Protocol.V1;

namespace TwoPC.Coordinator.Participants;

/// <summary><see cref="IParticipantClient"/> over gRPC, with the coordinator's own address and log identity in Prepare.</summary>
internal sealed class GrpcParticipantClient(ParticipantChannelPool channels, IOptions<CoordinatorOptions> options, TimeProvider time, ITransactionLog log) : IParticipantClient
{
    private readonly CoordinatorOptions _options = options.Value;

    private Proto.Participant.ParticipantClient Client(string address) => new(channels.Get(address));

    private DateTime CallDeadline(TimeSpan timeout) => time.GetUtcNow().UtcDateTime + timeout;

    public async Task<PrepareReply> PrepareAsync(BranchRecord branch, string transactionId, bool onePhase, DateTimeOffset deadline, CancellationToken cancellationToken)
    {
        var request = new Proto.PrepareRequest
        {
            TransactionId = transactionId,
            BranchId = branch.BranchId,
            Resource = branch.Resource,
            Payload = UnsafeByteOperations.UnsafeWrap(branch.Payload),
            CoordinatorAddress = _options.AdvertisedAddress ?? "",
            OnePhase = onePhase,
            LogId = log.LogId,
        };
        var callDeadline = CallDeadline(_options.ParticipantCallTimeout);
        if (deadline.UtcDateTime < callDeadline) callDeadline = deadline.UtcDateTime;
        var reply = await Call(() => Client(branch.ParticipantAddress).PrepareAsync(request, deadline: callDeadline, cancellationToken: cancellationToken).ResponseAsync).ConfigureAwait(false);
        var vote = reply.Vote switch
        {
            Proto.Vote.Prepared => Vote.Prepared,
            Proto.Vote.ReadOnly => Vote.ReadOnly,
            Proto.Vote.Abort => Vote.Abort,
            _ => throw new ParticipantRejectedException($"participant answered Prepare with an invalid vote {reply.Vote}"),
        };
        bool? committed = onePhase
            ? reply.Outcome switch
            {
                Proto.Outcome.Committed => true,
                Proto.Outcome.Aborted => false,
                _ => vote == Vote.Abort ? false : throw new ParticipantRejectedException($"participant answered one-phase Prepare without an outcome ({reply.Outcome})"),
            }
            : null;
        return new PrepareReply(vote, string.IsNullOrEmpty(reply.Reason) ? null : reply.Reason, committed);
    }

    public Task CommitAsync(BranchRecord branch, string transactionId, CancellationToken cancellationToken) =>
        Call(() => Client(branch.ParticipantAddress).CommitAsync(
            new Proto.BranchRequest { TransactionId = transactionId, BranchId = branch.BranchId, Resource = branch.Resource },
            deadline: CallDeadline(_options.ParticipantCallTimeout), cancellationToken: cancellationToken).ResponseAsync);

    public Task AbortAsync(BranchRecord branch, string transactionId, CancellationToken cancellationToken) =>
        Call(() => Client(branch.ParticipantAddress).AbortAsync(
            new Proto.BranchRequest { TransactionId = transactionId, BranchId = branch.BranchId, Resource = branch.Resource },
            deadline: CallDeadline(_options.ParticipantCallTimeout), cancellationToken: cancellationToken).ResponseAsync);

    public async Task<ExecuteReply> ExecuteAsync(SagaStepRecord step, string transactionId, int attempt, CancellationToken cancellationToken)
    {
        var reply = await Call(() => Client(step.ParticipantAddress).ExecuteAsync(new Proto.ExecuteRequest
        {
            TransactionId = transactionId,
            StepName = step.Name,
            Resource = step.Resource,
            Payload = UnsafeByteOperations.UnsafeWrap(step.ActionPayload),
            Attempt = attempt,
        }, deadline: CallDeadline(step.Timeout), cancellationToken: cancellationToken).ResponseAsync).ConfigureAwait(false);
        var outcome = reply.Result switch
        {
            Proto.StepResult.Succeeded => StepOutcome.Succeeded,
            Proto.StepResult.Failed => StepOutcome.Failed,
            Proto.StepResult.RejectedAfterCompensation => StepOutcome.RejectedAfterCompensation,
            _ => throw new ParticipantRejectedException($"participant answered Execute with an invalid result {reply.Result}"),
        };
        return new ExecuteReply(outcome, reply.Output.ToByteArray(), string.IsNullOrEmpty(reply.Reason) ? null : reply.Reason);
    }

    public async Task<bool> CompensateAsync(SagaStepRecord step, string transactionId, int attempt, CancellationToken cancellationToken)
    {
        var reply = await Call(() => Client(step.ParticipantAddress).CompensateAsync(new Proto.CompensateRequest
        {
            TransactionId = transactionId,
            StepName = step.Name,
            Resource = step.Resource,
            Payload = UnsafeByteOperations.UnsafeWrap(step.CompensationPayload ?? []),
            Attempt = attempt,
        }, deadline: CallDeadline(step.Timeout), cancellationToken: cancellationToken).ResponseAsync).ConfigureAwait(false);
        return reply.Result == Proto.CompensationResult.NullCompensation;
    }

    public async Task<(IReadOnlyList<string> Resources, IReadOnlyList<string> SagaSteps)> DescribeAsync(string address, CancellationToken cancellationToken)
    {
        var reply = await Call(() => Client(address).DescribeAsync(new Proto.DescribeRequest(),
            deadline: CallDeadline(_options.ParticipantCallTimeout), cancellationToken: cancellationToken).ResponseAsync).ConfigureAwait(false);
        return (reply.Resources.ToList(), reply.SagaSteps.ToList());
    }

    private static async Task<T> Call<T>(Func<Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (RpcException ex) when (IsDefinitive(ex.StatusCode))
        {
            throw new ParticipantRejectedException($"participant rejected the call: {ex.StatusCode}: {ex.Status.Detail}", ex);
        }
        catch (RpcException ex)
        {
            throw new ParticipantUnreachableException($"no answer from participant: {ex.StatusCode}: {ex.Status.Detail}", ex);
        }
        catch (HttpRequestException ex)
        {
            throw new ParticipantUnreachableException("no answer from participant: " + ex.Message, ex);
        }
    }

    private static bool IsDefinitive(StatusCode code) => code is StatusCode.InvalidArgument or StatusCode.NotFound
        or StatusCode.FailedPrecondition or StatusCode.Unimplemented or StatusCode.PermissionDenied
        or StatusCode.Unauthenticated or StatusCode.AlreadyExists or StatusCode.OutOfRange;
}
