using System.Globalization;
using GilTracer.Core.Model;

namespace GilTracer.Tests.Decode;

/// <summary>
/// Test oracle: turns `perf script --ns --show-task-events --show-lost-events -F comm,pid,tid,cpu,time,event,trace`
/// lines (perf's own decoding of a perf.data file) into the TraceEvents the perf.data reader must produce.
/// Deliberately simple string code, independent of the reader and of the production text reader.
/// </summary>
internal static class PerfScriptOracle
{
    public static List<TraceEvent> Parse(IEnumerable<string> lines)
    {
        var events = new List<TraceEvent>();
        foreach (var line in lines)
            if (ParseLine(line) is { } e) events.Add(e);
        return events;
    }

    // "      python3.11  7381/7383  [001]   371.385742319:     giltracer_7370:take_gil: (7f302504f7b0)"
    public static TraceEvent? ParseLine(string line)
    {
        int bracket = line.IndexOf(" [", StringComparison.Ordinal);
        if (bracket < 0) return null;
        int close = line.IndexOf(']', bracket);
        var head = line[..bracket].TrimEnd();
        var pidTid = head[(head.LastIndexOf(' ') + 1)..].Split('/');
        var comm = head[..head.LastIndexOf(' ')].Trim();
        int pid = int.Parse(pidTid[0]), tid = int.Parse(pidTid[1]);
        int cpu = int.Parse(line[(bracket + 2)..close]);
        int colon = line.IndexOf(": ", close, StringComparison.Ordinal);
        var time = line[(close + 1)..colon].Trim().Split('.');
        long ts = long.Parse(time[0]) * 1_000_000_000 + long.Parse(time[1]);
        var rest = line[(colon + 2)..].TrimStart();

        if (rest.StartsWith("PERF_RECORD_COMM", StringComparison.Ordinal))
        {
            // "PERF_RECORD_COMM exec: python3.11:7399/7399" or "PERF_RECORD_COMM: perf-exec:7391/7391"
            var payload = rest[(rest.IndexOf(": ", StringComparison.Ordinal) + 2)..];
            int c = payload.LastIndexOf(':');
            var ids = payload[(c + 1)..].Split('/');
            return new TraceEvent(EventKind.Comm, ts, int.Parse(ids[0]), int.Parse(ids[1]), cpu, Comm: payload[..c]);
        }
        if (rest.StartsWith("PERF_RECORD_FORK", StringComparison.Ordinal) || rest.StartsWith("PERF_RECORD_EXIT", StringComparison.Ordinal))
        {
            // "PERF_RECORD_FORK(7399:7401):(7399:7399)" = (pid:tid):(ppid:ptid)
            var nums = rest[16..].Replace("(", "").Replace(")", "").Split(':');
            int p = int.Parse(nums[0]), t = int.Parse(nums[1]), pp = int.Parse(nums[2]), pt = int.Parse(nums[3]);
            return rest[12] == 'F'
                ? new TraceEvent(EventKind.Fork, ts, pp, pt, cpu, ChildPid: p, Comm: comm) { ChildTid = t }
                : new TraceEvent(EventKind.Exit, ts, p, t, cpu, Comm: comm);
        }
        if (rest.StartsWith("PERF_RECORD_LOST", StringComparison.Ordinal))
            return new TraceEvent(EventKind.Lost, ts, pid, tid, cpu) { LostCount = int.Parse(rest[(rest.LastIndexOf(' ') + 1)..]) };
        if (rest.StartsWith("PERF_RECORD", StringComparison.Ordinal)) return null;

        int nameEnd = rest.IndexOf(": ", StringComparison.Ordinal);
        var name = nameEnd < 0 ? rest.TrimEnd(':') : rest[..nameEnd];
        var fields = nameEnd < 0 ? "" : rest[(nameEnd + 2)..];
        switch (name)
        {
            case "sched:sched_switch":
                return new TraceEvent(EventKind.SchedSwitch, ts, pid, Int(fields, "prev_pid"), cpu, State: State(Word(fields, "prev_state")), Comm: comm) { NextTid = Int(fields, "next_pid") };
            case "sched:sched_wakeup":
                return new TraceEvent(EventKind.SchedWakeup, ts, pid, tid, cpu, Comm: comm) { WokenTid = Int(fields, "pid") };
            case "sched:sched_wakeup_new":
                return new TraceEvent(EventKind.SchedWakeupNew, ts, pid, tid, cpu, Comm: comm) { WokenTid = Int(fields, "pid") };
            case "sched:sched_process_fork":
                return new TraceEvent(EventKind.Fork, ts, pid, Int(fields, "pid"), cpu, Comm: comm) { ChildTid = Int(fields, "child_pid") };
            case "sched:sched_process_exit":
                return new TraceEvent(EventKind.Exit, ts, pid, Int(fields, "pid"), cpu, Comm: comm, PidKnown: Int(fields, "pid") == tid);
        }
        return GilProbeNames.Classify(name.AsSpan()) is { } kind ? new TraceEvent(kind, ts, pid, tid, cpu, Comm: comm) : null;
    }

    private static string Word(string fields, string key)
    {
        int i = fields.IndexOf(" " + key + "=", StringComparison.Ordinal);
        if (i < 0 && fields.StartsWith(key + "=", StringComparison.Ordinal)) i = -1;
        else if (i < 0) throw new FormatException($"no {key} in {fields}");
        int start = i + key.Length + 2;
        int end = fields.IndexOf(' ', start);
        return end < 0 ? fields[start..] : fields[start..end];
    }

    private static int Int(string fields, string key) => int.Parse(Word(fields, key), CultureInfo.InvariantCulture);

    private static ThreadRunState State(string s) => s switch
    {
        "R" or "R+" => ThreadRunState.Runnable,
        _ when s.StartsWith('S') => ThreadRunState.Sleeping,
        _ when s.StartsWith('D') => ThreadRunState.Disk,
        _ => ThreadRunState.Other,
    };
}
