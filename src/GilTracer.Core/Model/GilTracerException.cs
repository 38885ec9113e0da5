namespace GilTracer.Core.Model;

/// <summary>
/// A failure the user can act on: the message is one line saying what went wrong and how to fix it.
/// The CLI prints it as "giltracer: error: MESSAGE" and exits with ExitCode, never with a stack trace.
/// </summary>
public sealed class GilTracerException(string message, int exitCode = 1, Exception? inner = null)
    : Exception(message, inner)
{
    public int ExitCode { get; } = exitCode;

    /// <summary>What the analysis found before the failure, when it found it all and only the outputs failed (a full
    /// disk): the CLI still prints its table, then the error.</summary>
    public GilReport? Report { get; init; }
}
