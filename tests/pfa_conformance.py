#!/usr/bin/env python3
"""PFA conformance: run the shared PFA corpus through `nerva score`.

Why: the corpus holds the reference engine's (Titus) results for the library
and the special forms, and the PFA tutorial examples.  Each case is one PFA
document and trials run in order on one engine; a case passes when every
trial does.  compile_error cases pass when `nerva check` rejects the document
with exit status 1.  The runner prints a table per module (cases and trials)
and fails when a case listed in the pass list (tests/pfa_conformance_pass.txt)
no longer passes.  The pass list only grows: --update-pass-list adds what
passes now and never removes a line.

Values in the corpus are Titus's in-memory form (unions untagged, bytes as
latin-1 strings, "nan"/"inf" for special floats); inputs are converted to the
Avro JSON encoding using the engine's declared input type, and nerva's Avro
JSON outputs back to that form using the output type, before comparing as
the corpus README says (exact, places, path, compare modes).

The generated C is compiled with NERVA_CFLAGS from the environment; the meson
test sets -std=c99 -pedantic -Wall -Wextra -Werror, so every case that passes
also proves its C builds cleanly with libc and libm.  The examples run through
`nerva score` end to end; the library cases are batched for speed: each is
compiled with `nerva compile` (an object per distinct C text, cached), a batch
of them is linked into one program with runtime/driver/pfa_driver.c in table mode,
and each case runs with --engine K (same driver, same flags, same -lm).
With --shared-runtime (the sanitizer run) the engines are compiled with
`nerva compile --shared-runtime` and linked with one `nerva runtime` object:
the same run-time code, instrumented once instead of in every engine; the
standalone units are still what the normal run compiles.
With --round-trip every document is first converted to PrettyPFA and back
(`nerva convert --to ppfa`, `nerva convert`): the document it becomes must be
equivalent to the original (equivalent() below: the same forms once PFA's
alternative spellings are made one, named types expanded), and its trials run
on the converted document; a document nerva cannot compile is still held to
the equivalence.  A document that nerva's reader rejects passes when the
conversion rejects it too (as `check` does).
Exit status: 0 ok, 1 a regression (or --require-all and a failure), 77 when
the corpus is absent.
"""

import argparse
import base64
import concurrent.futures
import hashlib
import json
import math
import os
import shutil
import struct
import subprocess
import sys
import threading

MODULES = ["core", "lang", "math", "string", "regex", "array", "map", "bytes", "fixed", "enum", "time",
           "cast", "parse", "impute", "interp",
           "la", "metric", "rand", "prob.dist", "stat.sample", "stat.change", "stat.test", "spec", "link",
           "kernel", "model.tree", "model.reg", "model.neural", "model.svm", "model.cluster", "model.neighbor",
           "model.naive"]


# ---- Avro types (as JSON schemae) ----
class Types:
    """Named types of one engine document, wherever they are defined."""

    def __init__(self, doc):
        self.named = {}
        self._collect(doc, None)

    def _collect(self, x, ns):
        if isinstance(x, dict):
            t = x.get("type")
            if t in ("record", "enum", "fixed") and isinstance(x.get("name"), str):
                name = x["name"]
                nsx = x.get("namespace", ns)
                full = name if "." in name or not nsx else nsx + "." + name
                self.named.setdefault(full, x)
                self.named.setdefault(name, x)
            for v in x.values():
                self._collect(v, ns)
        elif isinstance(x, list):
            for v in x:
                self._collect(v, ns)

    def resolve(self, t):
        while True:
            if isinstance(t, str) and t in self.named:
                return self.named[t]
            if isinstance(t, dict) and not isinstance(t.get("type"), str):
                t = t["type"]
                continue
            if isinstance(t, dict) and t.get("type") in ("null", "boolean", "int", "long", "float", "double",
                                                          "string", "bytes"):
                return t["type"]
            return t


def kind(types, t):
    t = types.resolve(t)
    if isinstance(t, str):
        return t
    if isinstance(t, list):
        return "union"
    return t["type"]


def tag(types, t):
    t = types.resolve(t)
    if isinstance(t, str):
        return t
    if t["type"] in ("record", "enum", "fixed"):
        ns = t.get("namespace")
        return t["name"] if "." in t["name"] or not ns else ns + "." + t["name"]
    return t["type"]


def fits(types, t, v):
    """Whether native value v can be a value of type t."""
    k = kind(types, t)
    t = types.resolve(t)
    if k == "null":
        return v is None
    if k == "boolean":
        return isinstance(v, bool)
    if k == "int":
        return isinstance(v, int) and not isinstance(v, bool) and -2 ** 31 <= v < 2 ** 31
    if k == "long":
        return isinstance(v, int) and not isinstance(v, bool) and -2 ** 63 <= v < 2 ** 63
    if k in ("float", "double"):
        return (isinstance(v, (int, float)) and not isinstance(v, bool)) or v in ("nan", "inf", "-inf")
    if k in ("string", "bytes"):
        return isinstance(v, str)
    if k == "fixed":
        return isinstance(v, str) and len(v) == t["size"]
    if k == "enum":
        return isinstance(v, str) and v in t["symbols"]
    if k == "array":
        return isinstance(v, list) and all(fits(types, t["items"], x) for x in v)
    if k == "map":
        return isinstance(v, dict) and all(fits(types, t["values"], x) for x in v.values())
    if k == "record":
        return isinstance(v, dict) and all(f["name"] in v and fits(types, f["type"], v[f["name"]])
                                           for f in t["fields"]) and \
            all(key in [f["name"] for f in t["fields"]] for key in v)
    if k == "union":
        return any(fits(types, b, v) for b in t)
    return False


def as_bytes(v):
    """The corpus writes bytes as latin-1 text, or as the text they encode in UTF-8."""
    if isinstance(v, str) and any(ord(c) > 255 for c in v):
        return v.encode("utf-8").decode("latin-1")
    return v


def to_avro(types, t, v):
    """Native value -> Avro JSON (unions tagged)."""
    k = kind(types, t)
    t = types.resolve(t)
    if k in ("bytes", "fixed"):
        return as_bytes(v)
    if k in ("float", "double"):
        return {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}.get(v, v) if isinstance(v, str) else v
    if k == "array":
        return [to_avro(types, t["items"], x) for x in v]
    if k == "map":
        return {key: to_avro(types, t["values"], x) for key, x in v.items()}
    if k == "record":
        return {f["name"]: to_avro(types, f["type"], v[f["name"]]) for f in t["fields"] if f["name"] in v}
    if k == "union":
        if v is None:
            return None
        for b in t:
            if kind(types, b) != "null" and fits(types, b, v):
                return {tag(types, b): to_avro(types, b, v)}
        return v
    return v


def from_avro(types, t, v):
    """nerva's Avro JSON output -> native form (untagged unions, special floats as floats)."""
    k = kind(types, t)
    t = types.resolve(t)
    if k in ("float", "double"):
        if isinstance(v, str):
            return {"NaN": float("nan"), "Infinity": float("inf"), "-Infinity": float("-inf")}[v]
        v = float(v)
        if k == "float":
            v = struct.unpack("f", struct.pack("f", v))[0]
        return v
    if k == "array":
        return [from_avro(types, t["items"], x) for x in v]
    if k == "map":
        return {key: from_avro(types, t["values"], x) for key, x in v.items()}
    if k == "record":
        return {f["name"]: from_avro(types, f["type"], v[f["name"]]) for f in t["fields"]}
    if k == "union":
        if v is None:
            return None
        (name, inner), = v.items()
        for b in t:
            if tag(types, b) == name:
                return from_avro(types, b, inner)
        raise ValueError("unknown union branch " + name)
    return v


def native_expected(types, t, w):
    """The corpus's expected value with float outputs rounded like nerva's (float32)."""
    k = kind(types, t)
    t = types.resolve(t)
    if k in ("bytes", "fixed"):
        return as_bytes(w)
    if k in ("float", "double"):
        if isinstance(w, str):
            return {"nan": float("nan"), "inf": float("inf"), "-inf": float("-inf")}.get(w, w)
        if isinstance(w, (int, float)) and not isinstance(w, bool):
            w = float(w)
            if k == "float":
                w = struct.unpack("f", struct.pack("f", w))[0]
        return w
    if k == "array" and isinstance(w, list):
        return [native_expected(types, t["items"], x) for x in w]
    if k == "map" and isinstance(w, dict):
        return {key: native_expected(types, t["values"], x) for key, x in w.items()}
    if k == "record" and isinstance(w, dict):
        fields = {f["name"]: f["type"] for f in t["fields"]}
        return {key: native_expected(types, fields.get(key, "null"), x) for key, x in w.items()}
    if k == "union":
        if isinstance(w, dict) and len(w) == 1:
            (name, inner), = w.items()
            for b in t:
                if tag(types, b) == name and fits(types, b, inner) and not fits(types, b, w):
                    return native_expected(types, b, inner)   # written tagged
        for b in t:
            if fits(types, b, w):
                return native_expected(types, b, w)
    return w


def same(a, b, places=None):
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b if isinstance(a, bool) and isinstance(b, bool) else False
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
            return True
        if places is not None:
            if math.isinf(a) or math.isinf(b):
                return a == b
            return round(a - b, places) == 0
        return a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y, places) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return set(a) == set(b) and all(same(a[k], b[k], places) for k in a)
    return a == b


def py_str(v):
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if v is True:
        return "True"
    if v is False:
        return "False"
    return str(v)


def judge(trial, line, types, out_t):
    """(ok, why) for one trial and nerva's output line."""
    if line is None:
        return False, "no output"
    try:
        got = json.loads(line)
    except ValueError:
        return False, "output is not JSON: " + line[:200]
    is_err = isinstance(got, dict) and "$error" in got and len(got) == 1
    if "error" in trial:
        return (True, "") if is_err else (False, "expected an error, got " + line[:200])
    if is_err:
        return False, "error " + json.dumps(got["$error"])[:200]
    try:
        actual = from_avro(types, out_t, got)
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        return False, "output does not match the output type (%s): %s" % (e, line[:200])
    want = trial.get("output")
    for k in trial.get("path", []):
        try:
            actual = actual[k]
        except (KeyError, IndexError, TypeError):
            return False, "no path %r in %s" % (trial["path"], line[:200])
    mode = trial.get("compare")
    if mode == "str":
        ok = py_str(actual) == want
    elif mode == "isnan":
        ok = isinstance(actual, float) and math.isnan(actual)
    elif mode == "truthy":
        ok = bool(actual) == bool(want)
    else:
        if not trial.get("path"):
            want = native_expected(types, out_t, want)
        elif isinstance(want, str) and want in ("nan", "inf", "-inf"):
            want = float(want)
        ok = same(actual, want, trial.get("places"))
    return (True, "") if ok else (False, "expected %s, got %s" % (json.dumps(trial.get("output"))[:200],
                                                                 line[:200]))


# ---- --round-trip: equivalence of two PFA documents ----
PRIMITIVES = ("null", "boolean", "int", "long", "float", "double", "bytes", "string")


class Equiv:
    """PFA documents made comparable: each spelling of a form becomes one
    (a body or an argument list of one expression, {"int": 2} and 2, ["s"] and
    {"string": "s"}, typed literals of primitive types, defaults of shared,
    rollback, seq and partial, {"type": "int"} and "int"), named types are
    expanded wherever they are used, and ints stay distinct from doubles."""

    def __init__(self, *docs):
        self.named = {}
        for d in docs:
            self._collect(d, None)

    def _collect(self, x, ns):
        if isinstance(x, dict):
            if x.get("type") in ("record", "enum", "fixed") and isinstance(x.get("name"), str):
                name = x["name"]
                nsx = x.get("namespace", ns) if "." not in name else name.rsplit(".", 1)[0]
                full = name if "." in name or not nsx else nsx + "." + name
                self.named.setdefault(full, (x, nsx))
                for f in x.get("fields", []) if isinstance(x.get("fields"), list) else []:
                    if isinstance(f, dict):
                        self._collect(f.get("type"), nsx)
                return
            for v in x.values():
                self._collect(v, ns)
        elif isinstance(x, list):
            for v in x:
                self._collect(v, ns)

    def typ(self, t, ns=None, seen=()):
        if isinstance(t, str):
            if t in PRIMITIVES:
                return t
            full = ns + "." + t if ns and "." not in t and ns + "." + t in self.named else t
            if full in self.named and full not in seen:
                d, dns = self.named[full]
                return self._named(d, full, dns, seen + (full,))
            return ("name", full)
        if isinstance(t, list):
            return ("union",) + tuple(self.typ(x, ns, seen) for x in t)
        if isinstance(t, dict):
            k = t.get("type")
            if k == "array":
                return ("array", self.typ(t.get("items"), ns, seen))
            if k == "map":
                return ("map", self.typ(t.get("values"), ns, seen))
            if k in ("record", "enum", "fixed") and isinstance(t.get("name"), str):
                name = t["name"]
                nsx = t.get("namespace", ns) if "." not in name else name.rsplit(".", 1)[0]
                full = name if "." in name or not nsx else nsx + "." + name
                if full in seen:
                    return ("name", full)
                return self._named(t, full, nsx, seen + (full,))
            return self.typ(k, ns, seen)
        return ("?", json.dumps(t, sort_keys=True))

    def _named(self, d, full, ns, seen):
        k = d.get("type")
        if k == "record":
            return ("record", full, tuple((f.get("name"), self.typ(f.get("type"), ns, seen),
                                           json.dumps(f.get("default"), sort_keys=True) if "default" in f else None)
                                          for f in d.get("fields", [])))
        if k == "enum":
            return ("enum", full, tuple(d.get("symbols", [])))
        return ("fixed", full, d.get("size"))

    def body(self, v):
        return ("body",) + tuple(self.expr(x) for x in (v if isinstance(v, list) else [v]))

    def args(self, v):
        return tuple(self.expr(x) for x in (v if isinstance(v, list) else [v]))

    def names(self, v):
        return tuple(sorted((k, self.expr(x)) for k, x in v.items())) if isinstance(v, dict) else ("?", v)

    def lit(self, t, v):
        t = self.typ(t)
        if t == "null":
            return None
        if t == "int" and isinstance(v, int) and not isinstance(v, bool):
            return ("int", v)
        if t == "double" and isinstance(v, (int, float)) and not isinstance(v, bool):
            return ("double", float(v))
        if t in ("long", "float") and isinstance(v, (int, float)) and not isinstance(v, bool):
            return (t, v)
        if t == "string" and isinstance(v, str):
            return ("string", v)
        if t == "bytes" and isinstance(v, str):
            return ("bytes", v.encode("latin-1", "replace"))
        return ("literal", t, json.dumps(v, sort_keys=True))

    def expr(self, x):
        if x is None or isinstance(x, bool):
            return x
        if isinstance(x, int):
            return ("int", x)
        if isinstance(x, float):
            return ("double", x)
        if isinstance(x, str):
            if "." in x:  # "x.4.key" is {"attr": "x", "path": [4, {"string": "key"}]}
                base, *path = x.split(".")
                steps = tuple(("int", int(p)) if p.isdigit() and len(p) < 10 else ("string", p) for p in path)
                return ("form", ("attr", ("ref", base)), ("path", steps))
            return ("ref", x)
        if isinstance(x, list):
            if len(x) == 1 and isinstance(x[0], str):
                return ("string", x[0])
            return ("list?",) + tuple(self.expr(v) for v in x)
        if not isinstance(x, dict):
            return ("?", x)
        x = {k: v for k, v in x.items() if k != "@"}
        keys = set(x)
        if len(keys) == 1 and next(iter(keys)) in ("int", "long", "float", "double", "string", "base64"):
            (k, v), = x.items()
            if k == "base64":
                return ("bytes", base64.b64decode(v) if isinstance(v, str) else v)
            return self.lit(k, v)
        if keys == {"type", "value"}:
            return self.lit(x["type"], x["value"])
        if keys == {"type", "new"}:
            n = x["new"]
            return ("new", self.typ(x["type"]), self.args(n) if isinstance(n, list) else self.names(n))
        if "params" in keys and "ret" in keys:
            return ("fcndef", tuple((k, self.typ(t)) for p in x["params"] for k, t in p.items()),
                    self.typ(x["ret"]), self.body(x.get("do")))
        if "fcn" in keys:
            return ("fcnref", x["fcn"], self.names(x.get("fill", {})))
        if "cell" in keys:
            return ("cell", x["cell"], self.args(x.get("path", [])), self.expr(x["to"]) if "to" in x else None)
        if "pool" in keys and "del" in keys:
            return ("pool-del", x["pool"], self.expr(x["del"]))
        if "pool" in keys:
            return ("pool", x["pool"], self.args(x.get("path", [])), self.expr(x["to"]) if "to" in x else None,
                    self.expr(x["init"]) if "init" in x and "to" in x and "params" in json.dumps(x["to"]) else
                    ("init-of-value",) if "to" in x else None)
        out = []
        for k in sorted(keys):
            v = x[k]
            if k in ("then", "else", "do", "try"):
                out.append((k, self.body(v)))
            elif k in ("let", "set", "for", "step", "ifnotnull"):
                out.append((k, self.names(v)))
            elif k in ("as",):
                out.append((k, self.typ(v)))
            elif k == "cases":
                out.append((k, tuple((self.typ(c.get("as")), c.get("named"), self.body(c.get("do"))) for c in v)))
            elif k == "cond":
                out.append((k, tuple(self.expr(c) for c in v)))
            elif k in ("path", "args", "log"):
                out.append((k, self.args(v)))
            elif k == "pack":
                out.append((k, tuple((f, self.expr(e)) for p in v for f, e in p.items())))
            elif k == "filter":  # a set of messages and codes
                out.append((k, tuple(sorted(json.dumps(f) for f in v)) if isinstance(v, list) else v))
            elif k in ("named", "foreach", "forkey", "forval", "doc", "error", "code", "namespace",
                       "format", "seq", "partial"):
                out.append((k, json.dumps(v, sort_keys=True)))
            elif len(keys) == 1:
                out.append(("call " + k, self.args(v)))
            else:
                out.append((k, self.expr(v)))
        if "foreach" in keys and "seq" not in keys:
            out.append(("seq", "true"))  # absent is true (the spec, and read_pfa.c)
        if "cast" in keys and "partial" not in keys:
            out.append(("partial", "false"))
        return ("form",) + tuple(sorted(out, key=lambda p: p[0]))

    def doc(self, d):
        out = {"method": d.get("method", "map"), "input": self.typ(d.get("input")),
               "output": self.typ(d.get("output"))}
        for k in ("begin", "action", "end", "merge"):
            if k in d and (d[k] or k == "action"):
                out[k] = self.body(d[k])
        for k in ("name", "zero", "randseed", "doc", "version", "metadata", "options"):
            if k in d:
                out[k] = json.dumps(d[k], sort_keys=True)
        out["fcns"] = {k: self.expr(v) for k, v in d.get("fcns", {}).items()}
        for k in ("cells", "pools"):
            out[k] = {n: (self.typ(c.get("type")), json.dumps(c.get("init", {} if k == "pools" else None),
                                                             sort_keys=True),
                          bool(c.get("shared", False)), bool(c.get("rollback", False)))
                      for n, c in d.get(k, {}).items()}
        return out


def equivalent(a, b):
    """(True, "") when documents a and b say the same, else (False, where)."""
    e = Equiv(a, b)
    da, db = e.doc(a), e.doc(b)
    for k in sorted(set(da) | set(db)):
        if da.get(k) != db.get(k):
            return False, "%s differs: %s vs %s" % (k, str(da.get(k))[:300], str(db.get(k))[:300])
    return True, ""


class Runner:
    def __init__(self, args):
        self.nerva = os.path.abspath(args.nerva)
        self.workdir = os.path.abspath(args.workdir)
        self.verbose = args.verbose
        self.runtime = os.path.abspath(args.runtime)
        self.cc = os.environ.get("CC") or "cc"
        self.cflags = ["-std=c99"] + os.environ.get("NERVA_CFLAGS", "-O2").split()
        self.objdir = os.path.join(self.workdir, "objects")
        os.makedirs(self.objdir, exist_ok=True)
        self.shared = args.shared_runtime
        self.rt_obj = None
        self.round_trip = args.round_trip
        self.rt_outcomes = {}  # --round-trip: name -> "" (equivalent) or why not
        self.rt_lock = threading.Lock()

    def note_round_trip(self, name, why):
        with self.rt_lock:
            self.rt_outcomes[name] = why

    def via_ppfa(self, d, engine):
        """--round-trip: model.pfa becomes the document its PrettyPFA reads as.
        None when done, else (rejected, why): rejected when nerva's reader
        refuses the document itself."""
        rc, _, err = self.run(["convert", "model.pfa", "--to", "ppfa", "-o", "model.ppfa"], d)
        if rc != 0:
            return ("cannot be written in PrettyPFA" not in err, "convert --to ppfa exit %d: %s"
                    % (rc, err.strip()[:400]))
        rc, out, err = self.run(["convert", "model.ppfa"], d)
        if rc != 0:
            return False, "the PrettyPFA does not read back (exit %d): %s" % (rc, err.strip()[:400])
        back = json.loads(out)
        ok, why = equivalent(engine, back)
        if not ok:
            return False, "the round trip changes the document: " + why
        with open(os.path.join(d, "model.pfa"), "w", encoding="utf-8") as f:
            f.write(out)
        return None

    def cc_run(self, argv, cwd):
        p = subprocess.run([self.cc] + argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        return p.returncode, p.stderr.decode("utf-8", "replace")

    def driver_obj(self):
        """The table-mode driver, compiled once per run."""
        h = hashlib.sha1(" ".join(self.cflags).encode())
        for f in ("driver/pfa_driver.c", "lib/nerva_model.h"):
            with open(os.path.join(self.runtime, f), "rb") as src:
                h.update(src.read())
        out = os.path.join(self.objdir, "driver-%s.o" % h.hexdigest()[:16])
        if not os.path.exists(out):
            tmp = out + ".%d.%d.tmp" % (os.getpid(), threading.get_ident())
            rc, err = self.cc_run(self.cflags + ["-DNERVA_PFA_TABLE", "-I" + os.path.join(self.runtime, "lib"), "-c",
                                                 os.path.join(self.runtime, "driver", "pfa_driver.c"), "-o", tmp],
                                  self.objdir)
            if rc:
                raise RuntimeError("the driver does not compile: " + err)
            os.replace(tmp, out)
        return out

    def runtime_obj(self):
        """--shared-runtime: the run-time support, generated and compiled once per run."""
        rc, _, err = self.run(["runtime", "-o", os.path.join(self.objdir, "nerva_pfa_rt.c")], self.objdir)
        if rc:
            raise RuntimeError("nerva runtime failed: " + err)
        with open(os.path.join(self.objdir, "nerva_pfa_rt.c"), "rb") as f:
            key = hashlib.sha1(f.read() + " ".join(self.cflags).encode()).hexdigest()[:16]
        out = os.path.join(self.objdir, "nerva_pfa_rt-%s.o" % key)
        if not os.path.exists(out):
            tmp = out + ".%d.%d.tmp" % (os.getpid(), threading.get_ident())
            rc, err = self.cc_run(self.cflags + ["-c", "nerva_pfa_rt.c", "-o", tmp], self.objdir)
            if rc:
                raise RuntimeError("the shared runtime does not compile: " + err)
            os.replace(tmp, out)
        self.rt_obj = out

    def engine_obj(self, d, prefix):
        """Compile the case's engine; (object path, None) or (None, why)."""
        extra = ["--shared-runtime"] if self.shared else []
        rc, _, err = self.run(["compile", "model.pfa", "-o", "engine.c", "--prefix", prefix] + extra, d)
        if rc != 0:
            return None, "nerva compile exit %d: %s" % (rc, err.strip()[:600])
        with open(os.path.join(d, "engine.c"), "rb") as f:
            text = f.read()
        with open(os.path.join(d, "engine.h"), "rb") as f:
            text += f.read()
        if self.shared:
            with open(os.path.join(self.objdir, "nerva_pfa_rt.h"), "rb") as f:
                text += f.read()  # the engine is compiled against it
        key = hashlib.sha1(text + " ".join(self.cflags).encode()).hexdigest()
        obj = os.path.join(self.objdir, key + ".o")
        if not os.path.exists(obj):
            tmp = obj + ".%d.%d.tmp" % (os.getpid(), threading.get_ident())
            rc, err = self.cc_run(self.cflags + ["-I" + self.objdir, "-c", "engine.c", "-o", tmp], d)
            if rc:
                return None, "the C compiler failed: " + err.strip()[:600]
            os.replace(tmp, obj)
        return obj, None

    def lib_batch(self, cases):
        """Compile a batch of cases into one program, then run each case."""
        results, ready = [], []
        bdir = os.path.join(self.workdir, "batches", hashlib.sha1(
            "".join(c["name"] for c in cases).encode()).hexdigest()[:12])
        os.makedirs(bdir, exist_ok=True)
        for c in cases:
            d, r = self.prepare(c)
            if r:
                results.append(r)
                continue
            prefix = "e%d" % len(ready)
            obj, why = self.engine_obj(d, prefix)
            if why:
                results.append((c["name"], c["module"], False, 0, len(c["trials"]), why))
                continue
            ready.append((c, d, obj, prefix))
        if ready:
            with open(os.path.join(bdir, "table.c"), "w") as f:
                f.write('#include "nerva_model.h"\n')
                for _, _, _, prefix in ready:
                    f.write("extern const nerva_pfa %s_pfa;\n" % prefix)
                f.write("const nerva_pfa *const nerva_pfa_table[] = {%s};\n" %
                        ", ".join("&%s_pfa" % x[3] for x in ready))
                f.write("const int nerva_pfa_count = %d;\n" % len(ready))
            exe = os.path.join(bdir, "engines")
            rc, err = self.cc_run(self.cflags + ["-I" + os.path.join(self.runtime, "lib"), "table.c", self.driver_obj()] +
                                  [x[2] for x in ready] + ([self.rt_obj] if self.shared else []) +
                                  ["-o", exe, "-lm"], bdir)
            for k, (c, d, _, _) in enumerate(ready):
                if rc:
                    results.append((c["name"], c["module"], False, 0, len(c["trials"]), "link failed: " + err[:300]))
                    continue
                results.append(self.judge_case(c, d, [exe, "score", "--engine", str(k)]))
        return results

    def run(self, argv, cwd, timeout=300):
        try:
            p = subprocess.run([self.nerva] + argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               timeout=timeout)
            return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")
        except subprocess.TimeoutExpired:
            return -1, "", "timeout"

    def case_dir(self, name):
        safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in name)
        h = hashlib.sha1(name.encode()).hexdigest()[:8]
        d = os.path.join(self.workdir, safe[:80] + "-" + h)
        os.makedirs(d, exist_ok=True)
        return d

    def prepare(self, case):
        """Write the case's files; (dir, None), or (dir, result) when it is decided already."""
        name, module = case["name"], case["module"]
        d = self.case_dir(name)
        engine = case["engine"]
        with open(os.path.join(d, "model.pfa"), "w", encoding="utf-8") as f:
            json.dump(engine, f, indent=1)
        if self.round_trip:
            r = self.via_ppfa(d, engine)
            self.note_round_trip(name, "" if not r else "rejected" if "compile_error" in case else r[1])
            if r and "compile_error" in case and (r[0] or "convert --to ppfa" in r[1]):
                # a document PFA rejects is rejected by the conversion too
                rc, _, _ = self.run(["check", "model.pfa"], d)
                return d, (name, module, rc == 1, 0, 0, "" if rc == 1 else r[1])
            if r:
                return d, (name, module, False, 0, len(case.get("trials", [])), r[1])
        if "compile_error" in case:
            rc, _, err = self.run(["check", "model.pfa"], d)
            ok = rc == 1 and "error" in err
            return d, (name, module, ok, 0, 0, "" if ok else "accepted (exit %d): %s" % (rc, err.strip()[:300]))
        types = Types(engine)
        trials = case["trials"]
        try:
            lines = [json.dumps(to_avro(types, engine["input"], t["input"])) for t in trials]
        except (KeyError, TypeError) as e:
            return d, (name, module, False, 0, len(trials), "cannot convert the input: %s" % e)
        with open(os.path.join(d, "input.jsonl"), "w", encoding="utf-8") as f:
            f.write("".join(x + "\n" for x in lines))
        return d, None

    def judge_case(self, case, d, cmd):
        name, module, engine, trials = case["name"], case["module"], case["engine"], case["trials"]
        try:
            p = subprocess.run(cmd + ["--input", "input.jsonl", "--output", "output.jsonl"], cwd=d,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
            rc, err = p.returncode, p.stderr.decode("utf-8", "replace")
        except subprocess.TimeoutExpired:
            rc, err = -1, "timeout"
        if rc != 0:
            return name, module, False, 0, len(trials), "the engine exited %d: %s" % (rc, err.strip()[:600])
        with open(os.path.join(d, "output.jsonl"), encoding="utf-8") as f:
            out = [x for x in f.read().split("\n") if x]
        types = Types(engine)
        passed, why = 0, ""
        for i, t in enumerate(trials):
            ok, w = judge(t, out[i] if i < len(out) else None, types, engine["output"])
            passed += ok
            if not ok and not why:
                why = "trial %d: %s" % (i, w)
        return name, module, passed == len(trials), passed, len(trials), why

    def example(self, ex_dir):
        name = "examples/" + os.path.basename(ex_dir)
        d = self.case_dir(name)
        with open(os.path.join(ex_dir, "model.pfa"), encoding="utf-8") as f:
            engine = json.load(f)
        with open(os.path.join(ex_dir, "meta.json"), encoding="utf-8") as f:
            meta = json.load(f)
        shutil.copy(os.path.join(ex_dir, "model.pfa"), os.path.join(d, "model.pfa"))
        if self.round_trip:
            r = self.via_ppfa(d, engine)
            self.note_round_trip(name, r[1] if r else "")
            if r:
                return name, "examples", False, 0, 1, r[1]
        types = Types(engine)
        with open(os.path.join(ex_dir, "input.jsonl"), encoding="utf-8") as f:
            inputs = [json.loads(x) for x in f if x.strip()]
        with open(os.path.join(ex_dir, "expected.jsonl"), encoding="utf-8") as f:
            expected = [json.loads(x) for x in f if x.strip()]
        with open(os.path.join(d, "input.jsonl"), "w", encoding="utf-8") as f:
            for v in inputs:
                f.write(json.dumps(to_avro(types, engine["input"], v)) + "\n")
        rc, _, err = self.run(["score", "model.pfa", "--input", "input.jsonl", "--output", "output.jsonl"], d)
        if rc != 0:
            return name, "examples", False, 0, len(expected), "nerva score exit %d: %s" % (rc, err.strip()[:600])
        with open(os.path.join(d, "output.jsonl"), encoding="utf-8") as f:
            out = [json.loads(x) for x in f if x.strip()]
        ok, passed, why = judge_program(engine, types, meta, out, expected)
        return name, "examples", ok, passed, len(expected), why


def judge_program(engine, types, meta, out, expected):
    """A tutorial program's outputs (Avro JSON lines, parsed) against the
    expected ones: errors the program raises itself are skipped where the meta
    allows PFAUserException; numbers compare to 5 places.  (ok, trials
    passed, why)."""
    allowed = meta.get("allowed_exceptions", [])
    kept = []
    for v in out:
        if isinstance(v, dict) and "$error" in v:
            user = v["$error"]["code"] is None or v["$error"]["code"] < 0
            if "PFAUserException" in allowed and user:
                continue
            kept.append(v)
            continue
        kept.append(from_avro(types, engine["output"], v))
    want = [native_expected(types, engine["output"], w) for w in expected]
    passed = sum(1 for a, b in zip(kept, want) if same(a, b, 5))
    ok = len(kept) == len(want) and passed == len(want)
    why = "" if ok else "expected %s, got %s" % (json.dumps(expected)[:200], json.dumps(kept)[:200])
    return ok, passed if len(kept) == len(want) else 0, why


def load_cases(corpus, modules):
    """All cases of the modules; a name the corpus repeats gets ~2, ~3, ..."""
    cases, seen = [], {}
    for m in modules:
        path = os.path.join(corpus, "lib", m + ".jsonl")  # a corpus may have no lib/
        if not os.path.exists(path):
            continue
        with open(path, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    c = json.loads(line)
                    seen[c["name"]] = seen.get(c["name"], 0) + 1
                    if seen[c["name"]] > 1:
                        c["name"] += "~%d" % seen[c["name"]]
                    cases.append(c)
    return cases


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--nerva", required=True)
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--pass-list")
    ap.add_argument("--update-pass-list", action="store_true")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--batch", type=int, default=16, help="library cases linked into one program")
    ap.add_argument("--shared-runtime", action="store_true",
                    help="compile library cases with --shared-runtime against one runtime object "
                         "(the sanitizer run: the runtime's code is compiled once)")
    ap.add_argument("--runtime", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "runtime"),
                    help="where pfa_driver.c and nerva_model.h are")
    ap.add_argument("--modules", default=",".join(MODULES), help="comma-separated, or 'all'")
    ap.add_argument("--only", help="run only cases whose name contains this text")
    ap.add_argument("--no-examples", action="store_true")
    ap.add_argument("--require-all", action="store_true", help="fail when any case fails (nerva's own e2e cases)")
    ap.add_argument("--round-trip", action="store_true",
                    help="convert each document to PrettyPFA and back before running it (see above)")
    ap.add_argument("--verbose", "-v", action="store_true")
    args = ap.parse_args()
    if not os.path.isdir(args.corpus):
        print("pfa conformance: corpus %s absent: skipped" % args.corpus)
        return 77
    if not args.modules:
        modules = []
    elif args.modules == "all":
        modules = sorted(f[:-6] for f in os.listdir(os.path.join(args.corpus, "lib")) if f.endswith(".jsonl"))
    else:
        modules = args.modules.split(",")
    cases = load_cases(args.corpus, modules)
    examples = [] if args.no_examples else sorted(
        os.path.join(args.corpus, "examples", d) for d in os.listdir(os.path.join(args.corpus, "examples")))
    if args.only:
        cases = [c for c in cases if args.only in c["name"]]
        examples = [e for e in examples if args.only in "examples/" + os.path.basename(e)]
    os.makedirs(args.workdir, exist_ok=True)
    r = Runner(args)
    results = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as ex:
        r.driver_obj()
        if args.shared_runtime:
            r.runtime_obj()
        batches = [cases[i:i + args.batch] for i in range(0, len(cases), max(1, args.batch))]
        futs = [ex.submit(r.lib_batch, b) for b in batches]
        efuts = [ex.submit(r.example, e) for e in examples]
        for f in futs:
            results.extend(f.result())
        for f in efuts:
            results.append(f.result())

    table = {}
    for name, module, ok, tp, tt, why in results:
        row = table.setdefault(module, [0, 0, 0, 0])
        row[0] += ok
        row[1] += 1
        row[2] += tp
        row[3] += tt
        if not ok and args.verbose:
            print("FAIL %s: %s" % (name, why))
    print("%-12s %13s %15s %8s" % ("module", "cases", "trials", "trials%"))
    tot = [0, 0, 0, 0]
    for module in modules + ["examples"]:
        if module not in table:
            continue
        row = table[module]
        for i in range(4):
            tot[i] += row[i]
        pct = 100.0 * row[2] / row[3] if row[3] else 100.0
        print("%-12s %6d / %-5d %7d / %-6d %7.1f" % (module, row[0], row[1], row[2], row[3], pct))
    pct = 100.0 * tot[2] / tot[3] if tot[3] else 100.0
    print("%-12s %6d / %-5d %7d / %-6d %7.1f" % ("total", tot[0], tot[1], tot[2], tot[3], pct))

    passing = {name for name, _, ok, _, _, _ in results if ok}
    rc = 0
    if args.round_trip:
        out = r.rt_outcomes
        same = sum(1 for w in out.values() if not w)
        rejected = sum(1 for w in out.values() if w == "rejected")
        bad = sorted(n for n, w in out.items() if w and w != "rejected")
        print("round trip through PrettyPFA: %d of %d documents come back equivalent; %d compile_error documents "
              "rejected by the conversion (as by check); %d not equivalent" % (same, len(out), rejected, len(bad)))
        for n in bad:
            print("ROUND TRIP %s: %s" % (n, out[n]))
        if bad:
            rc = 1
    if args.require_all:
        for name, _, ok, _, _, why in results:
            if not ok:
                print("FAIL %s: %s" % (name, why))
                rc = 1
    if args.pass_list:
        listed = set()
        if os.path.exists(args.pass_list):
            with open(args.pass_list, encoding="utf-8") as f:
                listed = {x.strip() for x in f if x.strip() and not x.startswith("#")}
        ran = {name for name, *_ in results}
        lost = sorted((listed & ran) - passing)
        for name in lost:
            why = next(w for n, _, _, _, _, w in results if n == name)
            print("REGRESSION %s: %s" % (name, why))
        if lost:
            rc = 1
        if args.update_pass_list:
            with open(args.pass_list, "w", encoding="utf-8") as f:
                f.write("# PFA conformance cases that pass (tests/pfa_conformance.py); this list only grows.\n")
                for name in sorted(listed | passing):
                    f.write(name + "\n")
    return rc


if __name__ == "__main__":
    sys.exit(main())
