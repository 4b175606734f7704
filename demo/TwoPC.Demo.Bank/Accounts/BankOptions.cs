namespace TwoPC.Demo.Bank.Accounts;

/// <summary>Bank settings (configuration section <c>Bank</c>).</summary>
public sealed class BankOptions
{
    /// <summary>The bank's name, used in logs. Default <c>bank</c>.</summary>
    public string Name { get; set; } = "bank";

    /// <summary>Number of accounts, numbered 0..Accounts-1. Default 100.</summary>
    public int Accounts { get; set; } = 100;

    /// <summary>Balance of an account that was never written. Default 1000.</summary>
    public long InitialBalance { get; set; } = 1000;

    /// <summary>How long a transfer's Prepare waits for another transfer's lock before voting ABORT. Default 100 ms.</summary>
    public TimeSpan LockWait { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>How long an audit's Prepare waits for the transfers' locks to drain before voting ABORT. Default 1 s.</summary>
    public TimeSpan AuditLockWait { get; set; } = TimeSpan.FromSeconds(1);
}
