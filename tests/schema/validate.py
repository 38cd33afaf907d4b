#!/usr/bin/python3
"""Validates jeinit's JSON log lines (stdin or files) against log.schema.json.
Prints one line per invalid log line and exits 1 if any; non-JSON lines
(the program's own output) are skipped unless --strict."""
import json
import os
import sys

import jsonschema

here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "log.schema.json")) as f:
    schema = json.load(f)
validator = jsonschema.Draft7Validator(schema)
strict = "--strict" in sys.argv
paths = [a for a in sys.argv[1:] if a != "--strict"]
streams = [open(p) for p in paths] if paths else [sys.stdin]
bad = seen = 0
for stream in streams:
    for n, line in enumerate(stream, 1):
        line = line.strip()
        if not line:
            continue
        try:
            obj = json.loads(line)
        except ValueError:
            if strict:
                print(f"line {n}: not JSON: {line[:120]}")
                bad += 1
            continue
        seen += 1
        errors = sorted(validator.iter_errors(obj), key=lambda e: list(e.path))
        for e in errors:
            bad += 1
            path = "/".join(str(p) for p in e.path)
            print(f"line {n} ({obj.get('event')}): {path}: {e.message}")
print(f"{seen} lines checked, {bad} problems", file=sys.stderr)
sys.exit(1 if bad or seen == 0 else 0)
