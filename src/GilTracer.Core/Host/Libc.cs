using System.Runtime.InteropServices;

namespace GilTracer.Core.Host;

/// <summary>
/// Every libc call GilTracer makes, in one place: source-generated LibraryImport stubs (no runtime marshalling
/// code, so Native AOT keeps them). Callers check the return values; errno is read with Marshal.GetLastPInvokeError.
/// </summary>
internal static unsafe partial class Libc
{
    public const int SIGINT = 2, SIGKILL = 9, SIGTERM = 15, SIGSTOP = 19;
    public const int PR_SET_PDEATHSIG = 1;
    public const int SIG_SETMASK = 2;
    public const int O_RDONLY = 0, O_NOCTTY = 0x100;
    public const int EEXIST = 17;
    public const int O_RDWR = 2, O_CLOEXEC = 0x80000;
    public const short POLLIN = 1;
    public const int CLOCK_MONOTONIC = 1;

    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd { public int Fd; public short Events; public short Revents; }

    [StructLayout(LayoutKind.Sequential)]
    public struct TimeSpec { public long Sec; public long Nsec; }

    [LibraryImport("libc", EntryPoint = "geteuid")]
    public static partial uint GetEuid();

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    public static partial int Kill(int pid, int sig);

    [LibraryImport("libc", EntryPoint = "mkfifo", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int MkFifo(string path, uint mode);

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "close")]
    public static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    public static partial nint Write(int fd, byte* buf, nint count);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    public static partial nint Read(int fd, byte* buf, nint count);

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    public static partial int Poll(PollFd* fds, nuint nfds, int timeoutMs);

    [LibraryImport("libc", EntryPoint = "getppid")]
    public static partial int GetPpid();

    [LibraryImport("libc", EntryPoint = "getpgrp")]
    public static partial int GetPgrp();

    [LibraryImport("libc", EntryPoint = "getpgid", SetLastError = true)]
    public static partial int GetPgid(int pid);

    [LibraryImport("libc", EntryPoint = "setpgid", SetLastError = true)]
    public static partial int SetPgid(int pid, int pgid);

    /// <summary>The foreground process group of the terminal open on fd (-1 when fd is not our controlling terminal).</summary>
    [LibraryImport("libc", EntryPoint = "tcgetpgrp", SetLastError = true)]
    public static partial int TcGetPgrp(int fd);

    /// <summary>prctl with its four optional arguments (variadic in C; zeros where unused).</summary>
    [LibraryImport("libc", EntryPoint = "prctl", SetLastError = true)]
    public static partial int Prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);

    /// <summary>Sets a signal's disposition (SIG_DFL is 0); returns the old one, or -1.</summary>
    [LibraryImport("libc", EntryPoint = "signal", SetLastError = true)]
    public static partial nint Signal(int sig, nint handler);

    /// <summary>struct sigaction is opaque here: only its first field, the handler, is read.</summary>
    [LibraryImport("libc", EntryPoint = "sigaction", SetLastError = true)]
    public static partial int SigAction(int sig, void* act, void* oldAct);

    /// <summary>sigset_t is 1024 bits in glibc: 16 ulongs.</summary>
    [LibraryImport("libc", EntryPoint = "sigprocmask", SetLastError = true)]
    public static partial int SigProcMask(int how, ulong* set, ulong* oldSet);

    /// <summary>Replaces this process with argv[0] (searched on PATH); returns only on failure.</summary>
    [LibraryImport("libc", EntryPoint = "execvp", SetLastError = true)]
    public static partial int ExecVp(byte* file, byte** argv);

    [LibraryImport("libc", EntryPoint = "mkdir", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int MkDir(string path, uint mode);

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    public static partial int ClockGetTime(int clock, TimeSpec* ts);

    public const int AT_FDCWD = -100;
    public const uint STATX_INO = 0x100;
    /// <summary>Size of struct statx; its layout is the same on every architecture (stx_ino at 32, stx_dev_major/minor at 136/140).</summary>
    public const int StatxSize = 256;

    /// <summary>statx (glibc 2.28+): gives the device as major:minor, as /proc/PID/maps prints it.</summary>
    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int Statx(int dirfd, string path, int flags, uint mask, byte* buffer);
}
