using System.Text.Json;
using GilTracer.Core.Pipeline;

namespace GilTracer.Tests.Python;

/// <summary>
/// The thread-name hook (python/giltracer_names.py) as `run` ships it, without perf: the files the binary writes into
/// OUT/.giltracer/, the environment `run` sets, a program with threads, multiprocessing and subprocess children.
/// </summary>
public class ThreadNameHookTests : IDisposable
{
    readonly string _tmp = Directory.CreateTempSubdirectory("giltracer-names-").FullName;
    public void Dispose() => Directory.Delete(_tmp, true);

    public static TheoryData<string> Versions => new(PythonVersions.All);

    const string Program = """
        import multiprocessing, os, subprocess, sys, threading

        def rename():
            threading.current_thread().name = "renamed-worker"

        def child():
            t = threading.Thread(target=len, args=("",), name="child-thread"); t.start(); t.join()

        if __name__ == "__main__":
            t = threading.Thread(target=rename, name="worker"); t.start(); t.join()
            for method in ("fork", "spawn"):
                p = multiprocessing.get_context(method).Process(target=child, name="cruncher-" + method); p.start(); p.join()
            subprocess.run([sys.executable, "-c", "import threading; t = threading.Thread(target=len, args=('',), name='sub-worker'); t.start(); t.join()"], check=True)
            forked = os.fork()
            if forked == 0:
                t = threading.Thread(target=len, args=("",), name="forked-thread"); t.start(); t.join()
                os._exit(0)  # no atexit: only the fork hook names this main thread
            os.waitpid(forked, 0)
            print("pid", os.getpid(), "sitecustomize", sys.modules["sitecustomize"].MARK)
        """;

    [Theory]
    [MemberData(nameof(Versions))]
    public void EveryProcessNamesItsThreads_AndTheUsersSitecustomizeStillRuns(string version)
    {
        var boot = BootstrapFiles.Extract(_tmp);
        var user = Directory.CreateDirectory(Path.Combine(_tmp, "user")).FullName;
        File.WriteAllText(Path.Combine(user, "sitecustomize.py"), "MARK = 'user'\n");
        File.WriteAllText(Path.Combine(_tmp, "app.py"), Program);
        var names = Path.Combine(_tmp, "threads.jsonl");
        var r = PythonVersions.Run(PythonVersions.Exe(version), [boot, "app.py"], _tmp, new Dictionary<string, string>
        {
            ["GILTRACER_THREADS"] = names,
            ["PYTHONPATH"] = $"{Path.Combine(Path.GetDirectoryName(boot)!, "site")}:{user}",
        });
        Assert.True(r.ExitCode == 0, r.Stderr);
        var words = r.Stdout.Split(' ', StringSplitOptions.TrimEntries);
        Assert.Equal("user", words[3]);
        int main = int.Parse(words[1]);

        // the last name of a (pid, tid) wins, as ThreadNamesReader reads it
        var last = new Dictionary<(int Pid, int Tid), string>();
        foreach (var line in File.ReadLines(names))
        {
            var e = JsonDocument.Parse(line).RootElement;
            last[(e[0].GetInt32(), e[1].GetInt32())] = e[2].GetString()!;
        }
        Assert.Equal("MainThread", last[(main, main)]);
        Assert.Contains(last, p => p.Key.Pid == main && p.Key.Tid != main && p.Value == "renamed-worker");
        foreach (var process in new[] { "cruncher-fork", "cruncher-spawn" })
        {
            var child = Assert.Single(last, p => p.Value == process).Key;
            Assert.Equal(child.Pid, child.Tid); // a child's main thread, under its process name
            Assert.Contains(last, p => p.Key.Pid == child.Pid && p.Key.Tid != child.Pid && p.Value == "child-thread");
        }
        var forked = Assert.Single(last, p => p.Value == "forked-thread").Key.Pid;
        Assert.Equal("MainThread", last.GetValueOrDefault((forked, forked))); // named by the fork hook, with its own tid
        var sub = Assert.Single(last, p => p.Value == "sub-worker").Key.Pid;
        Assert.Equal("MainThread", last[(sub, sub)]);
    }
}
