using System.Reflection;

namespace TwoPC.Demo.Cluster;

/// <summary>The coordinator and bank dlls the demo starts (built with it through its project references).</summary>
internal sealed record Binaries(string CoordinatorDll, string BankDll)
{
    public static Binaries Locate()
    {
        var metadata = typeof(Binaries).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .ToDictionary(a => a.Key, a => a.Value ?? "", StringComparer.Ordinal);
        var binaries = new Binaries(metadata["TwoPC.CoordinatorDll"], metadata["TwoPC.BankDll"]);
        foreach (var dll in new[] { binaries.CoordinatorDll, binaries.BankDll })
            if (!File.Exists(dll)) throw new FileNotFoundException($"{dll} is missing: build the demo project (dotnet build demo/TwoPC.Demo).", dll);
        return binaries;
    }
}
