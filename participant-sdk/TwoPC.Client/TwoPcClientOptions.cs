namespace TwoPC.Client;

/// <summary>Options of <see cref="TwoPcClient"/>.</summary>
public sealed class TwoPcClientOptions
{
    /// <summary>The coordinator's gRPC address (absolute http:// or https:// URI). Required.</summary>
    public Uri? CoordinatorAddress { get; set; }

    /// <summary>Deadline of each call to the coordinator other than Commit and RunSaga. Default 10 s.</summary>
    public TimeSpan CallTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Deadline of Commit and RunSaga calls, which wait for the protocol to finish. Default 60 s.</summary>
    public TimeSpan CompletionTimeout { get; set; } = TimeSpan.FromSeconds(60);
}
