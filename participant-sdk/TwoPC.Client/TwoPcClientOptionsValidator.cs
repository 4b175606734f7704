using Microsoft.Extensions.Options;

namespace TwoPC.Client;

/// <summary>Checks <see cref="TwoPcClientOptions"/>: each failure is one line naming the option.</summary>
internal sealed class TwoPcClientOptionsValidator : IValidateOptions<TwoPcClientOptions>
{
    public static readonly TwoPcClientOptionsValidator Instance = new();

    public ValidateOptionsResult Validate(string? name, TwoPcClientOptions options)
    {
        var errors = new List<string>();
        if (options.CoordinatorAddress is null)
            errors.Add("TwoPcClientOptions.CoordinatorAddress is required: the coordinator's absolute http:// or https:// address.");
        else if (!options.CoordinatorAddress.IsAbsoluteUri || options.CoordinatorAddress.Scheme is not ("http" or "https"))
            errors.Add($"TwoPcClientOptions.CoordinatorAddress must be an absolute http:// or https:// URI; got '{options.CoordinatorAddress}'.");
        if (options.CallTimeout <= TimeSpan.Zero) errors.Add($"TwoPcClientOptions.CallTimeout must be positive; got {options.CallTimeout}.");
        if (options.CompletionTimeout <= TimeSpan.Zero) errors.Add($"TwoPcClientOptions.CompletionTimeout must be positive; got {options.CompletionTimeout}.");
        if (options.Serializer is null) errors.Add("TwoPcClientOptions.Serializer must not be null (the default is TwoPcSerializer.Default).");
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
