"""Call-heavy benchmark for the function tracer's overhead: two threads of small Python calls.

Prints its own wall time (the part the tracer slows down), so `giltracer run` with and without --functions can be
compared on the same interpreter.
"""
import sys
import threading
import time


def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


def work(n):
    for _ in range(n):
        fib(15)


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    t0 = time.perf_counter()
    threads = [threading.Thread(target=work, args=(n,), name=f"caller-{i}") for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(f"call_heavy: {2 * n * 1973} calls in {time.perf_counter() - t0:.3f} s")


if __name__ == "__main__":
    main()
