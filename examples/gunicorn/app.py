"""A small Flask service with the allocation pattern of a real one.

Each request makes many short-lived objects of mixed sizes (the JSON body,
its parsed records, normalised copies, rendered text); a few of them outlive
the request in a bounded LRU cache, replaced one by one as tenants come and
go. The live heap therefore plateaus at "code + cache", while the long-lived
cache entries end up scattered between the freed request garbage of every
thread. Under glibc each gthread thread allocates from its own arena, and a
freed hole in the middle of an arena cannot go back to the kernel: that is
the "heap flat, RSS grows" story told in README.md. (CPython's own small
object allocator serves objects up to 512 bytes from arenas it maps itself;
everything bigger - bodies, long strings, list and dict tables, zlib and
array buffers - comes from malloc.)

Endpoints:
  POST /ingest   JSON body {"tenant": int, "records": [...]}: parse, build
                 intermediates, cache a summary, respond with a digest
  GET  /report   ?tenant=N: a large-ish text/JSON report from the cache
  GET  /healthz  liveness
"""

import csv
import hashlib
import io
import json
import os
import threading
import zlib
from array import array
from collections import OrderedDict

from flask import Flask, Response, abort, jsonify, request

# Bounded in entries and in bytes: the heap must plateau, or the demo would
# be about a leak instead of the allocator.
CACHE_ENTRIES = int(os.environ.get("APP_CACHE_ENTRIES", "256"))
CACHE_BYTES = int(os.environ.get("APP_CACHE_BYTES", str(8 << 20)))
MAX_BODY = 256 << 10
MAX_REPORT = int(os.environ.get("APP_MAX_REPORT", str(4 << 20)))


class LRUCache:
    """An LRU of str values, bounded by count and by total length."""

    def __init__(self, max_entries, max_bytes):
        self._d = OrderedDict()
        self._lock = threading.Lock()
        self._bytes = 0
        self.max_entries = max_entries
        self.max_bytes = max_bytes

    def get(self, key):
        with self._lock:
            v = self._d.get(key)
            if v is not None:
                self._d.move_to_end(key)
            return v

    def put(self, key, value):
        with self._lock:
            old = self._d.pop(key, None)
            if old is not None:
                self._bytes -= len(old)
            self._d[key] = value
            self._bytes += len(value)
            while self._d and (len(self._d) > self.max_entries or self._bytes > self.max_bytes):
                _, ev = self._d.popitem(last=False)
                self._bytes -= len(ev)

    def stats(self):
        with self._lock:
            return len(self._d), self._bytes


cache = LRUCache(CACHE_ENTRIES, CACHE_BYTES)
app = Flask(__name__)
app.config["MAX_CONTENT_LENGTH"] = MAX_BODY


def normalise(rec):
    """A copy of one record with derived fields: new strings, lists, dicts."""
    text = str(rec.get("text", ""))
    tags = [str(t).lower() for t in rec.get("tags", [])]
    values = [float(v) for v in rec.get("values", [])]
    return {
        "id": str(rec.get("id", "")),
        "text": text.strip(),
        "words": text.split(),
        "tags": sorted(set(tags)),
        "sum": sum(values),
        "n": len(values),
        "line": "|".join([text[:200]] + tags + [repr(v) for v in values[:16]]),
    }


@app.post("/ingest")
def ingest():
    raw = request.get_data(cache=False)
    try:
        doc = json.loads(raw)
    except ValueError:
        abort(400)
    if not isinstance(doc, dict) or not isinstance(doc.get("records"), list):
        abort(400)
    try:
        tenant = int(doc.get("tenant", 0))
    except (TypeError, ValueError):
        abort(400)

    # Short-lived intermediates of every size: per-record dicts and word
    # lists (small), joined lines (hundreds of bytes to KiB), the rendered
    # batch and its encoding (tens to hundreds of KiB).
    rows = [normalise(r) for r in doc["records"] if isinstance(r, dict)]
    lines = [r["line"] for r in rows]
    batch = "\n".join(lines)
    encoded = batch.encode()
    digest = hashlib.sha256(encoded).hexdigest()
    # what a real service would store or forward: a compressed copy (zlib's
    # own state and output buffers are native allocations too)
    packed = zlib.compress(encoded, 6)
    words = sum(len(r["words"]) for r in rows)
    total = sum(r["sum"] for r in rows)

    # The kind of intermediates an ETL-ish endpoint builds: an inverted
    # index (a dict and lists that grow by realloc), a column of floats, a
    # CSV rendering in a growing buffer.
    index = {}
    for i, r in enumerate(rows):
        for w in r["words"]:
            index.setdefault(w, []).append(i)
    column = array("d")
    for r in doc["records"]:
        if isinstance(r, dict):
            column.extend(float(v) for v in r.get("values", ()))
    out = io.StringIO()
    writer = csv.writer(out)
    for r in rows:
        writer.writerow((r["id"], r["n"], r["sum"], " ".join(r["tags"]), r["text"]))
    rendered = out.getvalue()

    # What outlives the request: a summary whose size follows the body's
    # (its rendered lines), so cache entries range from hundreds of bytes to
    # tens of KiB.
    summary = json.dumps(
        {"tenant": tenant, "digest": digest, "records": len(rows), "words": words,
         "distinct": len(index), "total": total, "csv_bytes": len(rendered),
         "mean": (sum(column) / len(column)) if column else 0.0, "sample": lines},
        separators=(",", ":"),
    )
    cache.put(("ingest", tenant), summary)
    return jsonify(digest=digest, records=len(rows), words=words, bytes=len(encoded),
                   packed=len(packed))


@app.get("/report")
def report():
    tenant = request.args.get("tenant", "0")
    try:
        tenant = int(tenant)
    except ValueError:
        abort(400)
    # Built anew each time from the cached summaries of nearby tenants: a
    # response of tens of KiB to a few MiB, garbage once it is sent.
    parts, size = [], 0
    for t in range(tenant, tenant + 128):
        s = cache.get(("ingest", t))
        if s is not None and size + len(s) <= MAX_REPORT:
            parts.append(json.loads(s))
            size += len(s)
    entries, nbytes = cache.stats()
    body = json.dumps(
        {"tenant": tenant, "cache_entries": entries, "cache_bytes": nbytes,
         "summaries": parts,
         "lines": [f"{p['tenant']}:{p['digest']}:{line}" for p in parts for line in p["sample"]]},
        separators=(",", ":"),
    )
    if "deflate" in request.headers.get("Accept-Encoding", ""):
        resp = Response(zlib.compress(body.encode(), 1), mimetype="application/json")
        resp.headers["Content-Encoding"] = "deflate"
        return resp
    return Response(body, mimetype="application/json")


@app.get("/healthz")
def healthz():
    entries, nbytes = cache.stats()
    return jsonify(ok=True, pid=os.getpid(), cache_entries=entries, cache_bytes=nbytes)
