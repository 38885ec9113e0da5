"""Contention that changes, for `giltracer top`: two threads are calm for CALM seconds (they sleep, taking the GIL
briefly), contend for BUSY seconds (pure Python), then are calm again; times count from the program's start.
Exits with code 3, so that a test sees top pass the program's exit code on."""
import sys
import threading
import time

calm, busy = float(sys.argv[1]), float(sys.argv[2])
start = time.monotonic()


def work():
    x = 0
    while True:
        t = time.monotonic() - start
        if t >= 2 * calm + busy:
            return
        if calm <= t < calm + busy:
            for i in range(1000):
                x += i
        else:
            time.sleep(0.005)


threads = [threading.Thread(target=work, name=f"worker-{i + 1}") for i in range(2)]
for t in threads:
    t.start()
for t in threads:
    t.join()
sys.exit(3)
