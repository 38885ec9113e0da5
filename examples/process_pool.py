"""Pure-Python work in a pool of 2 worker processes. argv[1]: executor (the default),
pool (multiprocessing.Pool), process (two multiprocessing.Process), subprocess (two `python -c` children);
argv[2]: start method fork|spawn|forkserver (default fork)."""
import concurrent.futures
import multiprocessing
import subprocess
import sys

N = 4_000_000
# Pools get many small tasks, so both workers stay busy until the end (with one task each, the one that finishes
# first idles while the other completes, and its has-GIL share drops by that much).
TASKS = [N // 4] * 16


def work(n):
    total = 0
    for i in range(n):
        total += i
    return total


def main():
    kind = sys.argv[1] if len(sys.argv) > 1 else "executor"
    method = sys.argv[2] if len(sys.argv) > 2 else "fork"
    ctx = multiprocessing.get_context(method)
    if kind == "executor":
        with concurrent.futures.ProcessPoolExecutor(max_workers=2, mp_context=ctx) as ex:
            print(sum(ex.map(work, TASKS)))
    elif kind == "pool":
        with ctx.Pool(2) as pool:
            print(sum(pool.map(work, TASKS, chunksize=1)))
    elif kind == "process":
        procs = [ctx.Process(target=work, args=(4 * N,), name=f"cruncher-{i + 1}") for i in range(2)]
        for p in procs:
            p.start()
        for p in procs:
            p.join()
    elif kind == "subprocess":
        code = f"total = 0\nfor i in range({N}): total += i\n"
        procs = [subprocess.Popen([sys.executable, "-c", code]) for _ in range(2)]
        for p in procs:
            p.wait()


if __name__ == "__main__":
    main()
