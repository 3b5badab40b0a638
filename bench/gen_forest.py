#!/usr/bin/env python3
"""A random XGBoost model (JSON) of N complete trees of depth D, for compile-time checks.

Why: what compile time depends on is the ensemble's shape, not what it
learned; training 1,000 trees of depth 10 takes long, generating them does
not.  The model has XGBoost's JSON layout (what bench/xgb2pmml.py reads):
20 float features, splits on random features at random thresholds, random
default directions, random leaf values; every tree complete to depth D.

    gen_forest.py --trees N --depth D OUT.json OUT.margin
"""

import argparse
import json
import random

NFEAT = 20


def tree(rng, depth, tid):
    left, right, split, cond, dleft = [], [], [], [], []

    def node(d):
        i = len(left)
        left.append(-1), right.append(-1), split.append(0), cond.append(0.0), dleft.append(0)
        if d == depth:
            cond[i] = round(rng.uniform(-0.1, 0.1), 6)
            return i
        split[i] = rng.randrange(NFEAT)
        cond[i] = round(rng.gauss(0, 1), 5)
        dleft[i] = rng.randrange(2)
        left[i] = node(d + 1)
        right[i] = node(d + 1)
        return i

    node(0)
    n = len(left)
    return {"id": tid, "left_children": left, "right_children": right, "split_indices": split,
            "split_conditions": cond, "default_left": dleft, "split_type": [0] * n,
            "tree_param": {"num_nodes": str(n), "num_feature": str(NFEAT)}}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--trees", type=int, required=True)
    ap.add_argument("--depth", type=int, required=True)
    ap.add_argument("out")
    ap.add_argument("margin")
    args = ap.parse_args()
    rng = random.Random(11)
    model = {"learner": {
        "objective": {"name": "binary:logistic"},
        "learner_model_param": {"num_feature": str(NFEAT), "base_score": "5E-1"},
        "feature_names": ["x%d" % i for i in range(NFEAT)],
        "gradient_booster": {"name": "gbtree", "model": {
            "trees": [tree(rng, args.depth, t) for t in range(args.trees)]}}}}
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(model, f)
    with open(args.margin, "w", encoding="ascii") as f:
        f.write("0.0\n")


if __name__ == "__main__":
    main()
