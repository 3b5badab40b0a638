#!/usr/bin/env python3
"""Hostile-model test for the families whose size is in their numbers:
neural networks and support vector machines (issue 14).

Why: a model of 10,000 neurons or 20,000 support vectors is legal PMML, and
a careless compiler turns it into a C function the C compiler chokes on, or
into a scoring function that blows the stack.  nerva lays such models out as
data (compiler/c/emit_kernels.c), so they must compile and score in bounded
time and score right; past the bounds they must stop at once with an error
naming the limit.  Checked here:

  net10k     10,001 neurons in 5 layers (a dense layer, then connection
             lists): compiles, scores as a Python evaluation of the same
             network (the standard's formulas) does, quickly
  netwide    70,000 neurons, past the stack-values limit: a clear error
  svm20k     20,000 RBF support vectors of 20 fields: compiles and scores
             as Python does, quickly

NERVA_CFLAGS from the environment (meson sets it) builds the generated code,
so the sanitizer configuration runs it under ASan/UBSan as well.
"""

import argparse
import csv
import io
import math
import os
import random
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import testlib  # noqa: E402

TIME_LIMIT = 120.0  # seconds for nerva (compile and build) on one model, ASan builds included
NIN = 10


def header(fields, target):
    out = ['<?xml version="1.0"?>', '<PMML version="4.4" xmlns="http://www.dmg.org/PMML-4_4">', "  <Header/>",
           '  <DataDictionary numberOfFields="%d">' % (len(fields) + 1)]
    out += ['    <DataField name="%s" optype="continuous" dataType="double"/>' % f for f in fields + [target]]
    out.append("  </DataDictionary>")
    return out


def mining_schema(fields, target):
    return (["    <MiningSchema>"] + ['      <MiningField name="%s"/>' % f for f in fields] +
            ['      <MiningField name="%s" usageType="target"/>' % target, "    </MiningSchema>"])


def network(rng, widths):
    """layers of (neuron id, bias, [(source id, weight)]): the first layer
    reads every input, later ones 10 neurons of the layer before"""
    layers, prev = [], ["i%d" % k for k in range(NIN)]
    for li, w in enumerate(widths):
        layer = []
        for j in range(w):
            src = prev if li == 0 else [prev[(j * 7 + k * 13) % len(prev)] for k in range(10)]
            layer.append(("n%d_%d" % (li, j), round(rng.uniform(-1, 1), 3),
                          [(s, round(rng.uniform(-1, 1), 3)) for s in src]))
        layers.append(layer)
        prev = [n[0] for n in layer]
    return layers


def net_pmml(layers, acts):
    fields = ["x%d" % k for k in range(NIN)]
    out = header(fields, "y")
    out.append('  <NeuralNetwork functionName="regression" activationFunction="tanh">')
    out += mining_schema(fields, "y")
    out.append("    <NeuralInputs>")
    out += ['      <NeuralInput id="i%d"><DerivedField optype="continuous" dataType="double">'
            '<FieldRef field="x%d"/></DerivedField></NeuralInput>' % (k, k) for k in range(NIN)]
    out.append("    </NeuralInputs>")
    for layer, act in zip(layers, acts):
        out.append('    <NeuralLayer activationFunction="%s">' % act)
        for nid, bias, cons in layer:
            out.append('      <Neuron id="%s" bias="%r">%s</Neuron>' % (
                nid, bias, "".join('<Con from="%s" weight="%r"/>' % c for c in cons)))
        out.append("    </NeuralLayer>")
    out.append('    <NeuralOutputs><NeuralOutput outputNeuron="%s"><DerivedField optype="continuous" '
               'dataType="double"><FieldRef field="y"/></DerivedField></NeuralOutput></NeuralOutputs>' % layers[-1][0][0])
    out += ["  </NeuralNetwork>", "</PMML>"]
    return "\n".join(out) + "\n"


def net_eval(layers, acts, x):
    v = {"i%d" % k: x[k] for k in range(NIN)}
    for layer, act in zip(layers, acts):
        for nid, bias, cons in layer:
            s = 0.0
            for src, w in cons:
                s += w * v[src]
            s += bias
            v[nid] = math.tanh(s) if act == "tanh" else 1.0 / (1.0 + math.exp(-s)) if act == "logistic" else s
    return v[layers[-1][0][0]]


def svm_pmml(vecs, coefs, b, gamma):
    dim = len(vecs[0])
    fields = ["x%d" % k for k in range(dim)]
    out = header(fields, "y")
    out.append('  <SupportVectorMachineModel functionName="regression">')
    out += mining_schema(fields, "y")
    out.append('    <RadialBasisKernelType gamma="%r"/>' % gamma)
    out.append("    <VectorDictionary><VectorFields>%s</VectorFields>" %
               "".join('<FieldRef field="%s"/>' % f for f in fields))
    out += ['      <VectorInstance id="%d"><Array type="real">%s</Array></VectorInstance>' % (
        i, " ".join(repr(c) for c in v)) for i, v in enumerate(vecs)]
    out.append("    </VectorDictionary>")
    out.append("    <SupportVectorMachine><SupportVectors>%s</SupportVectors>" %
               "".join('<SupportVector vectorId="%d"/>' % i for i in range(len(vecs))))
    out.append('      <Coefficients absoluteValue="%r">%s</Coefficients></SupportVectorMachine>' % (
        b, "".join('<Coefficient value="%r"/>' % c for c in coefs)))
    out += ["  </SupportVectorMachineModel>", "</PMML>"]
    return "\n".join(out) + "\n"


def svm_eval(vecs, coefs, b, gamma, x):
    s = 0.0
    for v, c in zip(vecs, coefs):
        d2 = 0.0
        for a, w in zip(x, v):
            d = a - w
            d2 += d * d
        s += c * math.exp(-gamma * d2)
    return s + b


def score(chk, nerva, tmp, name, pmml, rows, want, env):
    path = os.path.join(tmp, name + ".pmml")
    with open(path, "w") as f:
        f.write(pmml)
    inp = os.path.join(tmp, name + ".csv")
    with open(inp, "w") as f:
        f.write(",".join("x%d" % k for k in range(len(rows[0]))) + "\n")
        f.writelines(",".join(repr(v) for v in r) + "\n" for r in rows)
    t0 = time.time()
    r = testlib.run([nerva, "score", path, "--input", inp], env=env, timeout=600)
    secs = time.time() - t0
    if not chk.ok(r.rc == 0, "%s: score failed\n%s" % (name, r.describe())):
        return
    chk.ok(secs < TIME_LIMIT, "%s: took %.1f s" % (name, secs))
    got = list(csv.reader(io.StringIO(r.out)))[1:]
    chk.ok(len(got) == len(want), "%s: %d rows, want %d" % (name, len(got), len(want)))
    for i, (g, w) in enumerate(zip(got, want)):
        gv = float(g[0])
        chk.ok(abs(gv - w) <= 1e-9 * max(1.0, abs(w)), "%s row %d: got %r, want %r" % (name, i + 1, gv, w))
    print("%s: %d rows scored in %.1f s (compile, build, score)" % (name, len(got), secs))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--nerva", required=True)
    args = ap.parse_args()
    nerva = os.path.abspath(args.nerva)
    chk = testlib.Checker("hostile_models")
    env = dict(os.environ)
    rng = random.Random(14)
    with tempfile.TemporaryDirectory() as tmp:
        env.setdefault("NERVA_CACHE_DIR", os.path.join(tmp, "cache"))
        rows = [[round(rng.uniform(-2, 2), 3) for _ in range(NIN)] for _ in range(5)]

        acts = ["tanh", "logistic", "tanh", "logistic", "identity"]
        layers = network(rng, [2500, 2500, 2500, 2500, 1])
        score(chk, nerva, tmp, "net10k", net_pmml(layers, acts), rows, [net_eval(layers, acts, r) for r in rows],
              env)

        wide = network(rng, [70000, 1])
        path = os.path.join(tmp, "netwide.pmml")
        with open(path, "w") as f:
            f.write(net_pmml(wide, ["tanh", "identity"]))
        t0 = time.time()
        r = testlib.run([nerva, "check", path], env=env, timeout=300)
        secs = time.time() - t0
        chk.ok(r.rc == 1 and "stack-values" in r.err, "netwide: expected the stack-values limit\n%s" % r.describe())
        chk.ok(secs < TIME_LIMIT / 4, "netwide: took %.1f s" % secs)

        dim = 20
        vecs = [[round(rng.uniform(-1, 1), 4) for _ in range(dim)] for _ in range(20000)]
        coefs = [round(rng.uniform(-1, 1), 4) for _ in vecs]
        srows = [[round(rng.uniform(-1, 1), 3) for _ in range(dim)] for _ in range(5)]
        score(chk, nerva, tmp, "svm20k", svm_pmml(vecs, coefs, 0.125, 0.05), srows,
              [svm_eval(vecs, coefs, 0.125, 0.05, r) for r in srows], env)
    chk.finish()


if __name__ == "__main__":
    main()
