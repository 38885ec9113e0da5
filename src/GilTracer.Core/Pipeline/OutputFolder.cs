using System.Runtime.InteropServices;
using GilTracer.Core.Host;
using GilTracer.Core.Model;

namespace GilTracer.Core.Pipeline;

/// <summary>
/// The output folder: created with errors that say which folder and why, never clobbering an earlier recording.
/// Without -o each run gets a folder of its own (giltracer-out, then giltracer-out-2, …), claimed with mkdir, which
/// fails if the folder exists, so two runs started at once in one place never share one.
/// </summary>
public static class OutputFolder
{
    public const string DefaultName = "giltracer-out";

    /// <summary>What run, attach and convert write into the folder: finding any of them means a recording is there.</summary>
    static readonly string[] Outputs = ["perf.data", "sched.data", "summary.json", "trace.json", "report.html", "threads.jsonl", "functions"];

    /// <summary>Creates and returns the first of NAME, NAME-2, NAME-3, … that did not exist (relative to the current folder).</summary>
    public static string ClaimNext(string name = DefaultName)
    {
        for (int n = 1; n < 10_000; n++)
        {
            var dir = n == 1 ? name : $"{name}-{n}";
            if (Libc.MkDir(dir, 0x1ff) == 0) return dir;
            int errno = Marshal.GetLastPInvokeError();
            if (errno != Libc.EEXIST)
                throw new GilTracerException($"cannot create the output folder {Path.GetFullPath(dir)}: {Marshal.GetPInvokeErrorMessage(errno)}; pass -o DIR");
        }
        throw new GilTracerException($"{name}-2 … {name}-9999 all exist here: remove old ones or pass -o DIR");
    }

    /// <summary>The first output of an earlier recording found in the folder (a file name), or null.</summary>
    public static string? PreviousRecording(string dir) =>
        Directory.Exists(dir) ? Outputs.FirstOrDefault(o => Path.Exists(Path.Combine(dir, o))) : null;

    /// <summary>Creates the folder (and its parents) and checks that we can write in it.</summary>
    public static void Create(string dir)
    {
        if (File.Exists(dir)) throw new GilTracerException($"the output folder {dir} is a file; pass -o with a folder");
        try
        {
            Directory.CreateDirectory(dir);
            var probe = Path.Combine(dir, $".giltracer-write-test-{Environment.ProcessId}");
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new GilTracerException($"cannot write in the output folder {dir}: {Reason(e)}; pass -o with a folder you can write", 1, e);
        }
    }

    /// <summary>The OS's reason without .NET's wording around the path (errno's text when the HResult holds it).</summary>
    static string Reason(Exception e) => e switch
    {
        UnauthorizedAccessException => "permission denied",
        DirectoryNotFoundException or FileNotFoundException => "no such folder, or it cannot hold files",
        _ when e.HResult is > 0 and < 200 => Marshal.GetPInvokeErrorMessage(e.HResult),
        _ => e.Message,
    };
}
