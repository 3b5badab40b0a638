#!/usr/bin/env python3
"""Writes analytic.jsonl: cases of the analytic functions that neither the
shared corpus nor Hadrian's tests (hadrian.jsonl) check, with expected
values from the definitions below (plain Python and mpmath, not nerva).

    python3 tests/pfa_e2e/lib/gen_analytic.py > tests/pfa_e2e/lib/analytic.jsonl

The rand functions are checked against Python's draws elsewhere (gen_pyrand.py,
tests/unit/test_pfa_rand.c) and by their properties in tests/unit/test_pfa_lib.c.
"""

import json
import math
import sys

import mpmath

D = "double"
AD = {"type": "array", "items": D}
AAD = {"type": "array", "items": AD}
MD = {"type": "map", "values": D}
MMD = {"type": "map", "values": MD}


def lit(t, v):
    return {"type": t, "value": v}


def case(name, fn, engine, trials):
    return {"name": "analytic.%s" % name, "module": "analytic", "test": name, "engine": engine, "trials": trials,
            "functions": [fn], "primary": fn, "source": "nerva tests/pfa_e2e/lib/gen_analytic.py",
            "license": "as nerva"}


def const(name, fn, out_t, action, want, places=None):
    t = {"input": None, "output": want}
    if places is not None:
        t["places"] = places
    return case(name, fn, {"input": "null", "output": out_t, "action": action}, [t])


def ks_pvalue(x, y):
    """stat.test.kolmogorov by its definition: the two-sample statistic D,
    Stephens' effective size, and the Kolmogorov survival function"""
    x, y = sorted(v for v in x if v == v), sorted(v for v in y if v == v)
    if x == y:
        return 1.0
    n1, n2 = len(x), len(y)
    d = max(abs(sum(1 for v in x if v <= t) / n1 - sum(1 for v in y if v <= t) / n2) for t in x + y)
    en = math.sqrt(n1 * n2 / (n1 + n2))
    z = mpmath.mpf((en + 0.12 + 0.11 / en) * d)
    q = 2 * mpmath.nsum(lambda k: (-1) ** (k - 1) * mpmath.exp(-2 * k * k * z * z), [1, mpmath.inf])
    return float(q)


def main():
    mpmath.mp.dps = 40
    cases = []
    # the deprecated model.reg twins of stat.test
    cases.append(const("reg_residual_scalar", "model.reg.residual", D, {"model.reg.residual": [3.0, 2.5]}, 0.5))
    cases.append(const("reg_residual_array", "model.reg.residual", AD,
                       {"model.reg.residual": [lit(AD, [1, 2, 3]), lit(AD, [0.5, 2, 4])]}, [0.5, 0.0, -1.0]))
    cases.append(const("reg_residual_map", "model.reg.residual", MD,
                       {"model.reg.residual": [lit(MD, {"a": 1, "b": 2}), lit(MD, {"a": 0.5, "b": 3})]},
                       {"a": 0.5, "b": -1.0}))
    cases.append(const("reg_pull_scalar", "model.reg.pull", D, {"model.reg.pull": [3.0, 2.0, 0.5]}, 2.0))
    cases.append(const("reg_pull_array", "model.reg.pull", AD,
                       {"model.reg.pull": [lit(AD, [1, 2]), lit(AD, [0, 4]), lit(AD, [2, 4])]}, [0.5, -0.5]))
    # d = (1, 2), C = [[2, 1], [1, 2]], C^-1 = [[2, -1], [-1, 2]]/3: d' C^-1 d = 2
    cases.append(const("reg_mahalanobis_array", "model.reg.mahalanobis", D,
                       {"model.reg.mahalanobis": [lit(AD, [1, 3]), lit(AD, [0, 1]), lit(AAD, [[2, 1], [1, 2]])]},
                       math.sqrt(2), 12))
    cases.append(const("reg_mahalanobis_map", "model.reg.mahalanobis", D,
                       {"model.reg.mahalanobis": [lit(MD, {"u": 1, "v": 2}), lit(MD, {"u": 0, "v": 0}),
                                                  lit(MMD, {"u": {"u": 2, "v": 0}, "v": {"u": 0, "v": 8}})]},
                       1.0, 12))
    chi = {"type": "record", "name": "Chi", "fields": [{"name": "chi2", "type": D}, {"name": "DOF", "type": "int"}]}
    cases.append(case("reg_updateChi2", "model.reg.updateChi2",
                      {"input": AD, "output": chi, "cells": {"s": {"type": chi, "init": {"chi2": 1.0, "DOF": 3}}},
                       "action": {"cell": "s", "to": {"params": [{"old": "Chi"}], "ret": "Chi",
                                                      "do": {"model.reg.updateChi2": ["input", "old"]}}}},
                      [{"input": [1.0, 2.0], "output": {"chi2": 6.0, "DOF": 4}},
                       {"input": [3.0], "output": {"chi2": 15.0, "DOF": 5}}]))
    cases.append(case("reg_reducedChi2_chi2Prob", "model.reg.chi2Prob",
                      {"input": chi, "output": AD,
                       "action": {"new": [{"model.reg.reducedChi2": ["input"]}, {"model.reg.chi2Prob": ["input"]}],
                                  "type": AD}},
                      [{"input": {"chi2": 3.0, "DOF": 2}, "output": [1.5, 1 - math.exp(-1.5)], "places": 14},
                       {"input": {"chi2": 6.0, "DOF": 3}, "output": [2.0, float(mpmath.gammainc(1.5, 0, 3, regularized=True))],
                        "places": 14}]))
    # stat.test.kolmogorov
    ks = [([0.1, 0.5, 0.9, 1.3], [0.2, 0.4, 1.5, 2.0, 2.5]),
          ([1, 2, 3, 4, 5, 6, 7, 8], [1.5, 2.5, 3.5, float("nan"), 4.5, 5.5, 6.5, 7.5, 8.5]),
          ([0, 0.1, 0.2], [5, 6, 7, 8]),
          ([1, 2, 3], [3, 2, 1])]
    cases.append(case("kolmogorov", "stat.test.kolmogorov",
                      {"input": {"type": "record", "name": "KS", "fields": [{"name": "x", "type": AD},
                                                                             {"name": "y", "type": AD}]},
                       "output": D, "action": {"stat.test.kolmogorov": ["input.x", "input.y"]}},
                      [{"input": {"x": x, "y": [("nan" if v != v else v) for v in y]}, "output": ks_pvalue(x, y),
                        "places": 12} for x, y in ks]))
    # model.neighbor: nearest by Euclidean distance, nearest first; within r in codebook order
    book = [[1.0, 1.0], [3.0, 3.0], [0.5, 0.0], [-2.0, 0.0]]
    cases.append(case("nearestK", "model.neighbor.nearestK",
                      {"input": "int", "output": AAD,
                       "action": {"model.neighbor.nearestK": ["input", lit(AD, [0, 0]), lit(AAD, book)]}},
                      [{"input": 2, "output": [[0.5, 0.0], [1.0, 1.0]]},
                       {"input": 0, "output": []},
                       {"input": 9, "output": [[0.5, 0.0], [1.0, 1.0], [-2.0, 0.0], [3.0, 3.0]]},
                       {"input": -1, "error": "PFARuntimeException"}]))
    cases.append(case("ballR", "model.neighbor.ballR",
                      {"input": D, "output": AAD,
                       "action": {"model.neighbor.ballR": ["input", lit(AD, [0, 0]), lit(AAD, book)]}},
                      [{"input": 1.5, "output": [[1.0, 1.0], [0.5, 0.0]]},
                       {"input": 0.5, "output": []},
                       {"input": 2.5, "output": [[1.0, 1.0], [0.5, 0.0], [-2.0, 0.0]]}]))
    # model.cluster: updateMean = (sum of data + weight * center) / (n + weight); one Lloyd step
    cl = {"type": "record", "name": "Cl", "fields": [{"name": "center", "type": AD}, {"name": "id", "type": "string"}]}
    cases.append(case("updateMean", "model.cluster.updateMean",
                      {"input": D, "output": cl,
                       "action": {"model.cluster.updateMean": [lit(AAD, [[1, 2], [3, 4]]),
                                                               {"new": {"center": lit(AD, [0, 0]),
                                                                        "id": {"string": "a"}}, "type": cl},
                                                               "input"]}},
                      [{"input": 2.0, "output": {"center": [1.0, 1.5], "id": "a"}},
                       {"input": 0.0, "output": {"center": [2.0, 3.0], "id": "a"}}]))
    data = [[0, 0], [1, 0], [10, 10], [11, 10], [0.5, 1]]
    cases.append(case("kmeansIteration", "model.cluster.kmeansIteration",
                      {"input": "null", "output": {"type": "array", "items": cl},
                       "action": {"model.cluster.kmeansIteration": [
                           lit(AAD, data),
                           lit({"type": "array", "items": cl}, [{"center": [0, 1], "id": "a"},
                                                                 {"center": [9, 9], "id": "b"},
                                                                 {"center": [50, 50], "id": "c"}]),
                           {"params": [{"x": AD}, {"y": AD}], "ret": D,
                            "do": {"metric.euclidean": [{"fcn": "metric.absDiff"}, "x", "y"]}},
                           {"params": [{"d": AAD}, {"c": "Cl"}], "ret": "Cl",
                            "do": {"model.cluster.updateMean": ["d", "c", 0.0]}}]}},
                      [{"input": None, "output": [{"center": [0.5, 1 / 3], "id": "a"},
                                                  {"center": [10.5, 10.0], "id": "b"},
                                                  {"center": [50.0, 50.0], "id": "c"}], "places": 14}]))
    # model.tree.compoundTest
    datum = {"type": "record", "name": "Dx", "fields": [{"name": "x", "type": D}]}
    tr = {"type": "record", "name": "Tr", "fields": [
        {"name": "field", "type": {"type": "enum", "name": "Fx", "symbols": ["x"]}},
        {"name": "operator", "type": "string"}, {"name": "value", "type": D}]}
    comps = lit({"type": "array", "items": tr}, [{"field": "x", "operator": "<", "value": 10},
                                                  {"field": "x", "operator": ">", "value": 7},
                                                  {"field": "x", "operator": "!=", "value": 3}])
    cases.append(case("compoundTest", "model.tree.compoundTest",
                      {"input": {"type": "record", "name": "CI", "fields": [{"name": "x", "type": D},
                                                                             {"name": "op", "type": "string"}]},
                       "output": "boolean",
                       "action": {"model.tree.compoundTest": [
                           {"new": {"x": "input.x"}, "type": datum}, "input.op", comps,
                           {"params": [{"d": "Dx"}, {"t": "Tr"}], "ret": "boolean",
                            "do": {"model.tree.simpleTest": ["d", "t"]}}]}},
                      [{"input": {"x": 5, "op": "and"}, "output": False},
                       {"input": {"x": 8, "op": "and"}, "output": True},
                       {"input": {"x": 5, "op": "or"}, "output": True},
                       {"input": {"x": 3, "op": "or"}, "output": True},
                       {"input": {"x": 8, "op": "xor"}, "output": True},
                       {"input": {"x": 5, "op": "xor"}, "output": False},
                       {"input": {"x": 5, "op": "nand"}, "error": "PFARuntimeException"}]))
    # model.reg.gaussianProcess with a vector "to" is, per the spec, the
    # scalar process of each component (Titus instead carries the first
    # component's fitted Kriging weight over to the others: see
    # docs/pfa-support.md); the x's and to's are arbitrary
    xs = [0, 7, 15, 26, 31, 44, 52, 60]
    tos = [[math.sin(x / 9.0), math.cos(x / 13.0) + 0.1 * x / 60] for x in xs]
    vrow = {"type": "record", "name": "GV", "fields": [{"name": "x", "type": D}, {"name": "to", "type": AD},
                                                       {"name": "sigma", "type": AD}]}
    srow = {"type": "record", "name": "GS", "fields": [{"name": "x", "type": D}, {"name": "to", "type": D},
                                                       {"name": "sigma", "type": D}]}
    kern = {"fcn": "m.kernel.rbf", "fill": {"gamma": 2.0}}
    gp = {"input": D, "output": AD,
          "cells": {"v": {"type": {"type": "array", "items": vrow},
                          "init": [{"x": x, "to": t, "sigma": [0.2, 0.3]} for x, t in zip(xs, tos)]},
                    "s0": {"type": {"type": "array", "items": srow},
                           "init": [{"x": x, "to": t[0], "sigma": 0.2} for x, t in zip(xs, tos)]},
                    "s1": {"type": {"type": "array", "items": "GS"},
                           "init": [{"x": x, "to": t[1], "sigma": 0.3} for x, t in zip(xs, tos)]}},
          "action": [{"let": {"vec": {"model.reg.gaussianProcess": ["input", {"cell": "v"}, None, kern]}}},
                     {"new": [{"-": [{"attr": "vec", "path": [0]},
                                     {"model.reg.gaussianProcess": ["input", {"cell": "s0"}, None, kern]}]},
                              {"-": [{"attr": "vec", "path": [1]},
                                     {"model.reg.gaussianProcess": ["input", {"cell": "s1"}, None, kern]}]}],
                      "type": AD}]}
    cases.append(case("gaussianProcess_vector_is_per_component", "model.reg.gaussianProcess", gp,
                      [{"input": x, "output": [0.0, 0.0], "places": 12} for x in (3.0, 20.0, 47.5, 60.0, 75.0)]))
    for c in cases:
        sys.stdout.write(json.dumps(c, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
