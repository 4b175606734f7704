namespace TwoPC.IntegrationTests.Support;

/// <summary>Finds the repository and the built executables of the projects this test project references.</summary>
internal static class Paths
{
    public static string RepoRoot { get; } = FindRoot();

    /// <summary>The built dll of a project, in the same configuration as the tests (Debug or Release).</summary>
    public static string Executable(string projectDir, string assembly)
    {
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
        var path = Path.Combine(RepoRoot, projectDir, "bin", configuration, "net10.0", assembly + ".dll");
        if (!File.Exists(path)) throw new FileNotFoundException($"{assembly} is not built; build the solution first", path);
        return path;
    }

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "TwoPC.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new DirectoryNotFoundException("TwoPC.sln not found above " + AppContext.BaseDirectory);
    }
}
