#!/usr/bin/env python3
"""Error-reporting test: bad models and bad command lines.

Why: a user's first contact with nerva is often a model it cannot compile.
The promise is a diagnostic of the form FILE:LINE: error: ... pointing at the
offending element, exit code 1 for a bad model and 2 for a bad command line,
and never a crash or a half-written output file.

Models: for every tests/errors/NAME.pmml or NAME.pfa, tests/errors/NAME.expect
holds one line that must occur in stderr of `nerva check NAME.pmml` (run inside
tests/errors, so the file is named as given), which must exit with exactly 1.
PFA diagnostics name the JSON path of the offending value after the line
(NAME.pfa:LINE: /action/1/then: error: ...), and the .expect asserts both.
PrettyPFA diagnostics (NAME.ppfa) name the line and column and show the line
with a caret under the offending token: their .expect holds those three
lines, which must occur together.
`nerva compile` must fail the same way and leave no output behind.
Command lines: the USAGE table below.
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
    (["--frobnicate", "check", "m.pmml"], 2, "unknown option --frobnicate"),
    (["check", "m.pmml", "-x"], 2, "unknown option -x"),
    (["frobnicate", "m.pmml"], 2, "unknown command frobnicate"),
    ([], 2, "no command given"),
    (["check"], 2, "no model file given"),
    (["compile", "m.pmml", "-o"], 2, "missing value for -o"),
    (["compile", "m.pmml", "--tree-table-threshold", "many"], 2, "bad --tree-table-threshold"),
    (["check", "a.pmml", "b.pmml"], 2, "unexpected argument b.pmml"),
    (["check", "does-not-exist.pmml"], 1, "does-not-exist.pmml: error: cannot read the file"),
    (["convert", "m.ppfa", "--to", "xml"], 2, "--to takes pfa (JSON) or ppfa (PrettyPFA), not xml"),
    (["convert"], 2, "no model file given"),
    (["--help"], 0, "usage: nerva COMMAND"),
    (["--version"], 0, "nerva "),
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
                want = f.read().rstrip("\n")
            if ext == ".ppfa":
                lines = want.split("\n")
                chk.ok(len(lines) == 3 and re.match(re.escape(model) + r":\d+:\d+: error: ", lines[0]) and
                       lines[2].strip() == "^",
                       "%s.expect must be the diagnostic at LINE:COLUMN, the source line and the caret" % name)
            else:
                chk.ok("\n" not in want and want.startswith(model + ":"),
                       "%s.expect must be one line starting with '%s:LINE:'" % (name, model))
            if ext == ".pfa":
                chk.ok(re.match(r"[^:]+:\d+(:\d+)?: (/\S* )?error: ", want) is not None,
                       "%s.expect must name the line (and the JSON path)" % name)
            r = testlib.run([nerva, "check", model], cwd=edir, timeout=60)
            chk.ok(r.rc == 1, "%s: expected exit 1\n%s" % (name, r.describe()))
            chk.ok(want in r.err, "%s: stderr lacks %r\n%s" % (name, want, r.describe()))
            chk.ok(r.out == "", "%s: check printed to stdout: %r" % (name, r.out[:200]))
            out_c = os.path.join(tmp, name + ".c")
            r = testlib.run([nerva, "compile", model, "-o", out_c], cwd=edir, timeout=60)
            chk.ok(r.rc == 1 and want in r.err, "%s: compile did not fail the same way\n%s"
                   % (name, r.describe()))
            chk.ok(not os.path.exists(out_c) and not os.path.exists(out_c[:-2] + ".h"),
                   "%s: a failed compile left output files behind" % name)
        # every .expect belongs to a model
        for f in sorted(os.listdir(edir)):
            if f.endswith(".expect"):
                chk.ok(any(f[:-7] + x in models for x in (".pmml", ".pfa", ".ppfa")), "%s has no model" % f)

        for argv, code, text in USAGE:
            r = testlib.run([nerva] + argv, cwd=tmp, timeout=60)
            chk.ok(r.rc == code, "nerva %s: expected exit %d\n%s" % (" ".join(argv), code, r.describe()))
            chk.ok(text in r.err or text in r.out, "nerva %s: output lacks %r\n%s"
                   % (" ".join(argv), text, r.describe()))
            if code == 2:
                chk.ok("try 'nerva --help'" in r.err, "nerva %s: no hint to --help" % " ".join(argv))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    chk.finish()


if __name__ == "__main__":
    main()
