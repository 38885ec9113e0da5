"""Threads hashing big buffers: hashlib releases the GIL for inputs over 2 KiB, so they run in parallel, mostly without it."""
import hashlib
import threading

DATA = bytes(4 * 1024 * 1024)


def hash_many(n=40):
    for _ in range(n):
        hashlib.sha256(DATA).digest()


threads = [threading.Thread(target=hash_many, name=f"hasher-{i + 1}") for i in range(2)]
for t in threads:
    t.start()
for t in threads:
    t.join()
