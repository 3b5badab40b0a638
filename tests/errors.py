#!/usr/bin/env python3
"""Error-reporting test: bad models and bad command lines.

Why: a user's first contact with nerva is often a model it cannot compile.
The promise is a diagnostic of the form FILE:LINE: error: ... pointing at the
offending element, exit code 1 for a bad model and 2 for a bad command line,
and never a crash or a half-written output file.

Models: for every tests/errors/NAME.pmml or NAME.pfa, tests/errors/NAME.expect
holds the lines that must each occur in stderr of `nerva check NAME.pmml` (run
inside tests/errors, so the file is named as given), which must exit with
exactly 1: one line per error, all of a document's errors, each FILE:LINE:COL:
for PMML (the column of the element, or of the attribute value at fault).
PFA diagnostics name the JSON path of the offending value after the line
(NAME.pfa:LINE: /action/1/then: error: ...), and the .expect asserts both.
PrettyPFA diagnostics (NAME.ppfa) name the line and column and show the line
with a caret under the offending token: their .expect holds those three
lines, which must occur together.
NAME.args, when present, holds more options for nerva, one a line (-Werror,
--diagnostics-format=json).  `nerva compile` must fail the same way and leave
no output behind.  Command lines: the USAGE table below.
"""

import argparse
import os
import re
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import testlib  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))

# (arguments after `nerva`, expected exit code, substring of stderr or stdout)
USAGE = [
    (["--frobnicate", "check", "m.pmml"], 2, "'--frobnicate' before the command"),
    (["check", "m.pmml", "-x"], 2, "unknown option '-x'"),
    (["check", "m.pmml", "--frobnicate"], 2, "unknown option '--frobnicate'"),
    (["frobnicate", "m.pmml"], 2, "unknown command 'frobnicate'"),
    ([], 2, "no command given"),
    (["check"], 2, "no model file given"),
    (["compile", "m.pmml", "-o"], 2, "option '-o' needs a value"),
    (["compile", "m.pmml", "--tree-table-threshold", "many"], 2, "'many' is not a number"),
    (["compile", "m.pmml", "--tree-table-threshold=many"], 2, "'many' is not a number"),
    (["compile", "a.pmml", "b.pmml"], 2, "one model at a time"),
    (["compile", "--json", "m.pmml"], 2, "option '--json' does not apply to 'nerva compile'"),
    (["score", "m.pmml", "--dump-ir"], 2, "option '--dump-ir' does not apply to 'nerva score'"),
    (["score", "m.pmml", "--on-error", "maybe"], 2, "not fail, skip or missing"),
    (["score", "m.pmml", "--separator", "ab"], 2, "is not one character"),
    (["check", "-Werror", "-w", "m.pmml"], 2, "contradict"),
    (["check", "-Wfoo", "m.pmml"], 2, "unknown option '-Wfoo'"),
    (["cache", "frob"], 2, "nerva cache clean|size|path"),
    (["bench", "m.pmml"], 2, "bench needs --input FILE"),
    # --opt=value and -- work: this reaches the file (and finds none)
    (["compile", "--prefix=m", "--", "does-not-exist.pmml"], 1, "does-not-exist.pmml: error: cannot read the file"),
    (["check", "does-not-exist.pmml"], 1, "does-not-exist.pmml: error: cannot read the file"),
    (["convert", "m.ppfa", "--to", "xml"], 2, "--to takes pfa (JSON) or ppfa (PrettyPFA), not xml"),
    (["convert"], 2, "no model file given"),
    (["--help"], 0, "usage: nerva COMMAND"),
    (["score", "--help"], 0, "--missing-values LIST"),
    (["--version"], 0, "libxml2 "),
    (["-V"], 0, "jansson "),
]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--nerva", required=True)
    ap.add_argument("--dir", default=os.path.join(HERE, "errors"))
    args = ap.parse_args()
    nerva = os.path.abspath(args.nerva)
    edir = os.path.abspath(args.dir)
    chk = testlib.Checker("errors")

    models = sorted(f for f in os.listdir(edir) if f.endswith((".pmml", ".pfa", ".ppfa")))
    chk.ok(len(models) >= 8, "expected at least 8 error models, found %d" % len(models))
    tmp = tempfile.mkdtemp(prefix="nerva-errors-")
    try:
        for model in models:
            name, ext = os.path.splitext(model)
            exp_path = os.path.join(edir, name + ".expect")
            if not chk.ok(os.path.exists(exp_path), "%s has no %s.expect" % (model, name)):
                continue
            with open(exp_path, encoding="utf-8") as f:
                text = f.read()
            wants = [w for w in text.split("\n") if w]
            if ext == ".ppfa":
                # the diagnostic, the source line and the caret, together
                chk.ok(len(wants) == 3 and re.match(re.escape(model) + r":\d+:\d+: error: ", wants[0]) and
                       wants[2].strip() == "^",
                       "%s.expect must be the diagnostic at LINE:COLUMN, the source line and the caret" % name)
                wants = [text.rstrip("\n")]
            extra = []
            if os.path.exists(os.path.join(edir, name + ".args")):
                with open(os.path.join(edir, name + ".args"), encoding="utf-8") as f:
                    extra = [a for a in f.read().split("\n") if a]
            for want in wants if ext != ".ppfa" else []:
                if want.startswith("{"):
                    chk.ok('"file": "%s", "line": ' % model in want, "%s.expect: a JSON diagnostic names the "
                           "file and line" % name)
                elif ext == ".pfa":
                    chk.ok(re.match(r"[^:]+:\d+(:\d+)?: (/\S* )?error: ", want) is not None,
                           "%s.expect must name the line (and the JSON path)" % name)
                else:
                    chk.ok(re.match(re.escape(model) + r":\d+:\d+: (error|note): ", want) is not None,
                           "%s.expect lines must start with '%s:LINE:COL: error:'" % (name, model))
            chk.ok(wants, "%s.expect is empty" % name)
            r = testlib.run([nerva, "check"] + extra + [model], cwd=edir, timeout=60)
            chk.ok(r.rc == 1, "%s: expected exit 1\n%s" % (name, r.describe()))
            for want in wants:
                chk.ok(want in r.err, "%s: stderr lacks %r\n%s" % (name, want, r.describe()))
            chk.ok(r.out == "", "%s: check printed to stdout: %r" % (name, r.out[:200]))
            out_c = os.path.join(tmp, name + ".c")
            r = testlib.run([nerva, "compile"] + extra + [model, "-o", out_c], cwd=edir, timeout=60)
            chk.ok(r.rc == 1 and all(w in r.err for w in wants), "%s: compile did not fail the same way\n%s"
                   % (name, r.describe()))
            chk.ok(not os.path.exists(out_c) and not os.path.exists(out_c[:-2] + ".h"),
                   "%s: a failed compile left output files behind" % name)
        # every .expect belongs to a model
        for f in sorted(os.listdir(edir)):
            if f.endswith(".expect"):
                chk.ok(any(f[:-7] + x in models for x in (".pmml", ".pfa", ".ppfa")), "%s has no model" % f)
            if f.endswith(".args"):
                chk.ok(any(f[:-5] + x in models for x in (".pmml", ".pfa", ".ppfa")), "%s has no model" % f)

        for argv, code, text in USAGE:
            r = testlib.run([nerva] + argv, cwd=tmp, timeout=60)
            chk.ok(r.rc == code, "nerva %s: expected exit %d\n%s" % (" ".join(argv), code, r.describe()))
            chk.ok(text in r.err or text in r.out, "nerva %s: output lacks %r\n%s"
                   % (" ".join(argv), text, r.describe()))
            if code == 2:
                chk.ok(re.search(r"try 'nerva (\w+ )?--help'", r.err) is not None,
                       "nerva %s: no hint to --help" % " ".join(argv))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    chk.finish()


if __name__ == "__main__":
    main()
