using TwoPC.Client;

namespace TwoPC.IntegrationTests.PowerLoss;

/// <summary>
/// Every guarantee checked from the three files after recovery (processes stopped): what a client was told is
/// what the files say, no transaction is split, nothing is in doubt, and money is conserved.
/// </summary>
internal static class LedgerInvariants
{
    public static List<string> Check(CoordinatorFile coordinator, ParticipantFile p0, ParticipantFile p1, LedgerLoad load)
    {
        var violations = new List<string>();
        var ids = load.Transfers.Keys.Concat(p0.Branches.Keys).Concat(p1.Branches.Keys).Distinct(StringComparer.Ordinal);
        foreach (var id in ids)
        {
            load.Transfers.TryGetValue(id, out var transfer);
            var decided = coordinator.States.TryGetValue(id, out var s) ? s : (int?)null;
            var at0 = p0.Branches.GetValueOrDefault(id)?.Status;
            var at1 = p1.Branches.GetValueOrDefault(id)?.Status;
            var committedAt = (at0 == ParticipantFile.Committed ? 1 : 0) + (at1 == ParticipantFile.Committed ? 1 : 0);
            var where = $"{id} (told {transfer?.Told.ToString() ?? "-"}, round {transfer?.Round.ToString() ?? "-"}): coordinator {StateName(decided)}, p0 {BranchName(at0)}, p1 {BranchName(at1)}";

            if (transfer?.Told == Told.Committed && (decided != CoordinatorFile.Committed || committedAt < 2))
                violations.Add("lost commit: told committed, " + where);
            if (transfer?.Told == Told.Aborted && committedAt > 0)
                violations.Add("told aborted but committed: " + where);
            if (committedAt == 1)
                violations.Add("split decision: " + where);
            if (committedAt > 0 && decided != CoordinatorFile.Committed)
                violations.Add("committed at participants without the coordinator's commit record: " + where);
            if (decided == CoordinatorFile.Committed && committedAt < 2)
                violations.Add("coordinator committed, a participant did not: " + where);
            if (decided is not null and not CoordinatorFile.Committed and not CoordinatorFile.Aborted)
                violations.Add("in doubt at the coordinator: " + where);
            if (at0 == ParticipantFile.Prepared || at1 == ParticipantFile.Prepared)
                violations.Add("in doubt at a participant: " + where);
        }

        if (coordinator.Open.Count > 0) violations.Add($"unfinished at the coordinator: {string.Join(", ", coordinator.Open.Take(10))}");
        if (p0.PreparedCount > 0 || p1.PreparedCount > 0) violations.Add($"prepared set not empty: p0 {p0.PreparedCount}, p1 {p1.PreparedCount}");

        // Saga effects, from the barrier rows: a completed saga acted once at each participant and undid nothing; a
        // compensated one undid every action; no participant acted for a saga the coordinator has no record of.
        var sagaIds = load.Sagas.Values.Select(s => s.Id).OfType<string>().Concat(p0.Barrier.Concat(p1.Barrier).Select(r => r.TransactionId)).Distinct(StringComparer.Ordinal);
        foreach (var id in sagaIds)
        {
            var state = coordinator.States.TryGetValue(id, out var s) ? s : (int?)null;
            var rows = p0.Barrier.Where(r => r.TransactionId == id).Select(r => $"p0 {r.Step} {r.Operation}={r.Result}")
                .Concat(p1.Barrier.Where(r => r.TransactionId == id).Select(r => $"p1 {r.Step} {r.Operation}={r.Result}")).ToList();
            var where = $"saga {id} (coordinator {StateName(state)}; {string.Join(", ", rows)})";
            var acted = p0.Barrier.Count(r => r.TransactionId == id && r.Acted) + p1.Barrier.Count(r => r.TransactionId == id && r.Acted);
            var undid = p0.Barrier.Count(r => r.TransactionId == id && r.Undid) + p1.Barrier.Count(r => r.TransactionId == id && r.Undid);
            if (state is null && acted > undid) violations.Add("saga effects the coordinator has no record of: " + where);
            if (state == CoordinatorFile.SagaCompleted && (acted != 2 || undid != 0)) violations.Add("completed saga without both effects: " + where);
            if (state == CoordinatorFile.SagaCompensated && acted != undid) violations.Add("compensated saga with an effect left: " + where);
        }

        foreach (var saga in load.Sagas.Values)
        {
            var state = saga.Id is { } id && coordinator.States.TryGetValue(id, out var s) ? s : (int?)null;
            if (saga.Told == SagaOutcome.Completed && state != CoordinatorFile.SagaCompleted)
                violations.Add($"saga {saga.Id} was told completed; the coordinator has {StateName(state)}");
            if (saga.Told == SagaOutcome.Compensated && state != CoordinatorFile.SagaCompensated)
                violations.Add($"saga {saga.Id} was told compensated; the coordinator has {StateName(state)}");
            if (saga.Told is null or SagaOutcome.NeedsAttention)
                violations.Add($"saga {saga.Key} has no final outcome after recovery: {saga.Told?.ToString() ?? "no answer"}");
        }

        // Each participant's balance is the initial one plus its own committed branches, and the two sides add up.
        foreach (var account in LedgerLoad.TransferAccounts)
        {
            foreach (var (name, file) in new[] { ("p0", p0), ("p1", p1) })
            {
                var expected = LedgerLoad.InitialBalance + file.Branches.Values.Where(b => b.Account == account && b.Status == ParticipantFile.Committed).Sum(b => b.Delta);
                if (file.Balance(account) != expected)
                    violations.Add($"{name} balance of {account} is {file.Balance(account)}, its committed branches say {expected}");
            }
        }

        // Saga accounts: the balance is the initial one plus the actions and minus the compensations its barrier rows hold.
        var sagasById = load.Sagas.Values.Where(s => s.Id is not null).ToDictionary(s => s.Id!, StringComparer.Ordinal);
        foreach (var account in LedgerLoad.SagaAccounts)
        {
            foreach (var (name, file, sign) in new[] { ("p0", p0, -1L), ("p1", p1, 1L) })
            {
                var expected = LedgerLoad.InitialBalance;
                foreach (var row in file.Barrier)
                {
                    if (!sagasById.TryGetValue(row.TransactionId, out var saga) || saga.Account != account) continue;
                    if (row.Acted) expected += sign * saga.Amount;
                    if (row.Undid) expected -= sign * saga.Amount;
                }

                if (file.Balance(account) != expected)
                    violations.Add($"{name} balance of {account} is {file.Balance(account)}, its saga barrier rows say {expected}");
            }
        }

        foreach (var account in LedgerLoad.TransferAccounts.Concat(LedgerLoad.SagaAccounts))
        {
            var total = p0.Balance(account) + p1.Balance(account);
            if (total != 2 * LedgerLoad.InitialBalance)
                violations.Add($"money not conserved on {account}: p0 {p0.Balance(account)} + p1 {p1.Balance(account)} = {total}, not {2 * LedgerLoad.InitialBalance}");
        }

        return violations;
    }

    private static string StateName(int? state) => state is { } s ? ((TransactionState)s).ToString() : "no record";

    private static string BranchName(int? status) => status switch
    {
        null => "no record",
        ParticipantFile.Prepared => "Prepared",
        2 => "ReadOnly",
        3 => "VotedAbort",
        ParticipantFile.Committed => "Committed",
        ParticipantFile.Aborted => "Aborted",
        _ => status.Value.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
