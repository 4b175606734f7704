using System.Globalization;

namespace TwoPC.Demo;

/// <summary>Which transaction modes the demo runs.</summary>
internal enum DemoMode
{
    TwoPhase,
    Saga,
}

/// <summary>Command line of the demo.</summary>
internal sealed class DemoOptions
{
    public int Transfers { get; private set; } = 3000;

    public int Concurrency { get; private set; } = 16;

    public IReadOnlyList<DemoMode> Modes { get; private set; } = [DemoMode.TwoPhase, DemoMode.Saga];

    public bool Faults { get; private set; } = true;

    public int Accounts { get; private set; } = 100;

    public long InitialBalance { get; private set; } = 1000;

    public int Seed { get; private set; } = 42;

    public bool KeepData { get; private set; }

    /// <summary>Coordinator instances: 1 (a LiteDB log), or 2..9 over one PostgreSQL database.</summary>
    public int Instances { get; private set; } = 1;

    public const string Usage =
        "usage: dotnet run --project demo/TwoPC.Demo -- [--transfers N] [--concurrency C] [--mode 2pc|saga|both] [--no-faults]\n" +
        "       [--accounts N (per bank)] [--seed S] [--keep-data] [--cluster N (2..9 coordinator instances over PostgreSQL)]";

    public static DemoOptions Parse(IReadOnlyList<string> args)
    {
        var o = new DemoOptions();
        for (var i = 0; i < args.Count; i++)
        {
            string Next() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.\n{Usage}");
            int Positive() => int.TryParse(Next(), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : throw new ArgumentException($"{args[i - 1]} needs a positive number.\n{Usage}");
            switch (args[i])
            {
                case "--transfers": o.Transfers = Positive(); break;
                case "--concurrency": o.Concurrency = Positive(); break;
                case "--accounts": o.Accounts = Positive(); break;
                case "--seed": o.Seed = Positive(); break;
                case "--no-faults": o.Faults = false; break;
                case "--keep-data": o.KeepData = true; break;
                case "--cluster":
                    o.Instances = Positive();
                    if (o.Instances is < 2 or > 9) throw new ArgumentException($"--cluster needs 2..9 instances.\n{Usage}");
                    break;
                case "--mode":
                    o.Modes = Next() switch
                    {
                        "2pc" => [DemoMode.TwoPhase],
                        "saga" => [DemoMode.Saga],
                        "both" => [DemoMode.TwoPhase, DemoMode.Saga],
                        var m => throw new ArgumentException($"unknown mode '{m}'.\n{Usage}"),
                    };
                    break;
                default: throw new ArgumentException($"unknown option '{args[i]}'.\n{Usage}");
            }
        }

        return o;
    }
}
