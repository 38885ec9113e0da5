using System.Security.Cryptography;
using System.Text;
using GilTracer.Core.Model;

namespace GilTracer.Core.Render.Html;

public sealed record HtmlReportOptions
{
    /// <summary>Shown as the page title, e.g. the traced command line. Untrusted: written as JSON data only.</summary>
    public string? Title { get; init; }
    /// <summary>Spans kept exactly before the shortest are merged (level of detail). 1M spans open in about a second.</summary>
    public int MaxStoredSpans { get; init; } = 2_000_000;
    /// <summary>Python calls kept for the tooltip; past this the shortest are dropped.</summary>
    public int MaxFunctionSpans { get; init; } = 500_000;
}

/// <summary>
/// The self-contained HTML report: collects intervals as the analyzer streams them and the function tracer's calls,
/// then <see cref="Write(GilReport, Stream)"/> writes one file with the page's HTML, CSS and JS (embedded resources)
/// and the data as JSON in a <c>script type="application/json"</c> block: the report's numbers as summary.json has
/// them, the timelines, and the report's flame graphs. Nothing from the trace is ever written as markup; a
/// Content-Security-Policy with hashes lets only our own script and style run and forbids every network request.
/// </summary>
public sealed class HtmlReportRenderer : IReportOutput, IIntervalSink
{
    static readonly string[] ScriptParts = ["format.js", "timeline.js", "view.js", "tables.js", "flame.js", "main.js"];

    readonly HtmlReportOptions _options;
    readonly SpanCollector _spans;
    readonly FunctionSpanStore _functions;
    readonly (OutputFiles Files, string Path)? _destination;

    /// <summary>A report written by <see cref="Write(GilReport, Stream)"/> or <see cref="Write(GilReport, string)"/>.</summary>
    public HtmlReportRenderer(HtmlReportOptions? options = null)
    {
        _options = options ?? new HtmlReportOptions();
        _spans = new SpanCollector(_options.MaxStoredSpans);
        _functions = new FunctionSpanStore(_options.MaxFunctionSpans);
    }

    /// <summary>An output of a pass: <see cref="Write(GilReport)"/> writes it to path.</summary>
    public HtmlReportRenderer(OutputFiles files, string path, HtmlReportOptions? options = null) : this(options) =>
        _destination = (files, path);

    public long ReceivedSpans => _spans.ReceivedSpans;
    public long StoredSpans => _spans.StoredSpans;
    /// <summary>True when spans were merged to stay within <see cref="HtmlReportOptions.MaxStoredSpans"/>.</summary>
    public bool Downsampled => _spans.MergeThresholdNs > 0;

    public void OnGilInterval(in GilInterval interval) => _spans.AddGil(interval);

    public void OnSchedInterval(in SchedInterval interval) => _spans.AddSched(interval);

    /// <summary>Python calls (--functions): the tooltip names the innermost call at the hovered time.</summary>
    public void OnFunctionCalls(FunctionCalls calls)
    {
        var names = new Dictionary<int, string>();
        foreach (var c in calls.Calls)
        {
            if (!names.TryGetValue(c.FunctionId, out var name)) names[c.FunctionId] = name = calls.Function(c.FunctionId).Display;
            _functions.Add(calls.Pid, c.Tid, c.StartNs, c.EndNs, c.Depth, name);
        }
    }

    public void Write(GilReport report)
    {
        var (files, path) = _destination ?? throw new InvalidOperationException("this report has no file: use Write(report, stream)");
        using var file = files.Create(path);
        Write(report, file);
    }

    public void Write(GilReport report, string path)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        Write(report, file);
    }

    public void Write(GilReport report, Stream output)
    {
        _spans.SortAll();
        var template = ReadAsset("report.html");
        var css = ReadAsset("report.css");
        var js = "(() => {\n\"use strict\";\n" + string.Concat(ScriptParts.Select(p => ReadAsset(p) + "\n")) + "})();\n";
        var csp = $"default-src 'none'; script-src '{Sha256(js)}'; style-src '{Sha256(css)}'; img-src data:; base-uri 'none'; form-action 'none'";

        // the template is ours; only these markers are replaced, the data goes in as JSON bytes
        int dataAt = template.IndexOf("<!--DATA-->", StringComparison.Ordinal);
        if (dataAt < 0) throw new InvalidOperationException("report.html template lacks <!--DATA-->");
        var head = template[..dataAt]
            .Replace("{{CSP}}", csp, StringComparison.Ordinal)
            .Replace("<!--STYLE-->", "<style>" + css + "</style>", StringComparison.Ordinal);
        var tail = template[(dataAt + "<!--DATA-->".Length)..]
            .Replace("<!--SCRIPT-->", "<script>" + js + "</script>", StringComparison.Ordinal);

        WriteText(output, head);
        WriteText(output, "<script type=\"application/json\" id=\"data\">");
        new ReportDataWriter(report, _spans, report.FlameGraphs.Select(g => new FlameGraphTree(g)).ToList(), _functions, _options.Title).Write(output);
        WriteText(output, "</script>");
        WriteText(output, tail);
        output.Flush();
    }

    static void WriteText(Stream s, string text) => s.Write(Encoding.UTF8.GetBytes(text));

    static string Sha256(string text) => "sha256-" + Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    internal static string ReadAsset(string name)
    {
        using var stream = typeof(HtmlReportRenderer).Assembly.GetManifestResourceStream("GilTracer.Html." + name)
            ?? throw new InvalidOperationException($"embedded report asset {name} is missing");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }
}
