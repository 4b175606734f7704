using System.ComponentModel.DataAnnotations;

namespace TwoPC.Coordinator;

/// <summary>Coordinator settings (configuration section <c>TwoPC:Coordinator</c>). Validated on start.</summary>
public sealed class CoordinatorOptions : IValidatableObject
{
    /// <summary>
    /// Path of the decision log (LiteDB file). Default <c>data/coordinator.db</c>. A relative path is resolved against
    /// the working directory once, at start; the absolute path and the log's identity are logged then. Another path
    /// is another log: participants prepared under this one are never answered "presumed abort" by it.
    /// </summary>
    [Required]
    public string DataPath { get; set; } = "data/coordinator.db";

    /// <summary>The address participants use to reach this coordinator (sent in Prepare). Default: none.</summary>
    public string? AdvertisedAddress { get; set; }

    /// <summary>Timeout of a transaction whose Begin names none. Default 30 s.</summary>
    public TimeSpan DefaultTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Smallest timeout a client may ask for. Default 100 ms.</summary>
    public TimeSpan MinTimeout { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Largest timeout a client may ask for. Default 1 hour.</summary>
    public TimeSpan MaxTimeout { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Largest Enlist payload. Default 64 KiB.</summary>
    [Range(0, 16 * 1024 * 1024)]
    public int MaxPayloadBytes { get; set; } = 64 * 1024;

    /// <summary>Most branches (2PC) or steps (saga) in one transaction. Default 64.</summary>
    [Range(1, 10_000)]
    public int MaxBranches { get; set; } = 64;

    /// <summary>Deadline of one call to a participant. Default 5 s.</summary>
    public TimeSpan ParticipantCallTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>First delay between retries of phase 2 and of in-doubt resolution. Default 50 ms.</summary>
    public TimeSpan RetryInitialDelay { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Cap of that delay (it doubles, with jitter). Default 5 s.</summary>
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Commit single-branch transactions in one round (no decision record). Default true.</summary>
    public bool OnePhaseCommit { get; set; } = true;

    /// <summary>How often undecided transactions are checked against their deadline. Default 100 ms.</summary>
    public TimeSpan TimeoutCheckInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>How long finished transactions stay in the log before they are forgotten. Default 15 minutes.</summary>
    public TimeSpan FinishedRetention { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>
    /// How long RunSaga reuses a participant's Describe answer (which saga step handlers it hosts) instead of asking
    /// again; default 5 s, zero disables. Failed Describes are never cached, and a cached answer that lacks a handler
    /// the saga needs is refreshed before the saga is rejected, so only "known good" answers are reused.
    /// </summary>
    public TimeSpan DescribeCacheDuration { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Saga: compensation attempts before the saga parks as NEEDS_ATTENTION. Default 10.</summary>
    [Range(1, 1_000_000)]
    public int CompensationAttemptLimit { get; set; } = 10;

    /// <summary>
    /// Saga: how long a saga parked as NEEDS_ATTENTION waits before the coordinator retries its failed compensations
    /// itself, each with a fresh budget of <see cref="CompensationAttemptLimit"/> attempts; the Admin service's
    /// ResumeSaga retries at once. Default 5 minutes.
    /// </summary>
    public TimeSpan ParkedSagaRetryInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Cluster (a shared decision log such as PostgreSQL): how long this instance's lease lasts after each renewal, by
    /// the database's clock. When it expires another instance claims this one's unfinished transactions. Default 3 s.
    /// </summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>Cluster: how often the lease is renewed; must be well below <see cref="LeaseDuration"/>. Default 1 s.</summary>
    public TimeSpan LeaseRenewInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Cluster: how often an instance looks for transactions of expired instances to claim. Default 1 s.</summary>
    public TimeSpan TakeoverScanInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Most writes folded into one group commit. Default 256.</summary>
    [Range(1, 100_000)]
    public int MaxBatchSize { get; set; } = 256;

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        static bool Positive(TimeSpan t) => t > TimeSpan.Zero;
        if (!Positive(MinTimeout)) yield return new("must be > 0", [nameof(MinTimeout)]);
        if (MaxTimeout < MinTimeout) yield return new("must be >= MinTimeout", [nameof(MaxTimeout)]);
        if (DefaultTimeout < MinTimeout || DefaultTimeout > MaxTimeout) yield return new("must lie within MinTimeout..MaxTimeout", [nameof(DefaultTimeout)]);
        if (!Positive(ParticipantCallTimeout)) yield return new("must be > 0", [nameof(ParticipantCallTimeout)]);
        if (!Positive(RetryInitialDelay)) yield return new("must be > 0", [nameof(RetryInitialDelay)]);
        if (RetryMaxDelay < RetryInitialDelay) yield return new("must be >= RetryInitialDelay", [nameof(RetryMaxDelay)]);
        if (!Positive(TimeoutCheckInterval)) yield return new("must be > 0", [nameof(TimeoutCheckInterval)]);
        if (FinishedRetention < TimeSpan.Zero) yield return new("must be >= 0", [nameof(FinishedRetention)]);
        if (!Positive(ParkedSagaRetryInterval)) yield return new("must be > 0", [nameof(ParkedSagaRetryInterval)]);
        if (!Positive(LeaseDuration)) yield return new("must be > 0", [nameof(LeaseDuration)]);
        if (!Positive(LeaseRenewInterval) || LeaseRenewInterval * 2 > LeaseDuration) yield return new("must be > 0 and at most half of LeaseDuration", [nameof(LeaseRenewInterval)]);
        if (!Positive(TakeoverScanInterval)) yield return new("must be > 0", [nameof(TakeoverScanInterval)]);
        if (DescribeCacheDuration < TimeSpan.Zero) yield return new("must be >= 0", [nameof(DescribeCacheDuration)]);
        if (AdvertisedAddress is { Length: > 0 } a && !Uri.TryCreate(a, UriKind.Absolute, out _)) yield return new("must be an absolute URI", [nameof(AdvertisedAddress)]);
    }
}
