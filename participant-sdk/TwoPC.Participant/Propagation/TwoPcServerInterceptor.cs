using Grpc.Core;
using Grpc.Core.Interceptors;
using TwoPC.Client;

namespace TwoPC.Participant.Propagation;

/// <summary>
/// Server interceptor: restores <see cref="TwoPcTransactionContext.Current"/> from the <see cref="TwoPcMetadata"/>
/// headers for the duration of the call, so handlers (and their outgoing calls) see the caller's transaction.
/// </summary>
internal sealed class TwoPcServerInterceptor : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context,
        UnaryServerMethod<TRequest, TResponse> continuation)
    {
        using var scope = Enter(context);
        return await continuation(request, context).ConfigureAwait(false);
    }

    public override async Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream,
        ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        using var scope = Enter(context);
        return await continuation(requestStream, context).ConfigureAwait(false);
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream,
        ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        using var scope = Enter(context);
        await continuation(request, responseStream, context).ConfigureAwait(false);
    }

    public override async Task DuplexStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream,
        IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        using var scope = Enter(context);
        await continuation(requestStream, responseStream, context).ConfigureAwait(false);
    }

    private static IDisposable Enter(ServerCallContext context) =>
        TwoPcTransactionContext.Enter(TwoPcMetadata.Read(context.RequestHeaders) ?? TwoPcTransactionContext.Current);
}
