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

    // ptrace (x86-64 Linux): a command's process tree followed from its start (Record/ProcessTreeTracer).
    public const int PTRACE_CONT = 7, PTRACE_DETACH = 17, PTRACE_SYSCALL = 24, PTRACE_GETEVENTMSG = 0x4201, PTRACE_SEIZE = 0x4206,
        PTRACE_INTERRUPT = 0x4207, PTRACE_LISTEN = 0x4208, PTRACE_GET_SYSCALL_INFO = 0x420e;
    public const int PTRACE_O_TRACESYSGOOD = 1, PTRACE_O_TRACEFORK = 2, PTRACE_O_TRACEVFORK = 4, PTRACE_O_TRACECLONE = 8,
        PTRACE_O_TRACEEXEC = 0x10, PTRACE_O_EXITKILL = 0x100000;
    public const int PTRACE_EVENT_FORK = 1, PTRACE_EVENT_VFORK = 2, PTRACE_EVENT_CLONE = 3, PTRACE_EVENT_EXEC = 4, PTRACE_EVENT_STOP = 128;
    public const int WNOHANG = 1, __WNOTHREAD = 0x20000000, __WALL = 0x40000000;
    public const int SIGTRAP = 5, SIGCHLD = 17, SIGTSTP = 20, SIGTTIN = 21, SIGTTOU = 22;
    public const int ESRCH = 3, EINTR = 4, ECHILD = 10;
    public const int POSIX_SPAWN_SETSIGDEF = 4, POSIX_SPAWN_SETSIGMASK = 8;
    public const int CLOCK_THREAD_CPUTIME_ID = 3;

    /// <summary>ptrace(request, pid, addr, data): variadic in glibc, all-integer arguments, so a fixed signature is the same call.</summary>
    [LibraryImport("libc", EntryPoint = "ptrace", SetLastError = true)]
    public static partial nint Ptrace(nint request, int pid, nint addr, nint data);

    [LibraryImport("libc", EntryPoint = "waitpid", SetLastError = true)]
    public static partial int WaitPid(int pid, int* status, int options);

    /// <summary>posix_spawnp: a child of the calling thread that .NET's Process class does not know (it never waits for it).</summary>
    [LibraryImport("libc", EntryPoint = "posix_spawnp")]
    public static partial int PosixSpawnP(int* pid, byte* file, void* fileActions, void* attr, byte** argv, byte** envp);

    /// <summary>glibc's posix_spawnattr_t is 336 bytes; callers pass a larger buffer.</summary>
    public const int SpawnAttrSize = 512, SigSetSize = 128;

    [LibraryImport("libc", EntryPoint = "posix_spawnattr_init")]
    public static partial int PosixSpawnAttrInit(void* attr);

    [LibraryImport("libc", EntryPoint = "posix_spawnattr_destroy")]
    public static partial int PosixSpawnAttrDestroy(void* attr);

    [LibraryImport("libc", EntryPoint = "posix_spawnattr_setflags")]
    public static partial int PosixSpawnAttrSetFlags(void* attr, short flags);

    [LibraryImport("libc", EntryPoint = "posix_spawnattr_setsigdefault")]
    public static partial int PosixSpawnAttrSetSigDefault(void* attr, void* sigset);

    [LibraryImport("libc", EntryPoint = "posix_spawnattr_setsigmask")]
    public static partial int PosixSpawnAttrSetSigMask(void* attr, void* sigset);

    [LibraryImport("libc", EntryPoint = "sigfillset")]
    public static partial int SigFillSet(void* set);

    [LibraryImport("libc", EntryPoint = "sigemptyset")]
    public static partial int SigEmptySet(void* set);
}
