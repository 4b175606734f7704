using TwoPC.Demo.Protocol.V1;

namespace TwoPC.Demo.Soak;

/// <summary>
/// The end-of-run comparison of what the client was told with what the banks hold. Each bank records every applied
/// transfer branch in the same local write as the balance (<c>AppliedLog</c>); the check is:
/// <list type="bullet">
/// <item>lost: a committed transfer (acknowledged, or resolved as committed) whose debit or credit is missing;</item>
/// <item>duplicated: a branch applied more than once (<c>times &gt; 1</c>);</item>
/// <item>phantom: a branch applied for a transfer that aborted, was never committed, or is unknown to the runner;</item>
/// <item>balance mismatches: an account whose balance differs from the initial balance plus the committed deltas;</item>
/// <item>negative balances, and the total against the money in the system.</item>
/// </list>
/// </summary>
internal sealed class LedgerCheck
{
    public int Lost { get; private set; }

    public int Duplicated { get; private set; }

    public int Phantom { get; private set; }

    public int BalanceMismatches { get; private set; }

    public int NegativeBalances { get; private set; }

    public long Total { get; private set; }

    public List<string> Examples { get; } = new();

    public static LedgerCheck Run(IReadOnlyList<TransferRecord> transfers, IReadOnlyList<LedgerResponse> banks, long initialBalance)
    {
        var check = new LedgerCheck();
        var applied = new Dictionary<(int Bank, string Tx, int Account), AppliedBranch>();
        for (var b = 0; b < banks.Count; b++)
            foreach (var a in banks[b].Applied)
                applied[(b, a.TransactionId, a.Account)] = a;

        var expected = banks.Select(l => Enumerable.Repeat(initialBalance, l.Balances.Count).ToArray()).ToArray();
        var known = new HashSet<string>(StringComparer.Ordinal);
        foreach (var t in transfers)
        {
            if (t.TransactionId is null) continue;
            known.Add(t.TransactionId);
            var legs = new[] { (t.FromBank, t.FromAccount, -t.Amount), (t.ToBank, t.ToAccount, t.Amount) };
            foreach (var (bank, account, delta) in legs)
            {
                var found = applied.TryGetValue((bank, t.TransactionId, account), out var a);
                if (t.Committed == true)
                {
                    expected[bank][account] += delta;
                    if (!found || a!.Delta != delta) check.Fail(() => check.Lost++, $"lost: {t.TransactionId} bank {bank} account {account} delta {delta}");
                    else if (a.Times > 1) check.Fail(() => check.Duplicated++, $"duplicated: {t.TransactionId} bank {bank} account {account} applied {a.Times} times");
                }
                else if (found)
                {
                    check.Fail(() => check.Phantom++, $"phantom: {t.TransactionId} ({t.Acknowledged}, resolved {t.Resolved?.ToString() ?? "never"}) applied on bank {bank} account {account}");
                }
            }
        }

        foreach (var ((bank, tx, account), _) in applied)
            if (!known.Contains(tx)) check.Fail(() => check.Phantom++, $"phantom: unknown transaction {tx} applied on bank {bank} account {account}");

        for (var b = 0; b < banks.Count; b++)
        {
            for (var i = 0; i < banks[b].Balances.Count; i++)
            {
                var actual = banks[b].Balances[i];
                check.Total += actual;
                if (actual < 0) check.Fail(() => check.NegativeBalances++, $"negative: bank {b} account {i} = {actual}");
                if (actual != expected[b][i]) check.Fail(() => check.BalanceMismatches++, $"mismatch: bank {b} account {i} = {actual}, committed transfers say {expected[b][i]}");
            }
        }

        return check;
    }

    public bool Clean => Lost == 0 && Duplicated == 0 && Phantom == 0 && BalanceMismatches == 0 && NegativeBalances == 0;

    private void Fail(Action count, string example)
    {
        count();
        if (Examples.Count < 10) Examples.Add(example);
    }
}
