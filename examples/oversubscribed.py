"""More runnable threads than CPUs: four threads hash big buffers (hashlib releases the GIL for data over 2 KiB), so
all four want a CPU at once. On a 2-core machine each waits for a CPU about half the time: with --state that is the
"runnable" column, time lost to the scheduler, not to the GIL."""
import hashlib
import os
import threading

DATA = os.urandom(8 << 20)


def hash_loop(rounds):
    for _ in range(rounds):
        hashlib.sha256(DATA).digest()


def main(threads=4, rounds=24):
    workers = [threading.Thread(target=hash_loop, args=(rounds,), name=f"hasher-{i + 1}") for i in range(threads)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()


if __name__ == "__main__":
    main()
