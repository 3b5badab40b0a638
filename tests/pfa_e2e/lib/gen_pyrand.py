#!/usr/bin/env python
"""Writes pyrand.jsonl: whole documents with a "randseed" whose expected
outputs are the draws of Python 2.7's random module making the calls the
reference engine Titus makes (titus/lib/rand.py, array.py,
model/cluster.py): the functions and branches the shared corpus's rand
cases leave out (a.shuffle, model.cluster.randomSeeds, rand.histogram,
rand.sample's set method, rand.long past 2^53, rand.gaussian's kept
deviate between other draws, rand.uuid4 cut to the spec's 12 digits).
Runs under Python 2.7, as Titus does (pyenv: PYENV_VERSION=2.7.18):

    python2.7 tests/pfa_e2e/lib/gen_pyrand.py > tests/pfa_e2e/lib/pyrand.jsonl

The generator itself is checked word for word in tests/unit/test_pfa_rand.c.
"""
import json
import random
import sys

assert sys.version_info[0] == 2, "run under Python 2.7, as Titus does"

D = "double"
AD = {"type": "array", "items": D}
AI = {"type": "array", "items": "int"}
AAD = {"type": "array", "items": AD}
CASES = []


def case(name, fn, engine, trials):
    CASES.append({"name": "pyrand.%s" % name, "module": "pyrand", "test": name, "engine": engine, "trials": trials,
                  "functions": [fn], "primary": fn, "source": "nerva tests/pfa_e2e/lib/gen_pyrand.py",
                  "license": "as nerva"})


def histogram(r, w):
    cum = [0.0]
    for x in w:
        cum.append(cum[-1] + x)
    pos = r.uniform(0.0, cum[-1])
    for i, y in enumerate(cum):
        if pos < y:
            return i - 1


def main():
    # a.shuffle: shuffle(list(a))
    r = random.Random(7)
    trials = []
    for n in [10, 3, 25]:
        x = list(range(n))
        r.shuffle(x)
        trials.append({"input": list(range(n)), "output": x})
    case("shuffle", "a.shuffle", {"input": AI, "output": AI, "randseed": 7, "action": {"a.shuffle": ["input"]}},
         trials)

    # rand.sample from 100 (Python 2.7's set method) and from 5 (the pool)
    r = random.Random(-31)
    trials = []
    for n, k in [(100, 10), (5, 4), (1000, 30)]:
        trials.append({"input": list(range(n)), "output": r.sample(list(range(n)), k)})
    engine = {"input": AI, "output": AI, "randseed": -31,
              "action": {"rand.sample": [{"if": {"<": [{"a.len": ["input"]}, 10]}, "then": 4,
                                          "else": {"if": {"<": [{"a.len": ["input"]}, 500]}, "then": 10,
                                                   "else": 30}}, "input"]}}
    case("sample", "rand.sample", engine, trials)

    # rand.histogram over weights
    r = random.Random(99)
    w = [0.5, 0.0, 2.25, 1.0, 0.125]
    case("histogram", "rand.histogram",
         {"input": AD, "output": "int", "randseed": 99, "action": {"rand.histogram": ["input"]}},
         [{"input": w, "output": histogram(r, w)} for _ in range(12)])

    # rand.long past 2^53 (_randbelow) and below it
    r = random.Random(2 ** 40 + 3)
    trials = []
    for lo, hi in [(-2 ** 60, 2 ** 60), (0, 1000), (-2 ** 63, 2 ** 63 - 1), (5, 2 ** 62 + 5)] * 2:
        trials.append({"input": {"lo": lo, "hi": hi}, "output": r.randint(lo, hi - 1)})
    rec = {"type": "record", "name": "R", "fields": [{"name": "lo", "type": "long"}, {"name": "hi", "type": "long"}]}
    case("long", "rand.long", {"input": rec, "output": "long", "randseed": 2 ** 40 + 3,
                               "action": {"rand.long": ["input.lo", "input.hi"]}}, trials)

    # rand.gaussian's second deviate survives a rand.double between
    r = random.Random(4242)
    trials = []
    for _ in range(3):
        g = r.gauss(1.0, 3.0)
        u = r.uniform(0.0, 1.0)
        g2 = r.gauss(-2.0, 0.5)
        trials.append({"input": None, "output": [g, u, g2]})
    case("gaussian", "rand.gaussian",
         {"input": "null", "output": AD, "randseed": 4242,
          "action": {"new": [{"rand.gaussian": [1.0, 3.0]}, {"rand.double": [0.0, 1.0]},
                             {"rand.gaussian": [-2.0, 0.5]}], "type": AD}}, trials)

    # rand.uuid4: Titus's draws, the spec's 12 digits last (Titus prints 16)
    r = random.Random(12345)
    trials = []
    for _ in range(3):
        g = [r.getrandbits(32), r.getrandbits(16), r.getrandbits(12), r.getrandbits(12), r.getrandbits(64)]
        s = "{0:08x}-{1:04x}-4{2:03x}-8{3:03x}-{4:016x}".format(*g)
        trials.append({"input": None, "output": s[:36]})
    case("uuid4", "rand.uuid4", {"input": "null", "output": "string", "randseed": 12345,
                                 "action": {"rand.uuid4": []}}, trials)

    # model.cluster.randomSeeds: the distinct vectors shuffled, the first k
    r = random.Random(5)
    data = [[1.0, 2.0], [3.0, 4.0], [1.0, 2.0], [5.0, 6.0], [7.0, 8.0], [9.0, 10.0], [3.0, 4.0], [0.0, 1.0]]
    trials = []
    for _ in range(3):
        uniques = []
        for x in data:
            if x not in uniques:
                uniques.append(x)
        r.shuffle(uniques)
        trials.append({"input": data, "output": [{"center": v, "id": i} for i, v in enumerate(uniques[:3])]})
    cl = {"type": "record", "name": "Cluster", "fields": [{"name": "center", "type": AD}, {"name": "id", "type": "int"}]}
    case("randomSeeds", "model.cluster.randomSeeds",
         {"input": AAD, "output": {"type": "array", "items": cl}, "randseed": 5,
          "action": {"model.cluster.randomSeeds": ["input", 3, {
              "params": [{"i": "int"}, {"vec": AD}], "ret": "Cluster",
              "do": {"new": {"center": "vec", "id": "i"}, "type": "Cluster"}}]}}, trials)

    for c in CASES:
        sys.stdout.write(json.dumps(c, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
