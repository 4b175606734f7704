using TwoPC.Client;
using P = TwoPC.Protocol.V1;

namespace TwoPC.Client.Tests;

/// <summary>The SDK's public enums mirror the proto's (the generated types are internal): same names, same numbers.</summary>
public sealed class EnumMirrorTests
{
    [Fact]
    public void TransactionMode_MatchesTheProto() => AssertMirror<TransactionMode, P.TransactionMode>();

    [Fact]
    public void TransactionState_MatchesTheProto() => AssertMirror<TransactionState, P.TransactionState>();

    [Fact]
    public void BranchState_MatchesTheProto() => AssertMirror<BranchState, P.BranchState>();

    [Fact]
    public void Vote_MatchesTheProto() => AssertMirror<Vote, P.Vote>();

    [Fact]
    public void TransactionOutcomeKind_MatchesTheProto() => AssertMirror<TransactionOutcomeKind, P.Outcome>();

    [Fact]
    public void SagaOutcome_MatchesTheProto() => AssertMirror<SagaOutcome, P.SagaOutcome>();

    internal static void AssertMirror<TMirror, TProto>() where TMirror : struct, Enum where TProto : struct, Enum
    {
        static SortedDictionary<int, string> Values<T>() where T : struct, Enum =>
            new(Enum.GetValues<T>().ToDictionary(v => Convert.ToInt32(v, System.Globalization.CultureInfo.InvariantCulture), v => v.ToString()));

        Assert.Equal(Values<TProto>(), Values<TMirror>());
    }
}
