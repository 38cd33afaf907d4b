#!/usr/bin/env python3
"""The tables of compare.sh, from the raw files of a results directory.

  summarize.py RESULTS_DIR

Per run directory: meta.json (phase times), load.json (load.py's result),
sample.csv (sample.py, /proc), stderr (jeinit's JSON log lines, when the
run had jeinit). Table 1 comes from jeinit's own memory lines; table 2 from
/proc, the same meter for every run, jeinit or not.
"""

import csv
import json
import os
import sys
from datetime import datetime

MiB = 1 << 20
ORDER = ("glibc-plain", "glibc", "glibc-tuned", "jemalloc-plain", "jemalloc", "jeinit-static",
         "jeinit")
WHAT = {
    "glibc-plain": "glibc, no jeinit",
    "glibc": "glibc defaults (jeinit measures only)",
    "glibc-tuned": "glibc + jeinit's tuning (--jemalloc=off)",
    "jemalloc-plain": "LD_PRELOAD jemalloc, no jeinit",
    "jemalloc": "jemalloc defaults (under jeinit)",
    "jeinit-static": "jeinit, decay not steered (static dirty_decay_ms)",
    "jeinit": "jeinit defaults (jemalloc fitted, decay steered)",
}


def mib(v):
    return "-" if v is None else f"{v / MiB:.0f}"


def load_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def ts(s):
    return datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()


def jeinit_lines(path):
    out = []
    try:
        with open(path, errors="replace") as f:
            for line in f:
                try:
                    ev = json.loads(line)
                except ValueError:
                    continue
                if isinstance(ev, dict) and "event" in ev:
                    out.append(ev)
    except OSError:
        pass
    return out


def last_before(rows, t):
    best = None
    for r in rows:
        if r["t"] <= t:
            best = r
    return best


def from_jeinit(events, meta):
    """Workers' figures from jeinit's memory lines, at the run's phases."""
    start = next((e for e in events if e["event"] == "start"), None)
    if start is None:
        return None
    master = start.get("child_pid")
    rows = []
    for e in events:
        if e["event"] != "memory":
            continue
        ws = [p for p in e.get("processes", []) if p.get("comm") == "gunicorn" and p.get("pid") != master]
        if not ws:
            continue
        alloc = [p.get("allocated_bytes") for p in ws]
        # what the allocator holds beyond the live heap, by its own count
        # (jeinit's held_bytes: jemalloc resident - allocated, glibc free chunks)
        held = [p.get("held_bytes") for p in ws]
        rows.append({
            "t": ts(e["ts"]),
            "rss": sum(p.get("rss_bytes") or 0 for p in ws),
            "allocated": sum(alloc) if all(a is not None for a in alloc) else None,
            "held": sum(held) if all(h is not None for h in held) else None,
            "usage": e.get("usage_bytes"),
            "state": (e.get("diagnosis") or {}).get("state"),
            "bg": [p.get("background_threads") for p in ws],
        })
    if not rows:
        return None
    # idle_end is taken just before the SIGTERM: later lines are the shutdown
    during = [r for r in rows if meta["load_start"] <= r["t"] <= meta["load_end"]]
    end_load = last_before(rows, meta["load_end"])
    idle = last_before(rows, meta["idle_end"])
    states = []
    for r in rows:
        if r["state"] and r["state"] not in states:
            states.append(r["state"])
    ex = next((e for e in events if e["event"] == "exit"), None)
    return {
        "peak": max((r["rss"] for r in during), default=None),
        "end_load": end_load and end_load["rss"],
        "idle": idle and idle["rss"],
        "alloc_load": end_load and end_load["allocated"],
        "alloc_idle": idle and idle["allocated"],
        "held_load": end_load and end_load["held"],
        "held_idle": idle and idle["held"],
        "usage_idle": idle and idle["usage"],
        "states": states,
        "purges": sum(1 for e in events if e["event"] == "purge"),
        "exit": ex and ex.get("code"),
    }


def from_sample(path, meta):
    rows = []
    try:
        with open(path) as f:
            for r in csv.DictReader(f):
                rows.append({
                    "t": float(r["t"]),
                    "rss": int(r["workers_rss"]),
                    "anon": int(r["workers_anon"]),
                    "workers": int(r["workers"]),
                    "usage": int(r["cgroup_usage"]) if r["cgroup_usage"] else None,
                })
    except (OSError, KeyError, ValueError):
        return None
    if not rows:
        return None
    during = [r for r in rows if meta["load_start"] <= r["t"] <= meta["load_end"]]
    end_load = last_before(rows, meta["load_end"])
    idle = last_before(rows, meta["idle_end"])
    return {
        "peak": max((r["rss"] for r in during), default=None),
        "end_load": end_load and end_load["rss"],
        "idle": idle and idle["rss"],
        "anon_idle": idle and idle["anon"],
        "usage_peak": max((r["usage"] for r in rows if r["usage"] is not None), default=None),
        "usage_idle": idle and idle["usage"],
        "workers": max(r["workers"] for r in rows),
    }


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    res = sys.argv[1]
    cfg = load_json(os.path.join(res, "config.json")) or {}
    names = [n for n in ORDER if os.path.isdir(os.path.join(res, n))]
    runs = {}
    for n in names:
        d = os.path.join(res, n)
        meta = load_json(os.path.join(d, "meta.json"))
        if meta is None:
            continue
        runs[n] = {
            "meta": meta,
            "load": load_json(os.path.join(d, "load.json")) or {},
            "je": from_jeinit(jeinit_lines(os.path.join(d, "stderr")), meta),
            "proc": from_sample(os.path.join(d, "sample.csv"), meta),
        }
    if not runs:
        print("no runs in", res, file=sys.stderr)
        return 1

    print(f"gunicorn example: {cfg.get('workers')} gthread workers x {cfg.get('threads')} threads, "
          f"load.py concurrency {cfg.get('concurrency')} for {cfg.get('load_s')} s, then "
          f"{cfg.get('idle_s')} s idle; {cfg.get('limit')}; {cfg.get('host')}")
    print()
    print("Table 1 - jeinit's memory lines, workers only (MiB). 'allocated': the live heap by the allocator's")
    print("own count; 'held': what the allocator keeps beyond it (jemalloc resident - allocated, glibc")
    print("arena + mmapped - allocated); RSS - allocated also holds the interpreter and pymalloc's arenas.")
    print()
    print("| run | peak RSS under load | RSS after idle | allocated after idle | held end of load "
          "| held after idle | RSS - allocated after idle | req/s | errors | diagnosis states seen |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for n, r in runs.items():
        j, ld = r["je"], r["load"]
        if j is None:
            print(f"| {n} | (no jeinit) | | | | | | {ld.get('requests_per_s', '-')} | {ld.get('errors', '-')} | |")
            continue
        gap = None
        if j["idle"] is not None and j["alloc_idle"] is not None:
            gap = j["idle"] - j["alloc_idle"]
        print(f"| {n} | {mib(j['peak'])} | {mib(j['idle'])} | {mib(j['alloc_idle'])} | "
              f"{mib(j['held_load'])} | {mib(j['held_idle'])} | {mib(gap)} | "
              f"{ld.get('requests_per_s', '-')} | {ld.get('errors', '-')} | {', '.join(j['states'])} |")
    print()
    print("Table 2 - /proc, sampled every second by sample.py (same meter for every run; MiB)")
    print()
    print("| run | configuration | workers | peak RSS under load | RSS after idle | anon RSS after idle "
          "| cgroup usage peak | cgroup usage after idle | exit |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for n, r in runs.items():
        p = r["proc"] or {}
        print(f"| {n} | {WHAT[n]} | {p.get('workers', '-')} | {mib(p.get('peak'))} | {mib(p.get('idle'))} | "
              f"{mib(p.get('anon_idle'))} | {mib(p.get('usage_peak'))} | {mib(p.get('usage_idle'))} | "
              f"{r['meta'].get('exit_code')} |")
    print()
    print("What each run's workers really had in their environment (/proc/PID/environ):")
    note_tunables = False
    for n, r in runs.items():
        try:
            with open(os.path.join(res, n, "worker.env")) as f:
                env = " ".join(line.strip() for line in f if not line.startswith("WEB_CONCURRENCY"))
        except OSError:
            env = "(not recorded)"
        purges = f"; jeinit purged {r['je']['purges']} time(s)" if r["je"] and r["je"]["purges"] else ""
        print(f"  {n}: {env or '(nothing: allocator defaults)'}{purges}")
        if "GLIBC_TUNABLES=" in env:
            note_tunables = True
    if note_tunables:
        print("  (glibc 2.36 cuts GLIBC_TUNABLES after its first tunable in the original environment it\n"
              "  parses, which is what /proc/PID/environ shows; the process itself has the whole value)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
