using TwoPC.Coordinator.Participants;
using TwoPC.Coordinator.Transactions;

namespace TwoPC.Coordinator.Protocols.Saga;

public sealed partial class SagaProcessor
{
    /// <summary>How long validation waits for a participant's Describe.</summary>
    public static readonly TimeSpan DescribeTimeout = TimeSpan.FromSeconds(2);

    // Describe answers per participant address, kept for CoordinatorOptions.DescribeCacheDuration.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (HashSet<string> SagaSteps, DateTimeOffset Until)> _described = new(StringComparer.Ordinal);

    /// <summary>Checks a saga definition without any I/O; throws <see cref="InvalidRequestException"/>.</summary>
    public void Validate(IReadOnlyList<SagaStepRecord> steps)
    {
        if (steps.Count == 0) throw new InvalidRequestException("steps", "a saga needs at least one step");
        if (steps.Count > engine.Options.MaxBranches)
            throw new InvalidRequestException("steps", $"the saga has {steps.Count} steps; the limit is {engine.Options.MaxBranches}");
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < steps.Count; i++)
        {
            var s = steps[i];
            var at = $"steps[{i}]";
            RequestValidation.Name(s.Name, at + ".name");
            if (!names.Add(s.Name)) throw new InvalidRequestException(at + ".name", $"duplicate step name '{s.Name}'; step names must be unique in a saga");
            RequestValidation.Address(s.ParticipantAddress, at + ".participant_address");
            RequestValidation.Name(s.Resource, at + ".resource");
            if (s.Group < 0) throw new InvalidRequestException(at + ".group", $"step '{s.Name}': group must not be negative");
            if (!s.Optional && s.CompensationPayload is null)
                throw new InvalidRequestException(at + ".compensation_payload", $"step '{s.Name}' is required but has no compensation; only optional steps may omit it");
            CheckPayload(s.ActionPayload, at + ".action_payload");
            if (s.CompensationPayload is { } comp) CheckPayload(comp, at + ".compensation_payload");
            if (s.MaxAttempts is < 1 or > ProtocolLimits.MaxStepAttempts)
                throw new InvalidRequestException(at + ".retry.max_attempts", $"step '{s.Name}': must be between 0 (default) and {ProtocolLimits.MaxStepAttempts}");
            CheckDuration(s.InitialBackoff, at + ".retry.initial_backoff");
            CheckDuration(s.MaxBackoff, at + ".retry.max_backoff");
            CheckDuration(s.Timeout, at + ".timeout");
        }
    }

    private void CheckPayload(byte[] payload, string field)
    {
        if (payload.Length > engine.Options.MaxPayloadBytes)
            throw new InvalidRequestException(field, $"is {payload.Length} bytes; the limit is {engine.Options.MaxPayloadBytes}");
    }

    private static void CheckDuration(TimeSpan value, string field)
    {
        if (value <= TimeSpan.Zero) throw new InvalidRequestException(field, "must be positive");
        if (value > ProtocolLimits.MaxStepDuration) throw new InvalidRequestException(field, $"{value} is too large; the limit is {ProtocolLimits.MaxStepDuration}");
    }

    /// <summary>
    /// Asks every distinct participant (in parallel, with a short deadline) which saga steps it hosts, and rejects
    /// the saga unless each step's handler is there. Nothing runs on a saga whose participant cannot be reached.
    /// </summary>
    public async Task CheckParticipantsAsync(IReadOnlyList<SagaStepRecord> steps, CancellationToken cancellationToken)
    {
        var hosted = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        List<string>? ask = null;
        foreach (var s in steps)
        {
            if (hosted.ContainsKey(s.ParticipantAddress) || ask?.Contains(s.ParticipantAddress) == true) continue;
            // A fresh cached answer is used only if it names every handler this saga needs there; otherwise ask again.
            if (_described.TryGetValue(s.ParticipantAddress, out var cached) && cached.Until > engine.Now
                && steps.All(t => t.ParticipantAddress != s.ParticipantAddress || cached.SagaSteps.Contains(t.Resource)))
                hosted[s.ParticipantAddress] = cached.SagaSteps;
            else
                (ask ??= []).Add(s.ParticipantAddress);
        }

        if (ask is not null)
        {
            var described = await Task.WhenAll(ask.Select(a => DescribeAsync(a, cancellationToken))).ConfigureAwait(false);
            for (var i = 0; i < ask.Count; i++) hosted[ask[i]] = described[i];
        }

        for (var i = 0; i < steps.Count; i++)
        {
            var s = steps[i];
            if (!hosted[s.ParticipantAddress].Contains(s.Resource))
                throw new InvalidRequestException($"steps[{i}].resource", $"step '{s.Name}': the participant at {s.ParticipantAddress} hosts no saga step handler '{s.Resource}'");
        }
    }

    private async Task<HashSet<string>> DescribeAsync(string address, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(DescribeTimeout, engine.Time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
        try
        {
            var (_, sagaSteps) = await engine.Participants.DescribeAsync(address, linked.Token).ConfigureAwait(false);
            var set = new HashSet<string>(sagaSteps, StringComparer.Ordinal);
            // Only answers are cached: an address whose Describe failed is asked again next time.
            if (engine.Options.DescribeCacheDuration > TimeSpan.Zero) _described[address] = (set, engine.Now + engine.Options.DescribeCacheDuration);
            return set;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // Not bad input: the participant may be restarting. Nothing was recorded or run; the client may retry.
            throw new RetryLaterException($"steps: participant at {address} did not answer Describe within {DescribeTimeout}; nothing ran, retry");
        }
        catch (ParticipantUnreachableException ex)
        {
            throw new RetryLaterException($"steps: participant at {address} did not answer Describe ({ex.Message}); nothing ran, retry", ex);
        }
        catch (ParticipantRejectedException ex)
        {
            throw new InvalidRequestException("steps", $"participant at {address} rejected Describe: {ex.Message}");
        }
    }
}
