#!/usr/bin/env python3
"""Samples the memory of a gunicorn tree from outside, through /proc only.

The same measurement for every run of compare.sh, whether or not jeinit is
there to report: every --interval seconds, one CSV row with the RSS (and
anonymous RSS) summed over the gunicorn workers, the master's, and the
cgroup's usage when --cgroup is given. Ends when --pid is gone.

  sample.py --pid 1234 [--cgroup /sys/fs/cgroup/memory/x] --out sample.csv
            [--environ-out worker.env]

--environ-out records, once, the allocator variables a worker really got
(LD_PRELOAD, MALLOC_*, GLIBC_TUNABLES): what each run compared.
"""

import argparse
import os
import sys
import time

ALLOCATOR_ENV = ("LD_PRELOAD", "MALLOC_CONF", "MALLOC_ARENA_MAX", "GLIBC_TUNABLES",
                 "MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "WEB_CONCURRENCY")
FIELDS = ("t", "master_rss", "workers_rss", "workers_anon", "workers", "cgroup_usage", "cgroup_rss")


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return None


def stat_ppid_comm(pid):
    s = read(f"/proc/{pid}/stat")
    if s is None:
        return None, None
    # comm may hold spaces and parentheses: it ends at the last ')'
    comm = s[s.index("(") + 1 : s.rindex(")")]
    ppid = int(s[s.rindex(")") + 2 :].split()[1])
    return ppid, comm


def rss_anon(pid):
    s = read(f"/proc/{pid}/status")
    rss = anon = 0
    for line in (s or "").splitlines():
        if line.startswith("VmRSS:"):
            rss = int(line.split()[1]) * 1024
        elif line.startswith("RssAnon:"):
            anon = int(line.split()[1]) * 1024
    return rss, anon


def descendants(root):
    """The processes below root (root included), from one pass over /proc."""
    children = {}
    comms = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        ppid, comm = stat_ppid_comm(int(name))
        if ppid is None:
            continue
        children.setdefault(ppid, []).append(int(name))
        comms[int(name)] = comm
    out, todo = [], [root]
    while todo:
        p = todo.pop()
        if p in comms:
            out.append(p)
        todo.extend(children.get(p, ()))
    return out, comms


def allocator_env(pid):
    """The allocator variables of pid's environment, or None if unreadable."""
    try:
        with open(f"/proc/{pid}/environ", "rb") as f:
            env = f.read().split(b"\0")
    except OSError:
        return None
    out = []
    for kv in env:
        k, _, v = kv.decode(errors="replace").partition("=")
        if k in ALLOCATOR_ENV:
            out.append(f"{k}={v}")
    return "\n".join(sorted(out)) + "\n"


def sample(root, cgroup):
    """One CSV row, and the pids of the workers seen."""
    pids, comms = descendants(root)
    gunicorns = [p for p in pids if comms.get(p) == "gunicorn"]
    gset = set(gunicorns)
    master_rss = workers_rss = workers_anon = 0
    workers = []
    for p in gunicorns:
        ppid, _ = stat_ppid_comm(p)
        rss, anon = rss_anon(p)
        if ppid in gset:
            workers.append(p)
            workers_rss += rss
            workers_anon += anon
        else:
            master_rss += rss
    usage = cg_rss = ""
    if cgroup:
        u = read(os.path.join(cgroup, "memory.usage_in_bytes"))
        usage = u.strip() if u else ""
        for line in (read(os.path.join(cgroup, "memory.stat")) or "").splitlines():
            if line.startswith("total_rss "):
                cg_rss = line.split()[1]
    row = (f"{time.time():.3f}", master_rss, workers_rss, workers_anon, len(workers), usage, cg_rss)
    return row, workers


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pid", type=int, required=True, help="root of the tree (jeinit, timeout or gunicorn)")
    ap.add_argument("--cgroup", help="a v1 memory cgroup directory")
    ap.add_argument("--interval", type=float, default=1.0)
    ap.add_argument("--out", required=True)
    ap.add_argument("--environ-out")
    args = ap.parse_args()
    env_done = not args.environ_out
    with open(args.out, "w", buffering=1) as f:
        f.write(",".join(FIELDS) + "\n")
        while os.path.exists(f"/proc/{args.pid}"):
            row, workers = sample(args.pid, args.cgroup)
            f.write(",".join(str(v) for v in row) + "\n")
            if not env_done and workers:
                env = allocator_env(workers[0])
                if env is not None:
                    with open(args.environ_out, "w") as e:
                        e.write(env)
                    env_done = True
            time.sleep(args.interval)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:  # Ctrl-C reaches the whole foreground group
        sys.exit(130)
