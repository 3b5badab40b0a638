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


def dot(x, v):
    s = 0.0
    for a, b in zip(x, v):
        s += a * b
    return s


def machine(terms, b, kernel):
    """sum of coefficient * kernel in order from 0, then b (JPMML's order)"""
    s = 0.0
    for coef, v in terms:
        s += coef * kernel(v)
    return s + b


def votes(cats, decisions, nmach):
    """decisions: the category each machine votes for, in order; the winner
    has most votes, on ties the one voted for first"""
    count, first = {}, {}
    for i, c in enumerate(decisions):
        count[c] = count.get(c, 0) + 1
        first.setdefault(c, i)
    win = max(count, key=lambda c: (count[c], -first[c]))
    return win, [count.get(c, 0) / nmach for c in cats]


def svm_ovo():
    v1, v2, v3, v4 = (1.0, 0.0), (0.0, 1.0), (2.0, 1.0), (-1.0, 0.5)
    out = []
    for r in rows("svm_ovo"):
        x, c = num(r["x"]), r["c"]
        if x is None or c == "":
            out.append([None] * 4)
            continue
        vec = (x, 1.0 if c == "a" else 0.0)
        k = lambda v: math.pow(dot(vec, v) * 0.5 + 1.0, 2.0)
        ab = machine([(1, v1), (-1, v2)], 0.0, k)
        ac = machine([(0.5, v3)], -1.0, k)
        bc = machine([(-1, v4), (0.5, v2)], 0.5, k)
        dec = ["A" if ab < 0 else "B", "A" if ac < 0.25 else "C", "B" if bc < 0 else "C"]
        win, p = votes("ABC", dec, 3)
        out.append([win] + p)
    write("svm_ovo", ["y", "pA", "pB", "pC"], out)


def svm_ova():
    v1, v2 = (1.0, 1.0), (-1.0, 2.0)
    out = []
    for r in rows("svm_ova"):
        x1, x2 = num(r["x1"]), num(r["x2"])
        if x1 is None or x2 is None:
            out.append([None])
            continue
        k = lambda v: math.tanh(dot((x1, x2), v) * 0.5 + -0.5)
        vals = [machine([(1, v1)], 0.0, k), machine([(2, v2)], -1.0, k), machine([(-1, v1), (1, v2)], 0.25, k)]
        best = 0
        for i in range(1, 3):
            if vals[i] > vals[best]:  # maxWins: the greatest, the first on ties
                best = i
        out.append(["pqr"[best]])
    write("svm_ova", ["y"], out)


def svm_coefficients():
    out = []
    for r in rows("svm_coefficients"):
        x = [num(r[k]) for k in "abc"]
        if None in x:
            out.append([None])
            continue
        s = 0.0
        for c, v in zip((2.0, -1.0, 0.5), x):
            s += c * v
        out.append([s + 1.5])
    write("svm_coefficients", ["y"], out)


def svm_binary():
    out = []
    for r in rows("svm_binary"):
        x = num(r["x"])
        if x is None:
            out.append([None, None])
            continue
        v = machine([(1.5, (0.0,))], -0.25, lambda sv: math.exp(-((x - sv[0]) * (x - sv[0])) * 2.0))
        y = "yes" if v < 0.5 else "no"
        out.append([y, 1.0 if y == "yes" else 0.0])
    write("svm_binary", ["y", "p_yes"], out)


def svm_binary_legacy():
    out = []
    for r in rows("svm_binary_legacy"):
        v = machine([(1.0, (1.0,))], 0.0, lambda sv: dot((num(r["x"]),), sv))
        rounded = math.floor(v + 0.5)  # Java's Math.round
        out.append(["yes" if rounded == 1 else "no" if rounded == 0 else None])
    write("svm_binary_legacy", ["y"], out)


def nb_mixed():
    thr = 0.001
    cats = ["good", "bad"]
    prior = {"good": 6.0, "bad": 4.0}
    color = {"red": {"good": 3.0, "bad": 0.0}, "blue": {"good": 2.0, "bad": 3.0}, "green": {"good": 1.0}}
    nvals = {1.0: {"good": 4.0, "bad": 1.0}, 2.0: {"good": 2.0, "bad": 3.0}}
    amount = {"low": {"good": 5.0, "bad": 1.0}, "high": {"good": 1.0, "bad": 3.0}}
    poisson = {"good": 2.0, "bad": 5.0}
    gauss = {"good": (170.0, 25.0), "bad": (160.0, 100.0)}

    def sums(table):
        out = {}
        for counts in table.values():
            for c, n in counts.items():
                out[c] = out.get(c, 0.0) + n
        return out

    def discrete(score, table, key):
        if key not in table:
            return
        tot = sums(table)
        for c, n in table[key].items():
            score[c] += math.log(thr if abs(n) < 2.0 ** -53 else n / tot[c])

    out = []
    for r in rows("nb_mixed"):
        score = {c: math.log(prior[c]) for c in cats}
        if r["color"] != "":
            discrete(score, color, r["color"])
        if r["n"] != "":
            discrete(score, nvals, float(r["n"]))
        if r["amount"] != "":
            discrete(score, amount, "low" if float(r["amount"]) < 10 else "high")
        if r["visits"] != "":
            k = float(r["visits"])
            for c in cats:
                m = poisson[c]
                p = math.exp(k * math.log(m) - m - math.lgamma(k + 1))
                score[c] += math.log(max(p, thr))
        if r["height"] != "":
            x = float(r["height"])
            for c in cats:
                mean, var = gauss[c]
                sd = math.sqrt(var)
                z = (x - mean) / sd
                p = math.exp(-0.5 * z * z - (math.log(sd) + 0.5 * math.log(2 * math.pi)))
                score[c] += math.log(max(p, thr))
        mx = max(score.values())
        e = {c: math.exp(score[c] - mx) for c in cats}
        tot = e["good"] + e["bad"]
        ps = [e[c] / tot for c in cats]
        out.append([argmax(cats, ps)] + ps)
    write("nb_mixed", ["class", "p_good", "p_bad"], out)


def anomaly_iforest():
    n = 256.0
    c = 2.0 * (math.log(n - 1.0) + 0.57721566) - (2.0 * (n - 1.0) / n)
    out = []
    for r in rows("anomaly_iforest"):
        x, y = num(r["x"]), num(r["y"])
        paths = []
        if x is not None:
            paths.append(2.0 if x < 1 else 6.5)
        if y is not None:
            paths.append(2.0 if y < 3 else 9.0)
        if not paths:
            out.append([None, None])
            continue
        h = sum(paths) / len(paths)  # the average skips a missing prediction
        score = math.pow(2.0, -(h / c))
        out.append([score, score > 0.6])
    write("anomaly_iforest", ["score", "isAnomaly"], out)


def mining_chain_families():
    out = []
    for r in rows("mining_chain_families"):
        h = math.tanh(0.0 + 1.0 * float(r["x"]) + -1.0)
        out.append([machine([(2.0, (1.0,))], 0.5, lambda v: dot((h,), v))])
    write("mining_chain_families", ["y"], out)


CASES = {"anomaly_iforest": anomaly_iforest, "mining_chain_families": mining_chain_families, "nb_mixed": nb_mixed, "nn_activations": nn_activations, "nn_regression": nn_regression, "svm_ovo": svm_ovo, "svm_ova": svm_ova,
         "svm_coefficients": svm_coefficients, "svm_binary": svm_binary, "svm_binary_legacy": svm_binary_legacy}

if __name__ == "__main__":
    for c in sys.argv[1:] or sorted(CASES):
        CASES[c]()
