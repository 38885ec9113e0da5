namespace GilTracer.Core.Pipeline;

/// <summary>The Python files shipped inside the assembly (python/*.py), written next to the outputs for the target to run.</summary>
public static class BootstrapFiles
{
    /// <summary>Writes every bundled Python file into DIR/.giltracer/ and returns the bootstrap's path.</summary>
    public static string Extract(string outputDir)
    {
        var dir = Path.GetFullPath(Path.Combine(outputDir, ".giltracer"));
        Directory.CreateDirectory(dir);
        var asm = typeof(BootstrapFiles).Assembly;
        foreach (var name in asm.GetManifestResourceNames().Where(n => n.StartsWith("python/", StringComparison.Ordinal)))
        {
            using var src = asm.GetManifestResourceStream(name)!;
            using var dst = File.Create(Path.Combine(dir, name["python/".Length..]));
            src.CopyTo(dst);
        }
        return Path.Combine(dir, "giltracer_boot.py");
    }
}
