using System.Runtime.InteropServices;
using GilTracer.Core.Host;
using GilTracer.Core.Model;

namespace GilTracer.Core.Record;

/// <summary>What to do with a process stopped right after an exec.</summary>
public enum ExecVerdict
{
    Continue,
    /// <summary>Hold it through its dynamic loader: stop after each mmap until <see cref="IProcessTreeObserver.OnMapped"/> says it has what it needs.</summary>
    WatchMappings,
}

/// <summary>What the tracer reports, on its own thread, while the process it concerns is stopped.</summary>
public interface IProcessTreeObserver
{
    /// <summary>A new process (fork, vfork, clone without CLONE_THREAD), not yet running.</summary>
    void OnProcessStart(int parentPid, int pid);
    /// <summary>A new thread of a traced process, not yet running.</summary>
    void OnThreadStart(int pid, int tid);
    /// <summary>The process has just exec'd: its new executable (and loader) are mapped, nothing of it has run.</summary>
    ExecVerdict OnExec(int pid);
    /// <summary>After <see cref="ExecVerdict.WatchMappings"/>: a mmap of the process returned; true lets it run freely.</summary>
    bool OnMapped(int pid);
}

/// <summary>
/// Follows a command's whole process tree with ptrace from before its first instruction: every fork, vfork, clone and
/// exec stops the task until the observer has seen it, so a Python found only when it execs can be probed before it
/// runs. The command starts under `/bin/sh -c 'read < FIFO && exec "$@"'`, spawned (posix_spawn) and seized by this
/// thread, and execs when <see cref="Go"/> is called. All ptrace requests, and the waits, happen on one dedicated
/// thread: ptrace belongs to the tracing thread, and waitpid with __WNOTHREAD sees only its own tracees and children,
/// never the perf processes .NET's Process class started and waits for. The command is not a .NET Process either:
/// its Process would waitpid it on every SIGCHLD and could take a ptrace stop meant for us. PTRACE_O_EXITKILL: if
/// giltracer dies, the command dies with it. When the command's first process exits, every task still traced is
/// detached (its own signals kept) and the thread ends.
/// </summary>
public sealed class ProcessTreeTracer
{
    const int Options = Libc.PTRACE_O_TRACESYSGOOD | Libc.PTRACE_O_TRACEFORK | Libc.PTRACE_O_TRACEVFORK | Libc.PTRACE_O_TRACECLONE |
                        Libc.PTRACE_O_TRACEEXEC | Libc.PTRACE_O_EXITKILL;
    const int SyscallStop = Libc.SIGTRAP | 0x80, SysMmap = 9, MaxWatchedSyscalls = 20_000;

    readonly IProcessTreeObserver _observer;
    readonly Thread _thread;
    readonly ManualResetEventSlim _seized = new(), _go = new(), _done = new();
    readonly Dictionary<int, int> _tgid = new();        // traced task → its process
    readonly HashSet<int> _watching = new();            // tasks held through their loader (PTRACE_SYSCALL)
    readonly Dictionary<int, long> _syscall = new();     // watched task → its syscall in progress (or count)
    readonly Dictionary<int, int> _watched = new();      // watched task → syscalls seen
    readonly HashSet<int> _unannounced = new();          // new tasks whose first stop came before their parent's event
    readonly System.Collections.Concurrent.ConcurrentDictionary<int, byte> _processes = new(); // for Signal, from any thread
    Exception? _error;
    int _fifo = -1;
    string? _fifoDir;

    /// <summary>The command's first process (the shell that execs it).</summary>
    public int Pid { get; private set; }
    /// <summary>Its exit code once it ended (128 + signal when killed).</summary>
    public int ExitCode { get; private set; } = -1;
    /// <summary>ptrace stops handled (forks, clones, execs, signals, a loader's syscalls), for --verbose.</summary>
    public long Stops { get; private set; }
    /// <summary>CPU time the tracing thread used (its share of what following the tree costs; the rest is the kernel's
    /// stops and wake-ups in the traced tasks).</summary>
    public TimeSpan CpuTime { get; private set; }
    public WaitHandle Done => _done.WaitHandle;

    ProcessTreeTracer(IProcessTreeObserver observer)
    {
        _observer = observer;
        _thread = new Thread(Main) { IsBackground = true, Name = "giltracer-ptrace" };
    }

    /// <summary>Spawns the command held before its exec and seizes it; throws when that fails.</summary>
    public static ProcessTreeTracer Start(IReadOnlyList<string> command, IReadOnlyDictionary<string, string> environment, IProcessTreeObserver observer)
    {
        var t = new ProcessTreeTracer(observer);
        t._thread.Start((command, environment));
        t._seized.Wait();
        if (t._error is not null)
        {
            t._thread.Join();
            throw t._error is GilTracerException ? t._error : new GilTracerException($"cannot start the command: {t._error.Message}", 1, t._error);
        }
        return t;
    }

    /// <summary>Lets the command exec (its probes and recordings are ready).</summary>
    public void Go() => _go.Set();

    /// <summary>Sends a signal to every process of the command's tree, as a terminal sends Ctrl-C to its foreground group.</summary>
    public void Signal(int sig)
    {
        foreach (var pid in _processes.Keys) Libc.Kill(pid, sig);
    }

    /// <summary>Waits until the command's first process exits and every task is detached.</summary>
    public int WaitForExit()
    {
        _done.Wait();
        _thread.Join();
        if (_error is not null) throw _error is GilTracerException ? _error : new GilTracerException($"following the command failed: {_error.Message}", 1, _error);
        return ExitCode;
    }

    void Main(object? state)
    {
        var (command, environment) = ((IReadOnlyList<string>, IReadOnlyDictionary<string, string>))state!;
        try
        {
            _fifoDir = Directory.CreateTempSubdirectory("giltracer-start-").FullName;
            var fifo = Path.Combine(_fifoDir, "go");
            if (Libc.MkFifo(fifo, 0x180) != 0) throw new GilTracerException($"cannot create {fifo} (errno {Marshal.GetLastPInvokeError()})");
            _fifo = Libc.Open(fifo, Libc.O_RDWR | Libc.O_CLOEXEC);
            if (_fifo < 0) throw new GilTracerException($"cannot open {fifo} (errno {Marshal.GetLastPInvokeError()})");
            Pid = Spawn(["/bin/sh", "-c", "IFS= read -r x < \"$0\" && exec \"$@\"", fifo, .. command], environment);
            if (Libc.Ptrace(Libc.PTRACE_SEIZE, Pid, 0, Options) != 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                Libc.Kill(Pid, Libc.SIGKILL);
                unsafe { int s; Libc.WaitPid(Pid, &s, 0); }
                throw new GilTracerException($"cannot follow the command with ptrace ({Marshal.GetPInvokeErrorMessage(errno)}): run giltracer as root, outside a container that forbids ptrace");
            }
            _tgid[Pid] = Pid;
            _processes[Pid] = 0;
        }
        catch (Exception e)
        {
            _error = e;
            Cleanup();
            _seized.Set();
            _done.Set();
            return;
        }
        _seized.Set();
        _go.Wait();
        try
        {
            unsafe
            {
                var go = "go\n"u8;
                fixed (byte* p = go) Libc.Write(_fifo, p, go.Length);
            }
            Loop();
        }
        catch (Exception e)
        {
            _error = e;
            foreach (var tid in _tgid.Keys) Libc.Kill(tid, Libc.SIGKILL); // never leave a task stopped behind
        }
        finally
        {
            Cleanup();
            unsafe
            {
                Libc.TimeSpec ts;
                if (Libc.ClockGetTime(Libc.CLOCK_THREAD_CPUTIME_ID, &ts) == 0) CpuTime = TimeSpan.FromTicks(ts.Sec * TimeSpan.TicksPerSecond + ts.Nsec / 100);
            }
            _done.Set();
        }
    }

    unsafe void Loop()
    {
        bool detaching = false;
        while (true)
        {
            int status;
            int tid = Libc.WaitPid(-1, &status, Libc.__WALL | Libc.__WNOTHREAD);
            if (tid < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno == Libc.EINTR) continue;
                if (errno == Libc.ECHILD) return; // no tracee and no child left
                throw new GilTracerException($"waitpid failed (errno {errno})");
            }
            int low = status & 0x7f;
            if (low != 0x7f) // exited or killed
            {
                Forget(tid);
                if (tid == Pid)
                {
                    ExitCode = low == 0 ? (status >> 8) & 0xff : 128 + low;
                    if (!detaching) { detaching = true; DetachAll(); }
                }
                continue;
            }
            Stops++;
            int sig = (status >> 8) & 0xff, ev = (status >> 16) & 0xff;
            if (detaching) { Detach(tid, ev == 0 && sig != SyscallStop && sig != Libc.SIGTRAP ? sig : 0); continue; }
            switch (ev)
            {
                case Libc.PTRACE_EVENT_FORK or Libc.PTRACE_EVENT_VFORK or Libc.PTRACE_EVENT_CLONE:
                    OnNewTask(tid, ev);
                    Resume(tid, 0);
                    break;
                case Libc.PTRACE_EVENT_EXEC:
                    OnExec(tid);
                    break;
                case Libc.PTRACE_EVENT_STOP:
                    if (sig is Libc.SIGSTOP or Libc.SIGTSTP or Libc.SIGTTIN or Libc.SIGTTOU)
                        Libc.Ptrace(Libc.PTRACE_LISTEN, tid, 0, 0); // a group-stop stays a stop until SIGCONT
                    else if (_tgid.ContainsKey(tid)) Resume(tid, 0); // a new task's first stop (its parent's event seen), or an interrupt
                    else _unannounced.Add(tid); // a new task seen before its parent's event: held until we know whose it is
                    break;
                default:
                    if (sig == SyscallStop) OnSyscall(tid);
                    else Resume(tid, sig); // a signal for the task: delivered
                    break;
            }
        }
    }

    unsafe void OnNewTask(int tid, int ev)
    {
        ulong msg;
        if (Libc.Ptrace(Libc.PTRACE_GETEVENTMSG, tid, 0, (nint)(&msg)) != 0) return;
        int child = (int)msg, pid = _tgid.GetValueOrDefault(tid, tid);
        // clone() without CLONE_THREAD makes a process (posix_spawn's vfork-like clone is reported as VFORK).
        bool thread = ev == Libc.PTRACE_EVENT_CLONE && Directory.Exists($"/proc/{pid}/task/{child}");
        _tgid[child] = thread ? pid : child;
        if (thread) _observer.OnThreadStart(pid, child);
        else
        {
            _processes[child] = 0;
            _observer.OnProcessStart(pid, child);
        }
        if (_unannounced.Remove(child)) Resume(child, 0);
    }

    unsafe void OnExec(int tid)
    {
        // The task reported is the process's leader; an exec from another thread gives that thread's old id.
        ulong former;
        if (Libc.Ptrace(Libc.PTRACE_GETEVENTMSG, tid, 0, (nint)(&former)) == 0 && (int)former != tid) Forget((int)former);
        _tgid[tid] = tid;
        Unwatch(tid);
        if (_observer.OnExec(tid) == ExecVerdict.WatchMappings)
        {
            _watching.Add(tid);
            _watched[tid] = 0;
        }
        Resume(tid, 0);
    }

    unsafe void OnSyscall(int tid)
    {
        var info = stackalloc byte[128];
        if (_watching.Contains(tid) && Libc.Ptrace(Libc.PTRACE_GET_SYSCALL_INFO, tid, 128, (nint)info) > 0)
        {
            if (info[0] == 1) _syscall[tid] = *(long*)(info + 24); // entry: its number
            else if (info[0] == 2 && _syscall.GetValueOrDefault(tid, -1) == SysMmap && _observer.OnMapped(_tgid.GetValueOrDefault(tid, tid)))
                Unwatch(tid);
            if (_watching.Contains(tid) && ++_watched[tid] > MaxWatchedSyscalls) Unwatch(tid); // its loader never mapped what we wait for
        }
        Resume(tid, 0);
    }

    void Unwatch(int tid)
    {
        _watching.Remove(tid);
        _syscall.Remove(tid);
        _watched.Remove(tid);
    }

    void Resume(int tid, int sig) =>
        Libc.Ptrace(_watching.Contains(tid) ? Libc.PTRACE_SYSCALL : Libc.PTRACE_CONT, tid, 0, sig); // ESRCH: killed meanwhile

    void Forget(int tid)
    {
        _tgid.Remove(tid);
        _processes.TryRemove(tid, out _);
        _unannounced.Remove(tid);
        Unwatch(tid);
    }

    /// <summary>The command has ended: let every task still traced go. Tasks held in a stop are detached now, the
    /// others are interrupted and detached at the stop that follows.</summary>
    void DetachAll()
    {
        foreach (var tid in _unannounced.ToList()) Detach(tid, 0);
        foreach (var tid in _tgid.Keys.ToList()) Libc.Ptrace(Libc.PTRACE_INTERRUPT, tid, 0, 0);
    }

    void Detach(int tid, int sig)
    {
        Libc.Ptrace(Libc.PTRACE_DETACH, tid, 0, sig);
        Forget(tid);
    }

    /// <summary>posix_spawnp from this thread, with every signal at its default and none blocked (.NET ignores
    /// SIGPIPE, which a child would inherit).</summary>
    static unsafe int Spawn(IReadOnlyList<string> argv, IReadOnlyDictionary<string, string> environment)
    {
        var env = new Dictionary<string, string>();
        foreach (System.Collections.DictionaryEntry e in Environment.GetEnvironmentVariables()) env[(string)e.Key] = (string?)e.Value ?? "";
        foreach (var (k, v) in environment) env[k] = v;
        var strings = new List<nint>();
        nint Utf8(string s)
        {
            var p = Marshal.StringToCoTaskMemUTF8(s);
            strings.Add(p);
            return p;
        }
        var args = new nint[argv.Count + 1];
        for (int i = 0; i < argv.Count; i++) args[i] = Utf8(argv[i]);
        var envp = env.Select(kv => Utf8($"{kv.Key}={kv.Value}")).Append(0).ToArray();
        var attr = stackalloc byte[Libc.SpawnAttrSize];
        var all = stackalloc byte[Libc.SigSetSize];
        var none = stackalloc byte[Libc.SigSetSize];
        try
        {
            Libc.PosixSpawnAttrInit(attr);
            Libc.SigFillSet(all);
            Libc.SigEmptySet(none);
            Libc.PosixSpawnAttrSetSigDefault(attr, all);
            Libc.PosixSpawnAttrSetSigMask(attr, none);
            Libc.PosixSpawnAttrSetFlags(attr, Libc.POSIX_SPAWN_SETSIGDEF | Libc.POSIX_SPAWN_SETSIGMASK);
            int pid;
            int rc;
            fixed (nint* a = args)
            fixed (nint* e = envp)
                rc = Libc.PosixSpawnP(&pid, (byte*)a[0], null, attr, (byte**)a, (byte**)e);
            Libc.PosixSpawnAttrDestroy(attr);
            if (rc != 0) throw new GilTracerException($"cannot start /bin/sh: {Marshal.GetPInvokeErrorMessage(rc)}");
            return pid;
        }
        finally
        {
            foreach (var p in strings) Marshal.FreeCoTaskMem(p);
        }
    }

    void Cleanup()
    {
        if (_fifo >= 0) Libc.Close(_fifo);
        _fifo = -1;
        if (_fifoDir is not null) try { Directory.Delete(_fifoDir, true); } catch (IOException) { }
    }
}
