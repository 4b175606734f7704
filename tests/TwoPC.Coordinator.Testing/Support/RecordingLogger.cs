using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace TwoPC.Coordinator.Tests.Support;

/// <summary>One log entry: its event name, the transaction id it names (if any) and its exception.</summary>
public sealed record LoggedEvent(string? EventName, string? TransactionId, Exception? Exception, string Message);

/// <summary>An <see cref="ILogger{T}"/> that keeps every entry, so a test can ask what the engine logged.</summary>
public sealed class RecordingLogger<T> : ILogger<T>
{
    private readonly ConcurrentQueue<LoggedEvent> _events = new();

    /// <summary>Every entry so far, in order.</summary>
    public IReadOnlyList<LoggedEvent> Events => [.. _events];

    /// <summary>The entries named <paramref name="eventName"/>.</summary>
    public IReadOnlyList<LoggedEvent> Named(string eventName) => [.. _events.Where(e => e.EventName == eventName)];

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        string? transactionId = null;
        if (state is IEnumerable<KeyValuePair<string, object?>> fields)
            transactionId = fields.FirstOrDefault(f => f.Key == "TransactionId").Value?.ToString();
        _events.Enqueue(new LoggedEvent(eventId.Name, transactionId, exception, formatter(state, exception)));
    }
}
