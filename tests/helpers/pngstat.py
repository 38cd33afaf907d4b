#!/usr/bin/env python3
"""pngstat.py FILE.png [#rrggbb...] - what a screenshot holds, read with
python's stdlib only (zlib): prints "WIDTHxHEIGHT nonwhite=P% colours=N"
and, for each colour asked, "#rrggbb=COUNT" (pixels within 24 of it on each
channel). 8-bit RGB or RGBA, non-interlaced: what Chromium writes."""
import struct
import sys
import zlib


def decode(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        sys.exit(f"{path}: not a PNG")
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        pos += 12 + n
        if kind == b"IHDR":
            width, height, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            if depth != 8 or ctype not in (2, 6) or interlace:
                sys.exit(f"{path}: depth {depth} colour type {ctype} interlace {interlace}: unsupported")
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
    raw, stride = zlib.decompress(idat), width * bpp
    rows, prev, i = [], bytearray(stride), 0
    for _ in range(height):
        f, line = raw[i], bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b, c = prev[x], prev[x - bpp] if x >= bpp else 0
            if f == 1:
                line[x] = (line[x] + a) & 255
            elif f == 2:
                line[x] = (line[x] + b) & 255
            elif f == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(line)
        prev = line
    return width, height, bpp, rows


def main():
    width, height, bpp, rows = decode(sys.argv[1])
    want = [tuple(int(h[k:k + 2], 16) for k in (1, 3, 5)) for h in sys.argv[2:]]
    counts, colours, nonwhite = [0] * len(want), set(), 0
    for line in rows:
        for x in range(0, width * bpp, bpp):
            px = (line[x], line[x + 1], line[x + 2])
            colours.add(px)
            if px != (255, 255, 255):
                nonwhite += 1
            for k, w in enumerate(want):
                if all(abs(px[j] - w[j]) <= 24 for j in range(3)):
                    counts[k] += 1
    print(f"{width}x{height} nonwhite={100.0 * nonwhite / (width * height):.1f}% colours={len(colours)}")
    for h, n in zip(sys.argv[2:], counts):
        print(f"{h}={n}")


main()
