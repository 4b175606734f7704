using System.Text.RegularExpressions;

namespace TwoPC.IntegrationTests.Samples;

/// <summary>
/// README shows exactly the compiled samples: every <c>&lt;!-- snippet: file#name --&gt;</c> marker is followed by a
/// code block equal to the region between <c>// begin-snippet: name</c> and <c>// end-snippet</c> in that file.
/// </summary>
public sealed partial class ReadmeShowsTheSamplesTests
{
    private static readonly string Root = FindRoot();

    [Fact]
    public void EverySnippetInReadme_IsTheRegionOfItsSampleFile()
    {
        var readme = File.ReadAllText(Path.Combine(Root, "README.md"));
        var markers = SnippetMarker().Matches(readme);
        Assert.True(markers.Count >= 5, $"README shows {markers.Count} sample snippets; expected the five of samples/TwoPC.Samples");
        foreach (Match marker in markers)
        {
            var file = marker.Groups["file"].Value;
            var expected = Region(Path.Combine(Root, file), marker.Groups["name"].Value);
            var shown = marker.Groups["code"].Value.Replace("\r\n", "\n").TrimEnd('\n');
            Assert.True(expected == shown, $"README's snippet {file}#{marker.Groups["name"].Value} differs from the file:\n--- file\n{expected}\n--- README\n{shown}");
        }
    }

    private static string Region(string path, string name)
    {
        var lines = File.ReadAllLines(path);
        var begin = Array.FindIndex(lines, l => l.Trim() == "// begin-snippet: " + name);
        var end = Array.FindIndex(lines, begin + 1, l => l.Trim() == "// end-snippet");
        Assert.True(begin >= 0 && end > begin, $"{path} has no region '{name}'");
        var body = lines[(begin + 1)..end];
        var indent = body.Where(l => l.Trim().Length > 0).Min(l => l.Length - l.TrimStart().Length);
        return string.Join("\n", body.Select(l => l.Length >= indent ? l[indent..] : l.TrimStart()));
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "TwoPC.sln"))) return dir.FullName;
        }

        throw new InvalidOperationException("TwoPC.sln not found above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex(@"<!-- snippet: (?<file>[^#\s]+)#(?<name>[\w-]+) -->\r?\n```csharp\r?\n(?<code>.*?)```", RegexOptions.Singleline)]
    private static partial Regex SnippetMarker();
}
