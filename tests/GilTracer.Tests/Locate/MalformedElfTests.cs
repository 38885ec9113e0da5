using System.Buffers.Binary;
using System.Diagnostics;
using GilTracer.Core.Locate;
using GilTracer.Core.Model;
using Xunit.Abstractions;

namespace GilTracer.Tests.Locate;

/// <summary>
/// Binaries from a process's root are untrusted input: truncated or garbled ELF files give one GilTracerException
/// line, never another exception, from loading through locating the GIL code (and attach's locating).
/// </summary>
public class MalformedElfTests(ITestOutputHelper output)
{
    static readonly LocateOptions NoDebugInfo = new(DebugDirectories: [], Debuginfod: DebuginfodOptions.Off);

    /// <summary>Damaged copies of a real stripped, static Python (sid's python3.15: the binaries a container holds).</summary>
    public static TheoryData<string> Damages => new()
    {
        "header only", "cut at 4 KiB", "cut in the middle", "cut before the section headers",
        "section headers far past the end", "huge section count", "section offsets garbled", "program headers garbled",
        "string table index garbled", "note sizes garbled", "code zeroed", "random bytes after the header",
    };

    [Theory]
    [MemberData(nameof(Damages))]
    public void DamagedBinaryGivesOneLine(string damage)
    {
        var path = Damaged(SidChroot.Python("3.15"), damage);
        try
        {
            var e = Record.Exception(() => PythonLocator.LocateIn(new InterpreterFacts("/usr/bin/python3.15", "3.15", false, []), path, false, NoDebugInfo));
            if (e is null) { output.WriteLine($"{damage}: still locatable"); return; } // harmless damage (e.g. to unused bytes)
            output.WriteLine($"{damage}: {e.GetType().Name}: {e.Message}");
            Assert.IsType<GilTracerException>(e);
            Assert.DoesNotContain('\n', e.Message);
        }
        finally { File.Delete(path); }
    }

    /// <summary>attach to a process that maps a garbled "libpython3.12.so": one line naming the file and the process.</summary>
    [Fact]
    public void AttachToAProcessMappingADamagedLibPythonGivesOneLine()
    {
        var dir = Path.Combine(Path.GetTempPath(), $"giltracer-garbled-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        var lib = Path.Combine(dir, "libpython3.12.so.1.0");
        File.Move(Damaged(SidChroot.Python("3.15"), "section offsets garbled"), lib);
        var psi = new ProcessStartInfo(PythonInstalls.DebianPython) { RedirectStandardOutput = true };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("import mmap,sys,time; f=open(sys.argv[1],'rb'); m=mmap.mmap(f.fileno(),0,prot=mmap.PROT_READ); print('ready',flush=True); time.sleep(30)");
        psi.ArgumentList.Add(lib);
        using var p = Process.Start(psi)!;
        try
        {
            Assert.Equal("ready", p.StandardOutput.ReadLine());
            var e = Assert.Throws<GilTracerException>(() => ProcessLocator.Locate(p.Id, NoDebugInfo));
            output.WriteLine(e.Message);
            Assert.Contains(lib, e.Message);
            Assert.DoesNotContain('\n', e.Message);
        }
        finally { p.Kill(); p.WaitForExit(); Directory.Delete(dir, true); }
    }

    static string Damaged(string source, string damage)
    {
        var b = File.ReadAllBytes(source);
        ulong phoff = BinaryPrimitives.ReadUInt64LittleEndian(b.AsSpan(32)), shoff = BinaryPrimitives.ReadUInt64LittleEndian(b.AsSpan(40));
        int phnum = BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(56)), shnum = BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(60));
        var rng = new Random(damage.Length);
        switch (damage)
        {
            case "header only": b = b[..64]; break;
            case "cut at 4 KiB": b = b[..4096]; break;
            case "cut in the middle": b = b[..(b.Length / 2)]; break;
            case "cut before the section headers": b = b[..(int)shoff]; break;
            case "section headers far past the end": BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(40), (ulong)b.Length * 16); break;
            case "huge section count": BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(60), 0xfff0); break;
            case "section offsets garbled":
                for (int i = 1; i < shnum; i++) // sh_offset of every section: far past the end
                    BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan((int)shoff + i * 64 + 24), 0x7fff_0000_0000 + (ulong)i);
                break;
            case "program headers garbled":
                for (int i = 0; i < phnum; i++) // p_offset and p_filesz
                {
                    BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan((int)phoff + i * 56 + 8), 0xffff_ffff_0000);
                    BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan((int)phoff + i * 56 + 32), 0xffff_ffff_ffff);
                }
                break;
            case "string table index garbled": BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(62), (ushort)(shnum + 7)); break;
            case "note sizes garbled":
                for (int i = 1; i < shnum; i++)
                {
                    var sh = b.AsSpan((int)shoff + i * 64);
                    if (BinaryPrimitives.ReadUInt32LittleEndian(sh[4..]) != 7) continue; // SHT_NOTE
                    int off = (int)BinaryPrimitives.ReadUInt64LittleEndian(sh[24..]);
                    BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(off), 0xffff_fff0);
                    BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(off + 4), 0x7fff_ffff);
                }
                break;
            case "code zeroed": Array.Clear(b, 0x1000, b.Length / 2); break;
            case "random bytes after the header": rng.NextBytes(b.AsSpan(64, 1 << 20)); break;
            default: throw new ArgumentException(damage);
        }
        var path = Path.Combine(Path.GetTempPath(), $"giltracer-damaged-{Guid.NewGuid():N}");
        File.WriteAllBytes(path, b);
        return path;
    }
}
