"""Misbehaves on jeinit's agent channel: junk datagrams, forged hellos,
hellos carrying many descriptors, then idles so jeinit can be looked at.
Usage: flood.py COUNT SECONDS"""
import array
import os
import socket
import struct
import sys
import time

count, seconds = int(sys.argv[1]), float(sys.argv[2])
chan = socket.socket(fileno=os.dup(int(os.environ["JEINIT_AGENT_FD"])))
chan.setblocking(False)
sent = refused = 0
hello = struct.pack("=IHHII", 0x4A45494E, 1, 1, 0, 0)
for i in range(count):
    try:
        kind = i % 4
        if kind == 0:
            chan.send(os.urandom(i % 300))
        elif kind == 1:
            chan.send(hello)  # a hello without a socket
        elif kind == 2:
            a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)  # wrong type
            chan.sendmsg([hello], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [a.fileno()]))])
            a.close()
            b.close()
        else:
            fds = [os.open("/dev/null", os.O_RDONLY) for _ in range(8)]  # too many
            chan.sendmsg([hello], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))])
            for fd in fds:
                os.close(fd)
        sent += 1
    except BlockingIOError:
        refused += 1
        time.sleep(0.001)
print("flood sent", sent, "refused", refused, flush=True)
time.sleep(seconds)
