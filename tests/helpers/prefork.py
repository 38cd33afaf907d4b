"""A pre-fork server in miniature (gunicorn's process model): the master
allocates a little, forks N workers that each build their own heap and then
serve (a little allocation now and then), and waits for them. Usage: prefork.py WORKERS SECONDS"""
import os
import sys
import time

workers, seconds = int(sys.argv[1]), float(sys.argv[2])
shared = [bytes(1000) for _ in range(1000)]  # the master's heap, inherited
pids = []
for n in range(workers):
    pid = os.fork()
    if pid == 0:
        mine = [bytearray(4096) for _ in range(2000 * (n + 1))]  # distinct sizes
        end = time.time() + seconds
        while time.time() < end:  # serve: a request's worth of allocation now and then
            request = [bytes(100) for _ in range(100)]
            time.sleep(0.05)
        os._exit(0)
    pids.append(pid)
for pid in pids:
    os.waitpid(pid, 0)
print("workers done", len(pids))
