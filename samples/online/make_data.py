#!/usr/bin/env python3
"""Inputs for the two online PFA samples, and their expected outputs computed
here independently (plain Python, the formulas of the PFA spec), so that
`nerva score` can be checked against them and `nerva bench` has data:

    make_data.py DIR [N]      writes DIR/events.jsonl, DIR/events.expected.jsonl,
                              DIR/regression.jsonl, DIR/regression.expected.jsonl

events: N records {"key", "x"} over 1,000 keys (ewma_pool.pfa); regression: N
records {"x": 20 features, "y"} of a noisy linear relation (sgd_linreg.pfa).
"""
import json
import math
import random
import sys


def ewma(n, out_in, out_exp):
    rnd = random.Random(1)
    state = {}
    with open(out_in, "w") as fi, open(out_exp, "w") as fe:
        for _ in range(n):
            key = "k%03d" % rnd.randrange(1000)
            x = round(rnd.gauss(100 + int(key[1:]) % 7, 5), 3)
            fi.write(json.dumps({"key": key, "x": x}) + "\n")
            mean, var = state.get(key, (0.0, 1.0))
            # stat.sample.updateEWMA, alpha 0.05
            diff = x - mean
            incr = 0.05 * diff
            mean, var = mean + incr, (1 - 0.05) * (var + diff * incr)
            state[key] = (mean, var)
            z = (x - mean) / math.sqrt(var + 1e-9)
            fe.write(json.dumps({"key": key, "mean": mean, "z": z}) + "\n")


def sgd(n, out_in, out_exp, d=20):
    rnd = random.Random(2)
    truth = [rnd.uniform(-2, 2) for _ in range(d)]
    coeff, const = [0.0] * d, 0.0
    with open(out_in, "w") as fi, open(out_exp, "w") as fe:
        for _ in range(n):
            x = [round(rnd.uniform(-1, 1), 4) for _ in range(d)]
            y = round(sum(a * b for a, b in zip(truth, x)) + 0.5 + rnd.gauss(0, 0.1), 4)
            fi.write(json.dumps({"x": x, "y": y}) + "\n")
            pred = sum(a * b for a, b in zip(coeff, x)) + const
            step = 0.05 * (y - pred)
            coeff = [c + step * xi for c, xi in zip(coeff, x)]
            const = const + step
            fe.write(json.dumps(pred) + "\n")


def main():
    out = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 100000
    ewma(n, out + "/events.jsonl", out + "/events.expected.jsonl")
    sgd(n, out + "/regression.jsonl", out + "/regression.expected.jsonl")


if __name__ == "__main__":
    main()
