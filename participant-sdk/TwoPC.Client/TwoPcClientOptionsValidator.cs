using Microsoft.Extensions.Options;

namespace TwoPC.Client;

/// <summary>Checks <see cref="TwoPcClientOptions"/>: each failure is one line naming the option.</summary>
internal sealed class TwoPcClientOptionsValidator : IValidateOptions<TwoPcClientOptions>
{
    public static readonly TwoPcClientOptionsValidator Instance = new();

    public ValidateOptionsResult Validate(string? name, TwoPcClientOptions options)
    {
        var errors = new List<string>();
        if (options.CoordinatorAddresses is null)
            errors.Add("TwoPcClientOptions.CoordinatorAddresses must not be null (the default is an empty list).");
        if (options.CoordinatorAddress is null && options.CoordinatorAddresses is not { Count: > 0 })
            errors.Add("TwoPcClientOptions.CoordinatorAddress is required (or TwoPcClientOptions.CoordinatorAddresses): the coordinator's absolute http:// or https:// address.");
        if (options.CoordinatorAddress is { } single && !IsHttp(single))
            errors.Add($"TwoPcClientOptions.CoordinatorAddress must be an absolute http:// or https:// URI; got '{single}'.");
        for (var i = 0; i < (options.CoordinatorAddresses?.Count ?? 0); i++)
        {
            var address = options.CoordinatorAddresses![i];
            if (address is null || !IsHttp(address))
                errors.Add($"TwoPcClientOptions.CoordinatorAddresses[{i}] must be an absolute http:// or https:// URI; got '{address?.ToString() ?? "null"}'.");
        }

        if (options.CallTimeout <= TimeSpan.Zero) errors.Add($"TwoPcClientOptions.CallTimeout must be positive; got {options.CallTimeout}.");
        if (options.CompletionTimeout <= TimeSpan.Zero) errors.Add($"TwoPcClientOptions.CompletionTimeout must be positive; got {options.CompletionTimeout}.");
        if (options.Serializer is null) errors.Add("TwoPcClientOptions.Serializer must not be null (the default is TwoPcSerializer.Default).");
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static bool IsHttp(Uri address) => address.IsAbsoluteUri && address.Scheme is ("http" or "https");
}
