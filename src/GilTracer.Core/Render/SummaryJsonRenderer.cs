using GilTracer.Core.Model;

namespace GilTracer.Core.Render;

/// <summary>Writes summary.json (<see cref="SummaryJson"/>; its fields: docs/summary-json.md). Scripts read them: fields are added, never renamed or dropped.</summary>
public sealed class SummaryJsonRenderer(OutputFiles files, string path) : IReportOutput
{
    public void Write(GilReport report)
    {
        using var f = files.Create(path);
        SummaryJson.Of(report).Write(f);
    }
}
