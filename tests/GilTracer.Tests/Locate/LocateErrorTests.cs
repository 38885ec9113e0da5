using GilTracer.Core.Locate;
using GilTracer.Core.Model;

namespace GilTracer.Tests.Locate;

/// <summary>Bad input to the locator: one clear line each.</summary>
public class LocateErrorTests
{
    static string TempFile(byte[] content)
    {
        var p = Path.Combine(Path.GetTempPath(), $"giltracer-elf-{Guid.NewGuid():N}");
        File.WriteAllBytes(p, content);
        return p;
    }

    [Fact]
    public void NotAnElfFile()
    {
        var p = TempFile("#!/bin/sh\nexec python3 \"$@\"\n"u8.ToArray());
        var e = Assert.Throws<GilTracerException>(() => ElfImage.Load(p));
        Assert.Equal($"{p} is not an ELF binary; pass --python with a CPython 3.8+ interpreter", e.Message);
        File.Delete(p);
    }

    [Fact]
    public void AnotherArchitecture()
    {
        // A real x86-64 header with e_machine changed to AArch64 (183).
        var bytes = File.ReadAllBytes("/bin/true");
        bytes[18] = 183;
        bytes[19] = 0;
        var p = TempFile(bytes);
        var e = Assert.Throws<GilTracerException>(() => ElfImage.Load(p));
        Assert.Contains("built for another architecture (64-bit, ELF machine 183)", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        File.Delete(p);
    }

    [Fact]
    public void HeuristicFindsNothingInABinaryWithoutCPython()
    {
        var e = Assert.Throws<GilTracerException>(() => GilCodeScanner.Scan(ElfImage.Load("/bin/true")));
        Assert.Contains("--take-gil-offset", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Theory]
    [InlineData("2.7.18", false, "Python 2 is not supported")]
    [InlineData("3.7.16", false, "GilTracer needs CPython 3.8 or newer")]
    [InlineData("3.6.15", false, "GilTracer needs CPython 3.8 or newer")]
    [InlineData("3.13.0", true, "free-threaded build (Py_GIL_DISABLED): there is no GIL to trace")]
    public void UnsupportedInterpreters(string version, bool freeThreaded, string message)
    {
        var e = Assert.Throws<GilTracerException>(() => PythonLocator.CheckSupported(new InterpreterFacts("/x/python", version, freeThreaded, [])));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void SupportedInterpreterPasses() => PythonLocator.CheckSupported(new InterpreterFacts("/x/python", "3.12.1", false, []));

    [Theory]
    [InlineData("0x24f7b0", 0x24f7b0UL)]
    [InlineData("2422704", 2422704UL)]
    [InlineData(null, null)]
    public void OffsetsParse(string? text, ulong? expected) => Assert.Equal(expected, LocateOptions.ParseOffset(text, "--take-gil-offset"));

    [Fact]
    public void BadOffsetIsAUsageError()
    {
        var e = Assert.Throws<GilTracerException>(() => LocateOptions.ParseOffset("take_gil", "--take-gil-offset"));
        Assert.Equal(2, e.ExitCode);
    }
}
