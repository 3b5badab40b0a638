#!/usr/bin/env python3
"""Hostile PFA documents: nerva must survive documents written to hurt it.

Why: a PFA document is untrusted input, and nerva turns it into C that users
compile into their programs.  The promises checked here:

1. JSON nested 100,000 deep, and expressions nested deeper than nerva's
   bound, are refused with a clear diagnostic and exit 1, quickly -- never a
   crash or a hang.  Expressions nested as deep as the bound allows compile
   and score correctly.
2. Huge literals (a cell holding 200,000 numbers, a 100 KB string) compile
   to C that builds under -std=c99 -pedantic -Werror (no over-long string
   literal) and score correctly.
3. Recursive named types (a tree of itself, a union with itself) type-check,
   compile and walk a nested input correctly.
4. Strings full of quotes, backslashes, NUL bytes, comment ends "*/",
   trigraphs, printf conversions, newlines and UTF-8 -- in string literals,
   map keys, error messages, log namespaces and docs -- come out byte for byte
   (outputs and $error lines), and reach the generated C only inside string
   literals (escaped) or comments (sanitised): the unit is lexed to check.
5. Names that are not names are refused.
6. A document that loops or recurses without end, with options.timeout,
   stops with "exceeded timeout of N milliseconds" and the stream goes on,
   even when a "try" inside the loop catches the timeout; a bad timeout is
   refused.
7. JSON-lines strings must be Unicode text: invalid UTF-8, overlong forms,
   encoded or escaped lone surrogates are refused for that line (code 0),
   raw NUL is a control character; NUL as the escape \u0000 is a character of
   a string and a byte of bytes; the lines around them score.
8. A recursion of big frames (1,000 live locals a call) within the call limit
   (input 1999 < 2,000 calls) is a PFA error (-1002, the stack bound), not a
   stack overflow: the lines before and after it score.  Given less stack
   than the bound assumes (ulimit -s 2048), the engine crashes, and `nerva
   score` still writes the results before the crash and names its line.
9. The analytic library (hostile_lib.py): every numeric signature of la,
   metric, rand, prob.dist, stat.*, m.*, model.* and the record-taking
   functions, called on NaN, infinities, empty and extreme inputs, give
   errors or values, and NaN in gives NaN out (or an error); an outer
   product too large to hold is "out of memory"; an O(n^3) inverse or
   eigen-decomposition stops at the document's timeout; a histogram asked
   to grow without bound is an error that leaves its cell as it was; a
   decision tree grown in a cell past what a value may nest is an error,
   and the tree kept is still walked.

NERVA_CFLAGS from the environment is used for `nerva score` and added to the
direct compile, so the sanitizer configuration runs these under ASan/UBSan.
"""

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import testlib  # noqa: E402
import hostile_lib  # noqa: E402
from hostile import lex_c  # noqa: E402

STRICT = ["-std=c99", "-pedantic", "-Wall", "-Wextra", "-Werror"]
TIME_LIMIT = 30.0

STRANGE = "q\"uote \\back\\slash */ /* ??= ??/ %s %n \x00nul\ttab\nline caf\u00e9 \u5bf9 \U0001f600 '"
KEY = STRANGE.replace("\x00", "")  # jansson refuses NUL in member names: a clear error, checked below


def deep_json(depth):
    return '{"input": "int", "output": "int", "action": ' + "[" * depth + "1" + "]" * depth + "}"


def nested_plus(depth):
    e = "input"
    for _ in range(depth):
        e = {"+": [e, 1]}
    return json.dumps({"input": "int", "output": "int", "action": e})


def huge_literal(n):
    return json.dumps({
        "input": "int", "output": "double",
        "cells": {"big": {"type": {"type": "array", "items": "double"},
                          "init": [i * 0.5 for i in range(n)]}},
        "action": [
            {"let": {"s": {"string": "x" * 100000}}},
            {"+": [{"a.sum": {"cell": "big"}}, {"s.len": "s"}]}]})


RECURSIVE = json.dumps({
    "input": {"type": "record", "name": "Tree", "fields": [
        {"name": "kids", "type": {"type": "array", "items": "Tree"}},
        {"name": "next", "type": ["null", "Tree"]}]},
    "output": "int",
    "fcns": {"depth": {"params": [{"t": "Tree"}], "ret": "int", "do": [
        {"let": {"d": 0}},
        {"foreach": "k", "in": "t.kids", "do": {"set": {"d": {"max": ["d", {"u.depth": "k"}]}}}},
        {"ifnotnull": {"n": "t.next"}, "then": {"set": {"d": {"max": ["d", {"u.depth": "n"}]}}}},
        {"+": ["d", 1]}]}},
    "action": {"u.depth": "input"}})


def tree_value(depth):
    t = {"kids": [], "next": None}
    for i in range(depth):
        t = {"kids": [t] if i % 2 else [], "next": None if i % 2 else {"Tree": t}}
    return t


# a value nested 100,000 deep, built by a loop at run time
DEEP_VALUE = json.dumps({
    "input": "int", "output": "Chain",
    "cells": {"keep": {"type": {"type": "record", "name": "Chain", "fields": [
        {"name": "next", "type": ["null", "Chain"]}]}, "init": {"next": None}}},
    "action": [
        {"let": {"c": {"cell": "keep"}}},
        {"for": {"i": 0}, "while": {"<": ["i", "input"]}, "step": {"i": {"+": ["i", 1]}},
         "do": {"set": {"c": {"new": {"next": "c"}, "type": "Chain"}}}},
        {"cell": "keep", "to": "c"}]})


def strange_doc():
    return json.dumps({
        "input": "string", "output": {"type": "map", "values": "string"},
        "doc": STRANGE,
        "action": [
            {"doc": STRANGE},
            {"log": [{"string": STRANGE}], "namespace": STRANGE},
            {"if": {"==": ["input", {"string": "fail"}]},
             "then": {"error": STRANGE, "code": -7}},
            {"new": {KEY: {"string": STRANGE}, "plain": "input"},
             "type": {"type": "map", "values": "string"}}]})


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--nerva", required=True)
    args = ap.parse_args()
    nerva = os.path.abspath(args.nerva)
    chk = testlib.Checker("hostile_pfa")
    cflags = os.environ.get("NERVA_CFLAGS", "").split()
    tmp = tempfile.mkdtemp(prefix="nerva-hostile-pfa-")
    try:
        def write(name, text):
            path = os.path.join(tmp, name)
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
            return path

        def timed(argv, stdin_name=None):
            t0 = time.time()
            r = testlib.run([nerva] + argv, cwd=tmp, timeout=300)
            return r, time.time() - t0

        def score(model, inputs):
            write("in.jsonl", "".join(json.dumps(v) + "\n" for v in inputs))
            r, _ = timed(["score", model, "--input", "in.jsonl", "--output", "out.jsonl"])
            if not chk.ok(r.rc == 0, "%s: score failed\n%s" % (model, r.describe())):
                return []
            with open(os.path.join(tmp, "out.jsonl"), encoding="utf-8") as f:
                return [json.loads(x) for x in f if x.strip()]

        def strict_compile(model):
            r, _ = timed(["compile", model, "-o", "unit.c"])
            if not chk.ok(r.rc == 0, "%s: compile failed\n%s" % (model, r.describe())):
                return None
            cc = os.environ.get("CC", "cc")
            p = subprocess.run([cc] + STRICT + ["-O0"] + [f for f in cflags if f.startswith("-f") or f == "-g"] +
                               ["-c", "unit.c", "-o", "unit.o"], cwd=tmp, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
            chk.ok(p.returncode == 0, "%s: the unit does not build strictly:\n%s" %
                   (model, p.stderr.decode("utf-8", "replace")[:2000]))
            with open(os.path.join(tmp, "unit.c"), encoding="utf-8") as f:
                return f.read()

        # 1. nesting
        m = write("deep_json.pfa", deep_json(100000))
        r, t = timed(["check", m])
        chk.ok(r.rc == 1 and "error" in r.err, "deep JSON: expected exit 1\n%s" % r.describe())
        chk.ok(t < TIME_LIMIT, "deep JSON took %.1f s" % t)
        m = write("too_deep.pfa", nested_plus(400))
        r, t = timed(["check", m])
        chk.ok(r.rc == 1 and "nesting deeper than" in r.err, "deep expression: expected a nesting error\n%s"
               % r.describe())
        m = write("deep_ok.pfa", nested_plus(200))
        chk.ok(score("deep_ok.pfa", [0, 5]) == [200, 205], "200 nested additions score wrongly")

        # 2. huge literals
        write("huge.pfa", huge_literal(200000))
        unit = strict_compile("huge.pfa")
        chk.ok(unit is None or len(unit) > 1000000, "the huge literal is not in the unit")
        want = sum(i * 0.5 for i in range(200000)) + 100000
        chk.ok(score("huge.pfa", [1]) == [want], "the huge literal scores wrongly")

        # 3. recursive types
        write("recursive.pfa", RECURSIVE)
        strict_compile("recursive.pfa")
        chk.ok(score("recursive.pfa", [tree_value(0), tree_value(1), tree_value(40)]) == [1, 2, 41],
               "the recursive tree walk scores wrongly")

        # a value too deep to copy or write is an error, not a crash
        write("deep_value.pfa", DEEP_VALUE)
        out = score("deep_value.pfa", [3, 100000])
        chk.ok(len(out) == 2 and out[0] == {"next": {"Chain": {"next": {"Chain": {"next": {"Chain": {"next": None}}}}}}}
               and out[1].get("$error", {}).get("code") == -1004,
               "a deep value: expected an output and a -1004 error, got %r" % str(out)[:300])

        # 4. strange strings
        write("strange.pfa", strange_doc())
        unit = strict_compile("strange.pfa")
        if unit is not None:
            try:
                code, comments, literals = lex_c(unit)
                for body in comments:
                    chk.ok("/*" not in body and all(c == "\n" or 0x20 <= ord(c) < 0x7f for c in body),
                           "strange: unsafe comment text %r" % body[:100])
                chk.ok(all(ord(c) < 0x80 for c in code), "strange: non-ASCII outside literals")
                for bad in ("??", "$", "@", "`"):
                    chk.ok(bad not in code, "strange: %r outside literals and comments" % bad)
                # long literals are split into adjacent pieces: join them
                chk.ok(STRANGE.encode("utf-8") in b"".join(literals),
                       "strange: no literal holds the string exactly")
            except ValueError as e:
                chk.ok(False, "strange: %s" % e)
        out = score("strange.pfa", ["ok", "fail"])
        chk.ok(len(out) == 2, "strange: expected two output lines, got %r" % out)
        if len(out) == 2:
            chk.ok(out[0] == {KEY: STRANGE, "plain": "ok"}, "strange: the map comes out wrong: %r" % out[0])
            chk.ok(out[1] == {"$error": {"code": -7, "message": STRANGE}},
                   "strange: the error line comes out wrong: %r" % out[1])

        write("nul_key.pfa", json.dumps({"input": "int", "output": "int", "action": "input",
                                          "metadata": {"a\x00b": "c"}}))
        r, _ = timed(["check", "nul_key.pfa"])
        chk.ok(r.rc == 1 and "NUL" in r.err, "a NUL in a member name: expected a clear error\n%s" % r.describe())

        # 5. names that are not names are refused
        for doc in ({"input": "int", "output": "int", "action": "input",
                     "fcns": {"a*/b": {"params": [], "ret": "int", "do": 1}}},
                    {"input": "int", "output": "int", "action": "input",
                     "cells": {"x\"y": {"type": "int", "init": 0}}},
                    {"input": {"type": "record", "name": "R*/", "fields": []}, "output": "int", "action": 1}):
            write("bad_name.pfa", json.dumps(doc))
            r, _ = timed(["check", "bad_name.pfa"])
            chk.ok(r.rc == 1 and "not a valid" in r.err, "a bad name was accepted\n%s" % r.describe())

        # 6. timeouts: negative inputs finish, others loop (or recurse) forever
        loop = {"while": {">=": ["input", 0]}, "do": [{"set": {"i": {"+": ["i", 1]}}}]}
        docs = {
            "loop": [{"let": {"i": 0}}, loop, "input"],
            # a try inside the loop catches the timeout; the loop must still stop
            "loop_try": [{"let": {"i": 0}},
                         {"while": {">=": ["input", 0]},
                          "do": [{"let": {"t": {"try": {"do": [{"let": {"j": 0}},
                                                                  {"while": True, "do": [{"set": {"j": 1}}]},
                                                                  1]}}}}]},
                         "input"],
            "recursion": {"if": {"<": ["input", 0]}, "then": "input", "else": {"u.f": ["input", 30]}},
        }
        for name, action in docs.items():
            doc = {"input": "int", "output": "int", "action": action, "options": {"timeout.action": 200}}
            if name == "recursion":
                # exponential, not deep: 2^30 calls
                doc["fcns"] = {"f": {"params": [{"x": "int"}, {"n": "int"}], "ret": "int",
                                     "do": {"if": {"<=": ["n", 0]}, "then": "x",
                                            "else": {"+": [{"u.f": ["x", {"-": ["n", 1]}]},
                                                           {"u.f": ["x", {"-": ["n", 1]}]}]}}}}
            write("timeout.pfa", json.dumps(doc))
            t0 = time.time()
            out = score("timeout.pfa", [-1, 5, -2])
            took = time.time() - t0
            want = [-1, {"$error": {"code": None, "message": "exceeded timeout of 200 milliseconds"}}, -2]
            chk.ok(out == want, "timeout (%s): got %r" % (name, str(out)[:300]))
            chk.ok(took < TIME_LIMIT, "timeout (%s): took %.1f s" % (name, took))
        # a document that sets no timeout, from an untrusted source: the host's
        doc = {"input": "int", "output": "int", "action": docs["loop"]}
        write("no_timeout.pfa", json.dumps(doc))
        write("in.jsonl", "-1\n5\n-2\n")
        t0 = time.time()
        r, _ = timed(["score", "no_timeout.pfa", "--input", "in.jsonl", "--output", "out.jsonl", "--timeout", "150"])
        took = time.time() - t0
        out = [json.loads(x) for x in open(os.path.join(tmp, "out.jsonl"), encoding="utf-8") if x.strip()] \
            if r.rc == 0 else []
        chk.ok(out == [-1, {"$error": {"code": None, "message": "exceeded timeout of 150 milliseconds"}}, -2],
               "score --timeout: got %r\n%s" % (str(out)[:300], r.describe()))
        chk.ok(took < TIME_LIMIT, "score --timeout took %.1f s" % took)
        write("bad_timeout.pfa", json.dumps({"input": "int", "output": "int", "action": "input",
                                             "options": {"timeout": "soon"}}))
        r, _ = timed(["check", "bad_timeout.pfa"])
        chk.ok(r.rc == 1 and "timeout" in r.err and "integer" in r.err,
               "a timeout that is not a number: expected a clear error\n%s" % r.describe())
        # 7. text that is not UTF-8, line by line (bytes, not json.dumps)
        write("echo.pfa", json.dumps({"input": "string", "output": "string", "action": "input"}))
        write("echob.pfa", json.dumps({"input": "bytes", "output": "bytes", "action": "input"}))
        bad = "input: invalid UTF-8 in a string"
        lone = "input: unpaired surrogate in a \\u escape"
        lines = [(b'"ok"', "ok", None),
                 (b'"a\xffb"', None, bad),
                 (b'"\xc0\xaf"', None, bad),              # an overlong '/'
                 (b'"\xe0\x80\xaf"', None, bad),          # another
                 (b'"\xed\xa0\x80"', None, bad),          # U+D800 encoded
                 (b'"\xf4\x90\x80\x80"', None, bad),      # past U+10FFFF
                 (b'"\\ud800"', None, lone),
                 (b'"\\udc00x"', None, lone),
                 (b'"\\ud800\\u0041"', None, lone),
                 (b'"x\x00y"', None, "input: control character in a string"),
                 (b'"\\u0000"', "\x00", None),
                 (b'"caf\xc3\xa9 \xf0\x9f\x98\x80 \\ud83d\\ude00"', "caf\u00e9 \U0001f600 \U0001f600", None)]
        with open(os.path.join(tmp, "utf8.jsonl"), "wb") as f:
            f.write(b"".join(line + b"\n" for line, _, _ in lines))
        for model in ("echo.pfa", "echob.pfa"):
            r, _ = timed(["score", model, "--input", "utf8.jsonl", "--output", "utf8.out"])
            raw = open(os.path.join(tmp, "utf8.out"), "rb").read() if r.rc == 0 else b""
            try:
                got = [json.loads(x) for x in raw.decode("utf-8").split("\n") if x.strip()]
            except ValueError as ex:
                got = ["not JSON: %s: %r" % (ex, raw[:300])]
            want = []
            for _, value, err in lines:
                if err is None and model == "echob.pfa" and any(ord(ch) > 255 for ch in value):
                    err = "input: the value does not match the type"  # bytes are code points 0-255
                want.append(value if err is None else {"$error": {"code": 0, "message": err}})
            chk.ok(r.rc == 0 and got == want, "UTF-8 (%s): got %r, want %r\n%s" % (model, got, want, r.describe()))
        # 8. deep recursion of big frames
        write("deep.pfa", deep_frames(1000))
        write("deep.jsonl", "".join("%d\n" % i for i in range(100)) + "1999\n5\n")
        r, took = timed(["score", "deep.pfa", "--input", "deep.jsonl", "--output", "deep.out"])
        out = [json.loads(x) for x in open(os.path.join(tmp, "deep.out")) if x.strip()] if r.rc == 0 else []
        want = [deep_value(i, 1000) for i in range(100)] + [
            {"$error": {"code": -1002, "message": "nested function calls need more than 4 MiB of stack"}},
            deep_value(5, 1000)]
        chk.ok(out == want, "deep frames: got %r...\n%s" % (str(out[-3:])[:300], r.describe()))

        def small_stack():
            resource.setrlimit(resource.RLIMIT_STACK, (2 << 20, resource.getrlimit(resource.RLIMIT_STACK)[1]))
        p = subprocess.run([nerva, "score", "deep.pfa", "--input", "deep.jsonl", "--output", "deep.out"],
                           cwd=tmp, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300,
                           preexec_fn=small_stack)
        err = p.stderr.decode("utf-8", "replace")
        out = [json.loads(x) for x in open(os.path.join(tmp, "deep.out")) if x.strip()]
        chk.ok(p.returncode != 0 and out == want[:100] and "crashed (signal 11) on input line 101" in err,
               "a crash in a 2 MiB stack: exit %d, %d results (want the 100 before it), %r"
               % (p.returncode, len(out), err[-500:]))

        # 9. the analytic library
        doc, names = hostile_lib.nan_probe(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        write("probe.pfa", doc)
        out = score("probe.pfa", hostile_lib.PROBE_INPUTS)
        chk.ok(len(out) == len(hostile_lib.PROBE_INPUTS) and all("$error" not in r for r in out),
               "the NaN probe: expected %d records, got %r" % (len(hostile_lib.PROBE_INPUTS), str(out)[:300]))
        if out:
            bad = hostile_lib.nan_violations(names, out[0])
            chk.ok(not bad, "the NaN probe: NaN in, a number out:\n  " + "\n  ".join(bad))
            first = {}
            for i, (name, _) in enumerate(names):
                first.setdefault(name, out[0].get("f%d" % i))
            chk.ok(first["stat.sample.update"] == {"S1": {"count": 1.0, "mean": "NaN", "variance": "NaN"}},
                   "the NaN probe: stat.sample.update gives %r" % first["stat.sample.update"])
            chk.ok((first["stat.sample.fillHistogram"] or {}).get("H1", {}).get("nanflow") == 1.0,
                   "the NaN probe: a NaN is not counted as nanflow: %r" % first["stat.sample.fillHistogram"])
            chk.ok(first["la.dot"] is None and first["la.eigenBasis"] is None,
                   "the NaN probe: la.dot and la.eigenBasis of NaN must be errors (24052, 24113)")
        write("outer.pfa", hostile_lib.outer_product())
        out = score("outer.pfa", hostile_lib.outer_inputs([3, 20000, 2]))
        chk.ok(out == [3, {"$error": {"code": -1000, "message": "out of memory"}}, 2],
               "an outer product of 20000 x 20000: got %r" % str(out)[:300])
        for fn in ("la.inverse", "la.eigenBasis"):
            write("algebra.pfa", hostile_lib.long_algebra(fn, 300))
            t0 = time.time()
            out = score("algebra.pfa", [3, 1500, 2])
            took = time.time() - t0
            chk.ok(out == [3, {"$error": {"code": None, "message": "exceeded timeout of 300 milliseconds"}}, 2],
                   "%s of 1500 x 1500 with a timeout: got %r" % (fn, str(out)[:300]))
            chk.ok(took < TIME_LIMIT, "%s of 1500 x 1500 with a timeout took %.1f s" % (fn, took))
        write("histogram.pfa", hostile_lib.growing_histogram())
        out = score("histogram.pfa", [2.5, "NaN", 1e300, 5.0])
        chk.ok(out == [3, 4, {"$error": {"code": -1000, "message": "out of memory"}}, 7],
               "a histogram grown to 1e300: got %r" % str(out)[:300])
        write("deep_tree.pfa", hostile_lib.deep_tree_cell())
        out = score("deep_tree.pfa", [3, 4000, 2000, 0])
        chk.ok(out == ["bottom", "bottom", {"$error": {"code": -1004, "message": "value nested too deeply"}}, "bottom"],
               "a tree grown deep in a cell: got %r" % str(out)[:300])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    chk.finish()


def deep_frames(nlocals):
    """f(n) = f(n-1) + the sum of nlocals locals, all live across the call:
    each is n times its own element of an array cell, which the call could
    change, so the C compiler must keep them rather than compute them again"""
    lets = {"a%d" % i: {"*": ["n", {"attr": {"cell": "w"}, "path": [i]}]} for i in range(nlocals)}
    arr = {"new": ["a%d" % i for i in range(nlocals)], "type": {"type": "array", "items": "double"}}
    return json.dumps({
        "input": "int", "output": "double",
        "cells": {"w": {"type": {"type": "array", "items": "double"}, "init": [i + 0.5 for i in range(nlocals)]}},
        "fcns": {"f": {"params": [{"n": "int"}], "ret": "double", "do": [
            {"let": lets},
            {"if": {"<=": ["n", 0]}, "then": [0.0],
             "else": [{"+": [{"u.f": [{"-": ["n", 1]}]}, {"a.sum": arr}]}]}]}},
        "action": {"u.f": ["input"]}})


def deep_value(n, nlocals):
    """what deep_frames gives for n, computed as the engine adds"""
    total = 0.0
    for k in range(1, n + 1):
        s = 0.0
        for i in range(nlocals):
            s += k * (i + 0.5)
        total = total + s
    return total


if __name__ == "__main__":
    main()
