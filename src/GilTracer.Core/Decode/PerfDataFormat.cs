using System.Buffers.Binary;

namespace GilTracer.Core.Decode;

/// <summary>
/// Constants of the perf.data file format (linux tools/perf/Documentation/perf.data-file-format.txt,
/// include/uapi/linux/perf_event.h). Only what the reader needs.
/// </summary>
internal static class PerfDataFormat
{
    /// <summary>"PERFILE2" read as a little-endian u64.</summary>
    public const ulong Magic = 0x32454c4946524550UL;
    /// <summary>The same magic written by a big-endian machine.</summary>
    public const ulong MagicSwapped = 0x50455246494c4532UL;
    public const int FileHeaderSize = 104;
    public const int PipeHeaderSize = 16;
    public const int RecordHeaderSize = 8;

    /// <summary>
    /// True when the file starts with perf.data's magic, either byte order (so `convert` tells it from text, and a
    /// big-endian file reaches the reader, which says it is not supported, instead of being parsed as text).
    /// False for a file that cannot be read: the caller's own open then says why.
    /// </summary>
    public static bool IsPerfData(string path)
    {
        Span<byte> magic = stackalloc byte[8];
        try
        {
            using var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            return RandomAccess.Read(file, magic, 0) == 8 && BinaryPrimitives.ReadUInt64LittleEndian(magic) is Magic or MagicSwapped;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
    }
}

/// <summary>perf_event_header.type values.</summary>
internal enum PerfRecordType : uint
{
    Mmap = 1, Lost = 2, Comm = 3, Exit = 4, Throttle = 5, Unthrottle = 6, Fork = 7, Read = 8, Sample = 9,
    Mmap2 = 10, Aux = 11, ItraceStart = 12, LostSamples = 13, Switch = 14, SwitchCpuWide = 15,
    // perf's own "user" records, written by the tool, not the kernel
    HeaderAttr = 64, HeaderEventType = 65, HeaderTracingData = 66, HeaderBuildId = 67, FinishedRound = 68,
    IdIndex = 69, AuxtraceInfo = 70, Auxtrace = 71, AuxtraceError = 72, EventUpdate = 78, HeaderFeature = 80, Compressed = 81,
    FinishedInit = 82,
}

/// <summary>perf_event_attr.sample_type bits.</summary>
[Flags]
internal enum PerfSampleType : ulong
{
    Ip = 1UL << 0, Tid = 1UL << 1, Time = 1UL << 2, Addr = 1UL << 3, Read = 1UL << 4, Callchain = 1UL << 5,
    Id = 1UL << 6, Cpu = 1UL << 7, Period = 1UL << 8, StreamId = 1UL << 9, Raw = 1UL << 10,
    BranchStack = 1UL << 11, RegsUser = 1UL << 12, StackUser = 1UL << 13, Weight = 1UL << 14,
    DataSrc = 1UL << 15, Identifier = 1UL << 16,
}

/// <summary>perf_event_attr.read_format bits.</summary>
[Flags]
internal enum PerfReadFormat : ulong
{
    TotalTimeEnabled = 1, TotalTimeRunning = 2, Id = 4, Group = 8, Lost = 16,
}

/// <summary>Feature bits of the file header (HEADER_* in tools/perf/util/header.h).</summary>
internal enum PerfFeature
{
    TracingData = 1, BuildId = 2, Hostname = 3, OsRelease = 4, Version = 5, Arch = 6, NrCpus = 7,
    CpuDesc = 8, CpuId = 9, TotalMem = 10, CmdLine = 11, EventDesc = 12, ClockId = 23, ClockData = 29,
}
