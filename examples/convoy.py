"""The convoy effect: hashers beside one pure-Python thread.

Each hash releases the GIL; to return to Python the hasher must take it back, and the pure-Python thread
only gives it up every switch interval (5 ms). So the hashers, though they mostly run native code, wait
for the GIL a large part of their lives.
"""
import hashlib
import threading
import time

DATA = bytes(1024 * 1024)
stop = False


def hash_many():
    while not stop:
        hashlib.sha256(DATA).digest()


def python_loop():
    total = 0
    while not stop:
        for i in range(10_000):
            total += i


threads = [threading.Thread(target=hash_many, name=f"hasher-{i + 1}") for i in range(2)]
threads.append(threading.Thread(target=python_loop, name="python"))
for t in threads:
    t.start()
time.sleep(0.6)
stop = True
for t in threads:
    t.join()
