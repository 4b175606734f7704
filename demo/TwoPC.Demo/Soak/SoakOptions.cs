using System.Globalization;

namespace TwoPC.Demo.Soak;

/// <summary>Command line of <c>soak</c>.</summary>
internal sealed class SoakOptions
{
    /// <summary>Length of the load, split evenly between the concurrency levels. Default 30 s.</summary>
    public TimeSpan Duration { get; private set; } = TimeSpan.FromSeconds(30);

    /// <summary>Concurrency levels, run one after the other on the same cluster. Default 16 then 64.</summary>
    public IReadOnlyList<int> Concurrency { get; private set; } = [16, 64];

    /// <summary>Accounts in total (half per bank). Default 1000.</summary>
    public int Accounts { get; private set; } = 1000;

    /// <summary>Share of transfers (percent) that touch one of the two hot accounts (account 0 of each bank). Default 50.</summary>
    public int HotPercent { get; private set; } = 50;

    /// <summary>Timeout of each transfer transaction. Default 5 s; "nothing in doubt" is checked against twice this.</summary>
    public TimeSpan TransactionTimeout { get; private set; } = TimeSpan.FromSeconds(5);

    /// <summary>The nemesis kills the coordinator every KillMin..KillMax. Default 5..10 s.</summary>
    public TimeSpan KillMin { get; private set; } = TimeSpan.FromSeconds(5);

    public TimeSpan KillMax { get; private set; } = TimeSpan.FromSeconds(10);

    public long InitialBalance { get; private set; } = 1000;

    public int Seed { get; private set; } = 42;

    public bool KeepData { get; private set; }

    public int AccountsPerBank => Accounts / 2;

    public const string Usage =
        "usage: dotnet run --project demo/TwoPC.Demo -- soak [--duration SECONDS] [--concurrency 16,64] [--accounts N (total)]\n" +
        "       [--hot-percent P] [--timeout SECONDS] [--kill-every MIN,MAX (seconds)] [--seed S] [--keep-data]";

    public static SoakOptions Parse(IReadOnlyList<string> args)
    {
        var o = new SoakOptions();
        for (var i = 0; i < args.Count; i++)
        {
            string Next() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.\n{Usage}");
            int Number(string text, int min) => int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= min
                ? n
                : throw new ArgumentException($"{args[i - 1]}: '{text}' is not a number >= {min}.\n{Usage}");
            List<int> Numbers(int min) => Next().Split(',').Select(t => Number(t, min)).ToList();
            switch (args[i])
            {
                case "--duration": o.Duration = TimeSpan.FromSeconds(Number(Next(), 1)); break;
                case "--concurrency": o.Concurrency = Numbers(1); break;
                case "--accounts": o.Accounts = Number(Next(), 4); break;
                case "--hot-percent": o.HotPercent = Math.Min(100, Number(Next(), 0)); break;
                case "--timeout": o.TransactionTimeout = TimeSpan.FromSeconds(Number(Next(), 1)); break;
                case "--seed": o.Seed = Number(Next(), 0); break;
                case "--keep-data": o.KeepData = true; break;
                case "--kill-every":
                    var k = Numbers(1);
                    if (k.Count != 2 || k[0] > k[1]) throw new ArgumentException($"--kill-every needs MIN,MAX.\n{Usage}");
                    (o.KillMin, o.KillMax) = (TimeSpan.FromSeconds(k[0]), TimeSpan.FromSeconds(k[1]));
                    break;
                default: throw new ArgumentException($"unknown option '{args[i]}'.\n{Usage}");
            }
        }

        return o;
    }
}
