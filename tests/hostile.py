#!/usr/bin/env python3
"""Hostile-model test: nerva must survive model files written to hurt it.

Why: PMML files come from anywhere, and nerva turns them into C that users
compile and link into their programs.  Two promises are checked here:

1. Documents that attack the XML layer -- malformed XML, an external entity
   (XXE), a "billion laughs" entity bomb, 10,000-deep nesting -- are refused
   with a clear diagnostic FILE:LINE: error: ..., exit code exactly 1 (a
   crash shows up as a signal, a hang as a timeout), quickly, and without
   leaking a byte of the entity's target into the output.

2. A legal model whose names, category values, node ids and string constants
   are full of quotes, backslashes, newlines, comment delimiters, trigraphs,
   printf conversions and non-ASCII UTF-8 (tests/hostile/strange_names.*)
   compiles to C that builds warning-free under
   `cc -std=c99 -pedantic -Wall -Wextra -Werror`, scores exactly the
   hand-derived expected CSV, and -- checked by lexing the generated unit --
   none of that text reached the C outside string literals (escaped) or
   comments (sanitised).

NERVA_CFLAGS from the environment (meson sets it; see tests/meson.build) is
used for `nerva score` and added to the direct compile, so the sanitizer
configuration also runs the generated code under ASan/UBSan.
"""

import argparse
import csv
import io
import os
import re
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import testlib  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
STRICT = ["-std=c99", "-pedantic", "-Wall", "-Wextra", "-Werror"]
TIME_LIMIT = 20.0  # seconds per nerva run on a hostile file (generous for ASan builds)


def deep_model(depth):
    """A TreeModel whose Nodes nest `depth` deep, all on line 10."""
    head = ("<?xml version=\"1.0\"?>\n"
            "<PMML version=\"4.4\" xmlns=\"http://www.dmg.org/PMML-4_4\">\n"
            "  <DataDictionary numberOfFields=\"2\">\n"
            "    <DataField name=\"x\" optype=\"continuous\" dataType=\"double\"/>\n"
            "    <DataField name=\"y\" optype=\"continuous\" dataType=\"double\"/>\n"
            "  </DataDictionary>\n"
            "  <TreeModel functionName=\"regression\">\n"
            "    <MiningSchema><MiningField name=\"x\"/>"
            "<MiningField name=\"y\" usageType=\"target\"/></MiningSchema>\n"
            "    <Node score=\"0\"><True/>\n")
    body = "".join("<Node score=\"%d\"><SimplePredicate field=\"x\" operator=\"greaterThan\" "
                   "value=\"%d\"/>" % (i + 1, i) for i in range(depth))
    tail = "</Node>" * depth + "\n    </Node>\n  </TreeModel>\n</PMML>\n"
    return head + body + tail


# ---------------------------------------------------------------- C lexing

def knn_model(path, rows, seed=7):
    """A k-NN regression over `rows` training instances of two inputs; the
    instance i has a = i / rows, b = (i * 7919 % rows) / rows, y = i."""
    with open(path, "w") as f:
        f.write("<?xml version=\"1.0\"?>\n<PMML xmlns=\"http://www.dmg.org/PMML-4_4\" version=\"4.4\"><Header/>\n"
                "<DataDictionary><DataField name=\"a\" optype=\"continuous\" dataType=\"double\"/>"
                "<DataField name=\"b\" optype=\"continuous\" dataType=\"double\"/>"
                "<DataField name=\"y\" optype=\"continuous\" dataType=\"double\"/></DataDictionary>\n"
                "<NearestNeighborModel functionName=\"regression\" numberOfNeighbors=\"1\">\n"
                "<MiningSchema><MiningField name=\"a\"/><MiningField name=\"b\"/>"
                "<MiningField name=\"y\" usageType=\"target\"/></MiningSchema>\n"
                "<TrainingInstances><InstanceFields><InstanceField field=\"a\"/><InstanceField field=\"b\"/>"
                "<InstanceField field=\"y\"/></InstanceFields><InlineTable>\n")
        for i in range(rows):
            f.write("<row><a>%r</a><b>%r</b><y>%d</y></row>\n" % (i / rows, (i * 7919 % rows) / rows, i))
        f.write("</InlineTable></TrainingInstances>\n"
                "<ComparisonMeasure kind=\"distance\"><squaredEuclidean/></ComparisonMeasure>\n"
                "<KNNInputs><KNNInput field=\"a\"/><KNNInput field=\"b\"/></KNNInputs>\n"
                "</NearestNeighborModel></PMML>\n")


def lex_c(text):
    """Splits C source into (code, comments, literals); raises ValueError on a
    lexical problem that model text could have caused."""
    code, comments, literals = [], [], []
    i, n = 0, len(text)
    while i < n:
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            if j < 0:
                raise ValueError("unterminated comment at offset %d" % i)
            comments.append(text[i + 2:j])
            code.append(" ")
            i = j + 2
        elif text.startswith("//", i):
            raise ValueError("a // comment at offset %d" % i)
        elif text[i] in "\"'":
            q, j, buf = text[i], i + 1, []
            while True:
                if j >= n or text[j] == "\n":
                    raise ValueError("raw newline or end of file inside a literal at offset %d" % i)
                c = text[j]
                if c == q:
                    break
                if c == "\\":
                    buf.append(text[j:j + 2])
                    if text[j + 1] in "01234567":
                        k = j + 2
                        while k < j + 4 and k < n and text[k] in "01234567":
                            buf[-1] += text[k]
                            k += 1
                        j = k
                    else:
                        j += 2
                    continue
                buf.append(c)
                j += 1
            if q == '"':
                literals.append(decode_literal("".join(buf)))
            code.append('""')
            i = j + 1
        else:
            code.append(text[i])
            i += 1
    return "".join(code), comments, literals


def decode_literal(body):
    """bytes a C string literal's body stands for"""
    out = bytearray()
    i = 0
    simple = {"n": 10, "t": 9, "r": 13, "\\": 92, '"': 34, "'": 39, "?": 63}
    while i < len(body):
        c = body[i]
        if c != "\\":
            if ord(c) < 0x20 or ord(c) > 0x7e:
                raise ValueError("raw character %r inside a literal" % c)
            if body.startswith("??", i):
                raise ValueError("trigraph start '??' inside a literal")
            out.append(ord(c))
            i += 1
            continue
        e = body[i + 1]
        if e in simple:
            out.append(simple[e])
            i += 2
        elif e in "01234567":
            m = re.match(r"[0-7]{1,3}", body[i + 1:])
            out.append(int(m.group(0), 8))
            i += 1 + len(m.group(0))
        elif e == "x":
            m = re.match(r"[0-9a-fA-F]+", body[i + 2:])
            out.append(int(m.group(0), 16))
            i += 2 + len(m.group(0))
        else:
            raise ValueError("unknown escape \\%s" % e)
    return bytes(out)


def check_generated(chk, label, text, must_have):
    """The lexical promises for one generated file."""
    try:
        code, comments, literals = lex_c(text)
    except ValueError as e:
        chk.ok(False, "%s: %s" % (label, e))
        return
    chk.ok(True, "")
    for body in comments:
        chk.ok("/*" not in body, "%s: '/*' inside a comment: %r" % (label, body[:120]))
        chk.ok(all(c == "\n" or 0x20 <= ord(c) < 0x7f for c in body),
               "%s: control or non-ASCII character in a comment: %r" % (label, body[:120]))
        chk.ok("??/\n" not in body, "%s: '??/' line splice in a comment" % label)
    chk.ok(all(ord(c) < 0x80 for c in code), "%s: non-ASCII text in code" % label)
    for bad in ("\\", "%", "??", "$", "@", "`"):
        chk.ok(bad not in code, "%s: %r outside literals and comments" % (label, bad))
    for ln in code.split("\n"):
        if "#" in ln:
            # the directives nerva writes; the only pragmas turn gcc's and
            # clang's overlength-strings warning off and on around byte tables
            chk.ok(re.match(r"\s*#\s*(include|ifndef|define|endif|if|else)\b", ln) is not None or
                   re.fullmatch(r'#pragma GCC diagnostic (push|pop|ignored "")', ln) is not None,
                   "%s: '#' outside a directive: %r" % (label, ln[:120]))
    lits = set(literals)
    for s in must_have:
        chk.ok(s.encode("utf-8") in lits,
               "%s: no string literal decodes to %r exactly" % (label, s))
    # the raw text of a strange string with a newline or UTF-8 is nowhere (a
    # quote may stand in a comment, where it is harmless; an unescaped quote
    # in a literal would have ended it and left text in `code`, checked above)
    raw = text.encode("utf-8")
    for s in must_have:
        if "\n" in s or any(ord(c) > 0x7f for c in s):
            chk.ok(s.encode("utf-8") not in raw, "%s: raw text of %r in the unit" % (label, s))


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--nerva", required=True)
    ap.add_argument("--dir", default=os.path.join(HERE, "hostile"))
    args = ap.parse_args()
    nerva = os.path.abspath(args.nerva)
    hdir = os.path.abspath(args.dir)
    cflags = os.environ.get("NERVA_CFLAGS", "-O1 " + " ".join(STRICT))
    env = {"NERVA_CFLAGS": cflags}
    chk = testlib.Checker("hostile")
    tmp = tempfile.mkdtemp(prefix="nerva-hostile-")
    env.setdefault("NERVA_CACHE_DIR", os.environ.get("NERVA_CACHE_DIR") or os.path.join(tmp, "cache"))
    try:
        # ---- 1. attacks on the XML layer
        with open(os.path.join(tmp, "deep.pmml"), "w") as f:
            f.write(deep_model(10000))
        with open(os.path.join(tmp, "deep.expect"), "w") as f:
            f.write("deep.pmml:10:20213: error: nesting deeper than")  # the 257th <Node>
        with open(os.path.join(tmp, "in.csv"), "w") as f:
            f.write("a,x\n1,2\n")
        cases = [(hdir, f[:-7]) for f in sorted(os.listdir(hdir)) if f.endswith(".expect")]
        cases.append((tmp, "deep"))
        chk.ok(len(cases) >= 4, "expected at least 4 hostile documents, found %d" % len(cases))
        for d, name in cases:
            with open(os.path.join(d, name + ".expect"), encoding="utf-8") as f:
                want = f.read().strip("\n")
            out_c = os.path.join(tmp, name + ".c")
            for cmd in (["check", name + ".pmml"],
                        ["compile", name + ".pmml", "-o", out_c],
                        ["score", name + ".pmml", "--input", os.path.join(tmp, "in.csv")]):
                t0 = time.monotonic()
                r = testlib.run([nerva] + cmd, cwd=d, env=env, timeout=120)
                secs = time.monotonic() - t0
                what = "%s (nerva %s)" % (name, cmd[0])
                chk.ok(r.rc == 1, "%s: expected exit 1 exactly\n%s" % (what, r.describe()))
                chk.ok(want in r.err, "%s: stderr lacks %r\n%s" % (what, want, r.describe()))
                chk.ok(secs < TIME_LIMIT, "%s: took %.1f s" % (what, secs))
                chk.ok("root:" not in r.out + r.err, "%s: /etc/passwd leaked" % what)
                chk.ok(len(r.err) < 4000, "%s: %d bytes of diagnostics" % (what, len(r.err)))
            chk.ok(not os.path.exists(out_c), "%s: compile left %s behind" % (name, out_c))

        # deep but within the limits: a 200-deep tree is a legal model
        with open(os.path.join(tmp, "deep_ok.pmml"), "w") as f:
            f.write(deep_model(200))
        r = testlib.run([nerva, "compile", "deep_ok.pmml", "-o", os.path.join(tmp, "deep_ok.c")],
                        cwd=tmp, env=env, timeout=120)
        chk.ok(r.rc == 0, "deep_ok: a 200-deep tree must compile\n%s" % r.describe())

        # ---- 2. strange names
        sys.path.insert(0, hdir)
        import make_strange_names as sn  # the strings, spelled once
        out_c = os.path.join(tmp, "strange_names.c")
        r = testlib.run([nerva, "compile", "strange_names.pmml", "-o", out_c], cwd=hdir, env=env)
        if chk.ok(r.rc == 0, "strange_names: compile failed\n%s" % r.describe()):
            cc = os.environ.get("CC") or "cc"
            extra = [f for f in cflags.split() if f.startswith("-fsanitize") or f.startswith("-fno-sanitize")]
            r = testlib.run([cc] + STRICT + extra + ["-I", tmp, "-c", out_c,
                                                     "-o", os.path.join(tmp, "strange_names.o")])
            chk.ok(r.rc == 0, "strange_names.c does not build warning-free\n%s" % r.describe())
            with open(out_c, encoding="utf-8") as f:
                ctext = f.read()
            with open(os.path.join(tmp, "strange_names.h"), encoding="utf-8") as f:
                htext = f.read()
            names = [sn.N, sn.S, sn.T, sn.P, sn.PR1, sn.PR2, sn.PR3, sn.ID, sn.K]
            # not the root's id: no walk ends at an inner node of a tree that
            # returns null when no child holds, and the unit keeps only what a
            # walk can select (its other strings test the same escapes)
            values = [sn.V1, sn.V2, sn.V3, sn.C1, sn.C2, sn.C3, sn.K1, sn.K2, sn.M] + sn.IDS[1:]
            check_generated(chk, "strange_names.c", ctext, names + values)
            check_generated(chk, "strange_names.h", htext, [])
            for s in names + values:   # the header has them only in sanitised comments
                if "\n" in s or any(ord(c) > 0x7f for c in s):
                    chk.ok(s not in htext, "strange_names.h: raw %r" % s)

        out_csv = os.path.join(tmp, "strange_names.out.csv")
        r = testlib.run([nerva, "score", "strange_names.pmml", "--input",
                         "strange_names.input.csv", "--output", out_csv],
                        cwd=hdir, env=env, timeout=300)
        if chk.ok(r.rc == 0, "strange_names: score failed\n%s" % r.describe()):
            with open(out_csv, encoding="utf-8", newline="") as f:
                got = list(csv.reader(f))
            with open(os.path.join(hdir, "strange_names.expected.csv"), encoding="utf-8",
                      newline="") as f:
                want = list(csv.reader(f))
            chk.ok(got[:1] == want[:1], "strange_names: header\n  got  %r\n  want %r"
                   % (got[:1], want[:1]))
            chk.ok(len(got) == len(want), "strange_names: %d rows, want %d" % (len(got), len(want)))
            for i, (g, w) in enumerate(zip(got[1:], want[1:]), 1):
                chk.ok(g == w, "strange_names row %d\n  got  %r\n  want %r" % (i, g, w))
            # and the exact bytes of the output follow RFC 4180 as Python writes it
            buf = io.StringIO()
            csv.writer(buf, lineterminator="\n").writerows(got)
            with open(out_csv, encoding="utf-8", newline="") as f:
                raw = f.read().replace("\r\n", "\n")
            chk.ok(raw == buf.getvalue(), "strange_names: output CSV quoting is not minimal RFC 4180")

        # ---- 3. a k-NN model of 1,000,000 training instances: its rows are a
        # table of data the kernel walks (not code), within a bound on the
        # table's size that --limit table-cells moves
        big = os.path.join(tmp, "knn1m.pmml")
        knn_model(big, 1000000)
        t0 = time.monotonic()
        r = testlib.run([nerva, "check", "knn1m.pmml", "--limit", "table-cells=100000"], cwd=tmp, env=env,
                        timeout=300)
        secs = time.monotonic() - t0
        chk.ok(r.rc == 1 and "table-cells" in r.err and "knn1m.pmml:" in r.err,
               "knn1m: a table past table-cells must be an error naming the limit\n%s" % r.describe())
        chk.ok(secs < 120, "knn1m: the refusal took %.1f s" % secs)
        t0 = time.monotonic()
        out_c = os.path.join(tmp, "knn1m.c")
        r = testlib.run([nerva, "compile", "knn1m.pmml", "-o", out_c], cwd=tmp, env=env, timeout=600)
        secs = time.monotonic() - t0
        if chk.ok(r.rc == 0, "knn1m: compile failed\n%s" % r.describe()):
            chk.ok(secs < 240, "knn1m: nerva compile took %.1f s" % secs)
            with open(out_c, encoding="utf-8") as f:
                text = f.read()
            body = text[text.index("_score(const"):]
            body = body[:body.index("\n}\n")]
            chk.ok(body.count("\n") < 200 and "nv_nearest(" in body,
                   "knn1m: the score function is %d lines (the rows belong in a table)" % body.count("\n"))
            chk.ok(text.count("\n") < 800000, "knn1m: %d lines of C for 2,000,000 numbers" % text.count("\n"))
        # a smaller one scored: a query equal to an instance finds it
        knn_model(os.path.join(tmp, "knn20k.pmml"), 20000)
        with open(os.path.join(tmp, "knn20k.csv"), "w") as f:
            f.write("a,b\n%r,%r\n%r,%r\n" % (123 / 20000, (123 * 7919 % 20000) / 20000,
                                              19999 / 20000, (19999 * 7919 % 20000) / 20000))
        r = testlib.run([nerva, "score", "knn20k.pmml", "--input", "knn20k.csv"], cwd=tmp, env=env, timeout=600)
        chk.ok(r.rc == 0 and r.out.split() == ["y", "123", "19999"],
               "knn20k: the nearest instance of a query equal to one\n%s" % r.describe())
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    chk.finish()


if __name__ == "__main__":
    main()
