namespace TwoPC.Participant.Tests.Infrastructure;

/// <summary>Waits for a condition with a timeout (no fixed sleeps).</summary>
internal static class Eventually
{
    public static async Task WaitUntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        while (!condition())
        {
            try
            {
                await Task.Delay(5, cts.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail("Timed out waiting until " + what);
            }
        }
    }

    public static async Task<T> WithTimeout<T>(this Task<T> task, TimeSpan? timeout = null) =>
        await task.WaitAsync(timeout ?? TimeSpan.FromSeconds(10));

    public static async Task WithTimeout(this Task task, TimeSpan? timeout = null) =>
        await task.WaitAsync(timeout ?? TimeSpan.FromSeconds(10));
}
