"""Generators of structurally valid models, wide and deep, for the hostile
tests and the structure-aware fuzzer.

Why: byte fuzzers rarely get past the XML or JSON syntax to the shapes that
hurt a compiler -- 50,000 predictors in one table, a cond of 20,000
clauses, expressions nested to the limit, thousands of segments.  These
functions write such models directly, each with the values its scores must
have where that is easy to say, so that tests/hostile_compile.py can check
the answers too, and tests/fuzz_models.py can draw random shapes from them.
Standard library only.
"""

import json
import random

HEAD = ('<?xml version="1.0"?>\n'
        '<PMML version="4.4" xmlns="http://www.dmg.org/PMML-4_4"><Header/>\n')


def _dd(fields):
    """A DataDictionary of (name, optype, dataType, inner XML) fields."""
    return ("<DataDictionary>\n" +
            "".join('<DataField name="%s" optype="%s" dataType="%s">%s</DataField>\n' % f for f in fields) +
            "</DataDictionary>\n")


def _regression(fields_used, table, extra_schema=""):
    ms = "".join('<MiningField name="%s"/>' % f for f in fields_used)
    return ('<RegressionModel functionName="regression"><MiningSchema>%s<MiningField name="y" usageType="target"/>'
            '%s</MiningSchema><RegressionTable intercept="1">%s</RegressionTable></RegressionModel></PMML>\n'
            % (ms, extra_schema, table))


def wide_regression(n):
    """n NumericPredictors over n inputs; coefficient of xi is (i % 7) + 0.5.
    Returns (text, score(row) where row maps names to floats)."""
    fields = [("x%d" % i, "continuous", "double", "") for i in range(n)] + [("y", "continuous", "double", "")]
    preds = "".join('<NumericPredictor name="x%d" coefficient="%d.5"/>\n' % (i, i % 7) for i in range(n))
    text = HEAD + _dd(fields) + _regression(["x%d" % i for i in range(n)], preds)

    def score(row):
        acc = 1.0
        for i in range(n):
            acc = acc + ((i % 7) + 0.5) * row["x%d" % i]
        return acc
    return text, score


def many_values(n):
    """A categorical input with n declared Values; the model adds 2 for v1."""
    vals = "".join('<Value value="v%d"/>' % i for i in range(n))
    fields = [("c", "categorical", "string", vals), ("y", "continuous", "double", "")]
    text = HEAD + _dd(fields) + _regression(["c"], '<CategoricalPredictor name="c" value="v1" coefficient="2"/>')
    return text, (lambda c: 3.0 if c == "v1" else 1.0)


def _derived(field_xml, dtype="double"):
    return ('<TransformationDictionary><DerivedField name="d" optype="continuous" dataType="%s">%s'
            '</DerivedField></TransformationDictionary>' % (dtype, field_xml))


def mapvalues(n):
    """MapValues of n rows kI -> I; y = 1 + 2 * m."""
    rows = "".join("<row><k>k%d</k><v>%d</v></row>" % (i, i) for i in range(n))
    fields = [("c", "categorical", "string", ""), ("y", "continuous", "double", "")]
    text = (HEAD + _dd(fields) +
            _derived('<MapValues outputColumn="v"><FieldColumnPair field="c" column="k"/><InlineTable>%s'
                     '</InlineTable></MapValues>' % rows) +
            _regression(["c"], '<NumericPredictor name="d" coefficient="2"/>'))
    return text, (lambda c: 1.0 + 2.0 * int(c[1:]))


def discretize(n):
    """n bins [i, i+1) -> i; y = 1 + 2 * bin."""
    bins = "".join('<DiscretizeBin binValue="%d"><Interval closure="closedOpen" leftMargin="%d" rightMargin="%d"/>'
                   '</DiscretizeBin>' % (i, i, i + 1) for i in range(n))
    fields = [("x", "continuous", "double", ""), ("y", "continuous", "double", "")]
    text = (HEAD + _dd(fields) + _derived('<Discretize field="x">%s</Discretize>' % bins) +
            _regression(["x"], '<NumericPredictor name="d" coefficient="2"/>'))
    return text, (lambda x: 1.0 + 2.0 * int(x))


def normcont(n):
    """n LinearNorms orig i -> norm i + 0.5; y = 1 + 2 * d."""
    ln = "".join('<LinearNorm orig="%d" norm="%d.5"/>' % (i, i) for i in range(n))
    fields = [("x", "continuous", "double", ""), ("y", "continuous", "double", "")]
    text = (HEAD + _dd(fields) + _derived('<NormContinuous field="x">%s</NormContinuous>' % ln) +
            _regression(["x"], '<NumericPredictor name="d" coefficient="2"/>'))
    return text, (lambda x: 1.0 + 2.0 * (x + 0.5))


def setpred(n):
    """A tree whose one test is a SimpleSetPredicate of n strings sI: 1 in, 2 out."""
    arr = " ".join('"s%d"' % i for i in range(n))
    fields = [("c", "categorical", "string", ""), ("y", "continuous", "double", "")]
    text = (HEAD + _dd(fields) +
            '<TreeModel functionName="regression"><MiningSchema><MiningField name="c"/>'
            '<MiningField name="y" usageType="target"/></MiningSchema><Node score="0"><True/>'
            '<Node score="1"><SimpleSetPredicate field="c" booleanOperator="isIn"><Array type="string" n="%d">%s'
            '</Array></SimpleSetPredicate></Node><Node score="2"><True/></Node></Node></TreeModel></PMML>\n'
            % (n, arr))
    return text, (lambda c: 1.0 if c.startswith("s") and c[1:].isdigit() and int(c[1:]) < n else 2.0)


def segments(n):
    """A sum of n regression segments, segment i: i + x."""
    segs = "".join('<Segment id="%d"><True/><RegressionModel functionName="regression"><MiningSchema>'
                   '<MiningField name="x"/><MiningField name="y" usageType="target"/></MiningSchema>'
                   '<RegressionTable intercept="%d"><NumericPredictor name="x" coefficient="1"/></RegressionTable>'
                   '</RegressionModel></Segment>' % (i, i) for i in range(n))
    fields = [("x", "continuous", "double", ""), ("y", "continuous", "double", "")]
    text = (HEAD + _dd(fields) + '<MiningModel functionName="regression"><MiningSchema><MiningField name="x"/>'
            '<MiningField name="y" usageType="target"/></MiningSchema><Segmentation multipleModelMethod="sum">%s'
            '</Segmentation></MiningModel></PMML>\n' % segs)

    def score(x):
        acc = 0.0
        for i in range(n):
            acc += i + x
        return acc
    return text, score


def definefn(n):
    """f0(a) = a + 1; fi(a) = f(i-1)(a) + f(i-1)(a): inlined, 2^n copies."""
    fns = ('<DefineFunction name="f0" optype="continuous" dataType="double"><ParameterField name="a"/>'
           '<Apply function="+"><FieldRef field="a"/><Constant>1</Constant></Apply></DefineFunction>')
    for i in range(1, n):
        fns += ('<DefineFunction name="f%d" optype="continuous" dataType="double"><ParameterField name="a"/>'
                '<Apply function="+"><Apply function="f%d"><FieldRef field="a"/></Apply><Apply function="f%d">'
                '<FieldRef field="a"/></Apply></Apply></DefineFunction>' % (i, i - 1, i - 1))
    fields = [("x", "continuous", "double", ""), ("y", "continuous", "double", "")]
    return (HEAD + _dd(fields) + '<TransformationDictionary>%s<DerivedField name="d" optype="continuous" '
            'dataType="double"><Apply function="f%d"><FieldRef field="x"/></Apply></DerivedField>'
            '</TransformationDictionary>' % (fns, n - 1) +
            _regression(["x"], '<NumericPredictor name="d" coefficient="2"/>'))


def attrs(n):
    """A DataField with n extra attributes."""
    a = " ".join('a%d="1"' % i for i in range(n))
    fields = [("x", "continuous", "double", ""), ("y", "continuous", "double", "")]
    return (HEAD + _dd(fields).replace('<DataField name="x"', '<DataField %s name="x"' % a, 1) +
            _regression(["x"], '<NumericPredictor name="x" coefficient="2"/>'))


def long_strings(n):
    """A field name and category value of n characters; a tree on them."""
    value, name = "v" * n, "f" + "x" * (n - 1)
    text = (HEAD + _dd([(name, "categorical", "string", '<Value value="%s"/><Value value="b"/>' % value),
                        ("y", "categorical", "string", '<Value value="%s"/><Value value="n"/>' % value)]) +
            '<TreeModel functionName="classification"><MiningSchema><MiningField name="%s"/>'
            '<MiningField name="y" usageType="target"/></MiningSchema><Node score="n"><True/>'
            '<Node score="%s"><SimplePredicate field="%s" operator="equal" value="%s"/></Node></Node>'
            '</TreeModel></PMML>\n' % (name, value, name, value))
    return text, name, value


def deep_expression(depth):
    """A DerivedField of `depth` nested Applies: ((x + 1) + 1) ... ."""
    expr = '<FieldRef field="x"/>'
    for _ in range(depth):
        expr = '<Apply function="+">%s<Constant>1</Constant></Apply>' % expr
    fields = [("x", "continuous", "double", ""), ("y", "continuous", "double", "")]
    return (HEAD + _dd(fields) + _derived(expr) + _regression(["x"], '<NumericPredictor name="d" coefficient="1"/>'),
            lambda x: 1.0 + x + depth)


# ---- PFA ----
def pfa_cond(n):
    cond = {"cond": [{"if": {"==": ["input", i]}, "then": i * 2} for i in range(n)], "else": -1}
    return json.dumps({"input": "int", "output": "int", "action": [cond]}), (lambda x: 2 * x if 0 <= x < n else -1)


def pfa_cond_tests(n):
    """A cond of n clauses whose tests are conds themselves (found by
    tests/fuzz_models.py: each clause nested one level deeper)."""
    def test(i):
        return {"==": [{"cond": [{"if": {"==": ["input", i]}, "then": 1}], "else": 0}, 1]}
    cond = {"cond": [{"if": test(i), "then": i * 2} for i in range(n)], "else": -1}
    return json.dumps({"input": "int", "output": "int", "action": [cond]}), (lambda x: 2 * x if 0 <= x < n else -1)


def pfa_lets(n):
    lets = [{"let": {"x%d" % i: {"+": ["input", i]}}} for i in range(n)]
    lets.append({"+": ["x0", "x%d" % (n - 1)]})
    return json.dumps({"input": "int", "output": "int", "action": lets}), (lambda x: 2 * x + n - 1)


def pfa_enum(n):
    syms = ["s%d" % i for i in range(n)]
    return json.dumps({"input": {"type": "enum", "name": "E", "symbols": syms}, "output": "int",
                       "action": [{"enum.toInt": ["input"]}]}), (lambda s: int(s[1:]))


def pfa_recursive():
    """A function that calls itself on every path: bounded at run time."""
    return json.dumps({"input": "int", "output": "int", "action": [{"u.f": ["input"]}],
                       "fcns": {"f": {"params": [{"x": "int"}], "ret": "int",
                                      "do": [{"u.f": [{"+": ["x", 1]}]}]}}})


def pfa_cell_fnref():
    """cell-to with a function reference, inside a user function."""
    return json.dumps({"input": "int", "output": "int", "cells": {"c": {"type": "int", "init": 0}},
                       "action": [{"u.f": ["input"]}],
                       "fcns": {"g": {"params": [{"x": "int"}, {"y": "int"}], "ret": "int", "do": [{"+": ["x", "y"]}]},
                                "f": {"params": [{"x": "int"}], "ret": "int",
                                      "do": [{"cell": "c", "to": {"fcn": "u.g", "fill": {"y": "x"}}}]}}})


# ---- random shapes, for the structure-aware fuzzer ----
def _rand_expr(r, depth, fields, budget=None):
    budget = budget if budget is not None else [2000]
    budget[0] -= 1
    if depth <= 0 or budget[0] <= 0 or r.random() < 0.25:
        return ('<FieldRef field="%s"/>' % r.choice(fields) if r.random() < 0.6
                else "<Constant>%s</Constant>" % r.choice(["1", "-2.5", "0", "1e300", "3"]))
    fn = r.choice(["+", "-", "*", "/", "min", "max", "if", "isMissing", "abs", "exp", "ln", "sqrt", "round"])
    if fn in ("abs", "exp", "ln", "sqrt", "round", "isMissing"):
        return '<Apply function="%s">%s</Apply>' % (fn, _rand_expr(r, depth - 1, fields, budget))
    if fn == "if":
        return ('<Apply function="if"><Apply function="greaterThan">%s%s</Apply>%s%s</Apply>'
                % tuple(_rand_expr(r, depth - 1, fields, budget) for _ in range(4)))
    k = r.randint(2, 5) if fn in ("min", "max") else 2
    return '<Apply function="%s">%s</Apply>' % (fn, "".join(_rand_expr(r, depth - 1, fields, budget)
                                                             for _ in range(k)))


def _rand_pred(r, depth, fields):
    if depth <= 0 or r.random() < 0.3:
        return ('<SimplePredicate field="%s" operator="%s" value="%s"/>'
                % (r.choice(fields), r.choice(["lessThan", "greaterOrEqual", "equal", "isMissing"]),
                   r.choice(["0", "1.5", "-3", "1e10"])))
    op = r.choice(["and", "or", "xor", "surrogate"])
    return ('<CompoundPredicate booleanOperator="%s">%s</CompoundPredicate>'
            % (op, "".join(_rand_pred(r, depth - 1, fields) for _ in range(r.randint(2, 4)))))


def _rand_tree(r, depth, fields, budget):
    if depth <= 0 or budget[0] <= 0 or r.random() < 0.2:
        budget[0] -= 1
        return '<Node score="%s">%s</Node>' % (r.choice(["1", "2", "-0.5"]), _rand_pred(r, 2, fields))
    budget[0] -= 1
    kids = "".join(_rand_tree(r, depth - 1, fields, budget) for _ in range(r.randint(1, 3)))
    return '<Node score="0">%s%s</Node>' % (_rand_pred(r, 2, fields), kids)


def random_pmml(seed):
    """A random, structurally valid PMML model: wide (many fields, values,
    predictors, segments) or deep (nested expressions, predicates, trees,
    segmentations), small or large."""
    r = random.Random(seed)
    nf = r.choice([1, 2, 5, 50, 500, 5000])
    fields = ["x%d" % i for i in range(nf)]
    dd = [(f, "continuous", r.choice(["double", "float", "integer"]), "") for f in fields]
    cat_vals = "".join('<Value value="c%d"/>' % i for i in range(r.choice([2, 10, 100, 3000])))
    dd.append(("c", "categorical", "string", cat_vals))
    dd.append(("y", "continuous", "double", ""))
    names = fields + ["d%d" % i for i in range(3)]
    derived = "".join('<DerivedField name="d%d" optype="continuous" dataType="double">%s</DerivedField>'
                      % (i, _rand_expr(r, r.choice([1, 3, 8, 40, 150]), fields)) for i in range(3))
    td = "<TransformationDictionary>%s</TransformationDictionary>" % derived
    schema = "".join('<MiningField name="%s"%s/>' % (f, r.choice(['', ' missingValueReplacement="0"',
                                                                    ' invalidValueTreatment="asMissing"']))
                     for f in fields) + '<MiningField name="c"/><MiningField name="y" usageType="target"/>'

    size = [300000]   # elements left: a model of many segments of many predictors stays bounded

    def upto(choices):
        n = r.choice(choices)
        n = max(1, min(n, size[0]))
        size[0] -= n
        return n

    def model(depth):
        size[0] -= nf       # its MiningSchema
        kind = r.choice(["reg", "tree", "seg"] if depth < 3 and size[0] > 1000 else ["reg", "tree"])
        if kind == "reg":
            preds = "".join('<NumericPredictor name="%s" coefficient="%s"/>' % (r.choice(names), r.choice(["1", "-2.5"]))
                            for _ in range(upto([1, 10, 300, 3000])))
            preds += '<CategoricalPredictor name="c" value="c1" coefficient="2"/>'
            return ('<RegressionModel functionName="regression"><MiningSchema>%s</MiningSchema>'
                    '<RegressionTable intercept="1">%s</RegressionTable></RegressionModel>' % (schema, preds))
        if kind == "tree":
            tree = _rand_tree(r, r.choice([2, 5, 12]), names, [upto([10, 200, 3000])])
            return ('<TreeModel functionName="regression" missingValueStrategy="%s"><MiningSchema>%s</MiningSchema>'
                    '<Node score="0"><True/>%s</Node></TreeModel>'
                    % (r.choice(["none", "lastPrediction", "nullPrediction", "defaultChild"]), schema, tree))
        nseg = min(upto([1, 3, 50, 1000] if depth == 0 else [1, 3, 20]), max(1, size[0] // (nf + 1)))
        segs = "".join('<Segment id="%d">%s%s</Segment>' % (i, "<True/>" if r.random() < 0.7 else _rand_pred(r, 1, names),
                                                            model(depth + 1)) for i in range(nseg))
        return ('<MiningModel functionName="regression"><MiningSchema>%s</MiningSchema><Segmentation '
                'multipleModelMethod="%s">%s</Segmentation></MiningModel>'
                % (schema, r.choice(["sum", "average", "max", "median", "weightedAverage", "selectFirst"]), segs))
    return HEAD + _dd(dd) + td + model(0) + "</PMML>\n"


def _rand_pfa_expr(r, depth, syms, budget=None):
    """A double-valued expression of at most `depth` levels and about
    budget[0] nodes (depth alone grows exponentially)."""
    budget = budget if budget is not None else [3000]
    budget[0] -= 1
    if depth <= 0 or budget[0] <= 0 or r.random() < 0.25:
        return r.choice(syms) if r.random() < 0.6 else r.choice([1.0, -2.5, 0.0, 1e300])

    def sub(d=depth - 1, names=syms):
        return _rand_pfa_expr(r, d, names, budget)
    k = r.choice(["+", "-", "*", "/", "m.exp", "m.ln", "if", "let", "cond", "max"])
    if k in ("m.exp", "m.ln"):
        return {k: [sub()]}
    if k == "if":
        return {"if": {">": [sub(), 0.0]}, "then": sub(), "else": sub()}
    if k == "cond":
        return {"cond": [{"if": {"<": [sub(1), float(i)]}, "then": sub()}
                         for i in range(r.choice([1, 5, 200]))], "else": 0.0}
    if k == "let":
        name = "v%d" % r.randrange(10 ** 6)
        return {"do": [{"let": {name: sub()}}, sub(names=syms + [name])]}
    return {k: [sub(), sub()]}


def random_pfa(seed):
    """A random, well-typed PFA document of doubles: deep expressions, long
    conds, many lets, functions calling each other."""
    r = random.Random(seed)
    nlets = r.choice([0, 3, 100, 3000])
    action = [{"let": {"a%d" % i: {"+": ["input", float(i)]}}} for i in range(nlets)]
    syms = ["input"] + ["a%d" % i for i in range(nlets)][:50]
    action.append({"u.f0": [_rand_pfa_expr(r, r.choice([2, 6, 15, 150]), syms)]})
    nf = r.choice([1, 3, 20])
    fcns = {}
    for i in range(nf):
        body = _rand_pfa_expr(r, r.choice([2, 6]), ["x"])
        if i + 1 < nf:
            body = {"+": [body, {"u.f%d" % (i + 1): ["x"]}]}
        fcns["f%d" % i] = {"params": [{"x": "double"}], "ret": "double", "do": [body]}
    return json.dumps({"input": "double", "output": "double", "action": action, "fcns": fcns})
