#!/usr/bin/env python3
"""A bounded load generator for app.py, standard library only.

It only ever talks to this machine's loopback (127.0.0.1 or localhost):
anything else is refused. It runs for --duration seconds with --concurrency
threads, each on its own keep-alive connection (reopened every
--per-connection requests so that the requests spread over the workers), and
sends POST /ingest bodies whose sizes are drawn, with --seed, log-uniformly
between --min-kib and --max-kib, plus a --report-share of GET /report.

  load.py --port 8000 --duration 60 --concurrency 8
  load.py --port 8000 --duration 5 --json     # one JSON line, for scripts
"""

import argparse
import http.client
import json
import math
import random
import sys
import threading
import time

LOOPBACK = {"127.0.0.1": "127.0.0.1", "localhost": "127.0.0.1"}
WORDS = [
    "a", "io", "map", "node", "heap", "arena", "thread", "gunicorn", "allocator",
    "fragmentation", "retention", "jemalloc", "background", "purge", "decay",
    "x" * 40, "y" * 90, "lorem-ipsum-dolor-sit-amet-consectetur", "z" * 300,
]


def records_json(rng, size):
    """The JSON text of a list of records, about size bytes long."""
    recs, n = [], 2
    while n < size:
        nwords = rng.choice((3, 8, 20, 60, 150))
        rec = {
            "id": f"r{rng.getrandbits(40):x}",
            "text": " ".join(rng.choice(WORDS) for _ in range(nwords)),
            "tags": [rng.choice(WORDS)[:12] for _ in range(rng.randint(0, 6))],
            "values": [round(rng.uniform(-1e3, 1e3), 3) for _ in range(rng.choice((0, 4, 32)))],
        }
        s = json.dumps(rec, separators=(",", ":"))
        recs.append(s)
        n += len(s) + 1
    return ("[" + ",".join(recs) + "]").encode()


def make_pool(seed, count, min_kib, max_kib):
    rng = random.Random(seed)
    lo, hi = math.log(min_kib * 1024), math.log(max_kib * 1024)
    return [records_json(rng, int(math.exp(rng.uniform(lo, hi)))) for _ in range(count)]


class Stats:
    def __init__(self):
        self.requests = 0
        self.errors = {}
        self.sent = 0
        self.received = 0
        self.latencies = []

    def error(self, kind):
        self.errors[kind] = self.errors.get(kind, 0) + 1

    def merge(self, o):
        self.requests += o.requests
        self.sent += o.sent
        self.received += o.received
        self.latencies += o.latencies
        for k, v in o.errors.items():
            self.errors[k] = self.errors.get(k, 0) + v


def client(args, host, pool, deadline, index, out):
    rng = random.Random(args.seed * 1000 + index)
    st = Stats()
    conn, used = None, 0
    while time.monotonic() < deadline:
        if conn is None or used >= args.per_connection:
            if conn is not None:
                conn.close()
            conn, used = http.client.HTTPConnection(host, args.port, timeout=args.timeout), 0
        tenant = rng.randrange(args.tenants)
        t0 = time.monotonic()
        try:
            if rng.random() < args.report_share:
                hdrs = {"Accept-Encoding": "deflate"} if rng.random() < 0.5 else {}
                conn.request("GET", f"/report?tenant={tenant}", headers=hdrs)
            else:
                body = b'{"tenant":%d,"records":%s}' % (tenant, rng.choice(pool))
                conn.request("POST", "/ingest", body, {"Content-Type": "application/json"})
                st.sent += len(body)
            resp = conn.getresponse()
            data = resp.read()
            st.received += len(data)
            used += 1
            if resp.status != 200:
                st.error(f"http_{resp.status}")
            else:
                st.requests += 1
                st.latencies.append(time.monotonic() - t0)
            if resp.getheader("Connection", "").lower() == "close":
                used = args.per_connection
        except (OSError, http.client.HTTPException) as e:
            st.error(type(e).__name__)
            conn.close()
            conn = None
            time.sleep(0.05)  # a server that is gone is not hammered
    if conn is not None:
        conn.close()
    out[index] = st


def percentile(sorted_values, p):
    if not sorted_values:
        return None
    return sorted_values[min(len(sorted_values) - 1, int(p / 100 * len(sorted_values)))]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--host", default="127.0.0.1", help="127.0.0.1 or localhost, nothing else")
    ap.add_argument("--port", type=int, default=8000)
    ap.add_argument("--duration", type=float, default=10.0, help="seconds (at most 3600)")
    ap.add_argument("--concurrency", type=int, default=8, help="client threads (at most 64)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--min-kib", type=float, default=1.0)
    ap.add_argument("--max-kib", type=float, default=200.0)
    ap.add_argument("--pool", type=int, default=96, help="distinct bodies generated up front")
    ap.add_argument("--report-share", type=float, default=0.2)
    ap.add_argument("--tenants", type=int, default=400)
    ap.add_argument("--per-connection", type=int, default=20)
    ap.add_argument("--timeout", type=float, default=30.0)
    ap.add_argument("--json", action="store_true", help="print one JSON line instead of text")
    args = ap.parse_args()

    if args.host not in LOOPBACK:
        ap.error(f"refusing host {args.host!r}: only 127.0.0.1 or localhost")
    if not 0 < args.duration <= 3600:
        ap.error("--duration must be in (0, 3600]")
    if not 1 <= args.concurrency <= 64:
        ap.error("--concurrency must be in [1, 64]")
    if not 0 < args.min_kib <= args.max_kib <= 1024:
        ap.error("need 0 < --min-kib <= --max-kib <= 1024")
    if not 1 <= args.port <= 65535:
        ap.error("bad --port")
    host = LOOPBACK[args.host]

    pool = make_pool(args.seed, args.pool, args.min_kib, args.max_kib)
    out = [None] * args.concurrency
    start = time.monotonic()
    deadline = start + args.duration
    threads = [threading.Thread(target=client, args=(args, host, pool, deadline, i, out), daemon=True)
               for i in range(args.concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(args.duration + args.timeout + 5)
    elapsed = time.monotonic() - start

    total = Stats()
    for st in out:
        if st is None:
            total.error("client_hung")
        else:
            total.merge(st)
    lat = sorted(total.latencies)
    errors = sum(total.errors.values())
    result = {
        "duration_s": round(elapsed, 2),
        "concurrency": args.concurrency,
        "seed": args.seed,
        "requests": total.requests,
        "requests_per_s": round(total.requests / elapsed, 1) if elapsed > 0 else 0.0,
        "errors": errors,
        "errors_by_kind": total.errors,
        "sent_mib": round(total.sent / 2**20, 1),
        "received_mib": round(total.received / 2**20, 1),
        "p50_ms": round(percentile(lat, 50) * 1000, 1) if lat else None,
        "p99_ms": round(percentile(lat, 99) * 1000, 1) if lat else None,
    }
    if args.json:
        print(json.dumps(result))
    else:
        print(f"{result['requests']} requests in {result['duration_s']} s: "
              f"{result['requests_per_s']} requests/s, {errors} errors {total.errors or ''}")
        print(f"sent {result['sent_mib']} MiB, received {result['received_mib']} MiB, "
              f"latency p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms")
    return 0 if total.requests > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
