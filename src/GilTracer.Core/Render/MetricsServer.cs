using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text;
using GilTracer.Core.Model;

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
/// Serves /metrics over HTTP (System.Net.HttpListener: no ASP.NET, Native AOT safe). The text is made on the thread that
/// owns the analysis: a scrape waits (up to 5 s) until that thread's next turn calls <see cref="AnswerPending"/>.
/// </summary>
public sealed class MetricsServer : IDisposable
{
    static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(5);
    readonly HttpListener _listener = new();
    readonly ConcurrentQueue<TaskCompletionSource<string>> _pending = new();
    readonly CancellationTokenSource _stop = new();
    readonly Task _loop;

    public MetricsEndpoint Endpoint { get; }

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

    /// <summary>True when a scrape waits for its text.</summary>
    public bool HasPending => !_pending.IsEmpty;

    /// <summary>Answers every waiting scrape with one text (made only when one waits).</summary>
    public void AnswerPending(Func<string> exposition)
    {
        if (_pending.IsEmpty) return;
        var text = exposition();
        while (_pending.TryDequeue(out var waiting)) waiting.TrySetResult(text);
    }

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
                await Reply(response, 404, "text/plain; charset=utf-8", "giltracer serves /metrics\n");
                return;
            }
            if (request.HttpMethod is not ("GET" or "HEAD"))
            {
                await Reply(response, 405, "text/plain; charset=utf-8", "GET /metrics\n");
                return;
            }
            var answer = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
            _pending.Enqueue(answer);
            var done = await Task.WhenAny(answer.Task, Task.Delay(AnswerTimeout, _stop.Token)).ConfigureAwait(false);
            if (done != answer.Task)
            {
                await Reply(response, 503, "text/plain; charset=utf-8", "the recording is not running\n");
                return;
            }
            await Reply(response, 200, OpenMetricsWriter.ContentType, request.HttpMethod == "HEAD" ? "" : answer.Task.Result);
        }
        catch (Exception e) when (e is HttpListenerException or IOException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
        {
            try { response.Abort(); } catch (ObjectDisposedException) { }
        }
    }

    static async Task Reply(HttpListenerResponse response, int status, string contentType, string body)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        response.StatusCode = status;
        response.ContentType = contentType;
        response.ContentLength64 = bytes.Length;
        await response.OutputStream.WriteAsync(bytes);
        response.Close();
    }

    public void Dispose()
    {
        _stop.Cancel();
        while (_pending.TryDequeue(out var waiting)) waiting.TrySetCanceled();
        try { _listener.Stop(); _listener.Close(); } catch (ObjectDisposedException) { }
        try { _loop.Wait(TimeSpan.FromSeconds(2)); } catch (AggregateException) { }
        _stop.Dispose();
    }
}
