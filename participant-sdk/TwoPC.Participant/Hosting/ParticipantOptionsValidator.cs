using Microsoft.Extensions.Options;

namespace TwoPC.Participant.Hosting;

/// <summary>Checks <see cref="ParticipantOptions"/> at start.</summary>
internal sealed class ParticipantOptionsValidator : IValidateOptions<ParticipantOptions>
{
    public ValidateOptionsResult Validate(string? name, ParticipantOptions options)
    {
        var errors = new List<string>();
        if (options.CoordinatorAddress is { IsAbsoluteUri: false }) errors.Add("ParticipantOptions.CoordinatorAddress must be absolute.");
        if (options.CoordinatorAddresses is null) errors.Add("ParticipantOptions.CoordinatorAddresses must not be null (the default is an empty list).");
        for (var i = 0; i < (options.CoordinatorAddresses?.Count ?? 0); i++)
        {
            if (options.CoordinatorAddresses![i] is not { IsAbsoluteUri: true, Scheme: "http" or "https" })
                errors.Add($"ParticipantOptions.CoordinatorAddresses[{i}] must be an absolute http:// or https:// URI; got '{options.CoordinatorAddresses[i]?.ToString() ?? "null"}'.");
        }

        if (options.AdvertisedAddress is { IsAbsoluteUri: false }) errors.Add("ParticipantOptions.AdvertisedAddress must be absolute.");
        if (options.InDoubtRetryInitial <= TimeSpan.Zero) errors.Add("ParticipantOptions.InDoubtRetryInitial must be positive.");
        if (options.InDoubtRetryMax < options.InDoubtRetryInitial) errors.Add("ParticipantOptions.InDoubtRetryMax must be at least InDoubtRetryInitial.");
        if (options.InDoubtCheckAfter <= TimeSpan.Zero) errors.Add("ParticipantOptions.InDoubtCheckAfter must be positive.");
        if (options.MaxPayloadBytes is < 1 or > 16 * 1024 * 1024) errors.Add("ParticipantOptions.MaxPayloadBytes must be 1..16 MiB.");
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
