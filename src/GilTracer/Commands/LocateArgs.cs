using System.CommandLine;
using GilTracer.Core.Locate;

namespace GilTracer.Commands;

/// <summary>Expert overrides of where the GIL code is, shared by run and doctor (attach takes --gil-method only).</summary>
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

    public static void AddTo(Command c)
    {
        c.Add(TakeGilOffset);
        c.Add(DropGilOffset);
        c.Add(GilMethod);
    }

    public static LocateOptions From(ParseResult p) => new(
        LocateOptions.ParseOffset(p.GetValue(TakeGilOffset), "--take-gil-offset"),
        LocateOptions.ParseOffset(p.GetValue(DropGilOffset), "--drop-gil-offset"),
        Method: LocateOptions.ParseMethod(p.GetValue(GilMethod), "--gil-method"));

    /// <summary>attach: only the method can be forced (offsets are per binary, and attach finds the binary itself).</summary>
    public static LocateOptions MethodFrom(ParseResult p) => new(Method: LocateOptions.ParseMethod(p.GetValue(GilMethod), "--gil-method"));
}
