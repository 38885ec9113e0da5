using System.CommandLine;
using GilTracer.Core.Locate;

namespace GilTracer.Commands;

/// <summary>Expert overrides of where the GIL code is, shared by run and doctor.</summary>
static class LocateArgs
{
    public static readonly Option<string?> TakeGilOffset = new("--take-gil-offset")
    { Description = "Experts: file offset of take_gil in the binary holding the GIL code (hex 0x… or decimal); skips symbol lookup and disassembly", HelpName = "offset" };
    public static readonly Option<string?> DropGilOffset = new("--drop-gil-offset")
    { Description = "Experts: file offset of drop_gil (give both offsets)", HelpName = "offset" };

    public static void AddTo(Command c)
    {
        c.Add(TakeGilOffset);
        c.Add(DropGilOffset);
    }

    public static LocateOptions From(ParseResult p) => new(
        LocateOptions.ParseOffset(p.GetValue(TakeGilOffset), "--take-gil-offset"),
        LocateOptions.ParseOffset(p.GetValue(DropGilOffset), "--drop-gil-offset"));
}
