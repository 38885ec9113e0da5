"""Two pure-Python threads contending for SECONDS, named worker-1 and worker-2, for `giltracer top -- COMMAND`: imported
by a console script (as pip writes them) or run as a script. Exits with code 3, so that a test sees top pass it on."""
import sys
import threading
import time


def spin(end):
    x = 0
    while time.monotonic() < end:
        for i in range(1000):
            x += i


def main():
    # one deadline for both: neither runs alone at the end while the other has stopped
    end = time.monotonic() + float(sys.argv[1])
    threads = [threading.Thread(target=spin, args=(end,), name=f"worker-{i + 1}") for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return 3


if __name__ == "__main__":
    sys.exit(main())
