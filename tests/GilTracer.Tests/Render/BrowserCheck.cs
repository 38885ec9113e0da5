using System.Diagnostics;
using System.Text.Json;

namespace GilTracer.Tests.Render;

/// <summary>
/// Runs tests/browser/check-report.mjs (playwright-core driving Debian's headless Chromium) on a report
/// file and returns the JSON it prints. tests/browser/setup.sh installs both; without them the Browser
/// tests are skipped with the reason, never silently passed.
/// </summary>
internal static class BrowserCheck
{
    public static readonly string RepoRoot = FindRepoRoot();
    public static readonly string BrowserDir = Path.Combine(RepoRoot, "tests", "browser");
    public static string Chromium => Environment.GetEnvironmentVariable("CHROMIUM") ?? "/usr/bin/chromium";

    /// <summary>Why the browser tests cannot run here, or null when they can.</summary>
    public static string? MissingReason()
    {
        if (!File.Exists(Chromium)) return $"{Chromium} is missing: run tests/browser/setup.sh";
        if (!Directory.Exists(Path.Combine(BrowserDir, "node_modules", "playwright-core")))
            return "tests/browser/node_modules/playwright-core is missing: run tests/browser/setup.sh";
        if (Core.Host.HostFacts.FindOnPath("node") is null) return "node is not on PATH: run tests/browser/setup.sh";
        return null;
    }

    public static JsonElement Run(string reportPath, params string[] extra)
    {
        var psi = new ProcessStartInfo("node") { WorkingDirectory = BrowserDir, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("check-report.mjs");
        psi.ArgumentList.Add(reportPath);
        foreach (var a in extra) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromSeconds(120)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException("check-report.mjs did not finish in 120 s");
        }
        var output = stdout.Result.Trim();
        if (output.Length == 0) throw new InvalidOperationException("check-report.mjs printed nothing; stderr: " + stderr.Result);
        var json = JsonDocument.Parse(output.Split('\n')[^1]).RootElement.Clone();
        if (json.TryGetProperty("fatal", out var fatal)) throw new InvalidOperationException("browser check failed: " + fatal.GetString());
        return json;
    }

    static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "GilTracer.slnx"))) return dir.FullName;
        throw new InvalidOperationException("cannot find the repository root (GilTracer.slnx) above " + AppContext.BaseDirectory);
    }
}

/// <summary>A fact that is reported as skipped, with the reason, when the browser set-up has not been run.</summary>
public sealed class BrowserFactAttribute : FactAttribute
{
    public BrowserFactAttribute()
    {
        if (BrowserCheck.MissingReason() is { } reason) Skip = reason;
    }
}

/// <summary>A theory that is reported as skipped, with the reason, when the browser set-up has not been run.</summary>
public sealed class BrowserTheoryAttribute : TheoryAttribute
{
    public BrowserTheoryAttribute()
    {
        if (BrowserCheck.MissingReason() is { } reason) Skip = reason;
    }
}
