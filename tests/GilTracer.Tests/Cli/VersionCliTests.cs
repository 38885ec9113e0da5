using System.Text.RegularExpressions;
using GilTracer.Tests.Integration;

namespace GilTracer.Tests.Cli;

/// <summary>`giltracer --version` is Directory.Build.props' &lt;Version&gt;, the one the wheel is named after.</summary>
public class VersionCliTests
{
    public static string ProjectVersion() =>
        Regex.Match(File.ReadAllText(Path.Combine(Repo.Root, "Directory.Build.props")), "<Version>([^<]+)</Version>").Groups[1].Value;

    [Fact]
    public void VersionIsTheProjectsVersion()
    {
        var r = CliRunner.Run(["--version"]);
        Assert.Equal(0, r.ExitCode);
        Assert.Matches(@"^\d+\.\d+\.\d+$", ProjectVersion());
        Assert.Equal(ProjectVersion(), r.Stdout.Trim());
    }
}
