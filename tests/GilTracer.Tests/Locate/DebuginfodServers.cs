using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace GilTracer.Tests.Locate;

/// <summary>
/// Debian's real debuginfod on 127.0.0.1, serving the sid -dbg .debs of tests/sid-root.sh (installed by .ci/run:
/// apt-get install debuginfod libarchive-tools). Started once for the test class; ready when its scan has indexed
/// every .deb (its /metrics say so). Source scanning is off: only debug files are asked for.
/// </summary>
public sealed class RealDebuginfod : IDisposable
{
    readonly Process _server;
    readonly string _dir;

    public string Url { get; }
    /// <summary>Seconds from start until every .deb was indexed.</summary>
    public double ScanSeconds { get; }

    public RealDebuginfod()
    {
        var exe = new[] { "/usr/bin/debuginfod", "/usr/local/bin/debuginfod" }.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("debuginfod is not installed: apt-get install -y debuginfod libarchive-tools (.ci/run does)");
        int debs = Directory.GetFiles(SidChroot.Debs, "*.deb").Length;
        Assert.True(debs > 0, $"no .deb in {SidChroot.Debs}");
        _dir = Path.Combine(Path.GetTempPath(), $"giltracer-debuginfod-{Guid.NewGuid():N}");
        Directory.CreateDirectory(_dir);
        int port = FreePort();
        Url = $"http://127.0.0.1:{port}";
        var psi = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = _dir };
        foreach (var a in new[] { "-p", port.ToString(), "-d", Path.Combine(_dir, "index.sqlite"), "--disable-source-scan", "-t", "0", "-g", "0", "-U", SidChroot.Debs })
            psi.ArgumentList.Add(a);
        var watch = Stopwatch.StartNew();
        _server = Process.Start(psi)!;
        _server.OutputDataReceived += (_, _) => { };
        _server.ErrorDataReceived += (_, _) => { };
        _server.BeginOutputReadLine();
        _server.BeginErrorReadLine();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        while (true)
        {
            if (_server.HasExited) throw new InvalidOperationException($"debuginfod exited with {_server.ExitCode}");
            if (watch.Elapsed > TimeSpan.FromMinutes(5)) { Dispose(); throw new TimeoutException($"debuginfod had not indexed {debs} .debs after 5 minutes"); }
            try
            {
                var metrics = http.GetStringAsync($"{Url}/metrics").GetAwaiter().GetResult();
                var line = metrics.Split('\n').FirstOrDefault(l => l.StartsWith("scanned_files_total{source=\".deb archive\"}", StringComparison.Ordinal));
                if (line is not null && int.Parse(line[(line.LastIndexOf(' ') + 1)..]) >= debs) break;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            Thread.Sleep(200);
        }
        ScanSeconds = watch.Elapsed.TotalSeconds;
    }

    public static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    public void Dispose()
    {
        try { _server.Kill(); _server.WaitForExit(10_000); } catch (InvalidOperationException) { }
        _server.Dispose();
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }
}

/// <summary>A stand-in debuginfod on 127.0.0.1 whose answers a test chooses: a file, a status, or silence.</summary>
public sealed class FakeDebuginfod : IDisposable
{
    readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    readonly Func<string, (int Status, byte[]? Body)?> _answer;
    readonly List<TcpClient> _silent = new();
    int _requests;

    public string Url { get; }
    public int Requests => Volatile.Read(ref _requests);

    /// <summary><paramref name="answer"/> gets the request path; null means never answer (the connection stays open).</summary>
    public FakeDebuginfod(Func<string, (int Status, byte[]? Body)?> answer)
    {
        _answer = answer;
        _listener.Start();
        Url = $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";
        new Thread(Serve) { IsBackground = true }.Start();
    }

    void Serve()
    {
        while (true)
        {
            TcpClient client;
            try { client = _listener.AcceptTcpClient(); } catch (SocketException) { return; } catch (ObjectDisposedException) { return; }
            try
            {
                var stream = client.GetStream();
                var request = new StringBuilder();
                var one = new byte[1];
                while (!request.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal) && stream.Read(one) == 1) request.Append((char)one[0]);
                Interlocked.Increment(ref _requests);
                var path = request.ToString().Split(' ')[1];
                if (_answer(path) is not var (status, body)) { lock (_silent) _silent.Add(client); continue; }
                body ??= [];
                stream.Write(Encoding.ASCII.GetBytes($"HTTP/1.1 {status} X\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n"));
                stream.Write(body);
                client.Close();
            }
            catch (IOException) { client.Close(); }
        }
    }

    public void Dispose()
    {
        _listener.Stop();
        lock (_silent) foreach (var c in _silent) c.Close();
    }
}
