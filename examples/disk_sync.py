"""A thread that writes a file and calls os.fsync after each block: while the kernel writes the data back the
thread sleeps uninterruptibly (D, "disk" in --state), without the GIL (os.fsync releases it)."""
import os
import tempfile
import threading


def writer(blocks, size=1 << 20):
    data = os.urandom(size)
    fd, path = tempfile.mkstemp(prefix="giltracer-disk-")
    try:
        for _ in range(blocks):
            os.write(fd, data)
            os.fsync(fd)
    finally:
        os.close(fd)
        os.unlink(path)


def main(blocks=20):
    t = threading.Thread(target=writer, args=(blocks,), name="fsync-writer")
    t.start()
    t.join()


if __name__ == "__main__":
    main()
