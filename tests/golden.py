#!/usr/bin/env python3
"""Golden-file test: nerva's output for small hand-written models, byte for byte.

Why: the generated C is nerva's product.  Any change to it -- intended or not
-- should be seen in review as a diff of tests/golden/*.c, *.h and *.ir
rather than discovered by users.  For every tests/golden/NAME.pmml (and
NAME.pfa) this compares

    nerva compile NAME.pmml -o OUT/NAME.c      with NAME.c and NAME.h
    nerva compile NAME.pmml --dump-ir          with NAME.ir

nerva runs inside tests/golden with the model's bare file name, because the
generated banner names the model file (never its directories).  After an
intended change, regenerate and review the diff:

    tests/golden.py --nerva build/nerva --update
"""

import argparse
import difflib
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import testlib  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def produce(nerva, gdir, name, tmp):
    """{suffix: bytes} of what nerva makes of NAME.pmml (or .pfa) now, or an error text."""
    model = name + (".pfa" if os.path.exists(os.path.join(gdir, name + ".pfa")) else ".pmml")
    out_c = os.path.join(tmp, name + ".c")
    # NAME.args: more compile options, one per line (e.g. a tree layout)
    extra = []
    if os.path.exists(os.path.join(gdir, name + ".args")):
        extra = open(os.path.join(gdir, name + ".args"), encoding="utf-8").read().split("\n")
        extra = [a for a in extra if a]
    rc, _, err = testlib.run_bytes([nerva, "compile", model, "-o", out_c] + extra, cwd=gdir)
    if rc != 0:
        return None, "nerva compile %s: exit %s: %s" % (model, rc, err.strip())
    rc, ir, err = testlib.run_bytes([nerva, "compile", model, "--dump-ir"] + extra, cwd=gdir)
    if rc != 0:
        return None, "nerva compile %s --dump-ir: exit %s: %s" % (model, rc, err.strip())
    got = {".ir": ir}
    for sfx in (".c", ".h"):
        with open(os.path.join(tmp, name + sfx), "rb") as f:
            got[sfx] = f.read()
    return got, None


def show_diff(path, want, got, limit=60):
    a = want.decode("utf-8", "replace").splitlines(keepends=True)
    b = got.decode("utf-8", "replace").splitlines(keepends=True)
    lines = list(difflib.unified_diff(a, b, path + " (expected)", path + " (nerva now)"))
    sys.stdout.writelines(lines[:limit])
    if len(lines) > limit:
        print("... (%d more diff lines)" % (len(lines) - limit))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--nerva", required=True)
    ap.add_argument("--dir", default=os.path.join(HERE, "golden"))
    ap.add_argument("--update", action="store_true", help="rewrite the expected files")
    args = ap.parse_args()
    nerva = os.path.abspath(args.nerva)
    gdir = os.path.abspath(args.dir)
    names = sorted(os.path.splitext(f)[0] for f in os.listdir(gdir) if f.endswith(".pmml") or f.endswith(".pfa"))
    chk = testlib.Checker("golden")
    chk.ok(names, "no models in %s" % gdir)
    tmp = tempfile.mkdtemp(prefix="nerva-golden-")
    try:
        for name in names:
            got, err = produce(nerva, gdir, name, tmp)
            if not chk.ok(got is not None, err or ""):
                continue
            for sfx, data in sorted(got.items()):
                path = os.path.join(gdir, name + sfx)
                if args.update:
                    old = open(path, "rb").read() if os.path.exists(path) else None
                    if old != data:
                        with open(path, "wb") as f:
                            f.write(data)
                        print("updated %s" % os.path.relpath(path))
                    continue
                if not chk.ok(os.path.exists(path), "%s is missing (run with --update)" % path):
                    continue
                with open(path, "rb") as f:
                    want = f.read()
                if not chk.ok(want == data, "%s differs from nerva's output" % (name + sfx)):
                    show_diff(name + sfx, want, data)
        # expected files whose model is gone would silently stop being checked
        for f in sorted(os.listdir(gdir)):
            stem, sfx = os.path.splitext(f)
            if sfx in (".c", ".h", ".ir"):
                chk.ok(stem in names, "%s has no %s.pmml (stale golden file)" % (f, stem))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    chk.finish()


if __name__ == "__main__":
    main()
