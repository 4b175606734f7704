namespace TwoPC.Participant.Hosting;

/// <summary>Options of the participant endpoint, validated when the host starts.</summary>
public sealed class ParticipantOptions
{
    /// <summary>
    /// Coordinator asked about in-doubt branches whose prepared record carries no coordinator address, and after
    /// the recorded one cannot answer; the same as a one-element <see cref="CoordinatorAddresses"/>, asked before
    /// the addresses listed there. Optional.
    /// </summary>
    public Uri? CoordinatorAddress { get; set; }

    /// <summary>
    /// Coordinator instances sharing the decision log, asked in order about an in-doubt branch when the instance its
    /// prepared record names cannot answer (down, or not the owner and naming none). Default empty.
    /// </summary>
    public IList<Uri> CoordinatorAddresses { get; set; } = new List<Uri>();

    /// <summary>This participant's own gRPC address, used by self-enlistment (<c>EnlistSelfAsync</c>). Optional.</summary>
    public Uri? AdvertisedAddress { get; set; }

    /// <summary>First delay between attempts to resolve an in-doubt branch; doubles with jitter. Default 200 ms.</summary>
    public TimeSpan InDoubtRetryInitial { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Upper bound of the in-doubt retry delay. Default 5 s.</summary>
    public TimeSpan InDoubtRetryMax { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// While running, a branch prepared for longer than this without Commit or Abort is resolved by asking the
    /// coordinator. Default 30 s.
    /// </summary>
    public TimeSpan InDoubtCheckAfter { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Largest Prepare / Execute / Compensate payload accepted, in bytes. Default 64 KiB.</summary>
    public int MaxPayloadBytes { get; set; } = 64 * 1024;
}
