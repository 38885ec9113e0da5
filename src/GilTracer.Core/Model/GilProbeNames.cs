namespace GilTracer.Core.Model;

/// <summary>
/// Maps probe event names to GIL event kinds. Accepts our names (take_gil, take_gil_ret, …), perf probe's
/// (take_gil__return), acquiring-store probes (take_gil_acq…), the seed article's (python:take_gil_1) and numbered clone/site suffixes
/// (take_gil_2, drop_gil_site3) so that several probe sites map to one kind. Handover-wait probes (drop_gil_hw,
/// drop_gil_hw_ret, numbered alike) are told apart before the generic "ret" rule.
/// </summary>
public static class GilProbeNames
{
    public const string TakeGil = "take_gil";
    public const string TakeGilRet = "take_gil_ret";
    public const string TakeGilAcquire = "take_gil_acq";
    public const string DropGil = "drop_gil";
    public const string DropGilRet = "drop_gil_ret";
    public const string ReleaseSite = "drop_gil_rel";
    /// <summary>A release store with a known end: classifies as a drop_gil entry (and its end, "drop_gil_st_ret", as a return).</summary>
    public const string ReleaseStart = "drop_gil_st";
    public const string ReleaseEnd = "drop_gil_st_ret";
    /// <summary>The forced switch after a release opens (MUTEX_LOCK(switch_mutex)): the dropper waits for the next holder.</summary>
    public const string HandoverWait = "drop_gil_hw";
    /// <summary>It closes (after MUTEX_UNLOCK(switch_mutex)): the wait ends.</summary>
    public const string HandoverWaitEnd = "drop_gil_hw_ret";

    /// <summary>The event name without its group, e.g. "take_gil_ret" of "giltracer_12:take_gil_ret".</summary>
    public static EventKind? Classify(ReadOnlySpan<char> eventName)
    {
        int colon = eventName.LastIndexOf(':');
        if (colon >= 0) eventName = eventName[(colon + 1)..];
        bool take = eventName.StartsWith(TakeGil);
        bool drop = !take && eventName.StartsWith(DropGil);
        if (!take && !drop) return null;
        var rest = eventName[TakeGil.Length..];
        if (drop && eventName.StartsWith(HandoverWait))
            return rest.Contains("ret", StringComparison.Ordinal) ? EventKind.HandoverWaitEnd : EventKind.HandoverWait;
        bool ret = rest.Contains("ret", StringComparison.Ordinal) || rest.Contains("acq", StringComparison.Ordinal);
        if (take) return ret ? EventKind.TakeGilReturn : EventKind.TakeGil;
        return ret ? EventKind.DropGilReturn : eventName.StartsWith(ReleaseSite) ? EventKind.ReleaseSite : EventKind.DropGil;
    }

    /// <summary>Byte version for the span-based text reader.</summary>
    public static EventKind? Classify(ReadOnlySpan<byte> eventName)
    {
        int colon = eventName.LastIndexOf((byte)':');
        if (colon >= 0) eventName = eventName[(colon + 1)..];
        bool take = eventName.StartsWith("take_gil"u8);
        bool drop = !take && eventName.StartsWith("drop_gil"u8);
        if (!take && !drop) return null;
        if (drop && eventName.StartsWith("drop_gil_hw"u8))
            return eventName[8..].IndexOf("ret"u8) >= 0 ? EventKind.HandoverWaitEnd : EventKind.HandoverWait;
        bool ret = eventName[8..].IndexOf("ret"u8) >= 0 || eventName[8..].IndexOf("acq"u8) >= 0;
        if (take) return ret ? EventKind.TakeGilReturn : EventKind.TakeGil;
        return ret ? EventKind.DropGilReturn : eventName.StartsWith("drop_gil_rel"u8) ? EventKind.ReleaseSite : EventKind.DropGil;
    }
}
