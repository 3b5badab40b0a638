#!/usr/bin/env python3
"""Hadrian's Scala unit tests of PFA's analytic library as conformance cases.

The shared corpus (../shared/conformance/pfa) comes from Titus's Python
tests and leaves 39 functions of the analytic modules untested.  Hadrian,
the other reference implementation, has its own tests
(hadrian/src/test/scala/lib/...): PFA documents in YAML, each followed by
assertions such as

    engine.action(java.lang.Double.valueOf(0.1)).asInstanceOf[...] should be (0.0486 +- 0.001)
    chi2(engine.action(null).asInstanceOf[...], Vector(Vector(-0.944, 0.444), ...)) should be (0.00 +- 0.01)
    evaluating { engine.action(...) } should produce [PFARuntimeException]

This script turns the assertions it understands into cases in the corpus's
format (tests/pfa_conformance.py runs them), one case per document and test
title, the trials in the order Hadrian runs them (cells carry over).
Tolerances: "+- T" becomes the corpus's "places" P with 0.5e-P >= T (never
stricter than Hadrian); a chi-square below 0.01 becomes places 1.  It
leaves out what it cannot express: assertions on sets, on every element,
on values of other actions; rand (the values of Java's generator) and the
math module (not the analytic library).

    tools/hadrian_cases.py --hadrian CHECKOUT > tests/pfa_e2e/lib/hadrian.jsonl

CHECKOUT is a modelop/hadrian tree at the corpus's commit, 7c63e53.  The
cases Hadrian and nerva disagree on are left out by name (EXCLUDE), each
with the reason; docs/pfa-support.md says more.
"""

import argparse
import json
import math
import os
import re
import sys

import yaml

COMMIT = "7c63e539d79e6e3cad959792d313dfc8b0c523ea"
FILES = ["la", "metric", "link", "kernel", "spec", "prob/dist", "stat/sample", "stat/test", "model/cluster",
         "model/naive", "model/neighbor", "model/reg", "model/tree"]
FUNCTIONS = r"\b((?:la|metric|rand|prob\.dist|stat\.\w+|m\.\w+|model\.\w+|spec)\.\w+)"

EXCLUDE = {
    # the Scala test runs update actions between its assertions ("update":
    # true, no assertion): only the assertions become trials, so the state
    # they check is never built (tests/pfa_e2e/examples/covariance_eigenbasis
    # runs the same sequence)
    "hadrian.la.accumulate_a_covariance_and_compute_eigenbasis_using_arrays#576":
        "update actions without assertions are not carried over",
    # hypergeometricCDF(2000; m=10, n=5, k=3) is P(X <= 2000) = 1 by the
    # spec's definition; Hadrian (and Titus) return 0 for x > m
    "hadrian.prob.dist.raise_the_correct_exceptions#1435":
        "Hadrian's CDF is 0 above the support; the spec's P(X <= x) is 1",
}

SPECIAL = {"java.lang.Double.NaN": '"nan"', "Double.NaN": '"nan"',
           "java.lang.Double.POSITIVE_INFINITY": '"inf"', "java.lang.Double.NEGATIVE_INFINITY": '"-inf"',
           "Double.PositiveInfinity": '"inf"', "Double.NegativeInfinity": '"-inf"'}


def scala_value(s):
    """a Scala literal (numbers, strings, Vector(...), Map(k -> v, ...)) as JSON"""
    s = s.strip()
    for k, v in SPECIAL.items():
        s = s.replace(k, v)
    s = re.sub(r"\bVector\(", "[", s)
    s = re.sub(r"\bMap\(", "{", s)
    out, stack, i = [], [], 0
    while i < len(s):
        c = s[i]
        if c in "[{(":
            stack.append({"[": "]", "{": "}", "(": ")"}[c])
            out.append(c)
        elif c == ")":
            out.append(stack.pop() if stack else ")")
        elif c == '"':
            j = s.index('"', i + 1)
            out.append(s[i:j + 1])
            i = j
        else:
            out.append(c)
        i += 1
    t = "".join(out).replace("->", ":")
    t = re.sub(r"(?<![\w.])(-?\d+)\.(?!\d)", r"\1.0", t)
    t = re.sub(r"(?<![\w.\d])\.(\d)", r"0.\1", t)
    t = re.sub(r"(?<=\d)L\b", "", t)
    return json.loads(t)


def arg_value(s):
    """the argument of engine.action(...) as JSON"""
    s = s.strip()
    if s == "null":
        return None
    for pat, conv in ((r"PFAArray\.fromVector\((.*)\)", scala_value),
                      (r'\w+\.jsonInput\("""(.*)"""\)', json.loads),
                      (r'\w+\.jsonInput\("([^"]*)"\)', json.loads),
                      (r"java\.lang\.(?:Double|Integer|Long)\.valueOf\((.*)\)", scala_value),
                      (r'"(.*)"', lambda x: x)):
        m = re.fullmatch(pat, s, re.S)
        if m:
            return conv(m.group(1))
    if re.fullmatch(r"-?\d+(\.\d*)?", s):
        return float(s) if "." in s else int(s)
    raise ValueError("an argument not understood: " + s[:80])


def places_of(tol):
    """the corpus's places for Hadrian's +- tol: round(a - b, P) == 0 holds
    for |a - b| < 0.5e-P, so 0.5e-P >= tol"""
    return max(0, int(math.floor(-math.log10(2 * tol) + 1e-9)))


def balanced_end(s, i, open_c, close_c):
    """the index after the bracket that closes the one at s[i], or -1"""
    depth = 0
    while i < len(s):
        if s[i] == '"':
            if s.startswith('"""', i):
                i = s.index('"""', i + 3) + 3
                continue
            j = s.find('"', i + 1)
            if j < 0:
                return -1
            i = j + 1
            continue
        if s[i] == open_c:
            depth += 1
        elif s[i] == close_c:
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return -1


def approx(arg, value, tol, path=None):
    t = {"input": arg, "output": scala_value(value), "places": places_of(float(tol))}
    if path is not None:
        t["path"] = [json.loads(path)]
    return t


def trial_of(st, name, outvars):
    """the trial of one assertion on engine `name`, or None"""
    i = st.index(name + ".action(") + len(name) + len(".action")
    j = balanced_end(st, i, "(", ")")
    arg = arg_value(st[i + 1:j - 1])
    rest = st[j:]
    if rest.startswith(".asInstanceOf["):
        rest = rest[balanced_end(rest, rest.index("["), "[", "]"):]
    for _ in range(2):
        rest = re.sub(r"^\.(doubleValue|intValue|longValue|booleanValue|toVector|toMap|toString)\b(\(\))?", "", rest)
    m = re.match(r"^ (\w+)\((\d+|\"[^\"]*\")\)(\.doubleValue)? should be \((.*?)\s*\+-\s*(.*)\)$", rest)
    if m:                                   # val out = engine.action(...); out(0) should be (...)
        outvars[m.group(1)] = (name, arg)
        return approx(arg, m.group(4), m.group(5), m.group(2))
    m = re.match(r"^ zip (.*) map \{ ?case \(x, y\) => x should be \(y \+- (.*)\)$", rest)
    if m:
        return approx(arg, m.group(1), m.group(2))
    if st.startswith("evaluating"):
        return {"input": arg, "error": "PFARuntimeException"}
    if st.startswith("chi2"):
        m = re.match(r"^, (.*)\) should be \((.*)\)$", rest)
        return {"input": arg, "output": scala_value(m.group(1)), "places": 1} if m else None
    m = re.match(r"^ should be \((.*)\)$", rest)
    if not m:
        return None
    exp = m.group(1).strip()
    t = re.fullmatch(r"(.*?)\s*\+-\s*(.*)", exp)
    if t:
        return approx(arg, t.group(1), t.group(2))
    if exp in ('"NaN"', '"Infinity"', '"-Infinity"') and ".toString" in st:
        return {"input": arg, "output": {'"NaN"': "nan", '"Infinity"': "inf", '"-Infinity"': "-inf"}[exp],
                "compare": "str"}
    return {"input": arg, "output": (exp == "true") if exp in ("true", "false") else scala_value(exp)}


def convert(root, path):
    """(cases, assertions left out) of one Scala file"""
    with open(os.path.join(root, "hadrian/src/test/scala/lib", path + ".scala"), encoding="utf-8") as f:
        src = f.read()
    yamls = []

    def keep(m):
        yamls.append((m.group(1), src.count("\n", 0, m.start()) + 1))
        return "PFAEngine.fromYaml(__Y%d__)" % (len(yamls) - 1)
    text = re.sub(r'PFAEngine\.fromYaml\("""(.*?)"""\)', keep, src, flags=re.S)
    events = []
    for m in re.finditer(r'(?:it must|"[^"\n]*" must) "([^"]*)"', text):
        events.append((m.start(), m.end(), "title", m.group(1)))
    for m in re.finditer(r"val (\w+) = PFAEngine\.fromYaml\(__Y(\d+)__\)(\.head)?", text):
        events.append((m.start(), m.end(), "engine", (m.group(1), int(m.group(2)))))
    for m in re.finditer(r"should be\s+\(|should produce\s+\[", text):
        e = balanced_end(text, m.end() - 1, text[m.end() - 1], ")" if text[m.end() - 1] == "(" else "]")
        if e >= 0:
            events.append((m.start(), e, "should", None))
    events.sort()
    cases, order, engines, outvars = {}, [], {}, {}
    title, bound, left_out = "", 0, 0
    module = path.replace("/", ".")
    for start, end, kind, val in events:
        if kind == "title":
            title, bound = val, end
            continue
        if kind == "engine":
            engines[val[0]] = val[1]
            bound = end
            continue
        st = " ".join(text[bound:end].split())
        bound = end
        st = re.sub(r"^.*?(?=(evaluating|chi2|PFAEngine|\w+\.action))", "", st, count=1)
        m = re.search(r"PFAEngine\.fromYaml\(__Y(\d+)__\)\.head\.action", st)
        if m:
            engines["__inline%s" % m.group(1)] = int(m.group(1))
            st = st.replace(m.group(0), "__inline%s.action" % m.group(1))
        m = re.search(r"(\w+)\.action\(", st)
        mo = re.match(r"^(\w+)\((\d+|\"[^\"]*\")\)(\.doubleValue)? should be \((.*?)\s*\+-\s*(.*)\)$", st)
        if not m and mo and mo.group(1) in outvars:
            ename, oarg = outvars[mo.group(1)]
            key = (engines[ename], title)
            if key in cases and not any(k in cases[key]["engine"] for k in ("cells", "pools")):
                cases[key]["trials"].append(approx(oarg, mo.group(4), mo.group(5), mo.group(2)))
                continue
        if not m or m.group(1) not in engines:
            left_out += 1
            continue
        try:
            trial = trial_of(st, m.group(1), outvars)
        except (ValueError, AttributeError):
            trial = None
        if trial is None:
            left_out += 1
            continue
        key = (engines[m.group(1)], title)
        if key not in cases:
            y, line = yamls[key[0]]
            try:
                doc = yaml.safe_load(y)
            except yaml.YAMLError:          # not YAML (a commented-out test)
                left_out += 1
                continue
            fns = sorted(set(re.findall(FUNCTIONS, y)))
            cases[key] = {"name": "hadrian.%s.%s#%d" % (module, re.sub(r"\W+", "_", title).strip("_"), line),
                          "module": "hadrian", "test": title, "engine": doc, "trials": [],
                          "functions": fns, "primary": fns[0] if fns else "",
                          "source": "modelop/hadrian hadrian/src/test/scala/lib/%s.scala:%d@%s" % (path, line, COMMIT),
                          "license": "Apache-2.0 (modelop/hadrian, Copyright Open Data Group)"}
            order.append(key)
        cases[key]["trials"].append(trial)
    return [cases[k] for k in order], left_out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--hadrian", required=True, help="a modelop/hadrian checkout at %s" % COMMIT[:7])
    args = ap.parse_args()
    for path in FILES:
        cases, left_out = convert(args.hadrian, path)
        kept = [c for c in cases if c["name"] not in EXCLUDE]
        print("%-16s %3d cases %4d trials (%d assertions left out, %d cases excluded)"
              % (path, len(kept), sum(len(c["trials"]) for c in kept), left_out, len(cases) - len(kept)),
              file=sys.stderr)
        for c in kept:
            sys.stdout.write(json.dumps(c, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
