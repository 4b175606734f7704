using Grpc.Core;
using TwoPC.Coordinator.Diagnostics;
using TwoPC.Durability;
using Proto = TwoPC.Protocol.V1;

namespace TwoPC.Coordinator.Services;

/// <summary>Counters for the benchmark and operators.</summary>
internal sealed class DiagnosticsGrpcService(DurabilityMetrics durability, CoordinatorMetrics metrics) : Proto.Diagnostics.DiagnosticsBase
{
    public override Task<Proto.GetStatsResponse> GetStats(Proto.GetStatsRequest request, ServerCallContext context)
    {
        var response = new Proto.GetStatsResponse
        {
            Fsyncs = durability.Fsyncs,
            ForcedWrites = durability.ForcedWrites,
            Batches = durability.Batches,
            RssBytes = Environment.WorkingSet,
        };
        foreach (var (name, value) in metrics.Snapshot()) response.Counters[name] = value;
        response.Counters["checkpoints"] = durability.Checkpoints;
        return Task.FromResult(response);
    }
}
