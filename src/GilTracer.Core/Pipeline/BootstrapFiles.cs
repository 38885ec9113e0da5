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
            var path = Path.Combine(dir, name["python/".Length..]);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!); // site/sitecustomize.py loads ../giltracer_names.py: keep the layout
            using var dst = File.Create(path);
            src.CopyTo(dst);
        }
        return Path.Combine(dir, "giltracer_boot.py");
    }

    /// <summary>PYTHONPATH for a traced program: our site/ folder (sitecustomize hook, inherited by every child Python) first, then the user's.</summary>
    public static string PythonPath(string bootstrapPath)
    {
        var site = Path.Combine(Path.GetDirectoryName(bootstrapPath)!, "site");
        var user = Environment.GetEnvironmentVariable("PYTHONPATH");
        return string.IsNullOrEmpty(user) ? site : $"{site}:{user}";
    }
}
