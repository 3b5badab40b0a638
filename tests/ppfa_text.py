#!/usr/bin/env python3
"""PrettyPFA texts through nerva convert and back: tests/ppfa/*.ppfa.

Why: `nerva convert --to ppfa` promises text that reads back into the same
document.  For each NAME.ppfa here (and samples/embed/risk.ppfa):
  - with NAME.reject: `nerva convert` must refuse it (exit 1) with that line;
  - else PrettyPFA -> JSON -> PrettyPFA -> JSON must give the same JSON
    twice and the same PrettyPFA twice (a fixed point), and with
    NAME.input.jsonl, `nerva score` must print NAME.expected.jsonl.
forms.ppfa uses every form of the language; unpack_no_format.ppfa is what
the fuzzer found the writer could not read back (an unpack without formats).
"""

import argparse
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import testlib  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--nerva", required=True)
    args = ap.parse_args()
    nerva = os.path.abspath(args.nerva)
    chk = testlib.Checker("ppfa_text")
    d = os.path.join(HERE, "ppfa")
    texts = sorted(os.path.join(d, f) for f in os.listdir(d) if f.endswith(".ppfa"))
    texts.append(os.path.join(HERE, "..", "samples", "embed", "risk.ppfa"))
    tmp = tempfile.mkdtemp(prefix="nerva-ppfa-")
    try:
        for path in texts:
            name = os.path.basename(path)[:-5]
            shutil.copy(path, os.path.join(tmp, name + ".ppfa"))
            reject = os.path.join(d, name + ".reject")
            if os.path.exists(reject):
                want = open(reject, encoding="utf-8").read().strip()
                r = testlib.run([nerva, "convert", name + ".ppfa"], cwd=tmp, timeout=60)
                chk.ok(r.rc == 1 and want in r.err, "%s: not refused with %r\n%s" % (name, want, r.describe()))
                continue
            steps = [["convert", name + ".ppfa", "-o", "a.json"], ["convert", "a.json", "--to", "ppfa", "-o", "b.ppfa"],
                     ["convert", "b.ppfa", "-o", "c.json"], ["convert", "c.json", "--to", "ppfa", "-o", "d.ppfa"]]
            ok = True
            for s in steps:
                r = testlib.run([nerva] + s, cwd=tmp, timeout=60)
                ok = chk.ok(r.rc == 0, "%s: nerva %s\n%s" % (name, " ".join(s), r.describe())) and ok
            if not ok:
                continue
            read = lambda f: open(os.path.join(tmp, f), encoding="utf-8").read()  # noqa: E731
            chk.ok(read("a.json") == read("c.json"), "%s: the JSON changed through PrettyPFA" % name)
            chk.ok(read("b.ppfa") == read("d.ppfa"), "%s: the PrettyPFA written is not a fixed point" % name)
            inp = os.path.join(d, name + ".input.jsonl")
            if os.path.exists(inp):
                for model in (name + ".ppfa", "b.ppfa", "c.json"):
                    r = testlib.run([nerva, "score", model, "--input", inp], cwd=tmp, timeout=300)
                    want = read_file(os.path.join(d, name + ".expected.jsonl"))
                    chk.ok(r.rc == 0 and r.out == want, "%s: %s scores differently\n%s" % (name, model, r.describe()))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    chk.finish()


def read_file(p):
    with open(p, encoding="utf-8") as f:
        return f.read()


if __name__ == "__main__":
    main()
