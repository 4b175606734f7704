using System.Reflection;

namespace TwoPC.Benchmarks;

/// <summary>
/// Finds the coordinator and participant dlls. The build records their output paths as assembly metadata
/// (see the csproj); if a file is missing there (copied binaries, other configuration), the usual bin folders
/// under the repository are searched.
/// </summary>
internal static class ProcessLocator
{
    public static string Find(string assemblyName, string projectDirectory)
    {
        var recorded = typeof(ProcessLocator).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "process:" + assemblyName)?.Value;
        if (recorded is not null && File.Exists(recorded)) return recorded;

        var root = RepositoryRoot.Find();
        var candidates = new[] { "Release", "Debug" }
            .Select(c => Path.Combine(root, projectDirectory, "bin", c, "net10.0", assemblyName + ".dll"))
            .Where(File.Exists)
            .OrderByDescending(File.GetLastWriteTimeUtc)
            .ToList();
        return candidates.FirstOrDefault()
            ?? throw new FileNotFoundException($"{assemblyName}.dll not found (recorded path: {recorded ?? "none"}). Build the solution first: dotnet build -c Release");
    }
}

/// <summary>The directory holding TwoPC.sln, found upwards from the working directory or the binaries.</summary>
internal static class RepositoryRoot
{
    public static string Find()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "TwoPC.sln"))) return dir.FullName;
            }
        }

        return Directory.GetCurrentDirectory();
    }
}
