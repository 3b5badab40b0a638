#!/usr/bin/env python3
"""Expected results of the e2e cases of the model families nerva added with
issue 14 (neural networks, vector machines, naive Bayes, anomaly detection),
computed here from the PMML standard's formulas, independently of nerva: a
second implementation, in Python's double arithmetic, of what each case's
model says.  Each model's header comment derives a row or two by hand.

    tests/e2e/families_expected.py [CASE ...]    # rewrites CASE/expected.csv
"""
import csv
import math
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def rows(case):
    with open(os.path.join(HERE, case, "input.csv"), newline="") as f:
        return list(csv.DictReader(f))


def num(s):
    return None if s == "" else float(s)


def fmt(v):
    if v is None:
        return ""
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    return repr(float(v))


def write(case, header, out):
    with open(os.path.join(HERE, case, "expected.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        for r in out:
            w.writerow([fmt(v) for v in r])


def argmax(names, vals):
    best = None
    for n, v in zip(names, vals):
        if v is not None and (best is None or v > best[1]):
            best = (n, v)
    return best[0] if best else None


def logistic(z):
    return 1.0 / (1.0 + math.exp(-z))


def activate(a, z, thr=0.0, leak=None):
    if a == "threshold":
        return 1.0 if z > thr else 0.0
    if a == "logistic":
        return logistic(z)
    if a == "tanh":
        return math.tanh(z)
    if a == "identity":
        return z
    if a == "exponential":
        return math.exp(z)
    if a == "reciprocal":
        return 1.0 / z
    if a == "square":
        return z * z
    if a == "Gauss":
        return math.exp(-(z * z))
    if a == "sine":
        return math.sin(z)
    if a == "cosine":
        return math.cos(z)
    if a == "Elliott":
        return z / (1.0 + abs(z))
    if a == "arctan":
        return (2.0 * math.atan(z)) / math.pi
    if a == "rectifier":
        if leak is not None:
            return z if z > 0 else z * leak
        return max(z, 0.0)
    raise ValueError(a)


def nn_activations():
    acts = [("threshold", 0.5, None), ("logistic",), ("tanh",), ("identity",), ("exponential",), ("reciprocal",),
            ("square",), ("Gauss",), ("sine",), ("cosine",), ("Elliott",), ("arctan",), ("rectifier",),
            ("rectifier", 0.0, 0.1)]
    names = [a[0] + ("_leaky" if len(a) > 2 and a[2] is not None else "") for a in acts] + ["mix1", "mix2"]
    out = []
    for r in rows("nn_activations"):
        x1, x2 = num(r["x1"]), num(r["x2"])
        if x1 is None or x2 is None:
            out.append([None] * (len(names) + 1))
            continue
        z = 0.0 + 0.5 * x1 + -0.25 * x2 + 0.25
        vals = [activate(a[0], z, *(a[1:])) for a in acts]
        ident, sq = vals[3], vals[6]
        mix1 = 0.0 + 0.5 * ident + 1.0 * sq + -1.0
        mix2 = 0.0 + 2.0 * mix1
        vals += [mix1, mix2]
        out.append([argmax(names, vals)] + vals)
    write("nn_activations", ["y"] + names, out)


def rbf(xs, ws, width, alt):
    z = 0.0
    for x, w in zip(xs, ws):
        z += (x - w) * (x - w)
    z /= (width * width) * -2.0
    if alt != 1.0:
        z += math.log(alt) * len(xs)
    return math.exp(z)


def nn_regression():
    out = []
    for r in rows("nn_regression"):
        a, c = num(r["a"]), r["c"]
        if a is None or c == "":
            out.append([20.0])
            continue
        n1 = 0.0 + ((a - 0.0) * (1.0 - 0.0)) / (10.0 - 0.0)
        n2 = 1.0 if c == "u" else 0.0
        x = [n1, n2]
        r1 = rbf(x, [0, 0], 2.0, 1.5)
        r2 = rbf(x, [1, 0.5], 2.0, 1.5)
        r3 = rbf(x, [0.25, 1], 1.0, 2.0)
        h1 = logistic(0.0 + 1 * r1 + -1 * r2 + 0.5 * r3 + 0.1)
        h2 = logistic(0.0 + -0.5 * r1 + 2 * r2 + 1 * r3 + -0.2)
        s = h1 + h2
        if s != 1.0:
            h1, h2 = h1 / s, h2 / s
        o = 0.0 + 0.75 * h1 + 0.5 * h2 + 0.05
        out.append([((o - 0.0) / (1.0 - 0.0)) * (50.0 - 10.0) + 10.0])
    write("nn_regression", ["mpg"], out)


CASES = {"nn_activations": nn_activations, "nn_regression": nn_regression}

if __name__ == "__main__":
    for c in sys.argv[1:] or sorted(CASES):
        CASES[c]()
