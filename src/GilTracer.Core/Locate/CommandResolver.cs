using GilTracer.Core.Model;

namespace GilTracer.Core.Locate;

/// <summary>The program a command will run, found before it runs: its host path, and the root it runs in ("/" on the host).</summary>
/// <param name="Steps">How it was reached, for --verbose ("env", "#!/usr/bin/env python3", "chroot /srv/root").</param>
public sealed record ResolvedProgram(string HostPath, string Root, string PathInRoot, IReadOnlyList<string> Steps)
{
    public bool InOtherRoot => Root != "/";

    /// <summary>It runs in a child of the command's first process (`unshare --fork`, `--kill-child`), not in that
    /// process itself after its execs.</summary>
    public bool InChild { get; init; }

    /// <summary>The file holding its GIL code: the executable of a static build, or the libpython a shared build's
    /// loader would map (its LD_LIBRARY_PATH given); null when it is no CPython or that libpython is not found.</summary>
    public string? GilBinary(PythonImage image, string? ldLibraryPath) => image.Kind switch
    {
        PythonImageKind.Static => HostPath,
        PythonImageKind.Shared => image.ResolveLibPython(PathInRoot, Root, ldLibraryPath),
        _ => null,
    };
}

/// <summary>
/// What `run -- COMMAND` will execute, resolved without running anything: the command's first word through PATH (as
/// execvp), a script's `#!` line, and the launchers that only change what runs where: `env` (its options and
/// NAME=VALUE, PATH= included), `chroot [options] ROOT`, `unshare [options]` (with `-R/--root`). The result is the
/// program that will hold the interpreter, so its GIL code can be probed before the command starts; anything this does
/// not follow (a shell script starting Python, a pyenv shim) is found when it execs (<see cref="PythonImage"/>).
/// Paths inside a root are resolved there: absolute symbolic links lead back into the root, never to the host.
/// </summary>
public static class CommandResolver
{
    const int MaxDepth = 8;

    /// <summary>The program, or null when it cannot be told before the run (no command after chroot, a launcher
    /// this does not know is still resolved itself). Throws when the command's first word names nothing.</summary>
    public static ResolvedProgram? Resolve(IReadOnlyList<string> command, string? path = null, string? cwd = null)
    {
        if (command.Count == 0) throw new GilTracerException("nothing to run after --: give a command", 2);
        path ??= Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin";
        cwd ??= Directory.GetCurrentDirectory();
        var first = Which(command[0], "/", path, cwd)
            ?? throw new GilTracerException(command[0].Contains('/') ? $"no such file: {command[0]}" : $"command not found on PATH: {command[0]}", 127);
        return Follow(first, command.Skip(1).ToList(), "/", path, cwd, [], 0);
    }

    static ResolvedProgram? Follow(string hostPath, List<string> args, string root, string path, string cwd, List<string> steps, int depth)
    {
        var inRoot = InRoot(hostPath, root);
        if (depth >= MaxDepth) return new ResolvedProgram(hostPath, root, inRoot, steps);
        var name = Path.GetFileName(inRoot);
        switch (name)
        {
            case "env":
                return Env(args, root, path, cwd, steps, depth);
            case "chroot":
            {
                int i = SkipOptions(args, ["--userspec", "--groups"]);
                if (i >= args.Count) return null;
                var newRoot = Resolved(args[i], root, root == "/" ? cwd : "/");
                if (newRoot is null || !Directory.Exists(newRoot)) return null;
                return Next(args.Skip(i + 1).ToList(), newRoot, path, "/", [.. steps, $"chroot {args[i]}"], depth);
            }
            case "unshare":
            {
                string? newRoot = null;
                bool fork = false;
                int i = 0;
                for (; i < args.Count && args[i].StartsWith('-') && args[i] != "-"; i++)
                {
                    if (args[i] == "--") { i++; break; }
                    fork |= Forks(args[i]);
                    string? rootArg = args[i] switch
                    {
                        "-R" or "--root" when i + 1 < args.Count => args[++i],
                        var a when a.StartsWith("--root=", StringComparison.Ordinal) => a["--root=".Length..],
                        var a when a.StartsWith("-R", StringComparison.Ordinal) && a.Length > 2 => a[2..],
                        _ => null,
                    };
                    if (rootArg is not null) { newRoot = Resolved(rootArg, root, cwd); continue; }
                    if (TakesValue(args[i], ["-S", "--setuid", "-G", "--setgid", "-w", "--wd", "--propagation", "--setgroups",
                            "--map-user", "--map-group", "--map-users", "--map-groups", "--monotonic", "--boottime"])) i++;
                }
                var nextRoot = newRoot is not null && Directory.Exists(newRoot) ? newRoot : root;
                var next = Next(args.Skip(i).ToList(), nextRoot, path, nextRoot == root ? cwd : "/",
                    nextRoot == root ? [.. steps, "unshare"] : [.. steps, $"unshare --root {newRoot}"], depth);
                return fork && next is not null ? next with { InChild = true } : next;
            }
        }
        if (Shebang(hostPath) is { } line)
        {
            // The kernel runs "interpreter [one argument] script args": the rest of the line is a single argument.
            var text = line.Trim();
            int space = text.IndexOfAny([' ', '\t']);
            var interpreter = space < 0 ? text : text[..space];
            var words = new List<string>();
            if (space >= 0 && text[space..].Trim() is { Length: > 0 } arg) words.Add(arg);
            words.Add(inRoot);
            words.AddRange(args);
            var exe = Resolved(interpreter, root, "/");
            return exe is null || !File.Exists(exe) ? null : Follow(exe, words, root, path, cwd, [.. steps, "#!" + text], depth + 1);
        }
        return new ResolvedProgram(hostPath, root, inRoot, steps);
    }

    /// <summary>`env [-i] [-u NAME] [-C DIR] [-S STRING] [NAME=VALUE…] COMMAND…` (PATH= changes the lookup).</summary>
    static ResolvedProgram? Env(List<string> args, string root, string path, string cwd, List<string> steps, int depth)
    {
        int i = 0;
        for (; i < args.Count; i++)
        {
            var a = args[i];
            if (a == "--") { i++; break; }
            if (a is "-S" or "--split-string" && i + 1 < args.Count)
            {
                // -S splits its string into words (a #! line's way to pass several); quotes are not handled here.
                var split = args[i + 1].Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries).Concat(args.Skip(i + 2)).ToList();
                return Env(split, root, path, cwd, steps, depth + 1);
            }
            if (a.StartsWith("-S", StringComparison.Ordinal) && a.Length > 2)
                return Env([.. a[2..].Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries), .. args.Skip(i + 1)], root, path, cwd, steps, depth + 1);
            if (a.StartsWith('-') && a != "-")
            {
                if (TakesValue(a, ["-u", "--unset", "-C", "--chdir"])) i++;
                if (a is "-C" or "--chdir" && i < args.Count) cwd = args[i];
                continue;
            }
            int eq = a.IndexOf('=');
            if (eq > 0)
            {
                if (a[..eq] == "PATH") path = a[(eq + 1)..];
                continue;
            }
            break;
        }
        return Next(args.Skip(i).ToList(), root, path, cwd, [.. steps, "env"], depth);
    }

    static ResolvedProgram? Next(List<string> words, string root, string path, string cwd, List<string> steps, int depth)
    {
        if (words.Count == 0) return null; // an interactive shell: nothing to resolve
        var exe = Which(words[0], root, path, cwd);
        return exe is null ? null : Follow(exe, words.Skip(1).ToList(), root, path, cwd, steps, depth + 1);
    }

    /// <summary>unshare's -f/--fork (alone or in a cluster such as -pf, before a letter whose value follows) and
    /// --kill-child, which implies it.</summary>
    static bool Forks(string arg)
    {
        if (arg.StartsWith("--", StringComparison.Ordinal))
            return arg == "--fork" || arg == "--kill-child" || arg.StartsWith("--kill-child=", StringComparison.Ordinal);
        foreach (var c in arg.AsSpan(1))
        {
            if (c == 'f') return true;
            if (c is 'R' or 'w' or 'S' or 'G') return false; // the rest is that option's value
        }
        return false;
    }

    static int SkipOptions(List<string> args, string[] valued)
    {
        int i = 0;
        for (; i < args.Count && args[i].StartsWith('-') && args[i] != "-"; i++)
        {
            if (args[i] == "--") return i + 1;
            if (TakesValue(args[i], valued)) i++;
        }
        return i;
    }

    /// <summary>An option given as its own word whose value is the next word (not "--opt=value", not "-Xvalue").</summary>
    static bool TakesValue(string arg, string[] valued) => valued.Contains(arg);

    /// <summary>Where execvp finds <paramref name="name"/> inside <paramref name="root"/> (host path), or null.</summary>
    public static string? Which(string name, string root, string path, string cwd)
    {
        if (name.Contains('/')) return Resolved(name, root, cwd) is { } p && IsExecutableFile(p) ? p : null;
        foreach (var dir in path.Split(':'))
        {
            var d = dir.Length == 0 ? "." : dir;
            if (Resolved(Path.Combine(d, name), root, cwd) is { } p && IsExecutableFile(p)) return p;
        }
        return null;
    }

    static bool IsExecutableFile(string p) =>
        File.Exists(p) && !OperatingSystem.IsWindows() && (File.GetUnixFileMode(p) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0;

    /// <summary>
    /// The host path of <paramref name="path"/> as a process whose root is <paramref name="root"/> sees it (relative
    /// paths from <paramref name="cwd"/>, inside the root), symbolic links followed inside the root; null when a link
    /// cannot be read or loops.
    /// </summary>
    public static string? Resolved(string path, string root, string cwd)
    {
        var parts = new List<string>();
        var pending = new Stack<string>();
        void Push(string p)
        {
            foreach (var c in p.Split('/', StringSplitOptions.RemoveEmptyEntries).Reverse()) pending.Push(c);
        }
        Push(path);
        if (!path.StartsWith('/')) Push(cwd);
        int links = 0;
        while (pending.Count > 0)
        {
            var c = pending.Pop();
            if (c == ".") continue;
            if (c == "..") { if (parts.Count > 0) parts.RemoveAt(parts.Count - 1); continue; }
            var host = Host(root, [.. parts, c]);
            string? target = null;
            try { target = new FileInfo(host).LinkTarget; } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
            if (target is null) { parts.Add(c); continue; }
            if (++links > 40) return null;
            if (target.StartsWith('/')) parts.Clear();
            Push(target);
        }
        return Host(root, parts);
    }

    static string Host(string root, IEnumerable<string> parts) => (root == "/" ? "" : root.TrimEnd('/')) + "/" + string.Join('/', parts);

    /// <summary>The path inside the root of a host path under it.</summary>
    static string InRoot(string hostPath, string root) =>
        root == "/" ? hostPath : hostPath.StartsWith(root.TrimEnd('/') + "/", StringComparison.Ordinal) ? hostPath[root.TrimEnd('/').Length..] : hostPath;

    /// <summary>The text after "#!" on a script's first line, or null.</summary>
    static string? Shebang(string file)
    {
        try
        {
            using var f = File.OpenRead(file);
            var buf = new byte[256];
            int n = f.Read(buf, 0, buf.Length);
            if (n < 3 || buf[0] != '#' || buf[1] != '!') return null;
            int end = Array.IndexOf(buf, (byte)'\n', 0, n);
            return System.Text.Encoding.UTF8.GetString(buf, 2, (end < 0 ? n : end) - 2);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }
}
