using System.Reflection;
using TwoPC.Coordinator.Hosting;
using TwoPC.Coordinator.Transactions;

namespace TwoPC.Simulation.Tests.World;

/// <summary>
/// The engine's retry of parked (NEEDS_ATTENTION) sagas, reached by name so that the simulation builds whether or
/// not the engine has it: the option <c>CoordinatorOptions.ParkedSagaRetryInterval</c> and, when the retry is a
/// method the host's background loop calls (like <c>AbortExpiredAsync</c>), a public <c>TransactionManager</c>
/// method whose name mentions "Parked" or "NeedsAttention" and that takes only a <see cref="CancellationToken"/>. Without either, a
/// parked saga is never retried and the <c>[Termination]</c> invariant of <see cref="SimConfig.ParkedSagas"/> fails.
/// </summary>
internal static class ParkedRetry
{
    private static readonly PropertyInfo? Option = typeof(CoordinatorOptions).GetProperty("ParkedSagaRetryInterval", typeof(TimeSpan));

    private static readonly MethodInfo? Method = typeof(TransactionManager).GetMethods(BindingFlags.Public | BindingFlags.Instance)
        .Where(m => (m.Name.Contains("Parked", StringComparison.Ordinal) || m.Name.Contains("NeedsAttention", StringComparison.Ordinal)) && typeof(Task).IsAssignableFrom(m.ReturnType))
        .FirstOrDefault(m => m.GetParameters() is [{ ParameterType: var t }] && t == typeof(CancellationToken));

    /// <summary>Whether the engine has the option.</summary>
    public static bool Available => Option is not null;

    /// <summary>Sets the retry interval when the option exists.</summary>
    public static void Configure(CoordinatorOptions options, TimeSpan interval) => Option?.SetValue(options, interval);

    /// <summary>Runs one retry pass when the engine exposes one (the host's background loop would call it).</summary>
    public static Task? Run(TransactionManager manager) => Method?.Invoke(manager, [CancellationToken.None]) as Task;

    /// <summary>What the engine offers, for the failure message.</summary>
    public static string Describe() =>
        $"ParkedSagaRetryInterval option {(Option is null ? "absent" : "present")}, retry method {(Method?.Name ?? "absent")}";
}
