namespace GilTracer.Tests;

/// <summary>The Pythons of this machine that the tests run (pyenv's shared builds, Debian's stripped static one).</summary>
public static class PythonInstalls
{
    public const string PyenvRoot = "/root/.pyenv/versions";
    public const string DebianPython = "/usr/bin/python3.11";

    public static string PyenvPython(string version)
    {
        var parts = version.Split('.');
        return $"{PyenvRoot}/{version}/bin/python{parts[0]}.{parts[1]}";
    }

    public static string PyenvLibrary(string version)
    {
        var parts = version.Split('.');
        return $"{PyenvRoot}/{version}/lib/libpython{parts[0]}.{parts[1]}.so.1.0";
    }
}
