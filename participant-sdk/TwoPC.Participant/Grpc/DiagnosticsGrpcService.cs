using Grpc.Core;
using TwoPC.Durability;
using TwoPC.Participant.Diagnostics;
using TwoPC.Protocol.V1;

namespace TwoPC.Participant.Grpc;

/// <summary>The Diagnostics gRPC service: durable-write counters, RSS and the participant's named counters.</summary>
internal sealed class DiagnosticsGrpcService : TwoPC.Protocol.V1.Diagnostics.DiagnosticsBase
{
    private readonly DurabilityMetrics _metrics;
    private readonly ParticipantCounters _counters;

    public DiagnosticsGrpcService(DurabilityMetrics metrics, ParticipantCounters counters)
    {
        _metrics = metrics;
        _counters = counters;
    }

    public override Task<GetStatsResponse> GetStats(GetStatsRequest request, ServerCallContext context)
    {
        var response = new GetStatsResponse
        {
            Fsyncs = _metrics.Fsyncs,
            ForcedWrites = _metrics.ForcedWrites,
            Batches = _metrics.Batches,
            RssBytes = Environment.WorkingSet,
        };
        foreach (var (name, value) in _counters.Snapshot()) response.Counters[name] = value;
        response.Counters["checkpoints"] = _metrics.Checkpoints;
        return Task.FromResult(response);
    }
}
