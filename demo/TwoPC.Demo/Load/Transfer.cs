namespace TwoPC.Demo.Load;

/// <summary>How one transfer ended.</summary>
internal enum TransferOutcome
{
    /// <summary>Not finished (yet).</summary>
    None,
    /// <summary>2PC committed / saga completed.</summary>
    Committed,
    /// <summary>2PC aborted / saga compensated.</summary>
    Aborted,
    /// <summary>No final outcome could be learned in time, or the saga needs an operator.</summary>
    Unresolved,
}

/// <summary>Moves <see cref="Amount"/> from account <see cref="FromAccount"/> of one bank to <see cref="ToAccount"/> of the other.</summary>
internal sealed record Transfer(int Index, bool AToB, int FromAccount, int ToAccount, long Amount)
{
    /// <summary>The i-th transfer of a run: alternating direction, random accounts; with faults, 1 in 20 overdraws on purpose.</summary>
    public static Transfer Create(int index, int seed, int accounts, long initialBalance, bool overdraws)
    {
        var random = new Random(HashCode.Combine(seed, index));
        var amount = overdraws && random.Next(20) == 0 ? initialBalance * 10 : random.Next(1, 101);
        return new Transfer(index, index % 2 == 0, random.Next(accounts), random.Next(accounts), amount);
    }
}
