#!/usr/bin/python3
"""Validates jeinit's JSON log lines (stdin or files) against log.schema.json
(a "msg" on every line among the rules), checks that every line is at most
4,096 bytes with its newline (PIPE_BUF: one atomic write), and that every
field path has one JSON type across all the lines (null aside), so that log
stores with dynamic mappings accept every event. --longest prints the
longest line's size (bytes, newline included) on stderr. Prints
one line per problem and exits 1 if any; non-JSON lines (the program's own
output) are skipped unless --strict."""
import json
import os
import sys

import jsonschema

here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "log.schema.json")) as f:
    schema = json.load(f)
validator = jsonschema.Draft7Validator(schema)
LINE_MAX = 4096
strict = "--strict" in sys.argv
paths = [a for a in sys.argv[1:] if not a.startswith("--")]
streams = [open(p, "rb") for p in paths] if paths else [sys.stdin.buffer]
bad = seen = longest = 0
types = {}


def kind(v):
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, (int, float)):
        return "number"
    return {str: "string", list: "array", dict: "object"}.get(type(v), "null")


def walk(v, path, event):
    k = kind(v)
    if k != "null":
        types.setdefault(path, {}).setdefault(k, event)
    if isinstance(v, dict):
        for key, sub in v.items():
            walk(sub, f"{path}.{key}" if path else key, event)
    elif isinstance(v, list):
        for sub in v:
            walk(sub, path + "[]", event)

for stream in streams:
    for n, raw in enumerate(stream, 1):
        size = len(raw) if raw.endswith(b"\n") else len(raw) + 1
        line = raw.decode("utf-8", "replace").strip()
        if not line:
            continue
        try:
            obj = json.loads(line)
            if not isinstance(obj, dict) or "event" not in obj:
                raise ValueError("not a log line")
        except ValueError:
            if strict:
                print(f"line {n}: not JSON: {line[:120]}")
                bad += 1
            continue
        seen += 1
        longest = max(longest, size)
        if size > LINE_MAX:
            bad += 1
            print(f"line {n} ({obj.get('event')}): {size} bytes with its newline, over {LINE_MAX}")
        walk(obj, "", obj.get("event"))
        errors = sorted(validator.iter_errors(obj), key=lambda e: list(e.path))
        for e in errors:
            bad += 1
            path = "/".join(str(p) for p in e.path)
            print(f"line {n} ({obj.get('event')}): {path}: {e.message}")
for path, kinds in sorted(types.items()):
    if len(kinds) > 1:
        bad += 1
        print(f"field {path} has several types: " + ", ".join(f"{k} (in {e})" for k, e in kinds.items()))
print(f"{seen} lines checked, {bad} problems, longest {longest} bytes", file=sys.stderr)
sys.exit(1 if bad or seen == 0 else 0)
