# Tiny GIL workloads for the perf.data fixtures. Sleeps first so that `perf record -D 200`
# skips the interpreter's start-up (hundreds of GIL switches from imports) and the files stay small.
#   spin SECONDS: two pure-Python threads contend for a few switch intervals
#   storm N:      two threads each call time.sleep(0) N times (a burst of GIL releases)
import sys, threading, time

def spin(seconds):
    end = time.perf_counter() + seconds
    n = 0
    while time.perf_counter() < end:
        n += 1

def storm(n):
    for _ in range(int(n)):
        time.sleep(0)

mode, arg = sys.argv[1], float(sys.argv[2])
time.sleep(0.3)
target = spin if mode == "spin" else storm
threads = [threading.Thread(target=target, args=(arg,), name=f"worker-{i}") for i in range(2)]
for t in threads: t.start()
for t in threads: t.join()
