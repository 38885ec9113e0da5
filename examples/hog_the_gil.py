"""One thread hogs the GIL in pure Python; two others need it only briefly and so mostly wait for it.

`giltracer run --functions examples/hog_the_gil.py` ranks hog_the_gil at the top of the blame table, with the
two needy threads as its victims.
"""
import sys
import threading
import time


def hog_the_gil(seconds):
    """Pure-Python arithmetic: holds the GIL except when the 5 ms switch interval forces a hand-over."""
    end = time.monotonic() + seconds
    total = 0
    while True:
        for i in range(10_000):
            total += i * i
        if time.monotonic() > end:
            return total


def short_work():
    return sum([i * i for i in range(100)])


def needy(rounds):
    for _ in range(rounds):
        short_work()
        time.sleep(0.001)  # releases the GIL; getting it back means waiting for the hog


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
    hog = threading.Thread(target=hog_the_gil, args=(seconds,), name="hog")
    needies = [threading.Thread(target=needy, args=(int(seconds * 150),), name=f"needy-{i}") for i in (1, 2)]
    hog.start()
    for t in needies:
        t.start()
    for t in needies + [hog]:
        t.join()


if __name__ == "__main__":
    main()
