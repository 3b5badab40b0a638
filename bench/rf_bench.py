#!/usr/bin/env python3
"""scikit-learn's random forest against nerva's compiled PMML of it, in one process.

Why: docs/performance.md compares batch scoring of a 100-tree, depth-10
RandomForestClassifier: scikit-learn's predict_proba (one job) and nerva's
generated code, called through ctypes on a shared object (nerva compile
--shared) bound by its descriptor.  Both get the same 10,000 rows, already
in their own form (a float32 matrix; nerva's input records), and are timed
in turns, round after round, in CPU time of this thread; the report is each
one's median ns per record and the ratio.  Before timing, nerva's
probability(1) is compared with predict_proba's, bit for bit.

    rf_bench.py --nerva build/nerva --out DIR [--rounds R] [--layouts auto,graph]
                [--before OTHER_NERVA]

--before adds the default layout as another build of nerva compiles it (a
change's before and after, timed in the same rounds).
"""

import argparse
import ctypes
import os
import statistics
import subprocess
import time

import numpy as np
from sklearn.ensemble import RandomForestClassifier

from data import NFEAT, NROWS, make_rows
from rf2pmml import to_pmml


class Field(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("type", ctypes.c_int), ("offset", ctypes.c_size_t),
                ("state_offset", ctypes.c_size_t)]


SCORE = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p)
BATCH = ctypes.CFUNCTYPE(ctypes.c_size_t, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t)


class Model(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("abi", ctypes.c_int), ("input_size", ctypes.c_size_t),
                ("output_size", ctypes.c_size_t), ("n_inputs", ctypes.c_int), ("inputs", ctypes.POINTER(Field)),
                ("n_outputs", ctypes.c_int), ("outputs", ctypes.POINTER(Field)), ("score", SCORE),
                ("score_batch", BATCH), ("interface_hash", ctypes.c_ulonglong)]


NERVA_DOUBLE = 1


class Unit:
    """a compiled model bound through its descriptor, with its inputs ready"""

    def __init__(self, so, x):
        self.lib = ctypes.CDLL(so)
        self.lib.nerva_model_entry.restype = ctypes.POINTER(Model)
        self.m = self.lib.nerva_model_entry().contents
        n = len(x)
        self.n = n
        self.ins = np.zeros(n * self.m.input_size, dtype=np.uint8)
        self.outs = np.zeros(n * self.m.output_size, dtype=np.uint8)
        self.status = np.zeros(n, dtype=np.intc)
        for i in range(self.m.n_inputs):
            f = self.m.inputs[i]
            col = int(f.name.decode()[1:])
            if f.type != NERVA_DOUBLE:
                raise SystemExit("rf_bench: input %s is not double" % f.name)
            vals = np.ndarray((n,), dtype="<f8", buffer=self.ins, offset=f.offset, strides=(self.m.input_size,))
            vals[:] = x[:, col].astype(np.float64)
            state = np.ndarray((n,), dtype=np.uint8, buffer=self.ins, offset=f.state_offset,
                               strides=(self.m.input_size,))
            state[:] = 0
        self.prob = None
        for i in range(self.m.n_outputs):
            if self.m.outputs[i].name == b"probability(1)":
                self.prob = self.m.outputs[i]

    def batch(self):
        self.m.score_batch(self.ins.ctypes.data, self.outs.ctypes.data, self.status.ctypes.data, self.n)

    def probabilities(self):
        return np.ndarray((self.n,), dtype="<f8", buffer=self.outs, offset=self.prob.offset,
                          strides=(self.m.output_size,)).copy()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--nerva", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--rounds", type=int, default=25)
    ap.add_argument("--layouts", default="auto,graph")
    ap.add_argument("--before", help="another nerva: its default layout timed too, as 'before'")
    ap.add_argument("--trees", type=int, default=100)
    ap.add_argument("--depth", type=int, default=10)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)

    xtr, ytr = make_rows(np.random.default_rng(1), 50000, missing=False)
    xte, _ = make_rows(np.random.default_rng(2), NROWS, missing=False)
    rf = RandomForestClassifier(n_estimators=args.trees, max_depth=args.depth, random_state=7, n_jobs=1)
    rf.fit(xtr, ytr.astype(int))
    names = ["x%d" % i for i in range(NFEAT)]
    pmml = os.path.join(args.out, "rf.pmml")
    with open(pmml, "w", encoding="utf-8") as f:
        f.write(to_pmml(rf, names))
    nodes = sum(e.tree_.node_count for e in rf.estimators_)
    print("random forest: %d trees of depth at most %d, %d nodes; %d rows" % (args.trees, args.depth, nodes, NROWS))

    units = []
    builds = [(args.nerva, layout, "nerva " + layout) for layout in args.layouts.split(",")]
    if args.before:
        builds.append((args.before, "auto", "before"))
    for nerva, layout, label in builds:
        so = os.path.join(args.out, "rf_%s.so" % label.replace(" ", "_"))
        t0 = time.time()
        subprocess.run([nerva, "compile", pmml, "--shared", "-o", so, "--tree-layout", layout], check=True)
        print("%-14s compiled (nerva + cc) in %.1f s" % (label, time.time() - t0))
        units.append((label, Unit(so, xte)))

    want = rf.predict_proba(xte)[:, 1]
    for label, u in units:
        u.batch()
        got = u.probabilities()
        same = int(np.sum(got.view(np.uint64) == want.astype(np.float64).view(np.uint64)))
        print("%-14s %d of %d probabilities bit-identical to predict_proba" % (label, same, NROWS))

    methods = [("scikit-learn", lambda: rf.predict_proba(xte))] + [(label, u.batch) for label, u in units]
    times = {label: [] for label, _ in methods}
    for r in range(args.rounds):
        for j in range(len(methods)):
            label, run = methods[(j + r) % len(methods)]
            t0 = time.thread_time_ns()
            run()
            times[label].append((time.thread_time_ns() - t0) / NROWS)
    print("\n%d rounds, %d rows, batch; CPU ns per record: median [25%%-75%%]" % (args.rounds, NROWS))
    base = statistics.median(times["scikit-learn"])
    for label, _ in methods:
        t = sorted(times[label])
        q = statistics.quantiles(t, n=4)
        med = statistics.median(t)
        print("  %-14s %10.1f  [%8.1f - %8.1f]   scikit-learn/this %.2f" % (label, med, q[0], q[2], base / med))


if __name__ == "__main__":
    main()
