namespace TwoPC.Coordinator.Storage.PostgreSql;

/// <summary>
/// Every statement the log runs, for one schema. "Lease live" is always judged by the database's clock (now(), the
/// start of the statement's transaction), so the instances' clocks never need to agree.
/// </summary>
internal sealed class Sql(string s)
{
    /// <summary>Makes the current transaction's commit lazy (returns before the WAL flush).</summary>
    public const string Lazy = "SELECT set_config('synchronous_commit', 'off', true)";

    /// <summary>Makes the current transaction's commit forced (waits for the WAL flush), whatever the session says.</summary>
    public const string Forced = "SELECT set_config('synchronous_commit', 'on', true)";

    private string LeaseLive => $"EXISTS (SELECT 1 FROM {s}.instances i WHERE i.instance_id = @me AND i.lease_until > now())";

    /// <summary>
    /// The fenced group upsert: inserts new records owned by @me, replaces records only while @me owns them (and they
    /// are no presumed-abort tombstone), and only while @me's lease is live; returns the ids it wrote. A record whose
    /// idempotency key belongs to another id is left out (not a batch-wide unique violation).
    /// </summary>
    public string Upsert => $"""
        INSERT INTO {s}.transactions AS t (id, state, finished, completed_at, idempotency_key, owner, updated_at, record)
        SELECT u.id, u.state, u.finished, u.completed_at, u.idempotency_key, @me, now(), u.record
        FROM unnest(@ids, @states, @finished, @completed, @keys, @records) AS u(id, state, finished, completed_at, idempotency_key, record)
        WHERE {LeaseLive}
          AND (u.idempotency_key IS NULL OR NOT EXISTS (SELECT 1 FROM {s}.transactions k WHERE k.idempotency_key = u.idempotency_key AND k.id <> u.id))
        ON CONFLICT (id) DO UPDATE SET state = excluded.state, finished = excluded.finished, completed_at = excluded.completed_at,
            idempotency_key = excluded.idempotency_key, updated_at = excluded.updated_at, record = excluded.record
        WHERE t.owner = excluded.owner AND NOT t.presumed_abort
        RETURNING t.id
        """;

    /// <summary>A write that makes the commit flush the WAL when nothing else is written (FlushAsync after lazy saves).</summary>
    public string Touch => $"UPDATE {s}.meta SET value = value WHERE key = 'log_id'";

    /// <summary>The id that holds idempotency key @key, other than @id.</summary>
    public string KeyHolder => $"SELECT id FROM {s}.transactions WHERE idempotency_key = @key AND id <> @id";

    public string Get => $"SELECT record FROM {s}.transactions WHERE id = @id";

    public string FindByKey => $"SELECT record FROM {s}.transactions WHERE idempotency_key = @key";

    public string LoadUnfinished => $"SELECT record FROM {s}.transactions WHERE NOT finished ORDER BY id";

    public string List => $"""
        SELECT record FROM {s}.transactions
        WHERE (cardinality(@states) = 0 OR state = ANY(@states)) AND (@after IS NULL OR id < @after)
        ORDER BY id DESC LIMIT @limit
        """;

    /// <summary>The state is checked as well as the flag: a parked saga is never forgotten, whatever its flag says.</summary>
    public string Forget => $"""
        DELETE FROM {s}.transactions WHERE id IN (
            SELECT id FROM {s}.transactions
            WHERE id < @below AND finished AND state = ANY(@states) AND completed_at < @before
            ORDER BY id LIMIT @limit FOR UPDATE SKIP LOCKED)
        """;

    /// <summary>First lease call: registers @me with a new epoch.</summary>
    public string Register => $"""
        INSERT INTO {s}.instances (instance_id, epoch, address, started_at, lease_until)
        VALUES (@me, nextval('{s}.instance_epoch'), @address, now(), now() + @lease)
        ON CONFLICT (instance_id) DO NOTHING
        RETURNING epoch
        """;

    /// <summary>Later lease calls: extends the lease only while it is live; an expired lease stays expired.</summary>
    public string Renew => $"""
        UPDATE {s}.instances SET lease_until = now() + @lease, address = @address
        WHERE instance_id = @me AND lease_until > now()
        RETURNING epoch
        """;

    /// <summary>
    /// Takes over unfinished records whose owner's lease expired (or whose owner is unknown), only while @me's own
    /// lease is live: a compare-and-set on the owner. The candidates (with the owner they had in this statement's
    /// snapshot) are read first; a row is then locked only if it still has that owner. A row another claimant holds
    /// is skipped, and one it claimed and committed meanwhile no longer matches (READ COMMITTED re-checks a plain
    /// column condition on the newest row version after the lock wait; it would not re-check a NOT EXISTS on the new
    /// owner's lease): one claimant per record.
    /// </summary>
    public string Claim => $"""
        WITH candidates AS MATERIALIZED (
            SELECT t.id, t.owner FROM {s}.transactions t
            WHERE NOT t.finished AND t.owner <> @me
              AND NOT EXISTS (SELECT 1 FROM {s}.instances o WHERE o.instance_id = t.owner AND o.lease_until > now())
              AND {LeaseLive}
            ORDER BY t.id
            LIMIT @limit * 4),
        locked AS (
            SELECT t.id FROM {s}.transactions t JOIN candidates c ON c.id = t.id
            WHERE t.owner = c.owner AND NOT t.finished
            ORDER BY t.id
            LIMIT @limit
            FOR UPDATE OF t SKIP LOCKED)
        UPDATE {s}.transactions t SET owner = @me, updated_at = now()
        FROM locked WHERE t.id = locked.id
        RETURNING t.record
        """;

    /// <summary>Presumed abort: an aborted tombstone for an id without a record, which no later save may replace.</summary>
    public string PresumeAbort => $"""
        INSERT INTO {s}.transactions (id, state, finished, completed_at, idempotency_key, owner, presumed_abort, updated_at, record)
        SELECT @id, @state, true, @completed, NULL, @me, true, now(), @record
        WHERE {LeaseLive}
        ON CONFLICT (id) DO NOTHING
        """;

    public string Owner => $"""
        SELECT t.owner, coalesce(i.address, ''), coalesce(i.lease_until > now(), false)
        FROM {s}.transactions t LEFT JOIN {s}.instances i ON i.instance_id = t.owner
        WHERE t.id = @id
        """;
}
