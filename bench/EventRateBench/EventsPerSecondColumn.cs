using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace GilTracer.Bench;

/// <summary>A benchmark's rate in events: its input's event count, and that over the mean time of one operation.</summary>
public sealed class EventsPerSecondColumn(EventsPerSecondColumn.Shown shown) : IColumn
{
    public enum Shown { Events, MillionsPerSecond, NsPerEvent }

    public static IColumn[] All => [new EventsPerSecondColumn(Shown.Events), new EventsPerSecondColumn(Shown.MillionsPerSecond), new EventsPerSecondColumn(Shown.NsPerEvent)];

    public string Id => $"{nameof(EventsPerSecondColumn)}.{shown}";
    public string ColumnName => shown switch { Shown.Events => "Events", Shown.MillionsPerSecond => "M events/s", _ => "ns/event" };
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => (int)shown;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => shown switch
    {
        Shown.Events => "Events in the benchmark's input, handled once per operation",
        Shown.MillionsPerSecond => "Millions of events per second, from the mean",
        _ => "Nanoseconds per event, from the mean",
    };

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    public bool IsAvailable(Summary summary) => true;
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        long events = Inputs.EventsOf(benchmarkCase.Descriptor.WorkloadMethod.Name);
        double? meanNs = summary[benchmarkCase]?.ResultStatistics?.Mean;
        if (shown == Shown.Events) return events > 0 ? events.ToString() : "-";
        if (events == 0 || meanNs is not > 0) return "-";
        return shown == Shown.MillionsPerSecond ? $"{events / meanNs.Value * 1e3:F2}" : $"{meanNs.Value / events:F1}";
    }
}
