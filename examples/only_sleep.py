"""Threads that only sleep: nobody waits for the GIL, so there is nothing to blame."""
import threading
import time


def nap(n):
    for _ in range(n):
        time.sleep(0.01)


threads = [threading.Thread(target=nap, args=(20,), name=f"sleeper-{i}") for i in range(3)]
for t in threads:
    t.start()
for t in threads:
    t.join()
