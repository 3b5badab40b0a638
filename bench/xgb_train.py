#!/usr/bin/env python3
"""Train the benchmark's XGBoost classifiers and write what the C harness reads.

Why: docs/performance.md compares nerva's generated code with XGBoost's own
predictor and a hand-written scorer on the same rows; this script makes those
rows and models, reproducibly (fixed seeds), with Debian's xgboost.

    xgb_train.py --out DIR --trees 100 --depth 6 --name xgb_100x6

writes, in DIR:
  NAME.json         the booster (XGBoost's JSON model format)
  NAME.margin       the base margin XGBoost adds before the first tree
  rows.f32          the 10,000 benchmark rows, float32, row-major, NaN = missing
  rows.csv          the same rows as CSV for `nerva score` (empty cell = missing)
  NAME.pred.f32     xgboost.predict() of those rows (probability of class 1)

The data are bench/data.py's: a third of the rows (training and benchmark
alike) have one feature missing, so the trees learn and use default
directions.
"""

import argparse
import json
import os

import numpy as np
import xgboost as xgb

from data import NFEAT, NROWS, make_rows


def write_rows(out, x):
    x.astype("<f4").tofile(os.path.join(out, "rows.f32"))
    with open(os.path.join(out, "rows.csv"), "w", encoding="ascii") as f:
        f.write(",".join("x%d" % i for i in range(NFEAT)) + "\n")
        for row in x:
            f.write(",".join("" if v != v else repr(float(v)) for v in row) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--trees", type=int, required=True)
    ap.add_argument("--depth", type=int, required=True)
    ap.add_argument("--name", required=True)
    ap.add_argument("--train-rows", type=int, default=50000)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)

    xtr, ytr = make_rows(np.random.default_rng(1), args.train_rows)
    xte, _ = make_rows(np.random.default_rng(2), NROWS)
    names = ["x%d" % i for i in range(NFEAT)]
    params = {"objective": "binary:logistic", "max_depth": args.depth, "eta": 0.1,
              "base_score": 0.3, "nthread": 1, "seed": 7, "tree_method": "hist"}
    dtr = xgb.DMatrix(xtr, label=ytr, missing=np.nan, feature_names=names)
    booster = xgb.train(params, dtr, num_boost_round=args.trees)
    booster.save_model(os.path.join(args.out, args.name + ".json"))

    # the base margin: a booster of no trees predicts exactly it
    empty = xgb.train(params, dtr, num_boost_round=0)
    dte = xgb.DMatrix(xte, missing=np.nan, feature_names=names)
    margin = empty.predict(dte, output_margin=True)
    assert np.all(margin == margin[0])
    with open(os.path.join(args.out, args.name + ".margin"), "w", encoding="ascii") as f:
        f.write(repr(float(np.float32(margin[0]))) + "\n")

    write_rows(args.out, xte)
    pred = booster.predict(dte).astype("<f4")
    pred.tofile(os.path.join(args.out, args.name + ".pred.f32"))
    with open(os.path.join(args.out, args.name + ".json"), encoding="utf-8") as f:
        trees = json.load(f)["learner"]["gradient_booster"]["model"]["trees"]
    print("%s: %d trees of depth %d, %d nodes; %d rows, %d with a missing value"
          % (args.name, args.trees, args.depth, sum(len(t["left_children"]) for t in trees),
             NROWS, int(np.isnan(xte).any(axis=1).sum())))


if __name__ == "__main__":
    main()
