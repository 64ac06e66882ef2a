#!/usr/bin/python3
"""Print the line coverage of each source file in an lcov tracefile, lowest
first, and the total.  Exit status 1 if the tracefile holds no source file.

Usage: coverage-table.py TRACEFILE [ROOT]
File names are shown relative to ROOT (default: the current folder).
"""
import os
import sys


def read(path):
    """{file: (lines run, lines instrumented)} from an lcov .info file."""
    files, name, hit, found = {}, None, 0, 0
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith("SF:"):
                name, hit, found = line[3:], 0, 0
            elif line.startswith("LH:"):
                hit = int(line[3:])
            elif line.startswith("LF:"):
                found = int(line[3:])
            elif line == "end_of_record" and name:
                h, n = files.get(name, (0, 0))
                files[name] = (h + hit, n + found)
                name = None
    return files


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__.strip())
    root = os.path.abspath(sys.argv[2] if len(sys.argv) == 3 else ".")
    files = read(sys.argv[1])
    if not files:
        print("coverage: no source files in " + sys.argv[1], file=sys.stderr)
        return 1
    rows = sorted(((h / n * 100 if n else 100.0, os.path.relpath(f, root), h, n)
                   for f, (h, n) in files.items()), key=lambda r: (r[0], r[1]))
    width = max(len(r[1]) for r in rows)
    print(f"{'file':<{width}}  {'lines':>6}  {'run':>6}  {'cover':>6}")
    for pct, name, h, n in rows:
        print(f"{name:<{width}}  {n:>6}  {h:>6}  {pct:>5.1f}%")
    hit = sum(r[2] for r in rows)
    total = sum(r[3] for r in rows)
    print(f"{'total':<{width}}  {total:>6}  {hit:>6}  {hit / total * 100 if total else 100:>5.1f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main())
