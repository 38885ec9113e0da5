using System.Globalization;
using System.Net;
using GilTracer.Core.Model;

namespace GilTracer.Core.Locate;

/// <summary>
/// Where and how long to ask debuginfod servers, read as elfutils reads it: DEBUGINFOD_URLS (space-separated),
/// DEBUGINFOD_CACHE_PATH (else $XDG_CACHE_HOME/debuginfod_client, else ~/.cache/debuginfod_client),
/// DEBUGINFOD_TIMEOUT (seconds to connect, to get an answer, and between two pieces of a download; 30 by default
/// here), DEBUGINFOD_MAXTIME (a whole download; 300 s by default here) and DEBUGINFOD_MAXSIZE (bytes).
/// </summary>
public sealed record DebuginfodOptions(IReadOnlyList<string> Urls, string CacheDirectory, TimeSpan Timeout, TimeSpan MaxTime, long? MaxSize = null)
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan DefaultMaxTime = TimeSpan.FromSeconds(300);

    /// <summary>No servers: debuginfod is not asked.</summary>
    public static readonly DebuginfodOptions Off = new([], "", DefaultTimeout, DefaultMaxTime);

    /// <summary>The environment's settings (<paramref name="env"/> stands for it in tests); Off without DEBUGINFOD_URLS.</summary>
    public static DebuginfodOptions FromEnvironment(Func<string, string?>? env = null)
    {
        env ??= Environment.GetEnvironmentVariable;
        var urls = (env("DEBUGINFOD_URLS") ?? "").Split([' ', '\t', '\n'], StringSplitOptions.RemoveEmptyEntries);
        if (urls.Length == 0) return Off;
        return new DebuginfodOptions(urls, CachePath(env), Seconds(env("DEBUGINFOD_TIMEOUT")) ?? DefaultTimeout,
            Seconds(env("DEBUGINFOD_MAXTIME")) ?? DefaultMaxTime,
            long.TryParse(env("DEBUGINFOD_MAXSIZE"), out var size) && size > 0 ? size : null);
    }

    static string CachePath(Func<string, string?> env)
    {
        if (env("DEBUGINFOD_CACHE_PATH") is { Length: > 0 } explicitPath) return explicitPath;
        if (env("XDG_CACHE_HOME") is { Length: > 0 } xdg) return Path.Combine(xdg, "debuginfod_client");
        var home = env("HOME") is { Length: > 0 } h ? h : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        var legacy = Path.Combine(home, ".debuginfod_client_cache"); // elfutils before 0.179, still used when present
        return Directory.Exists(legacy) ? legacy : Path.Combine(home, ".cache", "debuginfod_client");
    }

    static TimeSpan? Seconds(string? text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var s) && s > 0 ? TimeSpan.FromSeconds(s) : null;
}

/// <summary>A debug file from debuginfod (Path in the cache; Url "cache" when it was there already) or why there is
/// none: Warnings for servers that failed, Notes when they simply do not have it.</summary>
public sealed record DebuginfodResult(string? Path, string? Url, IReadOnlyList<string> Warnings, IReadOnlyList<string>? Notes = null);

/// <summary>
/// Fetches a debug file by build-id from debuginfod servers (GET URL/buildid/ID/debuginfo), in bounded time, into
/// the cache elfutils uses (CACHE/ID/debuginfo, written whole or not at all), so gdb, perf and giltracer share it.
/// A file whose build-id is not the one asked for is refused. A server that cannot be reached is not asked again
/// by this process; a build-id no server has is remembered as elfutils does (an empty file, for cache_miss_s).
/// </summary>
public static class DebuginfodClient
{
    static readonly HashSet<string> Unreachable = new();

    public static DebuginfodResult Fetch(string buildId, DebuginfodOptions options) =>
        Task.Run(() => FetchAsync(buildId, options)).GetAwaiter().GetResult();

    public static async Task<DebuginfodResult> FetchAsync(string buildId, DebuginfodOptions options)
    {
        var warnings = new List<string>();
        if (options.Urls.Count == 0) return new(null, null, warnings);
        if (buildId.Length < 2 || !buildId.All(char.IsAsciiHexDigitLower))
            throw new GilTracerException($"'{buildId}' is not a build-id (lowercase hex)");
        var dir = Path.Combine(options.CacheDirectory, buildId);
        var cached = Path.Combine(dir, "debuginfo");
        var info = new FileInfo(cached);
        if (info.Exists && info.Length > 0)
        {
            if (BuildIdOf(cached) == buildId) return new(cached, "cache", warnings);
            File.Delete(cached); // not what it claims to be: fetch it again
        }
        else if (info.Exists && DateTime.UtcNow - info.LastWriteTimeUtc < CacheMissTime(options.CacheDirectory))
            return new(null, null, warnings, [$"no debuginfod server had build-id {buildId} when last asked (a miss remembered in {dir})"]);

        bool allSaidNo = true;
        foreach (var url in options.Urls)
        {
            if (!url.StartsWith("http://", StringComparison.OrdinalIgnoreCase) && !url.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
            {
                warnings.Add($"{url} is not an http(s) URL: skipped");
                allSaidNo = false;
                continue;
            }
            lock (Unreachable)
                if (Unreachable.Contains(url))
                {
                    warnings.Add($"{url} not asked: it did not answer earlier in this run");
                    allSaidNo = false;
                    continue;
                }
            var (path, outcome) = await Download(url.TrimEnd('/') + $"/buildid/{buildId}/debuginfo", buildId, dir, cached, options);
            if (path is not null) return new(path, url, warnings);
            if (outcome is null) continue; // 404: this server does not have it
            allSaidNo = false;
            warnings.Add($"{url}: {outcome}");
        }
        if (!allSaidNo) return new(null, null, warnings);
        RememberMiss(dir, cached);
        return new(null, null, warnings, [$"no debuginfod server has build-id {buildId} ({string.Join(", ", options.Urls)})"]);
    }

    /// <summary>Downloads into a temporary file next to the cache entry, checks its build-id, then renames it into place.
    /// Returns the path, or why not (null reason: the server does not have it).</summary>
    static async Task<(string? Path, string? Reason)> Download(string uri, string buildId, string dir, string cached, DebuginfodOptions o)
    {
        string? tmp = null;
        using var overall = new CancellationTokenSource(o.MaxTime);
        using var progress = CancellationTokenSource.CreateLinkedTokenSource(overall.Token);
        progress.CancelAfter(o.Timeout);
        try
        {
            using var handler = new SocketsHttpHandler { ConnectTimeout = o.Timeout, AutomaticDecompression = DecompressionMethods.None };
            using var http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
            http.DefaultRequestHeaders.UserAgent.ParseAdd("giltracer");
            using var response = await http.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, progress.Token);
            if (response.StatusCode == HttpStatusCode.NotFound) return (null, null);
            if (!response.IsSuccessStatusCode) return (null, $"answered HTTP {(int)response.StatusCode} {response.ReasonPhrase}");
            if (o.MaxSize is { } max && response.Content.Headers.ContentLength > max)
                return (null, $"the debug file has {response.Content.Headers.ContentLength} bytes, over DEBUGINFOD_MAXSIZE={max}");
            MakePrivateDirectory(dir);
            tmp = Path.Combine(dir, $".debuginfo.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
            await using (var body = await response.Content.ReadAsStreamAsync(progress.Token))
            await using (var file = File.Create(tmp))
            {
                var buffer = new byte[1 << 16];
                long total = 0;
                int n;
                while ((n = await body.ReadAsync(buffer, progress.Token)) > 0)
                {
                    progress.CancelAfter(o.Timeout); // a stall, not a long download, is what the timeout bounds
                    total += n;
                    if (o.MaxSize is { } m && total > m) return (null, $"the debug file is over DEBUGINFOD_MAXSIZE={m} bytes");
                    await file.WriteAsync(buffer.AsMemory(0, n), overall.Token);
                }
            }
            var got = BuildIdOf(tmp);
            if (got != buildId)
                return (null, $"sent a file whose build-id is {got ?? "missing (or not an ELF file)"}, not {buildId}: refused");
            File.Move(tmp, cached, overwrite: true);
            tmp = null;
            return (cached, "");
        }
        catch (Exception e) when (e is OperationCanceledException or TimeoutException)
        {
            MarkUnreachable(uri);
            return (null, overall.IsCancellationRequested
                ? $"no complete answer within {o.MaxTime.TotalSeconds:0} s (DEBUGINFOD_MAXTIME)"
                : $"no answer within {o.Timeout.TotalSeconds:0} s (DEBUGINFOD_TIMEOUT)");
        }
        catch (HttpRequestException e)
        {
            MarkUnreachable(uri);
            return (null, $"unreachable ({e.Message})");
        }
        catch (IOException e) { return (null, $"cannot write the cache {dir}: {e.Message}"); }
        catch (UnauthorizedAccessException e) { return (null, $"cannot write the cache {dir}: {e.Message}"); }
        finally
        {
            if (tmp is not null) try { File.Delete(tmp); } catch (IOException) { }
        }
    }

    /// <summary>This process does not ask a server again once it failed to answer (one wait per run, not per binary).</summary>
    static void MarkUnreachable(string uri)
    {
        int cut = uri.IndexOf("/buildid/", StringComparison.Ordinal);
        var url = cut < 0 ? uri : uri[..cut];
        lock (Unreachable) { Unreachable.Add(url); Unreachable.Add(url + "/"); }
    }

    /// <summary>Only servers this process found unreachable; tests use it to start afresh.</summary>
    internal static void ForgetUnreachable() { lock (Unreachable) Unreachable.Clear(); }

    static string? BuildIdOf(string path)
    {
        try { return ElfImage.Load(path).BuildId; } catch (GilTracerException) { return null; }
    }

    /// <summary>elfutils' negative cache: an empty file, trusted for cache_miss_s seconds (a file in the cache root; 600).</summary>
    static TimeSpan CacheMissTime(string cache)
    {
        try
        {
            if (int.TryParse(File.ReadAllText(Path.Combine(cache, "cache_miss_s")).Trim(), out var s) && s >= 0) return TimeSpan.FromSeconds(s);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        return TimeSpan.FromSeconds(600);
    }

    /// <summary>0700, as elfutils makes its cache: debug files may say more about a system than its binaries.</summary>
    static void MakePrivateDirectory(string dir)
    {
        if (OperatingSystem.IsWindows()) Directory.CreateDirectory(dir);
        else Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    static void RememberMiss(string dir, string cached)
    {
        try
        {
            MakePrivateDirectory(dir);
            File.WriteAllBytes(cached, []);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }
}
