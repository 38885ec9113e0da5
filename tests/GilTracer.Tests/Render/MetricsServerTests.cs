using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using GilTracer.Core.Model;
using GilTracer.Core.Render;

namespace GilTracer.Tests.Render;

/// <summary>--metrics' endpoint and server: [HOST:]PORT, a port taken is one error line, /metrics answered on the
/// analysis thread's turn, OpenMetrics when the scraper asks for it, Prometheus text otherwise.</summary>
public class MetricsServerTests
{
    [Theory]
    [InlineData("9464", "127.0.0.1", 9464)]
    [InlineData("0.0.0.0:9100", "0.0.0.0", 9100)]
    [InlineData("localhost:80", "localhost", 80)]
    [InlineData("[::1]:9464", "[::1]", 9464)]
    public void EndpointsAreHostColonPort(string text, string host, int port) =>
        Assert.Equal(new MetricsEndpoint(host, port), MetricsEndpoint.Parse(text));

    [Theory]
    [InlineData("")]
    [InlineData("0")]
    [InlineData("70000")]
    [InlineData("host:")]
    [InlineData(":9464")]
    [InlineData("::1:9464")]
    [InlineData("port")]
    public void BadEndpointsAreUsageErrors(string text)
    {
        var e = Assert.Throws<GilTracerException>(() => MetricsEndpoint.Parse(text));
        Assert.Equal(2, e.ExitCode);
    }

    [Theory]
    [InlineData("application/openmetrics-text;version=1.0.0;escaping=allow-utf-8,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.5,*/*;q=0.1", true)] // Prometheus 3
    [InlineData("application/openmetrics-text; version=1.0.0", true)]
    [InlineData("text/plain;version=0.0.4;q=1,*/*;q=0.1", false)]
    [InlineData("*/*", false)] // curl
    [InlineData("application/openmetrics-text;q=0", false)]
    [InlineData(null, false)]
    public void OpenMetricsOnlyWhenAsked(string? accept, bool openMetrics) =>
        Assert.Equal(openMetrics, MetricsServer.AcceptsOpenMetrics(accept));

    static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    [Fact]
    public void APortTakenIsOneClearError()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        int port = ((IPEndPoint)taken.LocalEndpoint).Port;
        var e = Assert.Throws<GilTracerException>(() => new MetricsServer(new MetricsEndpoint("127.0.0.1", port)));
        Assert.StartsWith($"--metrics: cannot listen on 127.0.0.1:{port}: ", e.Message);
        Assert.DoesNotContain("\n", e.Message);
    }

    [Fact]
    public async Task ScrapesAreAnsweredAtTheAnalysisTurnInTheFormatAskedFor()
    {
        int port = FreePort();
        using var server = new MetricsServer(new MetricsEndpoint("127.0.0.1", port));
        var report = new GilReport
        {
            LostEvents = 2,
            Threads = [new ThreadSummary { Pid = 7, Tid = 8, Name = "w\"1", StartNs = 0, EndNs = 2_000_000_000, WaitNs = 500_000_000 }],
        };
        using var stop = new CancellationTokenSource();
        // the analysis thread: a turn every 20 ms
        var turns = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                server.AnswerPending(() => report);
                Thread.Sleep(20);
            }
        });
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            var url = $"http://127.0.0.1:{port}/metrics";

            using var asked = new HttpRequestMessage(HttpMethod.Get, url);
            asked.Headers.Accept.ParseAdd("application/openmetrics-text; version=1.0.0");
            using var om = await http.SendAsync(asked);
            Assert.Equal(HttpStatusCode.OK, om.StatusCode);
            Assert.Equal("application/openmetrics-text; version=1.0.0; charset=utf-8", om.Content.Headers.ContentType!.ToString());
            var text = await om.Content.ReadAsStringAsync();
            Assert.EndsWith("# EOF\n", text);
            Assert.Contains("giltracer_thread_gil_wait_seconds_total{pid=\"7\",tid=\"8\",name=\"w\\\"1\"} 0.5\n", text);
            Assert.Contains("giltracer_lost_events_total 2.0\n", text);

            using var plain = await http.GetAsync(url);
            Assert.Equal("text/plain; version=0.0.4; charset=utf-8", plain.Content.Headers.ContentType!.ToString());
            var prometheus = await plain.Content.ReadAsStringAsync();
            Assert.DoesNotContain("# EOF", prometheus);
            Assert.Contains("giltracer_lost_events_total 2\n", prometheus);

            Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync($"http://127.0.0.1:{port}/")).StatusCode);
            Assert.Equal(HttpStatusCode.MethodNotAllowed, (await http.PostAsync(url, new StringContent(""))).StatusCode);
        }
        finally
        {
            stop.Cancel();
            await turns;
        }
    }
}
