"""Threads that mostly sleep: the GIL is free nearly all the time, so nobody waits for it."""
import threading
import time


def nap():
    for _ in range(20):
        time.sleep(0.01)


threads = [threading.Thread(target=nap, name=f"sleeper-{i + 1}") for i in range(3)]
for t in threads:
    t.start()
for t in threads:
    t.join()
