using System.Buffers.Binary;
using System.Diagnostics;
using GilTracer.Core.Decode;
using GilTracer.Core.Model;

namespace GilTracer.Tests.Decode;

/// <summary>Truncated and corrupted copies of a real recording: a one-line error naming the byte offset, never a crash or a hang.</summary>
public sealed class PerfDataCorruptionTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("giltracer-perfdata-").FullName;
    private static readonly byte[] Original = File.ReadAllBytes(PerfDataReaderTests.Fixture("sched.perf.data"));

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(byte[] bytes, string name = "copy.perf.data")
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>Reads everything; returns null on success, else the GilTracerException (any other exception fails the test).</summary>
    private static GilTracerException? ReadAll(string path)
    {
        var sw = Stopwatch.StartNew();
        try
        {
            _ = new PerfDataReader(path).ReadEvents().Count();
            return null;
        }
        catch (GilTracerException ex)
        {
            Assert.DoesNotContain('\n', ex.Message);
            return ex;
        }
        finally
        {
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(5), $"reading {path} took {sw.Elapsed}");
        }
    }

    private static long DataOffset => (long)BinaryPrimitives.ReadUInt64LittleEndian(Original.AsSpan(40));
    private static long DataSize => (long)BinaryPrimitives.ReadUInt64LittleEndian(Original.AsSpan(48));

    [Fact]
    public void EveryTruncationGivesAClearErrorNamingAnOffset()
    {
        // cut inside the header, the attrs, the data section (also mid-record) and the feature sections
        var cuts = new List<int> { 0, 4, 8, 50, 103, 104, 200 };
        for (long c = DataOffset; c < DataOffset + DataSize; c += 997) cuts.Add((int)c);
        cuts.AddRange([(int)(DataOffset + DataSize), (int)(DataOffset + DataSize) + 20, Original.Length - 1]);
        foreach (int cut in cuts)
        {
            var ex = ReadAll(Write(Original[..cut]));
            Assert.True(ex is not null, $"a copy cut at {cut} bytes was read without error");
            Assert.Contains("perf.data", ex!.Message);
            if (cut >= 16) Assert.Matches(@"at byte \d+|not supported", ex.Message);
        }
    }

    [Fact]
    public void RecordWithSizeZeroNamesItsOffset()
    {
        var bytes = (byte[])Original.Clone();
        // the first record of the data section: header { u32 type; u16 misc; u16 size }
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan((int)DataOffset + 6), 0);
        var ex = ReadAll(Write(bytes));
        Assert.NotNull(ex);
        Assert.Contains($"at byte {DataOffset}:", ex!.Message);
    }

    [Fact]
    public void RecordRunningPastTheDataSectionIsReported()
    {
        var bytes = (byte[])Original.Clone();
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan((int)DataOffset + 6), 0xfff8);
        var ex = ReadAll(Write(bytes));
        Assert.NotNull(ex);
        Assert.Contains($"at byte {DataOffset}:", ex!.Message);
    }

    [Theory]
    [InlineData("gil")]        // one sample id layout (PERF_SAMPLE_ID)
    [InlineData("sched")]      // many events, PERF_SAMPLE_IDENTIFIER
    [InlineData("lost")]       // LOST and LOST_SAMPLES records
    [InlineData("callchain")]  // call chains to skip
    public void RandomByteDamageNeverCrashesOrHangs(string fixture)
    {
        var original = File.ReadAllBytes(PerfDataReaderTests.Fixture(fixture + ".perf.data"));
        long dataOffset = (long)BinaryPrimitives.ReadUInt64LittleEndian(original.AsSpan(40));
        long dataSize = (long)BinaryPrimitives.ReadUInt64LittleEndian(original.AsSpan(48));
        var rng = new Random(12345);
        int errors = 0;
        for (int round = 0; round < 120; round++)
        {
            var bytes = (byte[])original.Clone();
            // damage mostly the data section, sometimes the header and feature sections
            int n = 1 + rng.Next(8);
            for (int k = 0; k < n; k++)
            {
                int at = round % 4 == 0 ? rng.Next(bytes.Length) : (int)dataOffset + rng.Next((int)dataSize);
                bytes[at] = (byte)rng.Next(256);
            }
            if (ReadAll(Write(bytes)) is not null) errors++;
        }
        Assert.True(errors > 0, "120 damaged copies were all read without complaint");
    }

    [Fact]
    public void TextFileIsNotPerfData()
    {
        var ex = ReadAll(PerfDataReaderTests.Fixture("gil.script.txt"));
        Assert.Equal("perf.data is corrupt or truncated at byte 0: not a perf.data file (no PERFILE2 magic)", ex?.Message);
    }

    [Fact]
    public void EmptyFileIsReported()
    {
        var ex = ReadAll(Write([]));
        Assert.NotNull(ex);
    }
}
