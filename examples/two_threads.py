"""Two pure-Python CPU threads: the GIL lets only one run at a time, so each waits about half its life."""
import threading


def count(n):
    total = 0
    for i in range(n):
        total += i
    return total


def main(n=8_000_000):
    threads = [threading.Thread(target=count, args=(n,), name=f"worker-{i + 1}") for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


if __name__ == "__main__":
    main()
