#!/usr/bin/env python3
"""An independent reference for the samples: a small PMML evaluator written
from the PMML 4.4 specification, not from nerva's code, so that the demo can
check what nerva computes against something nerva did not produce.

It understands exactly the subset the samples use and refuses anything else:
  DataDictionary  Value (valid / invalid / missing), Interval
  MiningSchema    usageType, invalidValueTreatment (returnInvalid, asIs,
                  asMissing, asValue), missingValueReplacement
  transformations DerivedField with Apply (+ - * / ln exp and or not if,
                  comparisons), FieldRef, Constant
  TreeModel       regression; missingValueStrategy none, lastPrediction,
                  nullPrediction, defaultChild; noTrueChildStrategy;
                  SimplePredicate, SimpleSetPredicate, CompoundPredicate
                  (and, or), True, False
  RegressionModel regression and classification; normalizationMethod none,
                  logit, softmax; NumericPredictor, CategoricalPredictor
  MiningModel     Segmentation sum, average, modelChain, selectFirst
  Targets         rescaleFactor, rescaleConstant
  Output          predictedValue, probability, transformedValue

    python3 samples/fraud/reference.py MODEL.pmml INPUT.csv > expected.csv

Writes CSV like `nerva score`: the target field, then the OutputFields whose
isFinalResult is not false; a missing result is an empty cell, and a record
with an invalid input (returnInvalid) has every cell empty.  Numbers are
written with repr(), the shortest text that reads back to the same double.
"""
import csv
import math
import sys
import xml.etree.ElementTree as ET

MODELS = ("TreeModel", "RegressionModel", "MiningModel")


class Invalid(Exception):
    """The record is invalid (returnInvalid): every result is missing."""


def local(tag):
    return tag.rsplit("}", 1)[-1]


def kids(e, name=None):
    return [k for k in e if name is None or local(k.tag) == name]


def kid(e, name):
    found = kids(e, name)
    return found[0] if found else None


def fail(msg):
    raise SystemExit("reference.py: " + msg)


# ------------------------------------------------------------- values


def parse_value(text, data_type):
    """A cell or attribute as a value of data_type; ValueError if it is not."""
    if data_type in ("double", "float"):
        return float(text)
    if data_type == "integer":
        v = float(text)
        if v != math.floor(v):
            raise ValueError(text)
        return v
    if data_type == "boolean":
        t = text.strip().lower()
        if t in ("true", "1"):
            return True
        if t in ("false", "0"):
            return False
        raise ValueError(text)
    if data_type == "string":
        return text
    fail("dataType %s is not in the subset" % data_type)


class DataField:
    def __init__(self, e):
        self.name = e.get("name")
        self.type = e.get("dataType")
        self.optype = e.get("optype")
        self.valid, self.invalid, self.missing, self.intervals = [], [], [], []
        for v in e:
            if local(v.tag) == "Value":
                prop = v.get("property", "valid")
                getattr(self, prop).append(parse_value(v.get("value"), self.type))
            elif local(v.tag) == "Interval":
                lo = float(v.get("leftMargin", "-inf"))
                hi = float(v.get("rightMargin", "inf"))
                closure = v.get("closure")
                self.intervals.append((lo, hi, closure.startswith("closed"),
                                       closure.endswith("Closed")))

    def read(self, cell):
        """(value, is_invalid) of a raw CSV cell."""
        if cell == "":
            return None, False
        try:
            v = parse_value(cell, self.type)
        except ValueError:
            return None, True
        if v in self.missing:
            return None, False
        if v in self.invalid:
            return v, True
        if self.optype != "continuous" and self.valid and v not in self.valid:
            return v, True
        if self.intervals and not any(
                (lo <= v if lc else lo < v) and (v <= hi if hc else v < hi)
                for lo, hi, lc, hc in self.intervals):
            return v, True
        return v, False


# ------------------------------------------------------------- expressions


def three_and(xs):
    if any(x is False for x in xs):
        return False
    return None if any(x is None for x in xs) else True


def three_or(xs):
    if any(x is True for x in xs):
        return True
    return None if any(x is None for x in xs) else False


COMPARE = {
    "equal": lambda a, b: a == b, "notEqual": lambda a, b: a != b,
    "lessThan": lambda a, b: a < b, "lessOrEqual": lambda a, b: a <= b,
    "greaterThan": lambda a, b: a > b, "greaterOrEqual": lambda a, b: a >= b,
}
ARITH = {
    "+": lambda a, b: a + b, "-": lambda a, b: a - b,
    "*": lambda a, b: a * b, "/": lambda a, b: a / b,
}


def evaluate(e, env):
    tag = local(e.tag)
    if tag == "Constant":
        if e.get("missing") == "true":
            return None
        return parse_value(e.text.strip() if e.get("dataType") != "string" else e.text,
                           e.get("dataType", "double"))
    if tag == "FieldRef":
        v = env[e.get("field")]
        if v is None and e.get("mapMissingTo") is not None:
            fail("mapMissingTo is not in the subset")
        return v
    if tag != "Apply":
        fail("expression %s is not in the subset" % tag)
    fn = e.get("function")
    args = [evaluate(k, env) for k in e if local(k.tag) != "Extension"]
    if fn == "if":
        cond = args[0]
        if cond is None:
            return None
        return args[1] if cond else (args[2] if len(args) > 2 else None)
    if fn == "and":
        return three_and(args)
    if fn == "or":
        return three_or(args)
    if any(a is None for a in args):
        return None             # every other function: missing in, missing out
    if fn in COMPARE:
        return COMPARE[fn](*args)
    if fn in ARITH:
        return ARITH[fn](float(args[0]), float(args[1]))
    if fn == "ln":
        return math.log(args[0])
    if fn == "exp":
        return math.exp(args[0])
    if fn == "not":
        return not args[0]
    fail("function %s is not in the subset" % fn)


def derive(container, env):
    if container is None:
        return
    for df in kids(container, "DerivedField"):
        expr = [k for k in df if local(k.tag) not in ("Extension", "Value")][0]
        v = evaluate(expr, env)
        if v is not None and df.get("dataType") == "double":
            v = float(v)
        env[df.get("name")] = v


def predicate(e, env):
    """True, False or None (unknown)."""
    tag = local(e.tag)
    if tag == "True":
        return True
    if tag == "False":
        return False
    if tag == "SimplePredicate":
        v, op = env[e.get("field")], e.get("operator")
        if op == "isMissing":
            return v is None
        if op == "isNotMissing":
            return v is not None
        if v is None:
            return None
        if isinstance(v, bool):
            c = e.get("value") in ("true", "1")
        elif isinstance(v, float):
            c = float(e.get("value"))
        else:
            c = e.get("value")
        return COMPARE[op](v, c)
    if tag == "SimpleSetPredicate":
        v = env[e.get("field")]
        if v is None:
            return None
        arr = kid(e, "Array")
        items = arr.text.split()
        if arr.get("type") != "string":
            items = [float(x) for x in items]
        inside = v in items
        return inside if e.get("booleanOperator") == "isIn" else not inside
    if tag == "CompoundPredicate":
        vals = [predicate(k, env) for k in e if local(k.tag) != "Extension"]
        op = e.get("booleanOperator")
        if op == "and":
            return three_and(vals)
        if op == "or":
            return three_or(vals)
        fail("booleanOperator %s is not in the subset" % op)
    fail("predicate %s is not in the subset" % tag)


# ------------------------------------------------------------- models


class Result:
    def __init__(self, value=None, probs=None):
        self.value = value          # predicted value (number or label)
        self.probs = probs or {}    # label -> probability
        self.outputs = []           # (name, value, is_final)


def schema(model, env, ddict, top):
    """A model's own view of the fields after its MiningSchema."""
    env = dict(env)
    target = None
    for mf in kids(kid(model, "MiningSchema"), "MiningField"):
        name, usage = mf.get("name"), mf.get("usageType", "active")
        if usage in ("target", "predicted"):
            target = name
            continue
        v = env.get(name)
        if top:
            v, bad = ddict[name].read(v)
            if bad:
                how = mf.get("invalidValueTreatment", "returnInvalid")
                if how == "returnInvalid":
                    raise Invalid()
                if how == "asMissing":
                    v = None
                elif how == "asValue":
                    v = parse_value(mf.get("invalidValueReplacement"), ddict[name].type)
                elif how != "asIs":
                    fail("invalidValueTreatment %s" % how)
        if v is None and mf.get("missingValueReplacement") is not None:
            v = parse_value(mf.get("missingValueReplacement"), ddict[name].type)
        env[name] = v
    return env, target


def tree_model(m, env):
    strategy = m.get("missingValueStrategy", "none")
    no_true = m.get("noTrueChildStrategy", "returnNullPrediction")
    node = kid(m, "Node")
    if predicate([k for k in node if local(k.tag) != "Extension"][0], env) is not True:
        return Result()

    def score(n):
        s = n.get("score")
        return None if s is None else float(s)

    while True:
        children = kids(node, "Node")
        if not children:
            return Result(score(node))
        nxt = None
        for c in children:
            p = predicate([k for k in c if local(k.tag) not in ("Extension",)][0], env)
            if p is None:
                if strategy == "lastPrediction":
                    return Result(score(node))
                if strategy == "nullPrediction":
                    return Result()
                if strategy == "defaultChild":
                    dc = node.get("defaultChild")
                    if dc is None:
                        return Result(score(node))
                    nxt = [k for k in children if k.get("id") == dc][0]
                    break
                p = False       # "none": unknown counts as false
            if p:
                nxt = c
                break
        if nxt is None:
            return Result(score(node) if no_true == "returnLastPrediction" else None)
        node = nxt


def regression_table(t, env):
    y = float(t.get("intercept", "0"))
    for p in t:
        tag = local(p.tag)
        if tag == "NumericPredictor":
            x = env[p.get("name")]
            if x is None:
                return None
            y += float(p.get("coefficient")) * float(x) ** float(p.get("exponent", "1"))
        elif tag == "CategoricalPredictor":
            x = env[p.get("name")]
            if x is None:
                return None
            if str(x) == p.get("value"):
                y += float(p.get("coefficient"))
        elif tag != "Extension":
            fail("regression term %s is not in the subset" % tag)
    return y


def regression_model(m, env, function):
    norm = m.get("normalizationMethod", "none")
    tables = kids(m, "RegressionTable")
    if function == "regression":
        y = regression_table(tables[0], env)
        if y is not None and norm == "logit":
            y = 1.0 / (1.0 + math.exp(-y))
        return Result(y)
    labels = [t.get("targetCategory") for t in tables]
    ys = [regression_table(t, env) for t in tables]
    if any(y is None for y in ys):
        return Result()
    if norm == "softmax":
        ex = [math.exp(y) for y in ys]
        total = 0.0
        for x in ex:
            total += x
        probs = [x / total for x in ex]
    elif norm == "logit" and len(tables) == 2:
        p = 1.0 / (1.0 + math.exp(-ys[0]))
        probs = [p, 1.0 - p]        # the last category is the complement
    else:
        fail("normalizationMethod %s for classification is not in the subset" % norm)
    best = max(range(len(labels)), key=lambda i: (probs[i], -i))
    return Result(labels[best], dict(zip(labels, probs)))


def mining_model(m, env, function, ddict):
    seg = kid(m, "Segmentation")
    method = seg.get("multipleModelMethod")
    env = dict(env)
    values, last, outputs = [], Result(), []
    for s in kids(seg, "Segment"):
        pred = [k for k in s if local(k.tag) not in MODELS + ("Extension",)][0]
        if predicate(pred, env) is not True:
            continue
        sub = [k for k in s if local(k.tag) in MODELS][0]
        r = model(sub, env, ddict, top=False)
        if method == "modelChain":
            for name, v, final in r.outputs:
                env[name] = v
            outputs += r.outputs
        if method == "selectFirst":
            r.outputs = outputs + r.outputs
            return r
        values.append(r.value)
        last = r
    if method == "modelChain":
        last.outputs = outputs
        return last
    if function != "regression":
        fail("%s for %s is not in the subset" % (method, function))
    present = [v for v in values if v is not None]
    if not present:
        return Result()
    total = 0.0
    for v in present:
        total += v
    if method == "sum":
        return Result(total)
    if method == "average":
        return Result(total / len(present))
    fail("multipleModelMethod %s is not in the subset" % method)


def model(m, env, ddict, top):
    env, target = schema(m, env, ddict, top)
    derive(kid(m, "LocalTransformations"), env)
    function = m.get("functionName")
    tag = local(m.tag)
    if tag == "TreeModel":
        if function != "regression":
            fail("only regression trees are in the subset")
        r = tree_model(m, env)
    elif tag == "RegressionModel":
        r = regression_model(m, env, function)
    elif tag == "MiningModel":
        r = mining_model(m, env, function, ddict)
    else:
        fail("%s is not in the subset" % tag)
    r.target = target
    targets = kid(m, "Targets")
    if targets is not None and function == "regression" and r.value is not None:
        for t in kids(targets, "Target"):
            r.value = r.value * float(t.get("rescaleFactor", "1")) + \
                float(t.get("rescaleConstant", "0"))
    out = kid(m, "Output")
    if out is not None:
        scope = dict(env)
        for of in kids(out, "OutputField"):
            feature = of.get("feature", "predictedValue")
            if feature == "predictedValue":
                v = r.value
            elif feature == "probability":
                v = r.probs.get(of.get("value"))
            elif feature == "transformedValue":
                expr = [k for k in of if local(k.tag) != "Extension"][0]
                v = evaluate(expr, scope)
            else:
                fail("OutputField feature %s is not in the subset" % feature)
            scope[of.get("name")] = v
            r.outputs.append((of.get("name"), v, of.get("isFinalResult") != "false"))
    return r


def text(v):
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return repr(v)
    return str(v)


def main(argv):
    if len(argv) != 3:
        raise SystemExit("usage: reference.py MODEL.pmml INPUT.csv > expected.csv")
    root = ET.parse(argv[1]).getroot()
    ddict = {f.name: f for f in map(DataField, kids(kid(root, "DataDictionary"), "DataField"))}
    top = [k for k in root if local(k.tag) in MODELS][0]
    if kid(root, "TransformationDictionary") is not None:
        fail("TransformationDictionary is not in the subset")
    records = []
    header = None
    with open(argv[2], newline="") as f:
        for row in csv.DictReader(f):
            env = {name: row.get(name, "") for name in ddict}
            try:
                r = model(top, env, ddict, top=True)
            except Invalid:
                records.append(None)
                continue
            finals = [(n, v) for n, v, final in r.outputs if final]
            header = header or [r.target] + [n for n, _ in finals]
            records.append([text(r.value)] + [text(v) for _, v in finals])
    if header is None:
        fail("every record is invalid; cannot name the columns")
    w = csv.writer(sys.stdout, lineterminator="\n")
    w.writerow(header)
    for cells in records:
        w.writerow(cells if cells is not None else [""] * len(header))

if __name__ == "__main__":
    main(sys.argv)
