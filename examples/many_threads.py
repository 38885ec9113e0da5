"""32 pure-Python threads on a 2-core machine: a stress case for recording (--state must lose no events)."""
import threading


def count(n):
    total = 0
    for i in range(n):
        total += i
    return total


def main(threads=32, n=200_000):
    workers = [threading.Thread(target=count, args=(n,), name=f"worker-{i + 1}") for i in range(threads)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()


if __name__ == "__main__":
    main()
