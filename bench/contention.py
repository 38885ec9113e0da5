# GIL storm for the benchmark: THREADS threads alternate a small hash (hashlib releases the GIL for
# buffers of 2 KiB and more) with a little pure-Python work, ROUNDS times each. Every hash is a
# drop_gil + take_gil pair, so a run makes about THREADS * ROUNDS * 4 GIL probe events.
import hashlib, sys, threading, time

THREADS = int(sys.argv[1]) if len(sys.argv) > 1 else 8
ROUNDS = int(sys.argv[2]) if len(sys.argv) > 2 else 70000
DATA = b"x" * 4096

def work():
    total = 0
    for _ in range(ROUNDS):
        hashlib.sha256(DATA).digest()
        for i in range(20):
            total += i

start = time.perf_counter()
threads = [threading.Thread(target=work, name=f"worker-{i}") for i in range(THREADS)]
for t in threads: t.start()
for t in threads: t.join()
print(f"{THREADS} threads x {ROUNDS} rounds: {time.perf_counter() - start:.3f} s", file=sys.stderr)
