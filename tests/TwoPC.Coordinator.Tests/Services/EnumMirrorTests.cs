using TwoPC.Coordinator.Transactions;
using P = TwoPC.Protocol.V1;

namespace TwoPC.Coordinator.Tests.Services;

/// <summary>
/// The engine's enums mirror the proto's (the engine references no gRPC; ProtoMapper casts by number): same names,
/// same numbers, except the proto's UNSPECIFIED, which the engine never holds.
/// </summary>
public sealed class EnumMirrorTests
{
    [Fact]
    public void TransactionMode_MatchesTheProto() => AssertMirror<TransactionMode, P.TransactionMode>();

    [Fact]
    public void TransactionState_MatchesTheProto() => AssertMirror<TransactionState, P.TransactionState>();

    [Fact]
    public void BranchState_MatchesTheProto() => AssertMirror<BranchState, P.BranchState>();

    /// <summary>The engine's one vote enum: its None is the proto's VOTE_UNSPECIFIED (no vote received).</summary>
    [Fact]
    public void Vote_MatchesTheProto() => AssertMirror<Vote, P.Vote>();

    private static void AssertMirror<TEngine, TProto>() where TEngine : struct, Enum where TProto : struct, Enum
    {
        static SortedDictionary<int, string> Values<T>() where T : struct, Enum =>
            new(Enum.GetValues<T>().ToDictionary(v => Convert.ToInt32(v, System.Globalization.CultureInfo.InvariantCulture), v => v.ToString()));

        var proto = Values<TProto>();
        proto.Remove(0); // UNSPECIFIED
        var engine = Values<TEngine>();
        engine.Remove(0);
        Assert.Equal(proto, engine);
    }
}
