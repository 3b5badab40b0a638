#!/usr/bin/env python3
"""Compares a CSV that `nerva score` wrote with an expected CSV.

    python3 samples/compare.py EXPECTED.csv ACTUAL.csv [--rel 1e-12]

Columns are matched by name (every expected column must be present; extra
columns in ACTUAL are fine).  Numbers are equal when they differ by at most
--rel relative to the larger magnitude; anything else (labels, empty cells
meaning "missing") must be equal as text.  Prints one line and exits 0 when
everything matches, else lists the first mismatches and exits 1.
"""
import csv
import math
import sys


def number(s):
    try:
        return float(s)
    except ValueError:
        return None


def same(e, a, rel):
    if e == a:
        return True
    x, y = number(e), number(a)
    if x is None or y is None:
        return False
    if math.isnan(x) or math.isnan(y):
        return math.isnan(x) and math.isnan(y)
    return abs(x - y) <= rel * max(abs(x), abs(y))


def main(argv):
    rel = 1e-12
    args = list(argv[1:])
    if "--rel" in args:
        i = args.index("--rel")
        rel = float(args[i + 1])
        del args[i:i + 2]
    if len(args) != 2:
        raise SystemExit(__doc__.strip().splitlines()[2].strip())
    with open(args[0], newline="") as f:
        expected = list(csv.reader(f))
    with open(args[1], newline="") as f:
        actual = list(csv.reader(f))
    if not expected or not actual:
        print("compare: an input is empty")
        return 1
    eh, ah = expected[0], actual[0]
    missing = [c for c in eh if c not in ah]
    if missing:
        print("compare: %s lacks columns %s" % (args[1], ", ".join(missing)))
        return 1
    if len(expected) != len(actual):
        print("compare: %d expected rows, %d actual" % (len(expected) - 1, len(actual) - 1))
        return 1
    bad = 0
    for r in range(1, len(expected)):
        for c, name in enumerate(eh):
            e = expected[r][c] if c < len(expected[r]) else ""
            j = ah.index(name)
            a = actual[r][j] if j < len(actual[r]) else ""
            if not same(e, a, rel):
                bad += 1
                if bad <= 10:
                    print("compare: row %d, %s: expected %r, got %r" % (r, name, e, a))
    rows, cols = len(expected) - 1, len(eh)
    if bad:
        print("compare: %d of %d cells differ" % (bad, rows * cols))
        return 1
    print("compare: %d rows x %d columns match (numbers within %g relative)" % (rows, cols, rel))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
