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

    /// <summary>Why threads keep their kernel names where the site hook does not reach (said by run -- and top --).</summary>
    public const string UnreachedHookReason = "GilTracer's thread-name hook cannot reach a Python in another root (nothing is written there), " +
        "and Python 3.13 and older do not give OS threads their threading names (3.14+ do)";

    /// <summary>Our site/ folder (the sitecustomize hook that names threads) beside the bootstrap.</summary>
    public static string SiteDir(string bootstrapPath) => Path.Combine(Path.GetDirectoryName(bootstrapPath)!, "site");

    /// <summary>Whether a Python in <paramref name="root"/> sees our site folder: on the host, or where the root shows the
    /// same folder (a bind mount). Nothing of ours is written into a root.</summary>
    public static bool SiteVisibleFrom(string root, string siteDir) =>
        root == "/" || Locate.MappedFileResolver.Identify(root.TrimEnd('/') + siteDir) is { } inRoot && inRoot == Locate.MappedFileResolver.Identify(siteDir);

    /// <summary>PYTHONPATH for a traced program: our site/ folder (sitecustomize hook, inherited by every child Python) first, then the user's.</summary>
    public static string PythonPath(string bootstrapPath)
    {
        var site = SiteDir(bootstrapPath);
        var user = Environment.GetEnvironmentVariable("PYTHONPATH");
        return string.IsNullOrEmpty(user) ? site : $"{site}:{user}";
    }
}
