using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using GilTracer.Core.Model;
using Prometheus;

namespace GilTracer.Core.Render;

/// <summary>Where --metrics serves: [HOST:]PORT, HOST 127.0.0.1 unless given (an IPv6 address in brackets).</summary>
public sealed record MetricsEndpoint(string Host, int Port)
{
    public static MetricsEndpoint Parse(string text)
    {
        string host = "127.0.0.1", port = text.Trim();
        int colon = port.LastIndexOf(':');
        if (colon >= 0)
        {
            host = port[..colon];
            port = port[(colon + 1)..];
            if (host.Length == 0 || (host.Contains(':') && !(host.StartsWith('[') && host.EndsWith(']'))))
                throw new GilTracerException($"--metrics: '{text}' is not [HOST:]PORT (an IPv6 address goes in brackets: [::1]:9464)", 2);
        }
        if (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out int p) || p is < 1 or > 65535)
            throw new GilTracerException($"--metrics: '{text}' is not [HOST:]PORT with a port from 1 to 65535", 2);
        return new MetricsEndpoint(host, p);
    }

    /// <summary>What HttpListener listens on: 0.0.0.0 and [::] mean every address (its "+").</summary>
    public string Prefix => $"http://{(Host is "0.0.0.0" or "[::]" ? "+" : Host)}:{Port}/";

    public string Url => $"http://{Host}:{Port}/metrics";
}

/// <summary>
/// Serves /metrics over HTTP (System.Net.HttpListener: no ASP.NET, Native AOT safe), OpenMetrics when the scraper accepts
/// it (Prometheus asks for it first), Prometheus text otherwise (curl, a browser); prometheus-net writes the text.
/// The text is made on the thread that owns the analysis: a scrape waits (up to 5 s) until that thread's next turn calls
/// <see cref="AnswerPending"/>, which raises the counters to a snapshot and writes the text at once. Collecting on that
/// thread, rather than on the scrape's with a before-collect callback that waits for a turn, keeps an exposition
/// consistent: the wait histogram grows there as events are processed and the library reads series one by one, so a
/// collection beside the analysis could show a histogram whose +Inf bucket is not its count, or counters of two
/// watermarks. That is also why prometheus-net's own MetricServer does not fit (it collects on its own thread, and
/// always answers in Prometheus text).
/// </summary>
public sealed class MetricsServer : IDisposable
{
    static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(5);
    readonly HttpListener _listener = new();
    readonly ConcurrentQueue<(bool OpenMetrics, TaskCompletionSource<byte[]> Answer)> _pending = new();
    readonly CancellationTokenSource _stop = new();
    readonly Task _loop;

    public MetricsEndpoint Endpoint { get; }
    /// <summary>What is served: a sink of the analysis (its wait histogram), on the analysis thread like the answers.</summary>
    public LiveMetrics Metrics { get; } = new();

    public MetricsServer(MetricsEndpoint endpoint)
    {
        Endpoint = endpoint;
        _listener.Prefixes.Add(endpoint.Prefix);
        try { _listener.Start(); }
        catch (Exception e) when (e is HttpListenerException or System.Net.Sockets.SocketException or ArgumentException)
        {
            throw new GilTracerException($"--metrics: cannot listen on {endpoint.Host}:{endpoint.Port}: {e.Message}");
        }
        _loop = Task.Run(AcceptLoop);
    }

    /// <summary>Answers every waiting scrape: the metrics raised to the snapshot (taken only when one waits), then written
    /// once per format asked for.</summary>
    public void AnswerPending(Func<GilReport> snapshot)
    {
        if (_pending.IsEmpty) return;
        Metrics.Update(snapshot());
        byte[]? openMetrics = null, prometheus = null;
        while (_pending.TryDequeue(out var waiting))
            waiting.Answer.TrySetResult(waiting.OpenMetrics ? openMetrics ??= Metrics.Export(true) : prometheus ??= Metrics.Export(false));
    }

    /// <summary>Whether the Accept header takes OpenMetrics (Prometheus: "application/openmetrics-text;version=1.0.0,…").</summary>
    public static bool AcceptsOpenMetrics(string? accept) =>
        accept is not null && accept.Split(',').Any(range => MediaTypeWithQualityHeaderValue.TryParse(range, out var type)
            && string.Equals(type.MediaType, PrometheusConstants.OpenMetricsContentType, StringComparison.OrdinalIgnoreCase) && type.Quality is not 0);

    async Task AcceptLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try { context = await _listener.GetContextAsync(); }
            catch (Exception) when (_stop.IsCancellationRequested || !_listener.IsListening) { return; }
            catch (HttpListenerException) { continue; }
            _ = Task.Run(() => Handle(context));
        }
    }

    async Task Handle(HttpListenerContext context)
    {
        var response = context.Response;
        try
        {
            var request = context.Request;
            if (request.Url?.AbsolutePath != "/metrics")
            {
                await Reply(response, 404, "text/plain; charset=utf-8", "giltracer serves /metrics\n"u8.ToArray());
                return;
            }
            if (request.HttpMethod is not ("GET" or "HEAD"))
            {
                await Reply(response, 405, "text/plain; charset=utf-8", "GET /metrics\n"u8.ToArray());
                return;
            }
            bool openMetrics = AcceptsOpenMetrics(request.Headers["Accept"]);
            var answer = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
            _pending.Enqueue((openMetrics, answer));
            var done = await Task.WhenAny(answer.Task, Task.Delay(AnswerTimeout, _stop.Token)).ConfigureAwait(false);
            if (done != answer.Task)
            {
                await Reply(response, 503, "text/plain; charset=utf-8", "the recording is not running\n"u8.ToArray());
                return;
            }
            var type = openMetrics ? PrometheusConstants.OpenMetricsContentTypeWithVersionAndEncoding : PrometheusConstants.TextContentTypeWithVersionAndEncoding;
            await Reply(response, 200, type, request.HttpMethod == "HEAD" ? [] : answer.Task.Result);
        }
        catch (Exception e) when (e is HttpListenerException or IOException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
        {
            try { response.Abort(); } catch (ObjectDisposedException) { }
        }
    }

    static async Task Reply(HttpListenerResponse response, int status, string contentType, byte[] body)
    {
        response.StatusCode = status;
        response.ContentType = contentType;
        response.ContentLength64 = body.Length;
        await response.OutputStream.WriteAsync(body);
        response.Close();
    }

    public void Dispose()
    {
        _stop.Cancel();
        while (_pending.TryDequeue(out var waiting)) waiting.Answer.TrySetCanceled();
        try { _listener.Stop(); _listener.Close(); } catch (ObjectDisposedException) { }
        try { _loop.Wait(TimeSpan.FromSeconds(2)); } catch (AggregateException) { }
        _stop.Dispose();
    }
}
