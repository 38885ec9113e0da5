import os
import sys
import threading


def work():
    return sum(i * i for i in range(1000))


print("name", __name__, "argv", sys.argv, "path0", os.path.basename(sys.path[0]), "file", os.path.basename(__file__))
t = threading.Thread(target=work, name="worker")
t.start()
t.join()
print("stderr line", file=sys.stderr)
if "--crash" in sys.argv:
    for _ in range(20000):  # enough calls to fill a few chunks before dying
        work.__call__ if False else len("x")
    os._exit(7)
sys.exit(int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 0)
