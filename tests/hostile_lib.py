"""Hostile documents for PFA's analytic library (la, metric, rand, prob.dist,
stat.*, m.special, m.link, m.kernel, model.*), used by hostile_pfa.py.

- nan_probe(): one document that calls every signature of these modules
  whose parameters are numbers, vectors, matrices, maps or simple functions
  (read from compiler/pfa/pfa_sigs.inc, so a new signature is probed
  without a change here), plus the record-taking functions written out
  below, each call inside "try", on inputs that are all NaN, all infinite,
  empty, or at the edges of the doubles.
- huge and deep documents: an outer product too large to hold, an O(n^3)
  computation longer than the document's timeout, a histogram asked to
  grow without bound, a tree kept in a cell and grown deeper every record.
"""

import json
import os
import re

MODULES = ("la.", "metric.", "rand.", "prob.dist.", "stat.sample.", "stat.change.", "stat.test.", "m.special.",
           "m.link.", "m.kernel.", "spec.", "model.")

D = "double"
AD = {"type": "array", "items": "double"}
AAD = {"type": "array", "items": AD}
X, V, M = "input.x", "input.v", "input.m"
FN1 = {"params": [{"a": D}], "ret": D, "do": "a"}
FN2 = {"params": [{"a": D}, {"b": D}], "ret": D, "do": {"-": ["a", "b"]}}
KERN = {"params": [{"a": AD}, {"b": AD}], "ret": D, "do": {"m.kernel.linear": ["a", "b"]}}

# the probe's arguments by parameter type (signature text -> PFA expression)
ARGS = {
    "double": X, "int": 2, "long": {"long": 2}, "boolean": True, "string": {"string": "a"},
    "(array double)": V, "(array (array double))": M, "(map double)": "input.mp",
    "(map (map double))": "input.mm", "(array (union null double))": "input.vn",
    "(array string)": {"value": ["a"], "type": {"type": "array", "items": "string"}},
    "(fn (double) double)": FN1, "(fn (double double) double)": FN2,
}
RESULTS = {"double": D, "int": "int", "long": "long", "boolean": "boolean", "string": "string",
           "(array double)": AD, "(array (array double))": AAD, "(map double)": {"type": "map", "values": D},
           "(map (map double))": {"type": "map", "values": {"type": "map", "values": D}}}

INPUT = {"type": "record", "name": "In", "fields": [
    {"name": "x", "type": D}, {"name": "v", "type": AD}, {"name": "m", "type": AAD},
    {"name": "mp", "type": {"type": "map", "values": D}},
    {"name": "mm", "type": {"type": "map", "values": {"type": "map", "values": D}}},
    {"name": "vn", "type": {"type": "array", "items": ["null", D]}}]}

N, INF = "NaN", "Infinity"
PROBE_INPUTS = [
    {"x": N, "v": [N, N], "m": [[N, N], [N, N]], "mp": {"a": N, "b": N},
     "mm": {"a": {"a": N, "b": N}, "b": {"a": N}}, "vn": [N, None]},
    {"x": N, "v": [N, 1.0], "m": [[N, 1.0], [1.0, N]], "mp": {"a": N, "b": 1.0},
     "mm": {"a": {"a": N, "b": 1.0}, "b": {"a": 1.0}}, "vn": [N, 1.0]},
    {"x": INF, "v": [INF, "-" + INF], "m": [[INF, 1.0], [1.0, "-" + INF]], "mp": {"a": INF},
     "mm": {"a": {"a": "-" + INF}}, "vn": [INF, None]},
    {"x": 0.0, "v": [], "m": [], "mp": {}, "mm": {}, "vn": []},
    {"x": 1e308, "v": [1e308, -1e308], "m": [[1e308, 1e-308], [-1e308, 5e-324]], "mp": {"a": 1e308},
     "mm": {"a": {"a": 1e308}}, "vn": [1e308, None]},
]

# on the all-NaN input, these may give something other than NaN: their
# results do not depend on the doubles (ints, strings, random draws), or the
# spec says so (kolmogorov ignores NaN; symmetric compares NaN as equal)
NAN_EXEMPT = ("m.special.nChooseK", "rand.", "prob.dist.hypergeometric", "stat.test.kolmogorov", "la.symmetric")
# sparse sums: a key missing from one map is a zero there
NAN_SPARSE = ("la.zipmap", "la.add", "la.sub")


def _tokens(s):
    return re.findall(r"\(|\)|[^\s()]+", s)


def _split(s):
    """the top-level items of a signature's S-expression, as text"""
    toks, out, depth, cur = _tokens(s)[1:-1], [], 0, []
    for t in toks:
        cur.append(t)
        depth += t == "("
        depth -= t == ")"
        if depth == 0:
            out.append(" ".join(cur).replace("( ", "(").replace(" )", ")"))
            cur = []
    return out


def signatures(root):
    """(name, [parameter type text], result type text) of the probed modules"""
    out = []
    with open(os.path.join(root, "compiler", "pfa", "pfa_sigs.inc"), encoding="utf-8") as f:
        for line in f:
            m = re.match(r'\s*\{"([^"]+)", "(.*)", \d+\},', line)
            if not m or not m.group(1).startswith(MODULES):
                continue
            items = _split(m.group(2))          # sig (p t) ... -> ret
            params = [_split(p)[1] for p in items[1:-2]]
            out.append((m.group(1), params, items[-1]))
    return out


def _rec(name, fields):
    return {"type": "record", "name": name, "fields": [{"name": k, "type": t} for k, t in fields]}


def _new(t, **vals):
    return {"new": vals, "type": t}


def _arr(items, t):
    return {"new": items, "type": {"type": "array", "items": t}}


def record_cases():
    """the functions that take records, called with NaN (or infinite) fields:
    (label, expression, result type)"""
    S1 = _rec("S1", [("count", D), ("mean", D), ("variance", D)])
    S2 = _rec("S2", [("count", D), ("mean", AD), ("covariance", AAD)])
    S3 = _rec("S3", [("x", D), ("w", D), ("count", D), ("mean", D), ("variance", D)])
    S4 = _rec("S4", [("mean", D), ("variance", D)])
    S5 = _rec("S5", [("level", D), ("trend", D)])
    S6 = _rec("S6", [("level", D), ("trend", D), ("cycle", AD), ("multiplicative", "boolean")])
    H1 = _rec("H1", [("numbins", "int"), ("low", D), ("high", D), ("values", AD), ("nanflow", D), ("infflow", D)])
    H2 = _rec("H2", [("low", D), ("binsize", D), ("values", AD), ("nanflow", D)])
    H3 = _rec("H3", [("ranges", AAD), ("values", AD), ("nanflow", D)])
    H4 = _rec("H4", [("xnumbins", "int"), ("xlow", D), ("xhigh", D), ("ynumbins", "int"), ("ylow", D),
                     ("yhigh", D), ("values", AAD), ("nanflow", D)])
    C1 = _rec("C1", [("chi2", D), ("dof", "int")])
    L1 = _rec("L1", [("coeff", AD), ("const", D)])
    L2 = _rec("L2", [("covar", AAD)])
    GP = _rec("GP", [("x", AD), ("to", D)])
    NL = _rec("NL", [("weights", AAD), ("bias", AD)])
    SV = _rec("SV", [("supVec", AD), ("coeff", D)])
    SN = _rec("SN", [("supVec", AD), ("coeff", D)])
    SVM = _rec("SVM", [("const", D), ("posClass", {"type": "array", "items": SV}),
                       ("negClass", {"type": "array", "items": SN})])
    CL = _rec("CL", [("center", AD), ("id", "string")])
    NB = _rec("NB", [("mean", D), ("variance", D)])
    DAT = _rec("DAT", [("a", D)])
    TR = _rec("TR", [("field", {"type": "enum", "name": "FA", "symbols": ["a"]}), ("operator", "string"),
                     ("value", D), ("pass", ["string", "TR"]), ("fail", ["string", "TR"])])
    zero2 = {"value": [[0.0, 0.0], [0.0, 0.0]], "type": AAD}
    ones = {"value": [1.0, 1.0], "type": AD}
    one_x = {"new": [X], "type": AD}
    clusters = _arr([_new(CL, center=V, id={"string": "a"}), _new("CL", center=ones, id={"string": "b"})], "CL")
    return [
        ("stat.sample.update", {"stat.sample.update": [X, 1.0, _new(S1, count=0.0, mean=0.0, variance=0.0)]}, S1),
        ("stat.sample.updateCovariance",
         {"stat.sample.updateCovariance": [V, 1.0, _new(S2, count=1.0, mean={"value": [0.0, 0.0], "type": AD},
                                                        covariance=zero2)]}, S2),
        ("stat.sample.updateWindow",
         {"stat.sample.updateWindow": [X, X, {"value": [], "type": {"type": "array", "items": S3}}, 2]},
         {"type": "array", "items": "S3"}),
        ("stat.sample.updateEWMA", {"stat.sample.updateEWMA": [X, 0.5, _new(S4, mean=0.0, variance=0.0)]}, S4),
        ("stat.sample.updateHoltWinters", {"stat.sample.updateHoltWinters": [X, 0.5, 0.5, _new(S5, level=X, trend=X)]},
         S5),
        ("stat.sample.updateHoltWintersPeriodic",
         {"stat.sample.updateHoltWintersPeriodic": [X, 0.5, 0.5, 0.5, _new(S6, level=X, trend=0.0, cycle=V,
                                                                           multiplicative=True)]}, S6),
        ("stat.sample.forecastHoltWinters", {"stat.sample.forecastHoltWinters": [3, _new("S5", level=X, trend=X)]}, AD),
        ("stat.sample.fillHistogram",
         {"stat.sample.fillHistogram": [X, 1.0, _new(H1, numbins=2, low=0.0, high=1.0,
                                                     values={"value": [0.0, 0.0], "type": AD}, nanflow=0.0,
                                                     infflow=0.0)]}, H1),
        ("stat.sample.fillHistogram",
         {"stat.sample.fillHistogram": [X, 1.0, _new(H2, low=0.0, binsize=1.0, values={"value": [], "type": AD},
                                                     nanflow=0.0)]}, H2),
        ("stat.sample.fillHistogram",
         {"stat.sample.fillHistogram": [1.0, 1.0, _new("H2", low=X, binsize=X, values={"value": [], "type": AD},
                                                       nanflow=0.0)]}, "H2"),
        ("stat.sample.fillHistogram", {"stat.sample.fillHistogram": [X, X, _new(H3, ranges=M, values=V, nanflow=0.0)]},
         H3),
        ("stat.sample.fillHistogram2d",
         {"stat.sample.fillHistogram2d": [X, X, 1.0, _new(H4, xnumbins=2, xlow=0.0, xhigh=1.0, ynumbins=2, ylow=0.0,
                                                          yhigh=1.0, values=zero2, nanflow=0.0)]}, H4),
        ("stat.change.zValue", {"stat.change.zValue": [X, _new("S1", count=X, mean=X, variance=X), True]}, D),
        ("stat.test.updateChi2", {"stat.test.updateChi2": [V, _new(C1, chi2=X, dof=1)]}, C1),
        ("stat.test.chi2Prob", {"stat.test.chi2Prob": [_new("C1", chi2=X, dof=2)]}, D),
        ("model.reg.linear", {"model.reg.linear": [V, _new(L1, coeff=V, const=X)]}, D),
        ("model.reg.linearVariance", {"model.reg.linearVariance": [one_x, _new(L2, covar=M)]}, D),
        ("model.reg.gaussianProcess",
         {"model.reg.gaussianProcess": [V, _arr([_new(GP, x=V, to=X), _new("GP", x={"value": [1.0, 2.0], "type": AD},
                                                                           to=1.0)], "GP"), X, KERN]}, D),
        ("model.neural.simpleLayers",
         {"model.neural.simpleLayers": [V, _arr([_new(NL, weights=M, bias=V)], "NL"), FN1]}, AD),
        ("model.svm.score",
         {"model.svm.score": [V, _new(SVM, const=X, posClass=_arr([_new(SV, supVec=V, coeff=X)], "SV"),
                                      negClass=_arr([_new(SN, supVec=V, coeff=X)], "SN")), KERN]}, D),
        ("model.cluster.closest", {"model.cluster.closest": [V, clusters]}, CL),
        ("model.cluster.closestN", {"model.cluster.closestN": [2, V, clusters]}, {"type": "array", "items": "CL"}),
        ("model.cluster.updateMean", {"model.cluster.updateMean": [M, _new("CL", center=V, id={"string": "a"}), X]},
         "CL"),
        ("model.cluster.kmeansIteration",
         {"model.cluster.kmeansIteration": [
             M, clusters, {"params": [{"a": AD}, {"b": AD}], "ret": D, "do": {"metric.simpleEuclidean": ["a", "b"]}},
             {"params": [{"d": AAD}, {"c": "CL"}], "ret": "CL", "do": {"model.cluster.updateMean": ["d", "c", 0.5]}}]},
         {"type": "array", "items": "CL"}),
        ("model.naive.gaussian",
         {"model.naive.gaussian": [V, _arr([_new(NB, mean=X, variance=X), _new("NB", mean=0.0, variance=1.0)], "NB")]},
         D),
        ("model.tree.simpleTree",
         {"model.tree.simpleTree": [_new(DAT, a=X), _new(TR, field={"type": "FA", "value": "a"},
                                                         operator={"string": "<"}, value=X,
                                                         **{"pass": {"string": "p"}, "fail": {"string": "f"}})]},
         "string"),
        ("prob.dist.gaussianLL", {"prob.dist.gaussianLL": [X, _new("S4", mean=X, variance=X)]}, D),
    ]


def nan_probe(root):
    """the probe document, and (function name, probed from its signature) of
    its fields in order"""
    fields, values, names = [], {}, []
    calls = []
    for name, params, ret in signatures(root):
        args = [ARGS.get(p) for p in params]
        if ret in RESULTS and all(a is not None for a in args):
            calls.append((name, {name: args}, RESULTS[ret], True))
    calls += [c + (False,) for c in record_cases()]
    for i, (name, expr, rtype, auto) in enumerate(calls):
        fields.append({"name": "f%d" % i, "type": ["null", rtype]})
        values["f%d" % i] = {"try": expr}
        names.append((name, auto))
    doc = {"input": INPUT, "output": {"type": "record", "name": "Out", "fields": fields},
           "action": {"new": values, "type": "Out"}}
    return json.dumps(doc), names


def leaves(v):
    """the scalars of a JSON value"""
    if isinstance(v, dict):
        for x in v.values():
            yield from leaves(x)
    elif isinstance(v, list):
        for x in v:
            yield from leaves(x)
    else:
        yield v


def nan_violations(names, row):
    """the probed functions whose result on the all-NaN input is neither an
    error (null) nor all NaN: a NaN went missing"""
    bad = []
    for i, (name, auto) in enumerate(names):
        v = row.get("f%d" % i)
        if v is None or not auto or name.startswith(NAN_EXEMPT):
            continue
        ok = ("NaN", 0.0) if name.startswith(NAN_SPARSE) else ("NaN",)
        if any(x not in ok for x in leaves(v)):
            bad.append("%s -> %s" % (name, json.dumps(v)[:120]))
    return bad


# --- huge and deep -------------------------------------------------------

MATRIX = {"type": "array", "items": {"type": "array", "items": "double"}}


def outer_product():
    """la.dot of an n x 1 and a 1 x n matrix: n^2 results"""
    return json.dumps({
        "input": {"type": "record", "name": "I", "fields": [{"name": "x", "type": MATRIX},
                                                           {"name": "y", "type": MATRIX}]},
        "output": "int", "action": {"a.len": {"la.dot": ["input.x", "input.y"]}}})


def outer_inputs(ns):
    return [{"x": [[1.0]] * n, "y": [[1.0] * n]} for n in ns]


def long_algebra(fn, timeout_ms):
    """fn (la.inverse or la.eigenBasis) of an n x n matrix built in the
    document from the input n: the whole computation is O(n^3)"""
    vec = {"type": "array", "items": "double"}
    return json.dumps({
        "input": "int", "output": "int", "options": {"timeout": timeout_ms},
        "action": [
            {"let": {"col": {"value": [], "type": MATRIX}, "row": {"value": [], "type": vec}}},
            {"for": {"i": 0}, "while": {"<": ["i", "input"]}, "step": {"i": {"+": ["i", 1]}},
             "do": [{"set": {"col": {"a.append": ["col", {"new": [{"+": [1.0, "i"]}], "type": vec}]},
                             "row": {"a.append": ["row", {"/": [1.0, {"+": [1.0, "i"]}]}]}}}]},
            {"let": {"m": {"la.dot": ["col", {"new": ["row"], "type": MATRIX}]}}},
            {"a.len": {fn: {"la.add": ["m", {"la.scale": [{"la.transpose": "m"}, -0.5]}]}}}]})


def growing_histogram():
    """a histogram of fixed bin size that grows to hold each value"""
    h = {"type": "record", "name": "H", "fields": [
        {"name": "low", "type": "double"}, {"name": "binsize", "type": "double"},
        {"name": "values", "type": {"type": "array", "items": "double"}}, {"name": "nanflow", "type": "double"}]}
    return json.dumps({
        "input": "double", "output": "int",
        "cells": {"h": {"type": h, "init": {"low": 0.0, "binsize": 1.0, "values": [], "nanflow": 0.0}}},
        "action": [{"cell": "h", "to": {"params": [{"old": "H"}], "ret": "H",
                                        "do": {"stat.sample.fillHistogram": ["input", 1.0, "old"]}}},
                   {"+": [{"a.len": {"cell": "h", "path": [{"string": "values"}]}},
                          {"cast.int": {"cell": "h", "path": [{"string": "nanflow"}]}}]}]})


def deep_tree_cell():
    """a decision tree kept in a cell, grown by `input` levels each record
    (built at run time: the document's JSON could not nest so deep), and
    walked with model.tree.simpleWalk"""
    t = {"type": "record", "name": "T", "fields": [
        {"name": "field", "type": {"type": "enum", "name": "F", "symbols": ["x"]}},
        {"name": "operator", "type": "string"}, {"name": "value", "type": "double"},
        {"name": "pass", "type": ["string", "T"]}, {"name": "fail", "type": ["string", "T"]}]}
    datum = {"type": "record", "name": "D", "fields": [{"name": "x", "type": "double"}]}
    return json.dumps({
        "input": "int", "output": "string",
        "cells": {"tree": {"type": t, "init": {"field": "x", "operator": "<", "value": 0.0,
                                               "pass": {"string": "leaf"}, "fail": {"string": "bottom"}}}},
        "action": [
            {"let": {"t": {"cell": "tree"}}},
            {"for": {"i": 0}, "while": {"<": ["i", "input"]}, "step": {"i": {"+": ["i", 1]}},
             "do": {"set": {"t": {"new": {"field": {"type": "F", "value": "x"}, "operator": {"string": "<"},
                                          "value": "i", "pass": {"string": "p"}, "fail": "t"}, "type": "T"}}}},
            {"cell": "tree", "to": "t"},
            {"model.tree.simpleWalk": [{"new": {"x": 1e9}, "type": datum}, {"cell": "tree"},
                                       {"params": [{"d": "D"}, {"n": "T"}], "ret": "boolean",
                                        "do": {"model.tree.simpleTest": ["d", "n"]}}]}]})
