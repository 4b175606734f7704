using TwoPC.Coordinator.Storage;
using TwoPC.Coordinator.Diagnostics;
using TwoPC.Coordinator.Protocols;
using TwoPC.Coordinator.Protocols.Saga;
using TwoPC.Coordinator.Protocols.TwoPhase;

namespace TwoPC.Coordinator.Transactions;

/// <summary>
/// The engine's front door: validates requests, keeps the live table, and hands work to the processor of each
/// mode. Knows nothing of gRPC; errors are <see cref="CoordinatorException"/>s.
/// </summary>
/// <param name="engine">Shared engine services.</param>
/// <param name="twoPhase">The 2PC processor.</param>
/// <param name="saga">The saga processor (created on demand when not given).</param>
public sealed partial class TransactionManager(EngineServices engine, TwoPhaseCommitProcessor twoPhase, SagaProcessor? saga = null)
{
    /// <summary>
    /// Starts a transaction, optionally with its first branches (validated like Enlist, errors naming
    /// <c>branches[i].field</c>; nothing is created when one is invalid). Nothing is written: under presumed abort an
    /// unknown id means aborted. A key maps to the same transaction for as long as the log remembers it: after a
    /// restart the key is found in the decision record (a transaction without one never decided, aborted with the
    /// restart, and a fresh id is then correct).
    /// </summary>
    public async Task<TransactionRecord> BeginAsync(TransactionMode mode, TimeSpan? timeout, string? idempotencyKey, IReadOnlyList<BranchSpec>? branches, CancellationToken cancellationToken)
    {
        if (!Enum.IsDefined(mode)) throw new InvalidRequestException("mode", "must be TRANSACTION_MODE_TWO_PHASE (sagas start with RunSaga)");
        if (mode == TransactionMode.Saga) throw new InvalidRequestException("mode", "sagas are started with RunSaga, which carries the steps");
        var limit = ValidateTimeout(timeout, "timeout");
        RequestValidation.Key(idempotencyKey, "idempotency_key");
        branches ??= [];
        if (branches.Count > engine.Options.MaxBranches)
            throw new InvalidRequestException("branches", $"has {branches.Count} branches; the limit is {engine.Options.MaxBranches}");
        for (var i = 0; i < branches.Count; i++)
        {
            var at = $"branches[{i}].";
            ValidateBranch(branches[i], at);
            if (string.IsNullOrEmpty(branches[i].BranchKey)) continue;
            for (var j = 0; j < i; j++)
                if (branches[j].BranchKey == branches[i].BranchKey)
                    throw new InvalidRequestException(at + "branch_key", $"duplicates branches[{j}].branch_key; branch keys must be unique in a transaction");
        }

        var now = engine.Now;
        var record = new TransactionRecord
        {
            Id = engine.NewTransactionId(),
            Mode = mode,
            State = TransactionState.Active,
            CreatedAt = now,
            Deadline = now + limit,
            IdempotencyKey = string.IsNullOrEmpty(idempotencyKey) ? null : idempotencyKey,
        };
        for (var i = 0; i < branches.Count; i++) record.Branches.Add(NewBranch(i + 1, branches[i]));
        if (record.IdempotencyKey is { } key)
        {
            // The live table holds keys claimed since start; before that, the log holds them. Claiming the logged
            // owner first (GetOrAdd) makes every concurrent Begin with this key agree on one id.
            if (engine.Table.KeyOwner(key) is null && await engine.Log.FindByIdempotencyKeyAsync(key, cancellationToken).ConfigureAwait(false) is { } logged)
                engine.Table.ClaimKey(key, logged.Id);
            var owner = engine.Table.ClaimKey(key, record.Id);
            if (owner != record.Id) return await ExistingBeginAsync(owner, mode, cancellationToken).ConfigureAwait(false);
        }

        var handle = new TransactionHandle(record);
        engine.Table.TryAdd(handle);
        if (engine.Log is IClusteredTransactionLog)
        {
            // A shared log records who owns the transaction from its start, so that other instances redirect callers
            // to this one, and claim it if this one dies. Lazy: an unrecorded Begin prepared nothing yet.
            try
            {
                await engine.Log.SaveAsync(record.Clone(), WriteDurability.Lazy, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                engine.Table.Remove(handle);
                if (record.IdempotencyKey is { } claimed) engine.Table.ReleaseKey(claimed, record.Id);
                throw new RetryLaterException($"the shared decision log did not record the new transaction ({ex.Message}); nothing was created, retry", ex);
            }
        }

        engine.Metrics.Add("begun");
        return record.Clone();
    }

    /// <summary>The transaction that owns a Begin key: live, else as logged, else (still being created) its id.</summary>
    private async Task<TransactionRecord> ExistingBeginAsync(string owner, TransactionMode mode, CancellationToken cancellationToken)
    {
        if (engine.Table.TryGet(owner, out var existing))
        {
            using (await existing.LockAsync(cancellationToken).ConfigureAwait(false)) return existing.Record.Clone();
        }

        return await engine.Log.GetAsync(owner, cancellationToken).ConfigureAwait(false) ?? new TransactionRecord { Id = owner, Mode = mode };
    }

    /// <summary>Adds a branch to an active 2PC transaction; a retried Enlist with the same key returns the same branch.</summary>
    public async Task<int> EnlistAsync(string transactionId, string participantAddress, string resource, byte[] payload, string? branchKey, CancellationToken cancellationToken)
    {
        ValidateBranch(new BranchSpec(participantAddress, resource, payload, branchKey), "");
        var handle = await LiveAsync(transactionId, cancellationToken).ConfigureAwait(false);
        using (await handle.LockAsync(cancellationToken).ConfigureAwait(false))
        {
            var record = handle.Record;
            if (record.Mode != TransactionMode.TwoPhase) throw new TransactionStateConflictException($"transaction {transactionId} is a saga; branches are its steps");
            if (!string.IsNullOrEmpty(branchKey) && record.Branches.Find(b => b.BranchKey == branchKey) is { } same) return same.BranchId;
            if (record.State != TransactionState.Active)
                throw new TransactionStateConflictException($"transaction {transactionId} is {record.State}; branches can only enlist while it is Active (before Commit)");
            if (record.Deadline <= engine.Now) throw new TransactionStateConflictException($"transaction {transactionId} has passed its deadline");
            if (record.Branches.Count >= engine.Options.MaxBranches)
                throw new InvalidRequestException("transaction_id", $"transaction already has {record.Branches.Count} branches; the limit is {engine.Options.MaxBranches}");
            var branch = NewBranch(record.Branches.Count + 1, new BranchSpec(participantAddress, resource, payload, branchKey));
            record.Branches.Add(branch);
            return branch.BranchId;
        }
    }

    /// <summary>Runs 2PC and answers with the decision (a duplicate Commit answers the same).</summary>
    public async Task<CommitResultView> CommitAsync(string transactionId, bool waitForCompletion, CancellationToken cancellationToken)
    {
        if (engine.Table.TryGet(Require(transactionId), out var handle))
        {
            if (handle.Record.Mode != TransactionMode.TwoPhase) throw new TransactionStateConflictException($"transaction {transactionId} is a saga; it runs with RunSaga");
            var result = await twoPhase.CommitAsync(handle, waitForCompletion, cancellationToken).ConfigureAwait(false);
            return new CommitResultView(result.Committed, result.Reason, result.State);
        }

        var stored = await StoredAsync(transactionId, cancellationToken).ConfigureAwait(false);
        await ThrowIfOwnedElsewhereAsync(stored, cancellationToken).ConfigureAwait(false);
        if (stored.State.IsCommitDecided()) return new CommitResultView(true, null, stored.State);
        if (stored.State.IsAbortDecided())
        {
            if (!TwoPhaseCommitProcessor.WentThroughPrepare(stored)) throw TwoPhaseCommitProcessor.AbortedBeforeCommit(stored);
            return new CommitResultView(false, stored.Reason, stored.State);
        }

        throw new TransactionStateConflictException($"transaction {transactionId} is {stored.State} and cannot be committed");
    }

    /// <summary>Aborts an undecided transaction; FailedPrecondition when it already committed.</summary>
    public async Task<CommitResultView> AbortAsync(string transactionId, string? reason, CancellationToken cancellationToken)
    {
        var why = string.IsNullOrWhiteSpace(reason) ? "aborted by the client" : "aborted by the client: " + reason;
        if (engine.Table.TryGet(Require(transactionId), out var handle))
        {
            if (handle.Record.Mode != TransactionMode.TwoPhase) throw new TransactionStateConflictException($"transaction {transactionId} is a saga; it cannot be aborted, only compensated");
            var result = await twoPhase.AbortAsync(handle, why, cancellationToken).ConfigureAwait(false);
            return new CommitResultView(result.Committed, result.Reason, result.State);
        }

        var stored = await StoredAsync(transactionId, cancellationToken).ConfigureAwait(false);
        await ThrowIfOwnedElsewhereAsync(stored, cancellationToken).ConfigureAwait(false);
        if (stored.State.IsCommitDecided()) throw new TransactionStateConflictException($"transaction {transactionId} is already committed; it cannot be aborted");
        if (stored.State.IsAbortDecided()) return new CommitResultView(false, stored.Reason, stored.State);
        throw new TransactionStateConflictException($"transaction {transactionId} is {stored.State} and cannot be aborted");
    }

    /// <summary>A consistent copy of the transaction's record. NotFound when unknown.</summary>
    public async Task<TransactionRecord> GetAsync(string transactionId, CancellationToken cancellationToken)
    {
        if (engine.Table.TryGet(Require(transactionId), out var handle))
        {
            using (await handle.LockAsync(cancellationToken).ConfigureAwait(false)) return handle.Record.Clone();
        }

        return await StoredAsync(transactionId, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// What a participant holding an in-doubt branch must do. Unknown ids answer aborted (presumed abort): a
    /// commit is always forced to the log before anyone hears it, so a missing record cannot be a commit.
    /// A live transaction whose decision write is itself in doubt answers "pending" — never a guess from memory.
    /// </summary>
    public Task<(TransactionRecord Record, bool Presumed, bool Pending)> ResolveInDoubtAsync(string transactionId, CancellationToken cancellationToken) =>
        ResolveInDoubtAsync(transactionId, null, cancellationToken);

    /// <summary>
    /// As <see cref="ResolveInDoubtAsync(string, CancellationToken)"/>, for a branch prepared under decision log
    /// <paramref name="logId"/> (null or empty: not checked). Presumed abort holds only in that log: an unknown id
    /// under another log's identity throws <see cref="LogMismatchException"/> instead of answering aborted.
    /// </summary>
    public async Task<(TransactionRecord Record, bool Presumed, bool Pending)> ResolveInDoubtAsync(string transactionId, string? logId, CancellationToken cancellationToken)
    {
        RequestValidation.Key(logId, "log_id");
        if (engine.Table.TryGet(Require(transactionId), out var handle))
        {
            using (await handle.LockAsync(cancellationToken).ConfigureAwait(false))
            {
                var pending = handle.InDoubt || !handle.Record.State.IsDecided() && !handle.Record.State.IsFinished();
                return (handle.Record.Clone(), false, pending);
            }
        }

        var stored = await engine.Log.GetAsync(transactionId, cancellationToken).ConfigureAwait(false);
        if (stored is not null) return (stored, false, !stored.State.IsDecided() && !stored.State.IsFinished());
        if (!string.IsNullOrEmpty(logId) && logId != engine.Log.LogId)
        {
            CoordinatorLog.LogMismatch(engine.Logger, transactionId, logId, engine.Log.LogId);
            throw new LogMismatchException(transactionId, logId, engine.Log.LogId);
        }

        const string presumed = "no record of this transaction: presumed abort";
        if (engine.Log is IClusteredTransactionLog cluster)
        {
            // Another instance may be about to write this id for the first time: the stored tombstone makes that write
            // fail, so the abort heard here can never become a commit.
            var tombstone = await cluster.PresumeAbortAsync(transactionId, presumed, cancellationToken).ConfigureAwait(false);
            var wasPresumed = tombstone.State == TransactionState.Aborted && tombstone.Reason == presumed;
            return (tombstone, wasPresumed, !tombstone.State.IsDecided() && !tombstone.State.IsFinished());
        }

        return (new TransactionRecord { Id = transactionId, Mode = TransactionMode.TwoPhase, State = TransactionState.Aborted, Reason = presumed }, true, false);
    }

    /// <summary>A page of transactions, newest first.</summary>
    public async Task<(IReadOnlyList<TransactionRecord> Page, string? NextToken)> ListAsync(IReadOnlyCollection<TransactionState> states, int pageSize, string? pageToken, CancellationToken cancellationToken)
    {
        if (pageSize is < 0 or > ProtocolLimits.MaxPageSize)
            throw new InvalidRequestException("page_size", $"must be between 1 and {ProtocolLimits.MaxPageSize} (0 means {ProtocolLimits.DefaultPageSize})");
        var size = pageSize == 0 ? ProtocolLimits.DefaultPageSize : pageSize;
        if (!string.IsNullOrEmpty(pageToken) && !IsId(pageToken)) throw new InvalidRequestException("page_token", "is not a token returned by ListTransactions");
        foreach (var s in states)
            if (!Enum.IsDefined(s)) throw new InvalidRequestException("states", $"{(int)s} is not a transaction state");

        // Live transactions first (their freshest state), then the log; merged newest first by id.
        var after = string.IsNullOrEmpty(pageToken) ? null : pageToken;
        var stored = await engine.Log.ListAsync(states, after, size + 1, cancellationToken).ConfigureAwait(false);
        var merged = new SortedDictionary<string, TransactionRecord>(Comparer<string>.Create((a, b) => string.CompareOrdinal(b, a)));
        foreach (var r in stored) merged[r.Id] = r;
        foreach (var h in engine.Table.All)
        {
            if (after is not null && string.CompareOrdinal(h.Id, after) >= 0) continue;
            var copy = await GetAsync(h.Id, cancellationToken).ConfigureAwait(false);
            if (states.Count == 0 || states.Contains(copy.State)) merged[copy.Id] = copy;
            else merged.Remove(copy.Id);
        }

        var page = merged.Values.Take(size).ToList();
        var next = merged.Count > size ? page[^1].Id : null;
        return (page, next);
    }

    private async Task<TransactionHandle> LiveAsync(string transactionId, CancellationToken cancellationToken)
    {
        if (engine.Table.TryGet(Require(transactionId), out var handle)) return handle;
        var stored = await StoredAsync(transactionId, cancellationToken).ConfigureAwait(false);
        await ThrowIfOwnedElsewhereAsync(stored, cancellationToken).ConfigureAwait(false);
        throw new TransactionStateConflictException($"transaction {transactionId} is {stored.State}; it no longer accepts changes");
    }

    /// <summary>
    /// In a cluster, an unfinished transaction that is not in this instance's table belongs to another instance (or
    /// to a dead one, until it is claimed): only its owner may change it.
    /// </summary>
    private async Task ThrowIfOwnedElsewhereAsync(TransactionRecord stored, CancellationToken cancellationToken)
    {
        if (engine.Log is not IClusteredTransactionLog cluster || stored.State.IsFinished() || stored.State.IsDecided()) return;
        var owner = await cluster.GetOwnerAsync(stored.Id, cancellationToken).ConfigureAwait(false);
        if (owner is null || owner.InstanceId == cluster.InstanceId) return;
        throw new TransactionNotOwnedException(stored.Id, owner.LeaseLive ? owner.Address : "");
    }

    private async Task<TransactionRecord> StoredAsync(string transactionId, CancellationToken cancellationToken) =>
        await engine.Log.GetAsync(transactionId, cancellationToken).ConfigureAwait(false) ?? throw new TransactionNotFoundException(transactionId);

    /// <summary>A new transaction id (see <see cref="TransactionIds"/>).</summary>
    public static string NewId() => TransactionIds.New();

    private static bool IsId(string value) => TransactionIds.IsValid(value);

    private static string Require(string transactionId) => RequestValidation.TransactionId(transactionId, "transaction_id");

    private TimeSpan ValidateTimeout(TimeSpan? timeout, string field)
    {
        if (timeout is null || timeout == TimeSpan.Zero) return engine.Options.DefaultTimeout;
        if (timeout < engine.Options.MinTimeout || timeout > engine.Options.MaxTimeout)
            throw new InvalidRequestException(field, $"{timeout} is out of range; allowed {engine.Options.MinTimeout} to {engine.Options.MaxTimeout}");
        return timeout.Value;
    }

    private void ValidateBranch(BranchSpec branch, string prefix)
    {
        RequestValidation.Address(branch.ParticipantAddress, prefix + "participant_address");
        RequestValidation.Name(branch.Resource, prefix + "resource");
        if (branch.Payload.Length > engine.Options.MaxPayloadBytes)
            throw new InvalidRequestException(prefix + "payload", $"is {branch.Payload.Length} bytes; the limit is {engine.Options.MaxPayloadBytes}");
        RequestValidation.Key(branch.BranchKey, prefix + "branch_key");
    }

    private static BranchRecord NewBranch(int id, BranchSpec spec) => new()
    {
        BranchId = id,
        ParticipantAddress = spec.ParticipantAddress,
        Resource = spec.Resource,
        Payload = spec.Payload,
        BranchKey = string.IsNullOrEmpty(spec.BranchKey) ? null : spec.BranchKey,
    };

    private static string Truncate(string s) => RequestValidation.Truncate(s);
}

/// <summary>The answer to Commit/Abort.</summary>
public readonly record struct CommitResultView(bool Committed, string? Reason, TransactionState State);
