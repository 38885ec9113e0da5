"""One pure-Python CPU thread alone: it holds the GIL nearly all its life and never waits."""
import threading


def count(n=10_000_000):
    total = 0
    for i in range(n):
        total += i
    return total


t = threading.Thread(target=count, name="cpu")
t.start()
t.join()
