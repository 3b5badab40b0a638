#!/usr/bin/env python3
"""PrettyPFA conformance: the corpus's prettypfa/ cases through nerva.

Why: Titus's PrettyPFA tests are the reference for the readable syntax.
  parsing   prettypfa/parsing.jsonl: each PrettyPFA text goes through
            `nerva convert`; the PFA (JSON) it becomes must hold the expected
            fragment at expected_path (JSON equality: object members in any
            order, an int never equal to a double), or the text must be
            rejected when the case expects an error.
  tutorial  prettypfa/tutorial/<name>/model.ppfa runs as a model (`nerva
            score`) on input.jsonl; the outputs must be expected.jsonl, as the
            examples of the PFA conformance runner are judged.
Where the corpus gives the path [] but a fragment that is no document (its
builder lost the path of Titus's test: testPrecedence compares the action's
one expression, testTypeExpressions the input type), the fragment must be the
document's only action expression or its input type; the table counts these.
Prints a pass table; fails when a case of the pass list
(tests/ppfa_conformance_pass.txt) does not pass.  Exit 77 without the corpus.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pfa_conformance as pc  # noqa: E402


def strict_equal(a, b):
    """JSON equality where 2 and 2.0 differ (an int literal is not a double)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return type(a) is type(b) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return set(a) == set(b) and all(strict_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(strict_equal(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def titus_equal(a, b):
    """Titus's tests compare with Python's ==, where 2 == 2.0: a double written
    as an integer in the expected fragment (json(double, 13)) matches a double."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, float) and isinstance(b, int):
        return a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return set(a) == set(b) and all(titus_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(titus_equal(x, y) for x, y in zip(a, b))
    return strict_equal(a, b)


class Runner:
    def __init__(self, nerva, workdir):
        self.nerva = os.path.abspath(nerva)
        self.workdir = workdir

    def nerva_run(self, argv, cwd, stdin=None):
        p = subprocess.run([self.nerva] + argv, cwd=cwd, input=stdin, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=300)
        return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")

    def parsing(self, case, i):
        d = tempfile.mkdtemp(prefix="parse%d-" % i, dir=self.workdir)
        with open(os.path.join(d, "model.ppfa"), "w", encoding="utf-8") as f:
            f.write(case["ppfa"])
        rc, out, err = self.nerva_run(["convert", "model.ppfa"], d)
        if "error" in case:
            ok = rc == 1 and "error" in err
            return ok, "", "" if ok else "accepted (exit %d)" % rc
        if rc != 0:
            return False, "", "nerva convert exit %d: %s" % (rc, err.strip()[:400])
        doc = json.loads(out)
        want = case["expected"]
        got = doc
        for k in case["expected_path"]:
            try:
                got = got[k]
            except (KeyError, IndexError, TypeError):
                return False, "", "no %r in %s" % (case["expected_path"], out[:300])
        if titus_equal(got, want):
            return True, "", ""
        if not case["expected_path"] and not (isinstance(want, dict) and "action" in want):
            action = doc.get("action", [])
            if len(action) == 1 and titus_equal(action[0], want):
                return True, "action", ""
            if titus_equal(doc.get("input"), want):
                return True, "input", ""
        return False, "", "expected %s, got %s" % (json.dumps(want)[:300], json.dumps(got)[:300])

    def tutorial(self, tdir):
        name = "tutorial/" + os.path.basename(tdir)
        d = os.path.join(self.workdir, os.path.basename(tdir))
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(tdir, "model.ppfa"), encoding="utf-8") as f:
            text = f.read()
        with open(os.path.join(d, "model.ppfa"), "w", encoding="utf-8") as f:
            f.write(text)
        rc, out, err = self.nerva_run(["convert", "model.ppfa"], d)
        if rc != 0:
            return name, False, 0, 0, "nerva convert exit %d: %s" % (rc, err.strip()[:400])
        engine = json.loads(out)
        types = pc.Types(engine)
        with open(os.path.join(tdir, "meta.json"), encoding="utf-8") as f:
            meta = json.load(f)
        with open(os.path.join(tdir, "input.jsonl"), encoding="utf-8") as f:
            inputs = [json.loads(x) for x in f if x.strip()]
        with open(os.path.join(tdir, "expected.jsonl"), encoding="utf-8") as f:
            expected = [json.loads(x) for x in f if x.strip()]
        with open(os.path.join(d, "input.jsonl"), "w", encoding="utf-8") as f:
            for v in inputs:
                f.write(json.dumps(pc.to_avro(types, engine["input"], v)) + "\n")
        rc, _, err = self.nerva_run(["score", "model.ppfa", "--input", "input.jsonl", "--output", "output.jsonl"], d)
        if rc != 0:
            return name, False, 0, len(expected), "nerva score exit %d: %s" % (rc, err.strip()[:400])
        with open(os.path.join(d, "output.jsonl"), encoding="utf-8") as f:
            out = [json.loads(x) for x in f if x.strip()]
        ok, passed, why = pc.judge_program(engine, types, meta, out, expected)
        return name, ok, passed, len(expected), why


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--nerva", required=True)
    ap.add_argument("--corpus", required=True, help="the PFA corpus (its prettypfa/ folder is read)")
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--pass-list")
    ap.add_argument("--update-pass-list", action="store_true")
    ap.add_argument("--only", help="run only cases whose name contains this text")
    ap.add_argument("--verbose", "-v", action="store_true")
    args = ap.parse_args()
    base = os.path.join(args.corpus, "prettypfa")
    if not os.path.isdir(base):
        print("prettypfa conformance: corpus %s absent: skipped" % base)
        return 77
    os.makedirs(args.workdir, exist_ok=True)
    r = Runner(args.nerva, os.path.abspath(args.workdir))
    results = []  # (name, part, ok, trials passed, trials, why)
    located = {"action": 0, "input": 0}
    with open(os.path.join(base, "parsing.jsonl"), encoding="utf-8") as f:
        cases = [json.loads(x) for x in f if x.strip()]
    for i, c in enumerate(cases):
        if args.only and args.only not in c["name"]:
            continue
        ok, where, why = r.parsing(c, i)
        if where:
            located[where] += 1
        results.append((c["name"], "parsing", ok, 0, 0, why))
    tdirs = sorted(os.path.join(base, "tutorial", d) for d in os.listdir(os.path.join(base, "tutorial")))
    for t in tdirs:
        if args.only and args.only not in "tutorial/" + os.path.basename(t):
            continue
        name, ok, tp, tt, why = r.tutorial(t)
        results.append((name, "tutorial", ok, tp, tt, why))

    print("%-10s %13s %15s" % ("part", "cases", "trials"))
    for part in ("parsing", "tutorial"):
        rows = [x for x in results if x[1] == part]
        if rows:
            print("%-10s %6d / %-5d %7d / %-6d" % (part, sum(x[2] for x in rows), len(rows),
                                                  sum(x[3] for x in rows), sum(x[4] for x in rows)))
    print("parsing cases whose fragment was found as the only action expression: %d, as the input type: %d"
          % (located["action"], located["input"]))
    for name, part, ok, _, _, why in results:
        if not ok and args.verbose:
            print("FAIL %s: %s" % (name, why))
    passing = {x[0] for x in results if x[2]}
    rc = 0
    if args.pass_list:
        listed = set()
        if os.path.exists(args.pass_list):
            with open(args.pass_list, encoding="utf-8") as f:
                listed = {x.strip() for x in f if x.strip() and not x.startswith("#")}
        ran = {x[0] for x in results}
        for name in sorted((listed & ran) - passing):
            why = next(x[5] for x in results if x[0] == name)
            print("REGRESSION %s: %s" % (name, why))
            rc = 1
        if args.update_pass_list:
            with open(args.pass_list, "w", encoding="utf-8") as f:
                f.write("# PrettyPFA conformance cases that pass (tests/ppfa_conformance.py); this list only grows.\n")
                for name in sorted(listed | passing):
                    f.write(name + "\n")
    return rc


if __name__ == "__main__":
    sys.exit(main())
