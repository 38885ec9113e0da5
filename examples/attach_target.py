"""A long-running program to attach to (`giltracer attach PID`): two pure-Python threads contend for the GIL
until the deadline (argv[1] seconds, default 30).
Prints "ready" once both run, so a test can attach while they contend."""
import sys
import threading
import time

stop = False


def spin():
    x = 0
    while not stop:
        for i in range(1000):
            x += i


def main():
    global stop
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 30.0
    threads = [threading.Thread(target=spin, name=f"worker-{i + 1}") for i in range(2)]
    for t in threads:
        t.start()
    print("ready", flush=True)
    time.sleep(seconds)
    stop = True
    for t in threads:
        t.join()


if __name__ == "__main__":
    main()
