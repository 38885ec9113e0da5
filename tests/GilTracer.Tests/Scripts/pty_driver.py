"""Runs a command on a new pseudo-terminal, as a user at a terminal would, and types into it.

    python3 pty_driver.py STEP... -- COMMAND [ARGS...]

Steps, in order: `wait:TEXT` (until TEXT has appeared in the output, 60 s at most), `send:TEXT` (typed; \\x03 is
Ctrl-C, \\n Enter), `sleep:SECONDS`. Then the output is read to its end. Prints everything the command wrote,
then a last line `EXIT N` (128+signal when it was killed). Exits 3 when a step timed out.
"""
import os
import pty
import select
import signal
import sys
import time


def main():
    split = sys.argv.index("--")
    steps, command = sys.argv[1:split], sys.argv[split + 1:]
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(command[0], command)
    out = bytearray()

    def read(timeout):
        ready, _, _ = select.select([fd], [], [], timeout)
        if not ready:
            return True
        try:
            data = os.read(fd, 65536)
        except OSError:  # EIO: the terminal's last user is gone
            return False
        out.extend(data)
        return bool(data)

    for step in steps:
        kind, _, arg = step.partition(":")
        if kind == "wait":
            deadline = time.monotonic() + 60
            while arg.encode() not in out:
                if time.monotonic() > deadline or not read(0.1):
                    if arg.encode() in out:
                        break
                    sys.stdout.write(out.decode(errors="replace") + "\nTIMEOUT waiting for %r\n" % arg)
                    os.kill(pid, signal.SIGKILL)
                    sys.exit(3)
        elif kind == "send":
            os.write(fd, arg.encode().decode("unicode_escape").encode())
        elif kind == "sleep":
            end = time.monotonic() + float(arg)
            while time.monotonic() < end and read(0.05):
                pass
    deadline = time.monotonic() + 120
    while read(0.5):  # to the end: every process holding the terminal is gone
        if time.monotonic() > deadline:
            sys.stdout.write(out.decode(errors="replace") + "\nTIMEOUT waiting for the end\n")
            os.kill(pid, signal.SIGKILL)
            sys.exit(3)
    _, status = os.waitpid(pid, 0)
    code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status)
    sys.stdout.write(out.decode(errors="replace").replace("\r\n", "\n"))
    sys.stdout.write("\nEXIT %d\n" % code)


if __name__ == "__main__":
    main()
