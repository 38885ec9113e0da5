using System.CommandLine;
using GilTracer.Core.Locate;

namespace GilTracer.Commands;

/// <summary>Where the GIL code is: debug folders for all; the expert offsets for run and doctor.</summary>
static class LocateArgs
{
    public static readonly Option<string?> TakeGilOffset = new("--take-gil-offset")
    { Description = "Experts: file offset of take_gil in the binary holding the GIL code (hex 0x… or decimal); skips symbol lookup and disassembly", HelpName = "offset" };
    public static readonly Option<string?> DropGilOffset = new("--drop-gil-offset")
    { Description = "Experts: file offset of drop_gil (give both offsets)", HelpName = "offset" };
    /// <summary>Hidden: for proofs that the heuristic traces like the symbols, and for experts.</summary>
    public static readonly Option<string?> GilMethod = new("--gil-method")
    {
        Description = "Experts: find the GIL code only by 'symbols' (the binary's or its debug file's) or only by 'heuristic' (disassembly, symbols ignored); default 'auto': symbols, debug file, heuristic",
        HelpName = "auto|symbols|heuristic",
        Hidden = true,
    };

    public static readonly Option<string[]> DebugDir = new("--debug-dir")
    {
        Description = "A folder of debug files for stripped Pythons (laid out as /usr/lib/debug: .build-id/xx/rest.debug), looked in before /usr/lib/debug; repeatable",
        HelpName = "dir",
    };

    public static void AddTo(Command c)
    {
        c.Add(DebugDir);
        c.Add(TakeGilOffset);
        c.Add(DropGilOffset);
        c.Add(GilMethod);
    }

    public static LocateOptions From(ParseResult p) => SearchFrom(p) with
    {
        TakeGilOffset = LocateOptions.ParseOffset(p.GetValue(TakeGilOffset), "--take-gil-offset"),
        DropGilOffset = LocateOptions.ParseOffset(p.GetValue(DropGilOffset), "--drop-gil-offset"),
    };

    /// <summary>attach and top: where debug files are and the method (offsets are per binary, and these find the binary themselves).</summary>
    public static LocateOptions SearchFrom(ParseResult p)
    {
        var dirs = p.GetValue(DebugDir) ?? [];
        foreach (var d in dirs)
            if (!Directory.Exists(d)) throw new Core.Model.GilTracerException($"--debug-dir: no folder {d}", 2);
        return new LocateOptions(
            DebugDirectories: dirs.Length == 0 ? null : [.. dirs.Select(Path.GetFullPath), .. DebugInfoLocator.DefaultDirectories],
            Method: LocateOptions.ParseMethod(p.GetValue(GilMethod), "--gil-method"));
    }
}
