"""Threads that block without wanting the GIL: time.sleep, a lock held by another thread, select on a pipe.
With --state they show S (sleeping), not S(GIL): the GIL is released around each of these waits."""
import os
import select
import threading
import time


def sleeper(seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        time.sleep(0.01)


def lock_waiter(lock, seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        with lock:
            pass
        time.sleep(0.001)


def lock_holder(lock, seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        with lock:
            time.sleep(0.02)  # sleeps holding the lock: the waiter blocks on it
        time.sleep(0.0005)


def selector(seconds):
    r, w = os.pipe()
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        select.select([r], [], [], 0.02)  # nothing is ever written: each call times out
    os.close(r)
    os.close(w)


def main(seconds=0.6):
    lock = threading.Lock()
    threads = [
        threading.Thread(target=sleeper, args=(seconds,), name="sleeper"),
        threading.Thread(target=lock_holder, args=(lock, seconds), name="lock-holder"),
        threading.Thread(target=lock_waiter, args=(lock, seconds), name="lock-waiter"),
        threading.Thread(target=selector, args=(seconds,), name="selector"),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


if __name__ == "__main__":
    main()
