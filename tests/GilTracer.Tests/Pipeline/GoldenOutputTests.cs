using Xunit.Abstractions;
using System.IO.Compression;
using System.Text;
using GilTracer.Tests.Cli;
using GilTracer.Tests.Integration;

namespace GilTracer.Tests.Pipeline;

/// <summary>
/// The outputs of valid recordings do not change by accident: the table, summary.json, trace.json, the report's
/// embedded data and the folded stacks of every committed recording, byte for byte, against goldens made by an
/// earlier build. TestData/run is a whole `run --state --functions` folder (perf.data, sched.data, threads.jsonl,
/// functions/), so the run path's sched merge and functions join are covered too.
/// A deliberate change regenerates them: GILTRACER_UPDATE_GOLDENS=1 dotnet test --filter GoldenOutputTests,
/// then review the diff of TestData/golden.
/// </summary>
public class GoldenOutputTests(ITestOutputHelper output)
{
    public static TheoryData<string, string[]> Cases => new()
    {
        { "text-gil", ["gil", "two_threads_gil.txt"] },
        { "text-sched-pertask", ["sched", "sched_pertask.txt"] },
        { "text-auto-systemwide", ["auto", "state_systemwide.txt"] },
        { "text-auto-stacks", ["auto", "sched_stacks.txt"] },
        { "script-gil", ["gil", "perfdata/gil.script.txt"] },
        { "perfdata-gil", ["gil", "perfdata/gil.perf.data"] },
        { "perfdata-lost", ["gil", "perfdata/lost.perf.data"] },
        { "perfdata-sched", ["auto", "perfdata/sched.perf.data"] },
        { "perfdata-callchain", ["auto", "perfdata/callchain.perf.data"] },
        { "functions-hog312", ["gil", "functions/hog312/perf.txt.gz", "--functions", "functions/hog312"] },
        { "run-state-functions", ["auto", "run/perf.data", "--functions", "run/functions"] },
    };

    static readonly System.Text.RegularExpressions.Regex VersionField = new("(\"giltracer_version\":\\s*\")[^\"]*\"");

    static readonly string[] Outputs = ["stdout.txt", "summary.json", "trace.json", "report-data.json",
        "flame-holding.folded", "flame-waiting.folded", "flame-offgil.folded"];

    [Theory]
    [MemberData(nameof(Cases))]
    public void OutputsMatchTheGoldens(string name, string[] args)
    {
        var data = TestSupport.DataPath("");
        var dir = Repo.TempDir();
        var argv = new List<string> { "convert" };
        foreach (var a in args)
            argv.Add(a.StartsWith('-') || a is "gil" or "sched" or "auto" ? a : Materialize(Path.Combine(data, a), dir));
        argv.AddRange(["-o", dir]);
        // piped, without COLUMNS: the table as a user gets it in a file or a pipe, never wrapped
        var r = CliRunner.Run(argv, new Dictionary<string, string> { ["COLUMNS"] = "", ["NO_COLOR"] = "1" });
        Assert.True(r.ExitCode == 0, r.Stderr);

        // giltracer_version is the build's: a new version is no change of the outputs
        string Normalize(string s) => VersionField.Replace(s.Replace(dir, "<OUT>").Replace(data.TrimEnd('/'), "<DATA>"), "${1}<VERSION>\"");
        var actual = new Dictionary<string, string> { ["stdout.txt"] = Normalize(r.Stdout) };
        foreach (var f in Outputs.Skip(1))
        {
            var path = Path.Combine(dir, f == "report-data.json" ? "report.html" : f);
            if (!File.Exists(path)) continue;
            var text = File.ReadAllText(path);
            actual[f] = Normalize(f == "report-data.json" ? ReportData(text) : text);
        }

        var goldenDir = Path.Combine(Repo.Root, "tests/GilTracer.Tests/TestData/golden", name);
        if (Environment.GetEnvironmentVariable("GILTRACER_UPDATE_GOLDENS") == "1")
        {
            if (Directory.Exists(goldenDir)) Directory.Delete(goldenDir, true);
            Directory.CreateDirectory(goldenDir);
            foreach (var (f, text) in actual) Write(Path.Combine(goldenDir, f + ".gz"), text);
            output.WriteLine($"wrote {actual.Count} goldens to {goldenDir}");
            return;
        }
        var expected = Directory.GetFiles(goldenDir, "*.gz").ToDictionary(p => Path.GetFileName(p)[..^3], Read);
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (f, text) in expected)
            AssertSameText(name + "/" + f, text, actual[f]);
    }

    /// <summary>The input as the test reads it: gzipped fixtures are unpacked into the output folder first.</summary>
    static string Materialize(string path, string dir)
    {
        if (!path.EndsWith(".gz")) return path;
        var target = Path.Combine(dir, Path.GetFileName(path)[..^3]);
        using (var gz = new GZipStream(File.OpenRead(path), CompressionMode.Decompress))
        using (var f = File.Create(target)) gz.CopyTo(f);
        return target;
    }

    static string ReportData(string html)
    {
        const string open = "<script type=\"application/json\" id=\"data\">";
        int start = html.IndexOf(open, StringComparison.Ordinal) + open.Length;
        return html[start..html.IndexOf("</script>", start, StringComparison.Ordinal)];
    }

    static void AssertSameText(string what, string expected, string actual)
    {
        if (expected == actual) return;
        int i = 0;
        while (i < Math.Min(expected.Length, actual.Length) && expected[i] == actual[i]) i++;
        string Around(string s) => s.Substring(Math.Max(0, i - 120), Math.Min(s.Length - Math.Max(0, i - 120), 240));
        Assert.Fail($"{what} differs from its golden at char {i}:\nexpected …{Around(expected)}…\nactual   …{Around(actual)}…");
    }

    static void Write(string path, string text)
    {
        using var gz = new GZipStream(File.Create(path), CompressionLevel.SmallestSize);
        gz.Write(Encoding.UTF8.GetBytes(text));
    }

    static string Read(string path)
    {
        using var gz = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        using var r = new StreamReader(gz, Encoding.UTF8);
        return r.ReadToEnd();
    }
}
