import os, sys
def child_work():
    return sum(range(1000))
def parent_work():
    return sum(range(10))
pid = os.fork()
if pid == 0:
    for _ in range(10000): child_work()
    os._exit(0)
for _ in range(100): parent_work()
os.waitpid(pid, 0)
print("done")
