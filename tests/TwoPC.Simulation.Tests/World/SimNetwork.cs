using TwoPC.Coordinator.Participants;
using TwoPC.Coordinator.Transactions;

namespace TwoPC.Simulation.Tests.World;

/// <summary>What the network does to one request.</summary>
internal enum NetFault { None, DropRequest, LoseReply, Duplicate, Delay }

/// <summary>
/// A seeded network between the coordinator incarnations and the participants. Requests wait in flight until the
/// main loop picks one (in random order, so messages reorder). Per request the seed picks a fault: dropped before
/// delivery, delivered with the reply lost, delivered twice, or held back and delivered late. A caller that gets
/// no reply sees <see cref="ParticipantUnreachableException"/> after the call timeout.
/// </summary>
internal sealed class SimNetwork(Simulation sim)
{
    private readonly List<(DateTimeOffset NotBefore, Action Deliver, string What)> _inFlight = [];

    public bool Faulty { get; set; }

    public int DeliverableCount => _inFlight.Count(m => m.NotBefore <= sim.Loop.Now);

    public int InFlight => _inFlight.Count;

    public DateTimeOffset? NextNotBefore => _inFlight.Count == 0 ? null : _inFlight.Min(m => m.NotBefore);

    /// <summary>Delivers one random deliverable message.</summary>
    public void DeliverOne()
    {
        var ready = Enumerable.Range(0, _inFlight.Count).Where(i => _inFlight[i].NotBefore <= sim.Loop.Now).ToList();
        var i = ready[sim.Rng.Next(ready.Count)];
        var m = _inFlight[i];
        _inFlight.RemoveAt(i);
        sim.Trace("deliver " + m.What);
        m.Deliver();
    }

    /// <summary>
    /// A request from <paramref name="owner"/> (a coordinator incarnation) to <paramref name="target"/>. The reply
    /// completes the returned task on the simulation thread, unless the caller has died meanwhile.
    /// </summary>
    public Task<T> Call<T>(int owner, SimParticipant target, string what, Func<SimParticipant, T> handle, CancellationToken cancellationToken)
    {
        sim.Loop.CheckThread();
        var reply = new TaskCompletionSource<T>();
        if (cancellationToken.CanBeCanceled)
            cancellationToken.Register(() => reply.TrySetCanceled(cancellationToken));
        var fault = PickFault();
        sim.Trace($"send {what}{(fault == NetFault.None ? "" : " [" + fault + "]")}");
        void Unreachable(string why) => sim.After(owner, sim.CallTimeout, () => reply.TrySetException(new ParticipantUnreachableException($"{what}: {why}")));

        void Deliver(bool answer)
        {
            if (!target.Up)
            {
                if (answer) Unreachable($"{target.Name} is down");
                return;
            }

            Func<Task<T>> result;
            try
            {
                var value = handle(target);
                result = () => Task.FromResult(value);
            }
            catch (ParticipantRejectedException ex)
            {
                result = () => Task.FromException<T>(ex);
            }
            catch (IOException ex)
            {
                // The participant's local write failed: a transient error, as the SDK answers it.
                result = () => Task.FromException<T>(new ParticipantUnreachableException($"{what}: {target.Name}: the local write failed: {ex.Message}"));
            }
            catch (NoReplyException)
            {
                sim.Trace($"{target.Name} acted on {what} and never answers");
                return;
            }

            if (!answer) return;
            Enqueue(sim.Loop.Now, "reply to " + what, () =>
            {
                if (!sim.Loop.IsAlive(owner)) return;
                var r = result();
                if (r.IsFaulted) reply.TrySetException(r.Exception!.InnerException!);
                else reply.TrySetResult(r.Result);
            });
        }

        switch (fault)
        {
            case NetFault.DropRequest:
                Unreachable("request dropped");
                break;
            case NetFault.LoseReply:
                Enqueue(sim.Loop.Now, what, () => Deliver(answer: false));
                Unreachable("reply lost");
                break;
            case NetFault.Duplicate:
                Enqueue(sim.Loop.Now, what, () => Deliver(answer: true));
                Enqueue(sim.Loop.Now, what + " (duplicate)", () => Deliver(answer: false));
                break;
            case NetFault.Delay:
                Enqueue(sim.Loop.Now + TimeSpan.FromMilliseconds(sim.Rng.Next(500, 4000)), what + " (late)", () => Deliver(answer: false));
                Unreachable("no answer in time");
                break;
            default:
                Enqueue(sim.Loop.Now, what, () => Deliver(answer: true));
                break;
        }

        return reply.Task;
    }

    /// <summary>A participant's in-doubt query to the coordinator (subject to the same faults).</summary>
    public void Ask(SimParticipant from, string what, Action deliver)
    {
        var fault = PickFault();
        sim.Trace($"send {what}{(fault == NetFault.None ? "" : " [" + fault + "]")}");
        if (fault is NetFault.DropRequest or NetFault.LoseReply) return;
        var when = fault == NetFault.Delay ? sim.Loop.Now + TimeSpan.FromMilliseconds(sim.Rng.Next(500, 4000)) : sim.Loop.Now;
        Enqueue(when, what, () =>
        {
            if (from.Up) deliver();
        });
        if (fault == NetFault.Duplicate) Enqueue(when, what + " (duplicate)", () => { if (from.Up) deliver(); });
    }

    private void Enqueue(DateTimeOffset notBefore, string what, Action deliver) => _inFlight.Add((notBefore, deliver, what));

    private NetFault PickFault()
    {
        if (!Faulty) return NetFault.None;
        return sim.Rng.Next(100) switch
        {
            < 70 => NetFault.None,
            < 78 => NetFault.DropRequest,
            < 86 => NetFault.LoseReply,
            < 93 => NetFault.Duplicate,
            _ => NetFault.Delay,
        };
    }
}

/// <summary>The coordinator incarnation's <see cref="IParticipantClient"/>: every call crosses <see cref="SimNetwork"/>.</summary>
internal sealed class SimParticipantClient(Simulation sim, int owner) : IParticipantClient
{
    public Task<PrepareReply> PrepareAsync(BranchRecord branch, string transactionId, bool onePhase, DateTimeOffset deadline, CancellationToken cancellationToken)
    {
        var (id, p) = (branch.BranchId, sim.Participant(branch.ParticipantAddress));
        var call = sim.Net.Call(owner, p, $"Prepare{(onePhase ? "1PC" : "")} {sim.Name(transactionId)}/{id} -> {p.Name}", t => t.Prepare(transactionId, id, onePhase), cancellationToken);
        return CheckedAsync(call, transactionId, id, p);
    }

    private async Task<PrepareReply> CheckedAsync(Task<PrepareReply> call, string transactionId, int branch, SimParticipant p)
    {
        var reply = await call;
        if (reply.Vote == Vote.Prepared) sim.Checks.OnVoteReceived(transactionId, branch, p);
        return reply;
    }

    public Task CommitAsync(BranchRecord branch, string transactionId, CancellationToken cancellationToken)
    {
        var (id, p) = (branch.BranchId, sim.Participant(branch.ParticipantAddress));
        return sim.Net.Call(owner, p, $"Commit {sim.Name(transactionId)}/{id} -> {p.Name}", t =>
        {
            sim.Checks.OnCommitDelivered(transactionId);
            t.Commit(transactionId, id);
            return true;
        }, cancellationToken);
    }

    public Task AbortAsync(BranchRecord branch, string transactionId, CancellationToken cancellationToken)
    {
        var (id, p) = (branch.BranchId, sim.Participant(branch.ParticipantAddress));
        return sim.Net.Call(owner, p, $"Abort {sim.Name(transactionId)}/{id} -> {p.Name}", t =>
        {
            t.Abort(transactionId, id);
            return true;
        }, cancellationToken);
    }

    public Task<ExecuteReply> ExecuteAsync(SagaStepRecord step, string transactionId, int attempt, CancellationToken cancellationToken)
    {
        var (name, p) = (step.Name, sim.Participant(step.ParticipantAddress));
        return sim.Net.Call(owner, p, $"Execute {sim.Name(transactionId)}/{name} #{attempt} -> {p.Name}", t =>
        {
            sim.Checks.OnStepDelivered(transactionId, name, compensation: false);
            return t.Execute(transactionId, name);
        }, cancellationToken);
    }

    public Task<bool> CompensateAsync(SagaStepRecord step, string transactionId, int attempt, CancellationToken cancellationToken)
    {
        var (name, p) = (step.Name, sim.Participant(step.ParticipantAddress));
        return sim.Net.Call(owner, p, $"Compensate {sim.Name(transactionId)}/{name} #{attempt} -> {p.Name}", t =>
        {
            sim.Checks.OnStepDelivered(transactionId, name, compensation: true);
            return t.Compensate(transactionId, name);
        }, cancellationToken);
    }

    public Task<(IReadOnlyList<string> Resources, IReadOnlyList<string> SagaSteps)> DescribeAsync(string address, CancellationToken cancellationToken) =>
        Task.FromResult<(IReadOnlyList<string>, IReadOnlyList<string>)>((["ledger"], ["step"]));
}
