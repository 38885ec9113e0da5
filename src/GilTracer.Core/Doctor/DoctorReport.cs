using GilTracer.Core.Locate;

namespace GilTracer.Core.Doctor;

/// <summary>One line of `giltracer doctor`: what was checked, whether it works, and the command that fixes it.</summary>
public sealed record DoctorCheck(string Name, bool Ok, string Detail, string? Fix = null);

/// <summary>What `giltracer doctor` found: the checks in order and, when the Python was located, where its GIL is.</summary>
public sealed record DoctorReport(IReadOnlyList<DoctorCheck> Checks, PythonTarget? Python)
{
    public bool AllOk => Checks.All(c => c.Ok);
}
