#!/usr/bin/env python3
"""The batch entry point scores as the single-record one, for every tree layout.

Why: with flat trees a model's P_score_batch scores blocks of records in two
phases around one walk of the forest (compiler/c/emit_trees.c), while the
conformance runs call P_score record by record.  For each case with trees
(tests/e2e, and the corpus cases of the pass list when --corpus is given)
and each layout, this compiles the model (nerva compile, then cc with
NERVA_CFLAGS) against tests/batch_check.c and runs it on the case's input:
batch and single must agree bit for bit, for blocks of every fill.

    batch.py --nerva build/nerva --checker tests/batch_check.c --include runtime/lib
             --cases tests/e2e [--corpus DIR --pass-list FILE] --workdir DIR [--jobs N]
"""

import argparse
import concurrent.futures
import os
import shlex
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import testlib  # noqa: E402

LAYOUTS = [("auto", []), ("flat", ["--tree-layout", "flat"]), ("graph", ["--tree-layout", "graph"])]


def cases_with_trees(root, names=None):
    out = []
    for name in sorted(names if names is not None else os.listdir(root)):
        d = os.path.join(root, name)
        model = os.path.join(d, "model.pmml")
        if os.path.isfile(model) and os.path.isfile(os.path.join(d, "input.csv")):
            with open(model, encoding="utf-8", errors="replace") as f:
                if "<TreeModel" in f.read():
                    out.append((name, d))
    return out


def check(args, name, d, layout, extra):
    work = os.path.join(args.workdir, "%s-%s" % (name, layout))
    os.makedirs(work, exist_ok=True)
    c = os.path.join(work, "model.c")
    r = testlib.run([args.nerva, "compile", os.path.join(d, "model.pmml"), "--prefix", "model", "-o", c] + extra,
                    timeout=600)
    if r.rc != 0:
        return "%s [%s]: nerva compile failed\n%s" % (name, layout, r.describe())
    exe = os.path.join(work, "check")
    cflags = shlex.split(os.environ.get("NERVA_CFLAGS", "-O1"))
    r = testlib.run([os.environ.get("CC", "cc")] + cflags + ["-I", work, "-I", args.include,
                    "-DNERVA_ENTRY=model_model", "-o", exe, c, args.checker, "-lm"], timeout=900)
    if r.rc != 0:
        return "%s [%s]: cc failed\n%s" % (name, layout, r.describe())
    r = testlib.run([exe, os.path.join(d, "input.csv")], timeout=600)
    if r.rc != 0:
        return "%s [%s]: %s\n%s" % (name, layout, r.out.strip(), r.describe())
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--nerva", required=True)
    ap.add_argument("--checker", required=True)
    ap.add_argument("--include", required=True, help="the folder of nerva_model.h")
    ap.add_argument("--cases", required=True)
    ap.add_argument("--corpus")
    ap.add_argument("--pass-list")
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    todo = cases_with_trees(args.cases)
    if args.corpus:
        if not os.path.isdir(args.corpus):
            print("skipped: corpus %s does not exist" % args.corpus)
            return testlib.SKIP
        with open(args.pass_list, encoding="utf-8") as f:
            names = [ln.split("#")[0].strip() for ln in f]
        todo = cases_with_trees(args.corpus, [n for n in names if n])
    jobs = [(name, d, layout, extra) for name, d in todo for layout, extra in LAYOUTS]
    failed = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as ex:
        for job, err in zip(jobs, ex.map(lambda j: check(args, *j), jobs)):
            print("%-40s %-6s %s" % (job[0], job[2], "FAIL" if err else "ok"))
            if err:
                failed.append(err)
    for err in failed:
        print("\n" + err)
    print("%d of %d checks failed" % (len(failed), len(jobs)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
