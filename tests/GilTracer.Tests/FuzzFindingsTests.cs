using GilTracer.Core.Decode;
using GilTracer.Core.Locate;
using GilTracer.Core.Model;

namespace GilTracer.Tests;

/// <summary>
/// Every input with which fuzzing (fuzz/run.sh, outside CI) made a reader crash, hang or run away with memory, kept in
/// TestData/fuzz/TARGET/: each now ends within seconds, with a result or one GilTracerException, as fuzz/'s harness
/// demands. The targets do what the harness's do.
/// </summary>
public class FuzzFindingsTests
{
    static readonly Dictionary<string, Action<string>> Targets = new()
    {
        ["perfdata"] = path =>
        {
            _ = PerfRecordingInfo.Read(path);
            var reader = new PerfDataReader(path) { IncludeTaskEvents = true };
            foreach (var _ in reader.ReadEventsWithExits()) { }
            _ = reader.Result.Describe();
        },
        ["perfscript"] = path =>
        {
            var reader = new PerfScriptTextReader();
            using var f = File.OpenRead(path);
            foreach (var _ in reader.Read(f)) { }
        },
        ["elf"] = path =>
        {
            var elf = ElfImage.Load(path);
            _ = elf.BuildId;
            _ = elf.DebugLink;
            foreach (var s in elf.Symbols) _ = elf.TryFileOffset(s.Value);
        },
        ["ehframe"] = path => EhFrameReader.ReadFunctions(ElfImage.Load(path)),
        ["gilscan"] = path => GilCodeScanner.Scan(ElfImage.Load(path), "3.12"),
    };

    public static TheoryData<string, string> Findings()
    {
        var data = new TheoryData<string, string>();
        foreach (var dir in Directory.GetDirectories(TestSupport.DataPath("fuzz")).Order())
            foreach (var file in Directory.GetFiles(dir).Order())
                data.Add(Path.GetFileName(dir), Path.GetFileName(file));
        return data;
    }

    [Theory]
    [MemberData(nameof(Findings))]
    public void EndsWithAResultOrOneClearError(string target, string input)
    {
        var path = TestSupport.DataPath(Path.Combine("fuzz", target, input));
        // every ELF target reads the file through ElfImage: the elf findings go through all three
        var targets = target == "elf" ? ["elf", "ehframe", "gilscan"] : new[] { target };
        foreach (var t in targets)
        {
            var run = Task.Run(() => Record.Exception(() => Targets[t](path)));
            Assert.True(run.Wait(TimeSpan.FromSeconds(20)), $"{t} on {input} did not end within 20 s");
            if (run.Result is { } e) Assert.True(e is GilTracerException, $"{t} on {input}: {e}");
        }
    }
}
