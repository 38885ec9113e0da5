"""The contention example as a service that runs until killed: two pure-Python threads contend for the GIL, and every
PERIOD seconds (argv[2], default 10) a line goes to the file argv[1]: CLOCK_MONOTONIC seconds and the loop iterations
both threads made since the line before. The soak (bench/top-soak.sh) compares the rate with and without giltracer top."""
import sys
import threading
import time

out = open(sys.argv[1], "a", buffering=1)
period = float(sys.argv[2]) if len(sys.argv) > 2 else 10.0
counts = [0, 0]


def spin(i):
    while True:
        for _ in range(1000):
            pass
        counts[i] += 1


for i in range(2):
    threading.Thread(target=spin, args=(i,), name=f"worker-{i + 1}", daemon=True).start()
print("ready", flush=True)
last = sum(counts)
while True:
    time.sleep(period)
    now = sum(counts)
    out.write(f"{time.monotonic():.3f} {now - last}\n")
    last = now
