#!/usr/bin/env python3
"""Ensembles score the same with their per-tree statements rolled into loops.

Why: once a forest is walked at once, the backend prints runs of per-tree
statements that are the same but for their tree as one loop over the trees'
tables (compiler/c/emit_roll.c).  Copies that differ in anything else (a
weight, a segment's predicate, a tree's missing-value strategy, a column's
type) must stay copies.  This generates random ensembles (seeded) of every
kind of Segmentation the trees take part in, with segments that are alike
and segments that differ, scores random records (some values missing) with
`nerva score` in the flat and graph layouts (rolled) and in branches (each
tree its own code, nothing rolled), and requires the results to be the same
text, byte for byte; and that the ensembles whose segments are all alike
were rolled.  The ensembles also cover the flat layout's kinds (its
defines): values compared as ranks or as floats (float fields, no
categorical split), and missing values that go to neither child laid out
as a third child of each test or as the null leaf all trees share; each
kind must turn up.

    roll_diff.py --nerva build/nerva --workdir DIR [--models N] [--seed S]
"""

import argparse
import os
import random
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import testlib  # noqa: E402

NUM = ["a", "b", "c"]
CATS = ["red", "green", "blue", "grey"]
OPS = [("lessThan", "greaterOrEqual"), ("lessOrEqual", "greaterThan")]
STRATEGIES = ["none", "nullPrediction", "lastPrediction", "defaultChild"]
NO_TRUE_CHILD = ["returnLastPrediction", "returnNullPrediction"]
# the flat layout's kinds, as its defines say them: values compared as ranks
# or as floats, times missing values that go to neither child laid out as a
# third child of each test or as the null leaf every tree shares
KIND = re.compile(r"#define NV_FLAT_RANK (\d)\n#define NV_FLAT_CODES \d\n#define NV_FLAT_THREE (\d)\n")
KINDS = {("1", "1"): "ranks, third child", ("1", "2"): "ranks, entry 0", ("0", "1"): "floats, third child",
         ("0", "2"): "floats, entry 0"}


def split(r, floats):
    """a predicate and its complement"""
    if not floats and r.random() < 0.3:
        k = r.randint(1, 3)
        vals = " ".join(r.sample(CATS, k))
        return ('<SimpleSetPredicate field="k" booleanOperator="isIn"><Array type="string">%s</Array>'
                '</SimpleSetPredicate>' % vals,
                '<SimpleSetPredicate field="k" booleanOperator="isNotIn"><Array type="string">%s</Array>'
                '</SimpleSetPredicate>' % vals)
    f = r.choice(NUM)
    lo, hi = r.choice(OPS)
    v = round(r.uniform(-2, 2), 2)
    return ('<SimplePredicate field="%s" operator="%s" value="%s"/>' % (f, lo, v),
            '<SimplePredicate field="%s" operator="%s" value="%s"/>' % (f, hi, v))


def score_attr(r, classify):
    if classify:
        return 'score="%s"' % r.choice(["yes", "no", "maybe"])
    return 'score="%s"' % round(r.uniform(-3, 3), 3)


def dist(r, classify):
    if not classify:
        return ""
    counts = [r.randint(0, 9) for _ in range(3)]
    if sum(counts) == 0:
        counts[0] = 1
    return "".join('<ScoreDistribution value="%s" recordCount="%d"/>' % (c, n)
                   for c, n in zip(["yes", "no", "maybe"], counts))


def node(r, depth, classify, ids, pred, floats):
    ids[0] += 1
    me, kids, default = ids[0], "", ""
    if depth > 0 and r.random() < 0.85:
        p, q = split(r, floats)
        first_id = ids[0] + 1
        first = node(r, depth - 1, classify, ids, p, floats)
        second_id = ids[0] + 1
        second = node(r, depth - 1, classify, ids, q, floats)
        kids = first + second
        default = ' defaultChild="n%d"' % (first_id if r.random() < 0.5 else second_id)
    # an inner node may have no score: null where a walk ends there (so some
    # trees' columns have null flags and others none)
    scored = not kids or r.random() >= 0.3
    attrs = 'id="n%d"%s%s' % (me, default, " " + score_attr(r, classify) if scored else "")
    return "<Node %s>%s%s%s</Node>" % (attrs, pred, dist(r, classify) if scored else "", kids)


def tree(r, classify, depth, strategy, floats):
    ids = [0]
    body = node(r, depth, classify, ids, "<True/>", floats)
    return ('<TreeModel functionName="%s" missingValueStrategy="%s" noTrueChildStrategy="%s">'
            '<MiningSchema>%s</MiningSchema>%s</TreeModel>'
            % ("classification" if classify else "regression", strategy[0], strategy[1],
               "".join('<MiningField name="%s"/>' % f for f in NUM + ["k"]), body))


def model(seed):
    """(PMML text, whether every segment is alike)"""
    r = random.Random(seed)
    classify = r.random() < 0.5
    method = r.choice(["majorityVote", "weightedMajorityVote", "average", "weightedAverage"] if classify else
                      ["sum", "average", "weightedAverage", "weightedSum", "max", "median"])
    alike = r.random() < 0.5
    floats = r.random() < 0.3
    # a strategy and a no-true-child strategy
    strategy = (r.choice(STRATEGIES), r.choice(NO_TRUE_CHILD))
    weight = round(r.uniform(0.5, 2), 2)
    segs = []
    n = r.randint(4, 12)
    for i in range(n):
        w = weight if alike else round(r.uniform(0.5, 2), 2)
        st = strategy if alike else (r.choice(STRATEGIES), r.choice(NO_TRUE_CHILD))
        pred = "<True/>"
        if not alike and r.random() < 0.3:
            pred = '<SimplePredicate field="%s" operator="greaterThan" value="%s"/>' % (
                r.choice(NUM), round(r.uniform(-2, 1), 2))
        segs.append('<Segment id="s%d" weight="%s">%s%s</Segment>' % (i, w, pred, tree(r, classify, r.randint(1, 4), st, floats)))
    target = ('<DataField name="y" optype="categorical" dataType="string"><Value value="yes"/><Value value="no"/>'
              '<Value value="maybe"/></DataField>' if classify else
              '<DataField name="y" optype="continuous" dataType="double"/>')
    text = ('<?xml version="1.0"?>\n<PMML version="4.4" xmlns="http://www.dmg.org/PMML-4_4"><Header/>'
            '<DataDictionary>%s<DataField name="k" optype="categorical" dataType="string">%s</DataField>%s'
            '</DataDictionary><MiningModel functionName="%s"><MiningSchema>%s<MiningField name="y" '
            'usageType="target"/></MiningSchema><Segmentation multipleModelMethod="%s">%s</Segmentation>'
            '</MiningModel></PMML>\n'
            % ("".join('<DataField name="%s" optype="continuous" dataType="%s"/>' % (f, "float" if floats else "double")
                       for f in NUM),
               "".join('<Value value="%s"/>' % c for c in CATS), target,
               "classification" if classify else "regression",
               "".join('<MiningField name="%s"/>' % f for f in NUM + ["k"]), method, "\n".join(segs)))
    return text, alike and method != "median"


def records(seed, n=300):
    r = random.Random(seed * 7 + 1)
    rows = [",".join(NUM + ["k"])]
    for _ in range(n):
        cells = ["" if r.random() < 0.1 else repr(round(r.uniform(-2.5, 2.5), r.choice([1, 2, 3])))
                 for _ in NUM]
        cells.append("" if r.random() < 0.1 else r.choice(CATS))
        rows.append(",".join(cells))
    return "\n".join(rows) + "\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nerva", required=True)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--models", type=int, default=60)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    os.makedirs(args.workdir, exist_ok=True)
    fails, rolled, alike_n = [], 0, 0
    kinds = {k: 0 for k in KINDS}
    for i in range(args.models):
        seed = args.seed * 1000 + i
        text, alike = model(seed)
        d = os.path.join(args.workdir, "m%d" % seed)
        os.makedirs(d, exist_ok=True)
        pm, inp = os.path.join(d, "model.pmml"), os.path.join(d, "input.csv")
        with open(pm, "w") as f:
            f.write(text)
        with open(inp, "w") as f:
            f.write(records(seed))
        outs = {}
        for layout in ["branches", "flat", "graph"]:
            r = testlib.run([args.nerva, "score", "-w", "--tree-layout", layout, "-i", inp, pm], timeout=600)
            if r.rc != 0:
                fails.append("model %d [%s]: nerva score failed\n%s" % (seed, layout, r.describe()))
                break
            outs[layout] = r.out
        if len(outs) < 3:
            continue
        for layout in ["flat", "graph"]:
            if outs[layout] != outs["branches"]:
                a, b = outs["branches"].splitlines(), outs[layout].splitlines()
                k = next((j for j in range(min(len(a), len(b))) if a[j] != b[j]), min(len(a), len(b)))
                fails.append("model %d (%s): %s scores differ from branches at line %d:\n  branches: %s\n  %s: %s"
                             % (seed, pm, layout, k + 1, a[k] if k < len(a) else "(none)", layout,
                                b[k] if k < len(b) else "(none)"))
        r = testlib.run([args.nerva, "compile", "-w", "--tree-layout", "flat", "-o", "-", pm], timeout=600)
        loop = r.rc == 0 and "nv_t < " in r.out
        m = KIND.search(r.out) if r.rc == 0 else None
        if m and m.groups() in kinds:
            kinds[m.groups()] += 1
        rolled += loop
        if alike:
            alike_n += 1
            if not loop:
                fails.append("model %d (%s): its segments are alike, but nothing was rolled" % (seed, pm))
    for k, n in kinds.items():
        if not n:
            fails.append("no model's flat layout was of the kind '%s'" % KINDS[k])
    print("roll_diff: %d models (%d with segments alike), %d rolled, flat kinds: %s; %d failures" %
          (args.models, alike_n, rolled, ", ".join("%s %d" % (KINDS[k], n) for k, n in kinds.items()), len(fails)))
    for f in fails:
        print(f)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
