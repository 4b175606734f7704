namespace TwoPC.Samples.Bank;

/// <summary>One leg of a transfer: add <see cref="Amount"/> (negative for a debit) to <see cref="Account"/>.</summary>
public sealed record Transfer(string Account, long Amount);
