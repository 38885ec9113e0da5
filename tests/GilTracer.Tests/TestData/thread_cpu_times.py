"""For the --state tests: two CPU-bound threads contend for the GIL and a third sleeps; each thread writes its own
CPU time (time.thread_time_ns, the kernel's sum of its on-CPU intervals) to the file named by argv[1], so the
running time the sched events give can be checked against an independent measure."""
import json
import sys
import threading
import time

times = {}


def count(n):
    t = 0
    for i in range(n):
        t += i
    times[threading.get_native_id()] = time.thread_time_ns()


def nap():
    for _ in range(10):
        time.sleep(0.01)
    times[threading.get_native_id()] = time.thread_time_ns()


threads = [threading.Thread(target=count, args=(2_000_000,), name=f"cpu-{i + 1}") for i in range(2)]
threads.append(threading.Thread(target=nap, name="napper"))
for t in threads:
    t.start()
for t in threads:
    t.join()
with open(sys.argv[1], "w") as f:
    json.dump(times, f)
