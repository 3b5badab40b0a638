#!/usr/bin/env python3
"""PMML conformance runner for nerva.

Why this exists: nerva's correctness claim is "the compiled C model computes
what the reference evaluators compute".  The shared corpus
(/work/shared/conformance/pmml, see its README.md) holds, per case, a PMML
document, input rows and the reference results together with the tolerance
the upstream test used.  This script runs `nerva score` on every case,
compares its CSV output with expected.csv under that case's own tolerance, and
guards progress with a pass list: a case once listed must keep passing, so a
regression fails the run (exit 1) while cases nobody has made pass yet do not.

Standard library only, so it runs wherever python3 does (meson test, CI).

    tests/conformance.py --nerva build/nerva --corpus /work/shared/conformance/pmml \
        --pass-list tests/conformance_pass.txt [--only REGEX] [--jobs N] \
        [--update-pass-list] [--workdir DIR] [--log FILE]
    tests/conformance.py --self-test

For each case the command is
    nerva score CASE/model.pmml --input CASE/input.csv --output WORKDIR/CASE.out.csv
"""

import argparse
import concurrent.futures
import csv
import json
import math
import os
import re
import struct
import subprocess
import sys
import tempfile
import time

CASE_TIMEOUT = 600  # seconds per case
MAX_MISMATCHES = 5  # recorded per case (the log says how many there were)

# --------------------------------------------------------------- tolerance


class Tolerance:
    """How two numeric cells are compared; parsed from case.json "tolerance".

    kind is one of:
      pmml      PMMLEquivalence(a, b): |x-y| <= a*max(|x|,|y|), or both |x|,|y| <= b
      float     FloatEquivalence(n): float32 values at most n ULPs apart
      relative  |x-y| <= r*|expected| (cPMML model_tester: r = 1e-3)
      absolute  |x-y| <= d
      exact     x == y
    """

    def __init__(self, kind, a=0.0, b=0.0, text=""):
        self.kind = kind
        self.a = a
        self.b = b
        self.text = text

    def describe(self):
        if self.kind == "pmml":
            return "PMMLEquivalence(%g, %g)" % (self.a, self.b)
        if self.kind == "float":
            return "FloatEquivalence(%d)" % self.a
        if self.kind == "relative":
            return "relative %g" % self.a
        if self.kind == "absolute":
            return "absolute %g" % self.a
        return "exact"

    def __repr__(self):
        return "Tolerance(%s)" % self.describe()


# numbers written in e-notation, the way every delta in the corpus is written
_E_NUMBER = r"[0-9]+(?:\.[0-9]*)?[eE][-+]?[0-9]+"
_NUMBER = r"[0-9]+(?:\.[0-9]*)?(?:[eE][-+]?[0-9]+)?|\.[0-9]+(?:[eE][-+]?[0-9]+)?"


def parse_tolerance(text):
    """Tolerance from a case.json "tolerance" text (free prose, see README)."""
    t = text or ""
    low = t.lower()
    m = re.search(r"PMMLEquivalence\(\s*(%s)\s*,\s*(%s)\s*\)" % (_NUMBER, _NUMBER), t)
    if m:
        return Tolerance("pmml", float(m.group(1)), float(m.group(2)), t)
    m = re.search(r"FloatEquivalence\(\s*([0-9]+)\s*\)", t)
    if m:
        return Tolerance("float", int(m.group(1)), 0, t)
    if "cpmml" in low:
        return Tolerance("relative", 1e-3, 0, t)
    m = re.search(r"TolerantNumerics[\w.]*\(\s*(%s)\s*\)" % _NUMBER, t)
    if m:
        return Tolerance("absolute", float(m.group(1)), 0, t)
    if "absolute" in low or "delta" in low:
        # A text may name several deltas for different rows ("delta: 1e-15
        # ... rows 1,2,4; 1e-8 ... row 3"); rows are not told apart here, so
        # the LARGEST delta mentioned applies to every cell.  Only e-notation
        # numbers count as deltas: the prose also holds row numbers and worked
        # examples ("0.3000000000000007 for -17.2 mod 0.5") that are not.
        deltas = [float(x) for x in re.findall(_E_NUMBER, t)]
        if not deltas:
            deltas = [float(x) for x in re.findall(
                r"(?:delta|absolute)[\s:=]*(%s)" % _NUMBER, t, re.I)]
        if deltas:
            return Tolerance("absolute", max(deltas), 0, t)
    # "exact", "strings exact", and anything not understood: exact
    return Tolerance("exact", 0, 0, t)


_NUM_RE = re.compile(
    r"^[+-]?(?:[0-9]+\.?[0-9]*(?:[eE][+-]?[0-9]+)?|\.[0-9]+(?:[eE][+-]?[0-9]+)?"
    r"|nan|inf|infinity)$", re.I)
_INT_RE = re.compile(r"^[+-]?[0-9]+$")


def parse_number(cell):
    """float value of a numeric cell, or None.  No trimming; accepts
    NaN/Infinity/-Infinity/inf (any case); rejects Python-only forms like 1_0."""
    if not _NUM_RE.match(cell):
        return None
    try:
        return float(cell)
    except ValueError:
        return None


def float32_ordered(x):
    """float32 bit pattern of x as an integer ordered like the values."""
    u = struct.unpack("<I", struct.pack("<f", x))[0]
    if u & 0x80000000:
        return -(u & 0x7FFFFFFF)
    return u


def to_float32(x):
    """x rounded to float32, or +-inf when out of float32 range."""
    try:
        return struct.unpack("<f", struct.pack("<f", x))[0]
    except OverflowError:
        return math.copysign(math.inf, x)


def numbers_equal(expected, actual, tol):
    """Compares two floats under tol.  NaN equals NaN; infinities only equal
    themselves."""
    x, y = expected, actual
    if math.isnan(x) or math.isnan(y):
        return math.isnan(x) and math.isnan(y)
    if math.isinf(x) or math.isinf(y):
        return x == y
    if x == y:
        return True
    k = tol.kind
    if k == "pmml":
        if abs(x - y) <= tol.a * max(abs(x), abs(y)):
            return True
        return abs(x) <= tol.b and abs(y) <= tol.b
    if k == "float":
        fx, fy = to_float32(x), to_float32(y)
        if math.isinf(fx) or math.isinf(fy):
            return fx == fy
        return abs(float32_ordered(fx) - float32_ordered(fy)) <= tol.a
    if k == "relative":
        return abs(x - y) <= tol.a * abs(x)
    if k == "absolute":
        return abs(x - y) <= tol.a
    return False  # exact, and x != y


_BOOLS = ("true", "false")


def cells_equal(expected, actual, tol):
    """One expected.csv cell against one output cell (both raw text)."""
    if expected == "":
        return actual == ""
    if actual == "":
        return False
    if expected == actual:
        return True
    el, al = expected.lower(), actual.lower()
    if el in _BOOLS and al in _BOOLS:
        return el == al
    x, y = parse_number(expected), parse_number(actual)
    if x is not None and y is not None:
        if tol.kind == "exact" and _INT_RE.match(expected) and _INT_RE.match(actual):
            return int(expected) == int(actual)  # beyond 2**53 too
        return numbers_equal(x, y, tol)
    return False  # strings compare exactly


# ------------------------------------------------------------------- cases


def read_csv(path):
    # utf-8-sig: a byte order mark is not part of the first column's name
    with open(path, newline="", encoding="utf-8-sig") as f:
        return list(csv.reader(f))


def compare_outputs(expected_path, actual_path, tol):
    """Returns (ok, mismatches, n_mismatches); mismatches holds up to
    MAX_MISMATCHES dicts (row is 1-based over data rows) or a 'problem'."""
    exp = read_csv(expected_path)
    act = read_csv(actual_path)
    if not exp:
        return False, [{"problem": "expected.csv is empty"}], 1
    if not act:
        return False, [{"problem": "output has no header row"}], 1
    ehead, erows = exp[0], exp[1:]
    ahead, arows = act[0], act[1:]
    col = {}
    for i, name in enumerate(ahead):
        col.setdefault(name, i)
    problems = []
    missing = [n for n in ehead if n not in col]
    if missing:
        problems.append({"problem": "output lacks column(s): %s" % ", ".join(missing)})
    if len(erows) != len(arows):
        problems.append({"problem": "row count: expected %d, got %d" % (len(erows), len(arows))})
    mismatches = []
    count = 0
    for r in range(min(len(erows), len(arows))):
        erow, arow = erows[r], arows[r]
        for c, name in enumerate(ehead):
            if name not in col:
                continue
            e = erow[c] if c < len(erow) else ""
            a = arow[col[name]] if col[name] < len(arow) else ""
            if not cells_equal(e, a, tol):
                count += 1
                if len(mismatches) < MAX_MISMATCHES:
                    mismatches.append({"row": r + 1, "column": name,
                                       "expected": e, "actual": a})
    ok = not problems and count == 0
    return ok, problems + mismatches, count + len(problems)


class Result:
    def __init__(self, name):
        self.name = name
        self.status = "ERROR"
        self.model_types = []
        self.tolerance = None
        self.exit_code = None
        self.stderr = ""
        self.message = ""
        self.mismatches = []
        self.n_mismatches = 0
        self.seconds = 0.0


def first_line(text):
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return ""


def run_case(nerva, corpus, name, workdir, extra=()):
    res = Result(name)
    case = os.path.join(corpus, name)
    t0 = time.monotonic()
    try:
        with open(os.path.join(case, "case.json"), encoding="utf-8") as f:
            meta = json.load(f)
        types = meta.get("model_types") or []
        res.model_types = [types] if isinstance(types, str) else list(types)
        res.tolerance = parse_tolerance(meta.get("tolerance", ""))
    except (OSError, ValueError) as e:
        res.message = "bad case.json: %s" % e
        return res
    out = os.path.join(workdir, name + ".out.csv")
    try:
        os.remove(out)
    except OSError:
        pass
    cmd = [nerva, "score", os.path.join(case, "model.pmml"),
           "--input", os.path.join(case, "input.csv"), "--output", out] + list(extra)
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=CASE_TIMEOUT)
        res.exit_code = p.returncode
        res.stderr = p.stderr.decode("utf-8", "replace")
    except subprocess.TimeoutExpired as e:
        res.stderr = (e.stderr or b"").decode("utf-8", "replace")
        res.message = "timeout after %d s" % CASE_TIMEOUT
        res.seconds = time.monotonic() - t0
        return res
    except OSError as e:
        res.message = "cannot run %s: %s" % (nerva, e)
        res.seconds = time.monotonic() - t0
        return res
    res.seconds = time.monotonic() - t0
    if res.exit_code != 0:
        res.message = "exit %d: %s" % (res.exit_code, first_line(res.stderr))
        return res
    if not os.path.exists(out):
        res.message = "exit 0 but no output file %s" % out
        return res
    try:
        ok, mism, n = compare_outputs(os.path.join(case, "expected.csv"), out, res.tolerance)
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        res.status = "FAIL"
        res.message = "cannot compare: %s" % e
        return res
    res.mismatches, res.n_mismatches = mism, n
    res.status = "PASS" if ok else "FAIL"
    return res


def describe_mismatch(m):
    if "problem" in m:
        return m["problem"]
    return "row %d %s: expected %r, got %r" % (m["row"], m["column"], m["expected"], m["actual"])


# --------------------------------------------------------------- pass list


def read_pass_list(path):
    """(header comment lines, {case: original line}).  '#' starts a comment."""
    header, entries = [], {}
    if not os.path.exists(path):
        return header, entries
    in_header = True
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            name = line.split("#", 1)[0].strip()
            if not name:
                if in_header:
                    header.append(line)
                continue
            in_header = False
            entries.setdefault(name, line)
    return header, entries


def write_pass_list(path, header, entries):
    """Leading comment block kept; entries one per line, sorted by case name
    (an entry's own line, including an inline comment, is kept as is)."""
    while header and not header[-1].strip():
        header = header[:-1]
    lines = list(header) + [entries[k] for k in sorted(entries)]
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    os.replace(tmp, path)


# --------------------------------------------------------------- self-test


def self_test():
    fails = []

    def check(label, got, want):
        if got != want:
            fails.append("%s: got %r, want %r" % (label, got, want))

    T = parse_tolerance
    # parsing the corpus' tolerance texts
    t = T("JPMML PMMLEquivalence(1e-13, 1e-13): relative error <= 1e-13")
    check("parse pmml", (t.kind, t.a, t.b), ("pmml", 1e-13, 1e-13))
    t = T("JPMML FloatEquivalence(12): float32 values may differ by at most 12 ULPs")
    check("parse float", (t.kind, t.a), ("float", 12))
    t = T("cPMML model_tester: ... within relative error 1e-3 (0.1%)")
    check("parse cpmml", (t.kind, t.a), ("relative", 1e-3))
    t = T("pmml4s scalatest TolerantNumerics.tolerantDoubleEquality(1e-6): absolute |diff| <= 1e-6")
    check("parse tolerant", (t.kind, t.a), ("absolute", 1e-6))
    t = T("JUnit assertEquals delta: 1e-15 absolute (DOUBLE_EXACT) rows 1,2,4; 1e-8 (DOUBLE_INEXACT) row 3")
    check("parse several deltas", (t.kind, t.a), ("absolute", 1e-8))
    t = T("JUnit assertEquals: exact for integer/boolean/string results; delta 1e-15 absolute "
          "(DOUBLE_EXACT) where the test gives one; modulo rows with fractional operands use "
          "delta 1e-15 (a C fmod-based floor-modulo gives e.g. 0.3000000000000007 for -17.2 "
          "mod 0.5, within 1e-15)")
    check("parse delta ignores examples", (t.kind, t.a), ("absolute", 1e-15))
    check("parse exact", T("exact").kind, "exact")
    check("parse strings exact", T("strings exact").kind, "exact")
    check("parse junit exact", T("JUnit assertEquals without delta: exact").kind, "exact")

    pm = Tolerance("pmml", 1e-13, 1e-13)
    fl = Tolerance("float", 12)
    rel = Tolerance("relative", 1e-3)
    ab = Tolerance("absolute", 1e-6)
    ex = Tolerance("exact")
    cases = [
        # (expected, actual, tolerance, equal?)
        ("1.0", "1.0000000000000002", pm, True),
        ("1.0", "1.000000000001", pm, False),
        ("1e-14", "-5e-14", pm, True),          # both below b: zero
        ("1e-14", "2e-13", pm, False),
        ("0.1800561", "0.18005611", fl, True),   # 1 ULP in float32
        ("0.1800561", "0.1800571", fl, False),
        ("0", "-0", fl, True),
        ("100", "100.09", rel, True),
        ("100", "100.2", rel, False),
        ("0", "1e-300", rel, False),
        ("1.5", "1.5000009", ab, True),
        ("1.5", "1.500002", ab, False),
        ("29", "29.0", ex, True),
        ("29", "29.000000000000004", ex, False),
        ("9007199254740993", "9007199254740992", ex, False),
        ("NaN", "nan", ex, True),
        ("NaN", "1", pm, False),
        ("Infinity", "inf", ex, True),
        ("-Infinity", "-inf", pm, True),
        ("Infinity", "-Infinity", ab, False),
        ("Infinity", "1e308", pm, False),
        ("true", "True", ex, True),
        ("TRUE", "false", ex, False),
        ("", "", ex, True),
        ("", "0", ab, False),
        ("0", "", ab, False),
        ("Iris-setosa", "Iris-setosa", ex, True),
        ("Iris-setosa", "iris-setosa", ex, False),
        (" a", "a", ex, False),                  # no trimming
        ("1_0", "10", ex, False),                # not a number: string compare
        ("2-2000", "2-2000", ex, True),
        ("1e40", "1e40", fl, True),
        ("1e40", "2e40", fl, True),              # both overflow float32 to +inf
    ]
    for e, a, tol, want in cases:
        check("cells_equal(%r, %r, %s)" % (e, a, tol.describe()), cells_equal(e, a, tol), want)

    # compare_outputs on small files
    d = tempfile.mkdtemp(prefix="nerva-selftest-")
    ep, ap = os.path.join(d, "e.csv"), os.path.join(d, "a.csv")
    with open(ep, "w", newline="") as f:
        f.write('y,"label, q"\r\n1.5,"a,""b"""\r\n,x\r\n')
    with open(ap, "w", newline="") as f:
        f.write('extra,"label, q",y\n0,"a,""b""",1.5\n9,x,\n')
    check("compare ok", compare_outputs(ep, ap, ex)[0], True)
    with open(ap, "w", newline="") as f:
        f.write('y\n1.5\n\n')
    ok, mism, n = compare_outputs(ep, ap, ex)
    check("compare missing column", (ok, "lacks" in mism[0].get("problem", "")), (False, True))
    with open(ap, "w", newline="") as f:
        f.write('y,"label, q"\n1.5,"a,""b"""\n')
    check("compare row count", compare_outputs(ep, ap, ex)[0], False)
    for p in (ep, ap):
        os.remove(p)
    os.rmdir(d)

    for f in fails:
        print("self-test FAIL: " + f)
    print("self-test: %d checks failed" % len(fails) if fails else "self-test: ok")
    return 1 if fails else 0


# -------------------------------------------------------------------- main


def main(argv=None):
    ap = argparse.ArgumentParser(description="Run the PMML conformance corpus through nerva.")
    ap.add_argument("--nerva", help="path to the nerva executable")
    ap.add_argument("--corpus", help="corpus directory (one folder per case)")
    ap.add_argument("--pass-list", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                        "conformance_pass.txt"),
                    help="cases that must pass (default: %(default)s)")
    ap.add_argument("--only", help="run only cases whose name matches this regex (re.search)")
    ap.add_argument("--nerva-arg", action="append", default=[],
                    help="one more argument for every nerva score (repeatable)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--update-pass-list", action="store_true",
                    help="add newly passing cases to the pass list (never removes)")
    ap.add_argument("--workdir", help="where outputs go (default: a new temporary directory)")
    ap.add_argument("--log", help="detailed log (default: WORKDIR/conformance.log)")
    ap.add_argument("--self-test", action="store_true",
                    help="check the comparison functions and exit")
    args = ap.parse_args(argv)

    if args.self_test:
        return self_test()
    if not args.nerva or not args.corpus:
        ap.error("--nerva and --corpus are required")
    nerva = os.path.abspath(args.nerva) if os.sep in args.nerva else args.nerva
    corpus = os.path.abspath(args.corpus)
    if not os.path.isdir(corpus):
        print("error: corpus %s is not a directory" % corpus, file=sys.stderr)
        return 2
    try:
        only = re.compile(args.only) if args.only else None
    except re.error as e:
        print("error: bad --only regex: %s" % e, file=sys.stderr)
        return 2

    names = sorted(n for n in os.listdir(corpus)
                   if os.path.isfile(os.path.join(corpus, n, "case.json")))
    if only:
        names = [n for n in names if only.search(n)]
    workdir = os.path.abspath(args.workdir) if args.workdir else \
        tempfile.mkdtemp(prefix="nerva-conformance-")
    os.makedirs(workdir, exist_ok=True)
    log_path = args.log or os.path.join(workdir, "conformance.log")

    header, pass_entries = read_pass_list(args.pass_list)
    if not os.path.exists(args.pass_list) and not args.update_pass_list:
        print("warning: pass list %s not found; treating it as empty" % args.pass_list,
              file=sys.stderr)
    all_names = set(n for n in os.listdir(corpus)
                    if os.path.isfile(os.path.join(corpus, n, "case.json")))
    for n in sorted(pass_entries):
        if n not in all_names:
            print("warning: pass list names %s, which is not in the corpus" % n, file=sys.stderr)

    t0 = time.monotonic()
    results = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futs = {pool.submit(run_case, nerva, corpus, n, workdir, args.nerva_arg): n for n in names}
        for fut in concurrent.futures.as_completed(futs):
            n = futs[fut]
            try:
                results[n] = fut.result()
            except Exception as e:  # a runner bug must not hide other cases
                r = Result(n)
                r.message = "runner exception: %r" % e
                results[n] = r
    elapsed = time.monotonic() - t0
    ordered = [results[n] for n in names]

    # pass table per model type (a case counts under each type it lists)
    per_type = {}
    for r in ordered:
        for t in r.model_types or ["(none)"]:
            s = per_type.setdefault(t, [0, 0])
            s[1] += 1
            if r.status == "PASS":
                s[0] += 1
    if per_type:
        width = max(len(t) for t in per_type)
        print("%-*s  passed/total" % (width, "model type"))
        for t in sorted(per_type):
            print("%-*s  %d/%d" % (width, t, per_type[t][0], per_type[t][1]))
        print()

    for r in ordered:
        if r.status == "PASS":
            continue
        if r.status == "FAIL":
            detail = r.message or (describe_mismatch(r.mismatches[0]) if r.mismatches else "")
            more = r.n_mismatches - 1
            if not r.message and more > 0:
                detail += " (+%d more)" % more
        else:
            detail = r.message
        print("%-5s %s: %s" % (r.status, r.name, detail))

    passed = [r.name for r in ordered if r.status == "PASS"]
    regressions = [r.name for r in ordered if r.name in pass_entries and r.status != "PASS"]
    for n in regressions:
        print("REGRESSION: %s" % n)

    new = [n for n in passed if n not in pass_entries]
    if args.update_pass_list and new:
        for n in new:
            pass_entries[n] = n
        if not header:
            header = ["# Conformance cases that must keep passing (tests/conformance.py)."]
        write_pass_list(args.pass_list, header, pass_entries)
        print("pass list: added %d case(s) to %s" % (len(new), args.pass_list))
    elif new:
        print("note: %d passing case(s) not in the pass list (use --update-pass-list)" % len(new))

    with open(log_path, "w", encoding="utf-8") as log:
        log.write("nerva conformance run\nnerva: %s\ncorpus: %s\nworkdir: %s\n"
                  "cases: %d  passed: %d  time: %.1f s\n\n"
                  % (nerva, corpus, workdir, len(ordered), len(passed), elapsed))
        for r in ordered:
            log.write("== %s: %s  (%.2f s)\n" % (r.name, r.status, r.seconds))
            log.write("   model types: %s\n" % ", ".join(r.model_types))
            if r.tolerance is not None:
                log.write("   tolerance: %s  [%s]\n" % (r.tolerance.describe(), r.tolerance.text))
            if r.exit_code is not None:
                log.write("   exit code: %d\n" % r.exit_code)
            if r.message:
                log.write("   %s\n" % r.message)
            if r.mismatches:
                log.write("   mismatches: %d\n" % r.n_mismatches)
                for m in r.mismatches:
                    log.write("     %s\n" % describe_mismatch(m))
            if r.stderr.strip():
                excerpt = r.stderr if len(r.stderr) <= 4000 else r.stderr[:4000] + "\n[...]"
                log.write("   stderr:\n")
                for line in excerpt.rstrip("\n").split("\n"):
                    log.write("     | %s\n" % line)
            if r.name in regressions:
                log.write("   REGRESSION (in pass list)\n")
            log.write("\n")
    print("log: %s" % log_path)
    print("%d passed, %d failed" % (len(passed), len(ordered) - len(passed)))
    return 1 if regressions else 0


if __name__ == "__main__":
    sys.exit(main())
