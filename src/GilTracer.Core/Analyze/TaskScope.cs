using GilTracer.Core.Model;

namespace GilTracer.Core.Analyze;

/// <summary>
/// Which tasks (threads, by kernel tid) belong to the traced program. Sched events name other tasks all the time
/// (the idle task, kworkers, whatever ran before or after us), and a system-wide recording (`perf record -a`, which
/// `run --state` needs: a thread's switch-in is recorded in the context of the task it replaces and its wakeup in the
/// waker's) holds every process on the machine, GIL probe hits of other Pythons included. Two rules:
/// <list type="bullet">
/// <item>Tree: the given root processes, their threads (also those that existed before the recording started: known
/// from their own events' pid), and every task forked from a member (the traced process tree).</item>
/// <item>Contexts: every task an event was recorded in the context of, and tasks they fork. Right for per-task
/// recordings (`perf record -- cmd`, `-p PID`), where perf records only the traced tasks' own events.</item>
/// </list>
/// Members are never removed: tids are not reused within a normal recording (pid_max is 4M).
/// </summary>
public sealed class TaskScope
{
    readonly HashSet<int> _members = new();
    readonly HashSet<int> _processes = new();
    readonly bool _contexts;

    TaskScope(bool contexts) => _contexts = contexts;

    /// <summary>The process tree under these pids (a root process's main thread has tid == pid).</summary>
    public static TaskScope Tree(IEnumerable<int> rootPids)
    {
        var s = new TaskScope(false);
        foreach (var pid in rootPids)
            if (pid > 0) { s._members.Add(pid); s._processes.Add(pid); }
        return s;
    }

    /// <summary>Every task that events were recorded in the context of (per-task recordings).</summary>
    public static TaskScope Contexts() => new(true);

    public bool IsTree => !_contexts;
    public bool Contains(int tid) => tid > 0 && _members.Contains(tid);

    /// <summary>Updates membership from the event (forks of members; contexts) and says whether it concerns a member.</summary>
    public bool Admit(in TraceEvent e)
    {
        if (e.Kind == EventKind.Lost) return true;
        if (_contexts && e.Tid > 0 && e.Kind != EventKind.Exit) _members.Add(e.Tid);
        if (e.PidKnown && e.Pid > 0 && e.Tid > 0)
        {
            // A thread of a member process is a member; a forked member with a pid of its own is a member process.
            if (_processes.Contains(e.Pid)) _members.Add(e.Tid);
            else if (e.Tid == e.Pid && _members.Contains(e.Tid)) _processes.Add(e.Pid);
        }
        switch (e.Kind)
        {
            case EventKind.SchedSwitch:
                return Contains(e.Tid) || Contains(e.NextTid);
            case EventKind.SchedWakeup:
            case EventKind.SchedWakeupNew:
                return Contains(e.WokenTid) || Contains(e.Tid);
            case EventKind.Fork:
                if (!Contains(e.Tid)) return false;
                if (e.ChildTid > 0) _members.Add(e.ChildTid);
                return true;
            default:
                return Contains(e.Tid);
        }
    }
}
