using System.Globalization;
using System.Text;
using Google.Protobuf;
using LiteDB;
using TwoPC.Durability;
using P = TwoPC.Protocol.V1;

namespace TwoPC.Benchmarks;

/// <summary>One kind of transaction the load runner repeats.</summary>
internal interface IWorkload
{
    string Mode { get; }

    /// <summary>Runs one transaction for <paramref name="worker"/>; true when it committed.</summary>
    Task<bool> RunOnceAsync(int worker, long sequence, CancellationToken cancellationToken);

    /// <summary>Flushes counted by the benchmark process itself (only the floor has any).</summary>
    long LocalFsyncs { get; }
}

/// <summary>
/// Accounts of a bank transfer: each worker owns its own accounts (no lock conflicts between workers) and cycles
/// through a few of them, so a transfer never waits for the previous one's phase 2 to release a lock.
/// </summary>
internal static class Accounts
{
    private const int RingSize = 16;

    public static ByteString Payload(string run, int worker, long sequence, int participant, int participants)
    {
        // Participant 0 is debited, every other one credited: the transfer balances.
        var delta = participant == 0 ? -(participants - 1) : 1;
        var account = string.Create(CultureInfo.InvariantCulture, $"{run}-w{worker}-{sequence % RingSize}");
        return ByteString.CopyFrom(Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{account}:{delta}")));
    }

    public static ByteString Compensation(string run, int worker, long sequence, int participant, int participants)
    {
        var delta = participant == 0 ? participants - 1 : -1;
        var account = string.Create(CultureInfo.InvariantCulture, $"{run}-w{worker}-{sequence % RingSize}");
        return ByteString.CopyFrom(Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{account}:{delta}")));
    }
}

/// <summary>
/// The raw coordinator API: Begin carrying one branch per participant, then Commit (2 calls); with
/// <c>enlistSeparately</c>, Begin, Enlist every participant (in parallel), Commit (4 calls).
/// </summary>
internal sealed class TwoPhaseWorkload(Cluster cluster, string run, bool waitForCompletion, bool enlistSeparately) : IWorkload
{
    private long _beginTicks;
    private long _enlistTicks;
    private long _commitTicks;
    private long _count;

    public string Mode => "2pc";

    public long LocalFsyncs => 0;

    /// <summary>Mean client-side milliseconds of Begin, the parallel Enlists and Commit since the last call; then resets.</summary>
    public (double Begin, double Enlist, double Commit) TakeBreakdown()
    {
        var n = Math.Max(1, Interlocked.Exchange(ref _count, 0));
        static double Ms(ref long ticks, long n) => Interlocked.Exchange(ref ticks, 0) * 1000.0 / System.Diagnostics.Stopwatch.Frequency / n;
        return (Ms(ref _beginTicks, n), Ms(ref _enlistTicks, n), Ms(ref _commitTicks, n));
    }

    public async Task<bool> RunOnceAsync(int worker, long sequence, CancellationToken cancellationToken)
    {
        var client = cluster.CoordinatorClient;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        var t0 = System.Diagnostics.Stopwatch.GetTimestamp();
        var participants = cluster.Participants;
        if (!enlistSeparately)
        {
            var begin = new P.BeginRequest { Mode = P.TransactionMode.TwoPhase };
            for (var i = 0; i < participants.Count; i++)
            {
                begin.Branches.Add(new P.EnlistRequest
                {
                    ParticipantAddress = participants[i].Address.ToString(),
                    Resource = "ledger",
                    Payload = Accounts.Payload(run, worker, sequence, i, participants.Count),
                });
            }

            var started = await client.BeginAsync(begin, deadline: deadline, cancellationToken: cancellationToken);
            var tb = System.Diagnostics.Stopwatch.GetTimestamp();
            var committed = await client.CommitAsync(new P.CommitRequest { TransactionId = started.TransactionId, WaitForCompletion = waitForCompletion },
                deadline: deadline, cancellationToken: cancellationToken);
            Interlocked.Add(ref _beginTicks, tb - t0);
            Interlocked.Add(ref _commitTicks, System.Diagnostics.Stopwatch.GetTimestamp() - tb);
            Interlocked.Increment(ref _count);
            return committed.Outcome == P.Outcome.Committed;
        }

        var begun = await client.BeginAsync(new P.BeginRequest { Mode = P.TransactionMode.TwoPhase }, deadline: deadline, cancellationToken: cancellationToken);
        var enlists = new Task[participants.Count];
        for (var i = 0; i < participants.Count; i++)
        {
            enlists[i] = client.EnlistAsync(new P.EnlistRequest
            {
                TransactionId = begun.TransactionId,
                ParticipantAddress = participants[i].Address.ToString(),
                Resource = "ledger",
                Payload = Accounts.Payload(run, worker, sequence, i, participants.Count),
            }, deadline: deadline, cancellationToken: cancellationToken).ResponseAsync;
        }

        var t1 = System.Diagnostics.Stopwatch.GetTimestamp();
        await Task.WhenAll(enlists);
        var t2 = System.Diagnostics.Stopwatch.GetTimestamp();
        var reply = await client.CommitAsync(new P.CommitRequest { TransactionId = begun.TransactionId, WaitForCompletion = waitForCompletion },
            deadline: deadline, cancellationToken: cancellationToken);
        var t3 = System.Diagnostics.Stopwatch.GetTimestamp();
        Interlocked.Add(ref _beginTicks, t1 - t0);
        Interlocked.Add(ref _enlistTicks, t2 - t1);
        Interlocked.Add(ref _commitTicks, t3 - t2);
        Interlocked.Increment(ref _count);
        return reply.Outcome == P.Outcome.Committed;
    }
}

/// <summary>RunSaga with one step per participant, all in one parallel group, waiting for the end.</summary>
internal sealed class SagaWorkload(Cluster cluster, string run) : IWorkload
{
    public string Mode => "saga";

    public long LocalFsyncs => 0;

    public async Task<bool> RunOnceAsync(int worker, long sequence, CancellationToken cancellationToken)
    {
        var participants = cluster.Participants;
        var request = new P.RunSagaRequest { Wait = true };
        for (var i = 0; i < participants.Count; i++)
        {
            request.Steps.Add(new P.SagaStep
            {
                Name = "s" + i.ToString(CultureInfo.InvariantCulture),
                Group = 1,
                ParticipantAddress = participants[i].Address.ToString(),
                Resource = "ledger-step",
                ActionPayload = Accounts.Payload(run, worker, sequence, i, participants.Count),
                CompensationPayload = Accounts.Compensation(run, worker, sequence, i, participants.Count),
            });
        }

        var reply = await cluster.CoordinatorClient.RunSagaAsync(request, deadline: DateTime.UtcNow.AddSeconds(30), cancellationToken: cancellationToken);
        return reply.Outcome == P.SagaOutcome.Completed;
    }
}

/// <summary>
/// The cost of the messages alone: a round of trivial calls (Describe) to every participant in parallel, one
/// group-committed fdatasync in this process, a second parallel round. No engine, no logs at the services.
/// </summary>
internal sealed class FloorWorkload : IWorkload, IDisposable
{
    private readonly Cluster _cluster;
    private readonly DurabilityMetrics _metrics = new();
    private readonly LiteDbGroupCommitter _committer;

    public FloorWorkload(Cluster cluster)
    {
        _cluster = cluster;
        _committer = new LiteDbGroupCommitter(new GroupCommitOptions { Path = Path.Combine(cluster.DataDirectory, "floor.db") },
            new FdatasyncFileFlusher(_metrics), _metrics);
    }

    public string Mode => "floor";

    public long LocalFsyncs => _metrics.Fsyncs;

    public async Task<bool> RunOnceAsync(int worker, long sequence, CancellationToken cancellationToken)
    {
        await RoundAsync(cancellationToken);
        var doc = new BsonDocument { ["_id"] = worker, ["seq"] = sequence };
        await _committer.WriteAsync(db => db.GetCollection("floor").Upsert(doc), force: true, CancellationToken.None);
        await RoundAsync(cancellationToken);
        return true;
    }

    public void Dispose() => _committer.Dispose();

    private Task RoundAsync(CancellationToken cancellationToken)
    {
        var clients = _cluster.ParticipantClients;
        var calls = new Task[clients.Count];
        var deadline = DateTime.UtcNow.AddSeconds(30);
        for (var i = 0; i < clients.Count; i++) calls[i] = clients[i].DescribeAsync(new P.DescribeRequest(), deadline: deadline, cancellationToken: cancellationToken).ResponseAsync;
        return Task.WhenAll(calls);
    }
}
