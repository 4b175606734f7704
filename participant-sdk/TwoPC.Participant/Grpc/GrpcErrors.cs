using Grpc.Core;
using TwoPC.Participant.TwoPhase;

namespace TwoPC.Participant.Grpc;

/// <summary>The one place where engine errors become gRPC status codes.</summary>
internal static class GrpcErrors
{
    public static async Task<T> RunAsync<T>(Func<Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (ParticipantException ex)
        {
            throw new RpcException(new Status(CodeOf(ex.Kind), ex.Message));
        }
    }

    private static StatusCode CodeOf(ParticipantErrorKind kind) => kind switch
    {
        ParticipantErrorKind.InvalidArgument => StatusCode.InvalidArgument,
        ParticipantErrorKind.NotFound => StatusCode.NotFound,
        ParticipantErrorKind.FailedPrecondition => StatusCode.FailedPrecondition,
        _ => StatusCode.Unavailable,
    };
}
