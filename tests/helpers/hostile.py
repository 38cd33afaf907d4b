"""A hostile agent on jeinit's channel (every process in the container can
reach it). Run it without LD_PRELOAD, so that its real agent stays out.

  hostile.py lie SECONDS         registers as itself and answers every
                                 request with figures no process can have
                                 (2^64-2 allocated, 2^63 held, 2^64-16
                                 purged), alternating with small ones
  hostile.py forge PID SECONDS   registers claiming to be PID (SCM_CREDENTIALS
                                 with any pid needs CAP_SYS_ADMIN, which a
                                 privileged container has) and answers with
                                 allocated 0x12345678

Prints one line when it is done."""
import array
import os
import select
import socket
import struct
import sys
import time

MAGIC, VERSION = 0x4A45494E, 4
HELLO, STATS, PURGED, SAMPLE, PURGE = 1, 2, 3, 10, 11
JEMALLOC = 1
# magic version type seq arg limit_s path (src/agent/proto.h, version 4)
REQUEST = struct.Struct("=IHHIII128s")
# magic version type seq allocator, allocated active metadata resident mapped
# retained held, narenas background_threads background_enabled status,
# purged cost_ns, decay_mode decay_purges, decay_purged, version_str
REPLY = struct.Struct("=IHHII7Q4I2Q2IQ32s")
U64 = (1 << 64) - 1


def reply(kind, seq, figures, purged=0):
    a = figures
    return REPLY.pack(MAGIC, VERSION, kind, seq, JEMALLOC, a["allocated"], a["active"],
                      a["metadata"], a["resident"], a["mapped"], a["retained"], a["held"],
                      4, 0, 0, 0, purged, 1000, 2, 1, 1 << 62, b"5.3.0-hostile")


def lie(i):
    if i % 2 == 0:
        return dict(allocated=U64 - 1, active=U64 - 1, metadata=1 << 40, resident=U64 - 2,
                    mapped=U64 - 1, retained=0, held=1 << 63)
    return dict(allocated=4096, active=8192, metadata=4096, resident=16384, mapped=1 << 20,
                retained=0, held=0)


def forged(_):
    return dict(allocated=0x12345678, active=0x12345678, metadata=4096, resident=0x12345678,
                mapped=0x12345678, retained=0, held=0)


def main():
    mode = sys.argv[1]
    if mode == "forge":
        claimed, seconds, figures = int(sys.argv[2]), float(sys.argv[3]), forged
    else:
        claimed, seconds, figures = os.getpid(), float(sys.argv[2]), lie
    chan = socket.socket(fileno=os.dup(int(os.environ["JEINIT_AGENT_FD"])))
    mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    ancillary = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [theirs.fileno()]))]
    if mode == "forge":
        creds = struct.pack("iII", claimed, os.getuid(), os.getgid())
        ancillary.append((socket.SOL_SOCKET, socket.SCM_CREDENTIALS, creds))
    chan.sendmsg([REQUEST.pack(MAGIC, VERSION, HELLO, 0, 0, 0, b"")], ancillary)
    theirs.close()
    answered = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        ready, _, _ = select.select([mine], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            continue
        data = mine.recv(REQUEST.size + 64)
        if not data:
            break
        if len(data) != REQUEST.size:
            continue
        _, _, kind, seq, _, _, _ = REQUEST.unpack(data)
        if kind == SAMPLE:
            mine.send(reply(STATS, seq, figures(answered)))
        elif kind == PURGE:
            mine.send(reply(PURGED, seq, figures(answered), purged=U64 - 15))
        answered += 1
    print(f"hostile {mode} pid {claimed} answered {answered}", flush=True)


main()
