using GilTracer.Core.Decode;
using GilTracer.Core.Locate;
using GilTracer.Core.Model;
using GilTracer.Core.Probe;
using GilTracer.Core.Record;

namespace GilTracer.Core.Doctor;

/// <summary>The doctor's trial of the stages `run` chains: create the probes (Probe), record a tiny program (Record), count what fired (Decode).</summary>
static class ProbeTrial
{
    /// <summary>Two threads that each hold the GIL for 50 ms: take_gil, its return and drop_gil must all fire.</summary>
    const string TwoThreads = "import threading,time\ndef f():\n  t=time.time()\n  while time.time()-t<0.05: pass\nts=[threading.Thread(target=f) for _ in range(2)]\n[t.start() for t in ts]\n[t.join() for t in ts]";

    public static DoctorCheck CreateUprobes(PythonTarget target)
    {
        try
        {
            using var group = UprobeGroup.Create(target.Sites);
            return new("uprobes", true, $"created and removed {group.Events.Count} probes ({group.Name})");
        }
        catch (GilTracerException e)
        {
            return new("uprobes", false, e.Message, "check that the kernel has CONFIG_UPROBE_EVENTS=y (grep UPROBE /boot/config-$(uname -r))");
        }
    }

    /// <summary>A real recording of a thread start and join, decoded as `run` decodes it: the probes must fire.
    /// <paramref name="launcher"/> runs the Python where it belongs (chroot ROOT PATH); empty for a host Python.</summary>
    public static DoctorCheck Record(PythonTarget target, IReadOnlyList<string> launcher)
    {
        var dir = Path.Combine(Path.GetTempPath(), $"giltracer-doctor-{Environment.ProcessId}");
        Directory.CreateDirectory(dir);
        try
        {
            var data = Path.Combine(dir, "perf.data");
            using (var group = UprobeGroup.Create(target.Sites))
            {
                int exit = PerfRecorder.Record(new RecordRequest([group.Selector], data, [.. launcher.Count > 0 ? launcher : [target.Executable], "-c", TwoThreads], 64));
                if (exit != 0 || !File.Exists(data)) return new("recording", false, $"perf record exited with {exit}", "run: perf record -e 'giltracer_*' -- true   # to see perf's own message");
            }
            var counts = new Dictionary<EventKind, int>();
            foreach (var e in new PerfDataReader(data).ReadEvents())
                counts[e.Kind] = counts.GetValueOrDefault(e.Kind) + 1;
            int take = counts.GetValueOrDefault(EventKind.TakeGil), held = counts.GetValueOrDefault(EventKind.TakeGilReturn), drop = counts.GetValueOrDefault(EventKind.DropGil) + counts.GetValueOrDefault(EventKind.ReleaseSite);
            bool ok = take > 0 && held > 0 && drop > 0;
            return new("recording", ok, $"a two-thread test program fired take_gil {take}×, acquired {held}×, released {drop}×",
                ok ? null : "the probe sites do not fire: report this Python build, or try --take-gil-offset/--drop-gil-offset");
        }
        catch (GilTracerException e) { return new("recording", false, e.Message); }
        finally { try { Directory.Delete(dir, true); } catch (IOException) { } }
    }
}
