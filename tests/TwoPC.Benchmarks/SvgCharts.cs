using System.Globalization;
using System.Text;

namespace TwoPC.Benchmarks;

/// <summary>Hand-written SVG line charts: throughput and latency against concurrency (log-scaled x axis).</summary>
internal static class SvgCharts
{
    private const int Width = 720;
    private const int Height = 420;
    private const int Left = 80;
    private const int Right = 170;
    private const int Top = 50;
    private const int Bottom = 60;
    private static readonly Dictionary<string, string> Colors = new()
    {
        ["floor"] = "#7f7f7f", ["2pc"] = "#1f77b4", ["saga"] = "#d62728",
        ["2pc p50"] = "#1f77b4", ["2pc p99"] = "#1f77b4", ["saga p50"] = "#d62728", ["saga p99"] = "#d62728",
        ["floor p50"] = "#7f7f7f", ["floor p99"] = "#7f7f7f",
    };

    public static void Write(string directory, IReadOnlyList<LevelResult> results, string subtitle)
    {
        Directory.CreateDirectory(directory);
        var throughput = results.GroupBy(r => r.Mode).ToDictionary(g => g.Key, g => g.Select(r => (r.Concurrency, r.Tps)).ToList());
        File.WriteAllText(Path.Combine(directory, "bench-throughput.svg"), Chart("Throughput vs concurrency", subtitle, "committed tx/s", throughput));
        var latency = new Dictionary<string, List<(int, double)>>();
        foreach (var g in results.GroupBy(r => r.Mode))
        {
            latency[g.Key + " p50"] = g.Select(r => (r.Concurrency, r.P50Ms)).ToList();
            latency[g.Key + " p99"] = g.Select(r => (r.Concurrency, r.P99Ms)).ToList();
        }

        File.WriteAllText(Path.Combine(directory, "bench-latency.svg"), Chart("Latency vs concurrency", subtitle, "ms (p50 solid, p99 dashed)", latency));
    }

    private static string Chart(string title, string subtitle, string yLabel, Dictionary<string, List<(int X, double Y)>> series)
    {
        var xs = series.Values.SelectMany(s => s.Select(p => p.X)).Distinct().Order().ToList();
        var yMax = NiceMax(series.Values.SelectMany(s => s.Select(p => p.Y)).Where(double.IsFinite).DefaultIfEmpty(1).Max());
        double minLog = Math.Log2(xs.FirstOrDefault(1)), maxLog = Math.Log2(xs.LastOrDefault(1));
        double plotW = Width - Left - Right, plotH = Height - Top - Bottom;
        double X(int x) => Left + (maxLog == minLog ? plotW / 2 : (Math.Log2(x) - minLog) / (maxLog - minLog) * plotW);
        double Y(double y) => Top + plotH - y / yMax * plotH;

        var svg = new StringBuilder();
        svg.Append(F($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height}\" viewBox=\"0 0 {Width} {Height}\" font-family=\"sans-serif\" font-size=\"12\">\n"));
        svg.Append(F($"<rect width=\"{Width}\" height=\"{Height}\" fill=\"white\"/>\n"));
        svg.Append(F($"<text x=\"{Left}\" y=\"22\" font-size=\"16\" font-weight=\"bold\">{Escape(title)}</text>\n"));
        svg.Append(F($"<text x=\"{Left}\" y=\"40\" fill=\"#555\">{Escape(subtitle)}</text>\n"));
        for (var i = 0; i <= 5; i++)
        {
            var v = yMax * i / 5;
            svg.Append(F($"<line x1=\"{Left}\" y1=\"{Y(v):F1}\" x2=\"{Left + plotW}\" y2=\"{Y(v):F1}\" stroke=\"#e5e5e5\"/>\n"));
            svg.Append(F($"<text x=\"{Left - 6}\" y=\"{Y(v) + 4:F1}\" text-anchor=\"end\">{v:G4}</text>\n"));
        }

        foreach (var x in xs)
        {
            svg.Append(F($"<line x1=\"{X(x):F1}\" y1=\"{Top}\" x2=\"{X(x):F1}\" y2=\"{Top + plotH}\" stroke=\"#f0f0f0\"/>\n"));
            svg.Append(F($"<text x=\"{X(x):F1}\" y=\"{Top + plotH + 18}\" text-anchor=\"middle\">{x}</text>\n"));
        }

        svg.Append(F($"<line x1=\"{Left}\" y1=\"{Top + plotH}\" x2=\"{Left + plotW}\" y2=\"{Top + plotH}\" stroke=\"black\"/>\n"));
        svg.Append(F($"<line x1=\"{Left}\" y1=\"{Top}\" x2=\"{Left}\" y2=\"{Top + plotH}\" stroke=\"black\"/>\n"));
        svg.Append(F($"<text x=\"{Left + plotW / 2}\" y=\"{Height - 15}\" text-anchor=\"middle\">concurrency (closed-loop clients, log scale)</text>\n"));
        svg.Append(F($"<text transform=\"translate(20 {Top + plotH / 2}) rotate(-90)\" text-anchor=\"middle\">{Escape(yLabel)}</text>\n"));

        var legendY = Top + 10;
        foreach (var (name, points) in series)
        {
            var color = Colors.GetValueOrDefault(name, "#2ca02c");
            var dash = name.EndsWith(" p99", StringComparison.Ordinal) ? " stroke-dasharray=\"6 4\"" : "";
            var finite = points.Where(p => double.IsFinite(p.Y)).OrderBy(p => p.X).ToList();
            var path = string.Join(' ', finite.Select(p => F($"{X(p.X):F1},{Y(p.Y):F1}")));
            svg.Append(F($"<polyline points=\"{path}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"2\"{dash}/>\n"));
            foreach (var p in finite) svg.Append(F($"<circle cx=\"{X(p.X):F1}\" cy=\"{Y(p.Y):F1}\" r=\"3\" fill=\"{color}\"><title>{Escape(name)} c={p.X}: {p.Y:F2}</title></circle>\n"));
            var lx = Left + plotW + 15;
            svg.Append(F($"<line x1=\"{lx}\" y1=\"{legendY}\" x2=\"{lx + 25}\" y2=\"{legendY}\" stroke=\"{color}\" stroke-width=\"2\"{dash}/>\n"));
            svg.Append(F($"<text x=\"{lx + 32}\" y=\"{legendY + 4}\">{Escape(name)}</text>\n"));
            legendY += 20;
        }

        svg.Append("</svg>\n");
        return svg.ToString();
    }

    private static double NiceMax(double max)
    {
        if (max <= 0) return 1;
        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(max)));
        foreach (var step in new[] { 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10 })
        {
            if (step * magnitude >= max) return step * magnitude;
        }

        return 10 * magnitude;
    }

    private static string F(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    private static string Escape(string s) => s.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal);
}
