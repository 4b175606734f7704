using TwoPC.Coordinator.Protocols.TwoPhase;
using TwoPC.Coordinator.Transactions;

namespace TwoPC.Simulation.Tests.World;

internal sealed partial class Simulation
{
    /// <summary>
    /// Per seed: 2–4 2PC transactions (2 or 5 branches, sometimes one branch — one-phase; some branches vote
    /// ABORT or READ_ONLY; some clients abort), 1–2 sagas (a step may fail), coordinator and participant crashes,
    /// then healing at <see cref="HealAt"/>. Periodic: the timeout sweep and participants' in-doubt queries.
    /// </summary>
    private void PlanScenario()
    {
        var twoPhase = Rng.Next(2, 5);
        for (var i = 1; i <= twoPhase; i++)
        {
            var size = Rng.Next(10) switch { 0 => 1, < 6 => 2, _ => 5 };
            // A keyed client needs a decision record to be found again: one-phase commits write none (see docs).
            if (Config.IdempotencyKeys && size == 1) size = 2;
            var plan = new TxPlan { Label = $"T{i}", ClientAborts = Rng.Next(10) == 0, Key = Config.IdempotencyKeys ? $"key-{Seed}-T{i}" : null };
            foreach (var p in Participants.OrderBy(_ => Rng.Next()).Take(size).ToList())
                plan.Votes.Add((p, Rng.Next(10) switch { 0 => Vote.Abort, 1 => Vote.ReadOnly, _ => Vote.Prepared }));
            _plans.Add(plan);
            var start = TimeSpan.FromMilliseconds(Rng.Next(0, 1500));
            After(World, start, () => _ = TwoPhaseClientAsync(plan));
        }

        var sagas = Rng.Next(1, 3);
        for (var i = 1; i <= sagas; i++)
        {
            var plan = new TxPlan { Label = $"S{i}", Saga = true };
            _plans.Add(plan);
            After(World, TimeSpan.FromMilliseconds(Rng.Next(0, 1500)), () => _ = SagaClientAsync(plan));
        }

        for (var i = Rng.Next(0, 3); i > 0; i--) After(World, TimeSpan.FromMilliseconds(Rng.Next(0, 5000)), CrashCoordinator);
        for (var i = Rng.Next(0, 4); i > 0; i--)
        {
            var p = Participants[Rng.Next(Participants.Count)];
            After(World, TimeSpan.FromMilliseconds(Rng.Next(0, 5000)), () => CrashParticipant(p));
        }

        After(World, HealAt, Heal);
        Every(TimeSpan.FromMilliseconds(500), () =>
        {
            if (Manager is { } m) _ = m.AbortExpiredAsync(CancellationToken.None);
        });
        Every(TimeSpan.FromSeconds(1), () =>
        {
            foreach (var p in Participants.Where(p => p.Up)) AskAboutInDoubt(p);
        });
        if (Config.Forgetting) Every(TimeSpan.FromMilliseconds(700), Forget);
    }

    /// <summary>The engine's ForgetAsync (the host's sweeper calls it); every record it deletes is checked.</summary>
    private void Forget()
    {
        if (Manager is not { } m) return;
        var before = Log.All().ToDictionary(r => r.Id, StringComparer.Ordinal);
        var forgetting = m.ForgetAsync(CancellationToken.None);
        if (!forgetting.IsCompleted) Violation("Determinism", "ForgetAsync did not complete synchronously over the simulated log");
        if (forgetting.IsFaulted) Trace($"ForgetAsync failed: {forgetting.Exception!.GetBaseException().Message}");
        foreach (var (id, record) in before)
        {
            if (Log.Read(id) is not null) continue;
            Trace($"forgot {Name(id)} ({record.State})");
            Checks.OnForgotten(record);
        }
    }

    private void Every(TimeSpan period, Action action) =>
        new SimTime(Loop, World).CreateTimer(_ => Loop.Post(World, action), null, period, period);

    private async Task TwoPhaseClientAsync(TxPlan plan)
    {
        if (plan.Key is not null)
        {
            await KeyedClientAsync(plan);
            return;
        }

        try
        {
            while (Manager is null) await Sleep(TimeSpan.FromMilliseconds(200));
            var m = Manager;
            var tx = await m.BeginAsync(TransactionMode.TwoPhase, null, null, null, CancellationToken.None);
            plan.Id = tx.Id;
            _names[tx.Id] = plan.Label;
            foreach (var (p, vote) in plan.Votes)
            {
                var enlist = m.EnlistAsync(tx.Id, p.Address, "ledger", [1], null, CancellationToken.None);
                var branch = enlist.GetAwaiter().GetResult(); // completes synchronously: no I/O
                p.Votes[(tx.Id, branch)] = vote;
                plan.Branches.Add((p, branch));
            }

            Trace($"client: {plan.Label} = {string.Join(", ", plan.Votes.Select((v, i) => $"{i + 1}@{v.Participant.Name}:{v.Vote}"))}");
            await Sleep(TimeSpan.FromMilliseconds(Rng.Next(0, 400)));
            for (var attempt = 1; attempt <= 20 && plan.ClientHeard is null && !plan.ClientDone; attempt++)
            {
                if (attempt > 1) await Sleep(TimeSpan.FromMilliseconds(300));
                if (Manager is not { } now) continue;
                if (plan.ClientAborts)
                {
                    var call = now.AbortAsync(tx.Id, "client", CancellationToken.None);
                    Heard(plan, await Call(call), committed: false);
                }
                else
                {
                    var call = now.CommitAsync(tx.Id, waitForCompletion: false, CancellationToken.None);
                    Heard(plan, await Call(call), committed: null);
                }
            }
        }
        finally
        {
            plan.ClientDone = true;
        }
    }

    /// <summary>
    /// A client with an idempotency key: Begin(key), enlist with branch keys, Commit. When it loses the answer (the
    /// coordinator crashed, NotFound, or the reply got lost on the way back), it starts over with the same key, as a
    /// client that retries a whole transfer would. The key must bring it back to the same transaction.
    /// </summary>
    private async Task KeyedClientAsync(TxPlan plan)
    {
        try
        {
            for (var round = 1; round <= 6 && !plan.ClientDone; round++)
            {
                if (round > 1) await Sleep(TimeSpan.FromMilliseconds(300));
                while (Manager is null) await Sleep(TimeSpan.FromMilliseconds(200));
                var m = Manager;
                var tx = await m.BeginAsync(TransactionMode.TwoPhase, null, plan.Key, null, CancellationToken.None);
                Checks.OnKeyedBegin(plan, tx.Id);
                var fresh = !plan.Ids.Contains(tx.Id);
                if (fresh)
                {
                    plan.ForgottenBefore[tx.Id] = plan.Ids.Where(e => Checks.Forgotten(e) is not null).ToHashSet(StringComparer.Ordinal);
                    plan.Ids.Add(tx.Id);
                    _names[tx.Id] = plan.Ids.Count == 1 ? plan.Label : $"{plan.Label}#{plan.Ids.Count}";
                }

                plan.Id = tx.Id;
                if (tx.State == TransactionState.Active)
                {
                    plan.Branches.Clear();
                    for (var i = 0; i < plan.Votes.Count; i++)
                    {
                        var (p, vote) = plan.Votes[i];
                        var branch = m.EnlistAsync(tx.Id, p.Address, "ledger", [1], $"b{i + 1}", CancellationToken.None).GetAwaiter().GetResult();
                        p.Votes[(tx.Id, branch)] = vote;
                        plan.Branches.Add((p, branch));
                    }
                }

                Trace($"client: {Name(tx.Id)} (key {plan.Key}, round {round}) = {(tx.State == TransactionState.Active ? string.Join(", ", plan.Votes.Select((v, i) => $"{i + 1}@{v.Participant.Name}:{v.Vote}")) : $"existing ({(tx.State == 0 ? "no longer live" : tx.State)})")}");
                await Sleep(TimeSpan.FromMilliseconds(Rng.Next(0, 400)));
                for (var attempt = 1; attempt <= 5 && !plan.ClientDone; attempt++)
                {
                    if (attempt > 1) await Sleep(TimeSpan.FromMilliseconds(300));
                    if (Manager is not { } now) break;
                    var call = plan.ClientAborts ? now.AbortAsync(tx.Id, "client", CancellationToken.None) : (Task)now.CommitAsync(tx.Id, waitForCompletion: false, CancellationToken.None);
                    var answer = await Call(call);
                    if (answer is null or { Exception.InnerException: TransactionNotFoundException })
                    {
                        Trace($"client: {Name(tx.Id)}: {(answer is null ? "no answer (coordinator crashed)" : "not found")}; starts over with key {plan.Key}");
                        break;
                    }

                    if (answer.IsCompletedSuccessfully && Rng.Next(4) == 0)
                    {
                        Trace($"client: {Name(tx.Id)}: the answer is lost on the way back; starts over with key {plan.Key}");
                        break;
                    }

                    Heard(plan, answer, committed: plan.ClientAborts ? false : null);
                    if (plan.ClientHeard is not null) plan.ClientDone = true;
                }
            }
        }
        finally
        {
            plan.ClientDone = true;
        }
    }

    private void Heard(TxPlan plan, Task? call, bool? committed)
    {
        switch (call)
        {
            case null:
                Trace($"client: {plan.Label}: no answer (coordinator crashed)");
                return;
            case Task<CommitResultView> { IsCompletedSuccessfully: true } ok:
                plan.ClientHeard = committed ?? ok.Result.Committed;
                break;
            case { Exception.InnerException: TransactionNotFoundException }:
                // No record: the coordinator restarted before deciding, or a one-phase commit whose outcome only the
                // participant knows. NotFound is not "aborted"; the client stops asking.
                Trace($"client: {plan.Label}: not found after a restart (outcome unknown)");
                plan.ClientDone = true;
                return;
            case { Exception.InnerException: TransactionStateConflictException c }:
                plan.ClientHeard = c.Message.Contains("already committed", StringComparison.Ordinal);
                break;
            default:
                Trace($"client: {plan.Label}: {call.Exception?.InnerException?.GetType().Name ?? call.Status.ToString()}");
                return;
        }

        Trace($"client: {plan.Label} heard {(plan.ClientHeard == true ? "COMMITTED" : "ABORTED")}");
        Checks.OnClientAnswer(plan.Id, plan.ClientHeard == true);
    }

    private async Task SagaClientAsync(TxPlan plan)
    {
        try
        {
            var key = $"saga-{Seed}-{plan.Label}";
            var groups = Rng.Next(2) == 0 ? new[] { 0, 1, 2 } : [0, 1, 1];
            var failing = Rng.Next(4) == 0 ? Rng.Next(groups.Length) : -1;
            // Optional steps: some without a compensation; each fails, never answers, or succeeds.
            var optional = groups.Select(_ => Config.OptionalSteps && Rng.Next(3) == 0 ? (Compensable: Rng.Next(2) == 0, Behaviour: Rng.Next(4)) : default((bool Compensable, int Behaviour)?)).ToList();
            var steps = groups.Select((g, i) => new SagaStepRecord
            {
                Name = $"step{i + 1}",
                Group = g,
                ParticipantAddress = Participants[Rng.Next(Participants.Count)].Address,
                Resource = "step",
                ActionPayload = [1],
                Optional = optional[i] is not null,
                CompensationPayload = optional[i] is { Compensable: false } ? null : [2],
                MaxAttempts = 4,
                InitialBackoff = TimeSpan.FromMilliseconds(50),
                MaxBackoff = TimeSpan.FromMilliseconds(400),
                Timeout = TimeSpan.FromSeconds(1),
            }).ToList();
            for (var attempt = 1; attempt <= 20; attempt++)
            {
                if (attempt > 1) await Sleep(TimeSpan.FromMilliseconds(300));
                if (Manager is not { } m) continue;
                var run = m.RunSagaAsync(steps, key, wait: false, null, CancellationToken.None);
                if (await Call(run) is Task<TransactionRecord> { IsCompletedSuccessfully: true } started)
                {
                    plan.Id = started.Result.Id;
                    _names[plan.Id] = plan.Label;
                    for (var i = 0; i < steps.Count; i++)
                    {
                        _groups[(plan.Id, steps[i].Name)] = steps[i].Group;
                        var at = Participant(steps[i].ParticipantAddress);
                        at.StepSucceeds[(plan.Id, steps[i].Name)] = optional[i] is { } o ? o.Behaviour != 0 : i != failing;
                        if (optional[i] is { Behaviour: 1 }) at.StepHangs.Add((plan.Id, steps[i].Name));
                    }

                    var optionals = string.Join("", optional.Select((o, i) => o is { } x ? $", step{i + 1} optional ({(x.Compensable ? "compensable" : "no compensation")}, {x.Behaviour switch { 0 => "fails", 1 => "never answers", _ => "succeeds" }})" : ""));
                    Trace($"client: saga {plan.Label} started, groups {string.Join(",", groups)}, failing step {failing + 1}{optionals}");
                    return;
                }
            }

            Trace($"client: saga {plan.Label} never started");
        }
        finally
        {
            plan.ClientDone = true;
        }
    }
}
