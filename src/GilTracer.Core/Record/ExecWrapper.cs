using System.Diagnostics;
using System.Runtime.InteropServices;
using GilTracer.Core.Host;
using GilTracer.Core.Model;

namespace GilTracer.Core.Record;

/// <summary>
/// The hidden verb `giltracer __exec PARENT GROUP COMMAND…`: giltracer itself, started in place of perf, ties the
/// process to its parent's life and sets its process group, then execve's COMMAND.
/// <list type="bullet">
/// <item>PR_SET_PDEATHSIG(SIGKILL): a SIGKILLed giltracer takes perf with it; nothing can be handled after a SIGKILL,
/// so the kernel has to do it. .NET's Process.Start runs no code between fork and exec, and posix_spawn can set a
/// process group but not prctl: hence a wrapper. It is our own binary (no dependency on util-linux's setpriv, which
/// cannot set the group nor close the race below). Checking getppid() after prctl closes the race of a parent that
/// died before it. The death signal fires when the *thread* that forked the child ends: callers start children from
/// the thread that then waits for them (PerfRecorder, SchedRecorder), which outlives them.</item>
/// <item>Process groups: perf gets a group of its own, so a Ctrl-C at the terminal reaches the program and giltracer but
/// not perf (perf would answer it with SIGTERM to the program).</item>
/// <item>Signals ignored by the .NET runtime (SIGPIPE) and the signal mask survive execve: both are reset to the defaults.</item>
/// </list>
/// The Python program does the same for itself (giltracer_boot.py): wrapped, the wrapper runtime's threads would stay
/// in the program's pid, seen by --state. A command that cannot (a coming `run -- COMMAND`) can be wrapped with
/// <see cref="CurrentParent"/> and giltracer's group, at that price.
/// No System.Console here: in a background process group, touching the terminal would stop the wrapper (SIGTTOU).
/// </summary>
public static class ExecWrapper
{
    public const string Verb = "__exec";
    /// <summary>GROUP: a process group of its own.</summary>
    public const string NewGroup = "new";
    /// <summary>GROUP: stay in the parent's group.</summary>
    public const string KeepGroup = "keep";
    /// <summary>PARENT: whatever parent the wrapper has when it starts (perf, whose pid giltracer does not know).</summary>
    public const string CurrentParent = "-";

    /// <summary>How to start giltracer itself (the CLI sets it at start-up, the tests too). Null: children are started
    /// directly, neither tied to giltracer's life nor put in process groups (Ctrl-C then reaches perf too).</summary>
    public static IReadOnlyList<string>? Self { get; set; }

    public static bool Enabled => Self is not null;

    /// <summary>The argv that runs <paramref name="command"/> through the wrapper (unchanged when <see cref="Enabled"/> is false).</summary>
    public static IReadOnlyList<string> Wrap(IReadOnlyList<string> command, string parent, string group) =>
        Self is { } self ? [.. self, Verb, parent, group, .. command] : command;

    /// <summary>
    /// Starts perf (<paramref name="argv"/>, its path first) as every perf of ours is started: through the wrapper, so
    /// it dies with giltracer and has a process group of its own. <paramref name="configure"/> sets redirections and
    /// the environment. Start it from a thread that outlives it: the death signal is tied to that thread.
    /// </summary>
    public static Process StartPerf(IReadOnlyList<string> argv, Action<ProcessStartInfo>? configure = null)
    {
        var launch = Wrap(argv, Environment.ProcessId.ToString(), NewGroup);
        var psi = new ProcessStartInfo(launch[0]) { UseShellExecute = false };
        foreach (var a in launch.Skip(1)) psi.ArgumentList.Add(a);
        configure?.Invoke(psi);
        try { return Process.Start(psi)!; }
        catch (Exception e) { throw new GilTracerException($"cannot start perf: {e.Message}"); }
    }

    /// <summary>Runs in the wrapper process: returns only when something failed (the exit code), else becomes COMMAND.</summary>
    public static unsafe int Main(IReadOnlyList<string> args)
    {
        if (args.Count < 3) return Fail($"usage: giltracer {Verb} PARENT GROUP COMMAND [ARGS…] (internal)", 2);
        int before = Libc.GetPpid();
        Libc.Prctl(Libc.PR_SET_PDEATHSIG, Libc.SIGKILL, 0, 0, 0);
        int expected = args[0] == CurrentParent ? before : int.TryParse(args[0], out var p) ? p : -1;
        if (expected <= 1 || Libc.GetPpid() != expected) return 1; // the parent is already gone: nobody wants this any more

        if (args[1] == NewGroup) Libc.SetPgid(0, 0);
        else if (args[1] != KeepGroup && int.TryParse(args[1], out var pgid)) Libc.SetPgid(0, pgid); // fails only if the group is gone: stay

        ResetSignals();
        var argv = new nint[args.Count - 2 + 1];
        for (int i = 2; i < args.Count; i++) argv[i - 2] = Marshal.StringToCoTaskMemUTF8(args[i]);
        fixed (nint* a = argv) Libc.ExecVp((byte*)a[0], (byte**)a);
        int errno = Marshal.GetLastPInvokeError();
        return Fail($"cannot run {args[2]}: {Marshal.GetPInvokeErrorMessage(errno)}", errno == 2 ? 127 : 126);
    }

    static unsafe void ResetSignals()
    {
        // sigaction(sig, NULL, &old): the handler is the first field; SIG_IGN (1) would be inherited by the program.
        var old = stackalloc byte[256];
        for (int sig = 1; sig < 65; sig++)
        {
            if (sig is Libc.SIGKILL or Libc.SIGSTOP) continue;
            if (Libc.SigAction(sig, null, old) == 0 && *(nint*)old == 1) Libc.Signal(sig, 0);
        }
        var empty = stackalloc ulong[16];
        Libc.SigProcMask(Libc.SIG_SETMASK, empty, null);
    }

    static unsafe int Fail(string message, int code)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes($"giltracer: error: {message}\n");
        fixed (byte* b = bytes) Libc.Write(2, b, bytes.Length);
        return code;
    }
}
