#!/usr/bin/env python3
"""Write an XGBoost booster as complete trees for the hand-written scorer (bench/handwritten.c).

Why: the hand-written scorer is the benchmark's measure of what the hardware
allows; it reads the trees as flat arrays, every tree padded to the deepest
tree's depth D, so a walk is D steps of index arithmetic with no branch:

    i = 0; repeat D times: i = 2i + 1 + (x[feat[i]] >= thr[i]); leaf = i - (2^D - 1)

Missing values: the scorer keeps two copies of each row, NaN as -inf (first
nfeat slots) and NaN as +inf (next nfeat); a node whose missing values go left
reads the first copy (-inf >= thr is false), one whose missing values go right
the second.  A leaf above depth D is copied into every padded leaf below it.

    xgb2flat.py MODEL.json MARGIN_FILE OUT.flat

Format (little-endian): "HWT1", int32 ntrees, depth, nfeat, float32 margin;
then per tree int32 feat[2^D - 1], float32 thr[2^D - 1], float32 leaf[2^D].
"""

import argparse
import json
import struct

import numpy as np


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("model")
    ap.add_argument("margin")
    ap.add_argument("out")
    args = ap.parse_args()
    with open(args.model, encoding="utf-8") as f:
        m = json.load(f)["learner"]
    trees = m["gradient_booster"]["model"]["trees"]
    nfeat = int(m["learner_model_param"]["num_feature"])
    with open(args.margin, encoding="ascii") as f:
        margin = np.float32(float(f.read()))

    def depth(t, i=0):
        if t["left_children"][i] == -1:
            return 0
        return 1 + max(depth(t, t["left_children"][i]), depth(t, t["right_children"][i]))

    dmax = max(depth(t) for t in trees)
    ninner, nleaf = 2 ** dmax - 1, 2 ** dmax
    with open(args.out, "wb") as f:
        f.write(b"HWT1" + struct.pack("<iiif", len(trees), dmax, nfeat, margin))
        for t in trees:
            feat = np.zeros(ninner, dtype="<i4")
            thr = np.zeros(ninner, dtype="<f4")
            leaf = np.zeros(nleaf, dtype="<f4")

            def fill(node, pos, level):
                left = t["left_children"][node]
                if left == -1:
                    # this leaf's value in every leaf slot below position pos
                    width = 2 ** (dmax - level)
                    first = pos
                    for _ in range(dmax - level):
                        first = 2 * first + 1
                    leaf[first - ninner:first - ninner + width] = np.float32(t["split_conditions"][node])
                    return
                if t.get("split_type", [0])[node if "split_type" in t else 0] != 0:
                    raise SystemExit("xgb2flat: categorical splits are not supported")
                f_ = t["split_indices"][node]
                feat[pos] = f_ if t["default_left"][node] else f_ + nfeat
                thr[pos] = np.float32(t["split_conditions"][node])
                fill(left, 2 * pos + 1, level + 1)
                fill(t["right_children"][node], 2 * pos + 2, level + 1)

            fill(0, 0, 0)
            f.write(feat.tobytes() + thr.tobytes() + leaf.tobytes())
    print("%s: %d trees padded to depth %d" % (args.out, len(trees), dmax))


if __name__ == "__main__":
    main()
