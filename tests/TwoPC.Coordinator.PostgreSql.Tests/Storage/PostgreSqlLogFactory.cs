using System.Collections.Concurrent;
using TwoPC.Coordinator.Storage.PostgreSql;
using TwoPC.Durability;

namespace TwoPC.Coordinator.Tests.Storage;

/// <summary>Opens logs on one test database (one schema per store) and closes them all at the end.</summary>
public sealed class PostgreSqlLogFactory(string connectionString) : IAsyncDisposable
{
    private readonly ConcurrentBag<PostgreSqlTransactionLog> _open = [];

    /// <summary>Every fail-stop any log of this factory called.</summary>
    public ConcurrentQueue<(PostgreSqlTransactionLog Log, StorageFailedException Failure)> FailStops { get; } = new();

    public string ConnectionString { get; } = connectionString;

    public async Task<PostgreSqlTransactionLog> OpenAsync(string schema, int maxBatchSize = 256)
    {
        var failStop = new RecordingFailStop();
        var log = await PostgreSqlTransactionLog.OpenAsync(new PostgreSqlLogOptions { ConnectionString = ConnectionString, Schema = schema, MaxBatchSize = maxBatchSize },
            failStop, logger: null, CancellationToken.None);
        failStop.Log = log;
        failStop.Sink = FailStops;
        _open.Add(log);
        return log;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var log in _open) await log.DisposeAsync();
    }

    private sealed class RecordingFailStop : IStorageFailStop
    {
        public PostgreSqlTransactionLog? Log { get; set; }

        public ConcurrentQueue<(PostgreSqlTransactionLog, StorageFailedException)>? Sink { get; set; }

        public void Stop(StorageFailedException failure) => Sink!.Enqueue((Log!, failure));
    }
}
