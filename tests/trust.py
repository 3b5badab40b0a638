#!/usr/bin/env python3
"""The command line a user can trust: no silent garbage, a cache that is never
stale, safe embedding.

Why: a scoring tool that answers wrong without a word is worse than one that
fails.  Each check below is a way a new user was once given a plausible but
wrong result (or none) silently, and must now get an error naming the line
(or an explicit opt-in):
  - score: a ';'-separated or TAB-separated file, a misspelt header, rows with
    too many or too few cells, R's NA for missing values, JSON lines for a
    PMML model, --copy-columns, RFC 4180 quoting out, a closed pipe;
  - the cache: keyed by the C compiler's identity and version, found before
    the C is generated again, nothing left behind by a failed build, `nerva
    cache path|size|clean` honouring XDG_CACHE_HOME;
  - diagnostics: colour only when asked or on a terminal, NO_COLOR; the
    progress line only on a terminal;
  - embedding: a host that sets the fields by name scores a retrained model
    whose fields were reordered correctly, and does not compile against one
    that renamed a field it sets.

    trust.py --nerva build/nerva
"""

import argparse
import json
import os
import pty
import select
import shlex
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import testlib  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

# y = 1 + 2 x + 3 w, with the fields in the given order
REG = """<?xml version="1.0"?>
<PMML version="4.4" xmlns="http://www.dmg.org/PMML-4_4">
  <Header/>
  <DataDictionary>
%(fields)s
    <DataField name="y" optype="continuous" dataType="double"/>
  </DataDictionary>
  <RegressionModel functionName="regression">
    <MiningSchema>
%(mining)s
      <MiningField name="y" usageType="target"/>
    </MiningSchema>
    <RegressionTable intercept="1">
      <NumericPredictor name="%(a)s" coefficient="2"/>
      <NumericPredictor name="%(b)s" coefficient="3"/>
    </RegressionTable>
  </RegressionModel>
</PMML>
"""


def reg_model(names, a="x", b="w"):
    return REG % {"fields": "\n".join('    <DataField name="%s" optype="continuous" dataType="double"/>' % n
                                      for n in names),
                  "mining": "\n".join('      <MiningField name="%s"/>' % n for n in names), "a": a, "b": b}


HOST = r"""#include <stdio.h>
#include "m.h"
int main(void)
{
    m_input in = {0};
    m_output out;
    in.x = 1;
    in.w = 10;
    if (m_score(&in, &out) != NERVA_OK || out.state[m_out_y] != NERVA_PRESENT)
        return 1;
    printf("%g\n", out.y);
    return 0;
}
"""


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--nerva", required=True)
    args = ap.parse_args()
    nerva = os.path.abspath(args.nerva)
    chk = testlib.Checker("trust")
    tmp = tempfile.mkdtemp(prefix="nerva-trust-")
    cache = os.path.join(tmp, "cache")
    env = {"NERVA_CACHE_DIR": cache}
    fraud = os.path.join(ROOT, "samples", "fraud", "fraud.pmml")
    tx = open(os.path.join(ROOT, "samples", "fraud", "transactions.csv"), encoding="utf-8").read()
    header, first = tx.split("\n")[0], tx.split("\n")[1]

    def write(name, text):
        p = os.path.join(tmp, name)
        with open(p, "w", encoding="utf-8") as f:
            f.write(text)
        return p

    def score(*extra, stdin=None, env_extra=None):
        e = dict(env)
        e.update(env_extra or {})
        return testlib.run([nerva, "score", fraud] + list(extra), cwd=tmp, env=e, timeout=300, stdin=stdin)

    try:
        # ---- score: what it cannot read right is an error, with its line
        good = score("--input", os.path.join(ROOT, "samples", "fraud", "transactions.csv"))
        chk.ok(good.rc == 0 and good.out.count("\n") == tx.strip().count("\n") + 1,
               "scoring the sample: %s" % good.describe())
        want_rows = good.out.split("\n")

        semi = write("semi.csv", tx.replace(",", ";"))
        r = score("--input", semi)
        chk.ok(r.rc == 1 and "semi.csv:1: error: no column for the model's input field 'amount'" in r.err
               and "are the cells separated by ';'" in r.err and r.out == "",
               "a ';'-separated file must fail, naming the separator: %s" % r.describe())
        r = score("--input", semi, "--separator", ";")
        chk.ok(r.rc == 0 and r.out.replace(";", ",") == good.out,
               "--separator ';' must read it as the comma file: %s" % r.describe())

        tsv = write("tx.tsv", tx.replace(",", "\t"))
        r = score("--input", tsv)
        chk.ok(r.rc == 0 and r.out.replace("\t", ",") == good.out, "a .tsv file is read as TAB: %s" % r.describe())

        r = score("--input", write("tab.csv", tx.replace(",", "\t")))
        chk.ok(r.rc == 1 and "separated by '\\t'" in r.err, "a TAB file named .csv must fail: %s" % r.describe())

        misspelt = write("misspelt.csv", tx.replace("amount", "AMOUNT", 1))
        r = score("--input", misspelt)
        chk.ok(r.rc == 1 and "misspelt.csv:1: error: no column for the model's input field 'amount'; did you "
               "mean 'AMOUNT'?" in r.err, "a misspelt header must fail with a hint: %s" % r.describe())
        r = score("--input", misspelt, "--allow-missing-columns")
        chk.ok(r.rc == 0 and r.out.count("\n") == good.out.count("\n"),
               "--allow-missing-columns opts in: %s" % r.describe())

        lines = tx.strip().split("\n")
        ragged = write("ragged.csv", "\n".join(lines[:3] + [first + ",extra"] + lines[3:5] + [first.rsplit(",", 1)[0]])
                       + "\n")
        r = score("--input", ragged)
        chk.ok(r.rc == 1 and "ragged.csv:4: error: 8 cells where the header has 7" in r.err,
               "a row with too many cells must fail, naming its line: %s" % r.describe())
        chk.ok(r.out.split("\n")[:3] == want_rows[:3],
               "the records before a bad row are written out first: %r" % r.out)
        r = score("--input", ragged, "--on-error", "skip")
        chk.ok(r.rc == 0 and r.out.count("\n") == 1 + 4 and "2 unreadable records skipped" in r.err,
               "--on-error skip: %s\n%s" % (r.describe(), r.out))
        r = score("--input", ragged, "--on-error", "missing")
        chk.ok(r.rc == 0 and r.out.count("\n") == 1 + 6 and "2 unreadable records scored as missing" in r.err,
               "--on-error missing: %s\n%s" % (r.describe(), r.out))

        # R's write.csv: NA is a missing value, not an invalid one
        cols = header.split(",")
        with_na = first.split(",")
        with_na[cols.index("card_age_days")] = "NA"
        with_empty = list(with_na)
        with_empty[cols.index("card_age_days")] = ""
        r1 = score("--input", write("na.csv", header + "\n" + ",".join(with_na) + "\n"))
        r2 = score("--input", write("empty.csv", header + "\n" + ",".join(with_empty) + "\n"))
        chk.ok(r1.rc == 0 and r1.out == r2.out and r1.out.split("\n")[1] != "", "NA must score as missing: %s\n%s\n%s"
               % (r1.describe(), r1.out, r2.out))
        r3 = score("--input", os.path.join(tmp, "na.csv"), "--missing-values=")
        chk.ok(r3.rc == 0 and r3.out != r1.out and "invalid" in r3.err,
               "--missing-values= makes NA an invalid value: %s\n%s" % (r3.describe(), r3.out))

        # JSON lines in and out for a PMML model, with a copied key
        recs = []
        for line in lines[1:4]:
            v = dict(zip(cols, line.split(",")))
            recs.append(json.dumps({"id": v["txn_id"], "amount": float(v["amount"]), "hour": float(v["hour"]),
                                    "merchant_category": v["merchant_category"],
                                    "country_mismatch": float(v["country_mismatch"]),
                                    "card_age_days": float(v["card_age_days"])}))
        r = score("--input", write("tx.jsonl", "\n".join(recs) + "\n"), "--copy-columns", "id")
        outs = [json.loads(x) for x in r.out.strip().split("\n")] if r.rc == 0 else []
        chk.ok(r.rc == 0 and len(outs) == 3 and outs[0]["id"] == lines[1].split(",")[0],
               "JSON lines for a PMML model: %s\n%s" % (r.describe(), r.out))
        if outs:
            first_csv = want_rows[1].split(",")
            chk.ok(abs(outs[0]["fraud_probability"] - float(first_csv[1])) == 0,
                   "JSON lines must score as CSV does: %r vs %r" % (outs[0], first_csv))
        r = score("--input", write("bad.jsonl", recs[0] + "\n{\"amount\": 1\n"))
        chk.ok(r.rc == 1 and "bad.jsonl:2: error:" in r.err, "a broken JSON line must fail with its line: %s"
               % r.describe())
        r = score("--input", write("nokey.jsonl", json.dumps({"amount": 1.0}) + "\n"))
        chk.ok(r.rc == 1 and "no key for the model's input field 'merchant_category'" in r.err,
               "a missing JSON key must fail: %s" % r.describe())
        r = score("--input", os.path.join(tmp, "nokey.jsonl"), "--allow-missing-columns")
        chk.ok(r.rc == 0 and r.out.startswith("{"), "a missing JSON key, allowed: %s" % r.describe())

        # --copy-columns and RFC 4180 quoting out
        quoted = write("quoted.csv", "txn_id," + ",".join(cols[1:]) + "\n" + '"T,1 ""q"""' + first[first.index(","):]
                       + "\n")
        r = score("--input", quoted, "--copy-columns", "txn_id")
        chk.ok(r.rc == 0 and r.out.split("\n")[1].startswith('"T,1 ""q""",'),
               "a copied cell holding a comma and quotes is quoted on output: %s\n%s" % (r.describe(), r.out))
        r = score("--input", quoted, "--copy-columns", "txnid")
        chk.ok(r.rc == 1 and "no column 'txnid' to copy; did you mean 'txn_id'?" in r.err,
               "copying a column that is not there: %s" % r.describe())

        # a closed pipe: quiet, with the status a shell expects
        big = write("big.csv", header + "\n" + "\n".join([first] * 20000) + "\n")
        p = subprocess.run("%s score %s --input %s | head -n 2" % (shlex.quote(nerva), shlex.quote(fraud),
                                                                  shlex.quote(big)),
                           shell=True, cwd=tmp, env=dict(os.environ, **env), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=300, executable="/bin/bash")
        chk.ok(p.stdout.decode().count("\n") == 2 and p.stderr == b"",
               "score | head must stop quietly: %r %r" % (p.stdout[:200], p.stderr[:500]))

        # ---- the cache
        r = testlib.run([nerva, "cache", "path"], env=env)
        chk.ok(r.rc == 0 and r.out.strip() == cache, "nerva cache path: %s %r" % (r.describe(), r.out))
        r = testlib.run([nerva, "cache", "path"], env={"NERVA_CACHE_DIR": "", "XDG_CACHE_HOME": tmp + "/xdg"})
        chk.ok(r.out.strip() == tmp + "/xdg/nerva", "XDG_CACHE_HOME: %r" % r.out)
        r = testlib.run([nerva, "cache", "size"], env=env)
        chk.ok(r.rc == 0 and " builds in " in r.out and not r.out.startswith("0 bytes"),
               "nerva cache size: %s %r" % (r.describe(), r.out))
        # a fake compiler whose version changes: a new version means a new build
        fakecc = write("fakecc", "#!/bin/sh\nif [ \"$1\" = --version ]; then cat %s/ccver; exit 0; fi\n"
                                 "echo built >> %s/cclog\nexec cc \"$@\"\n" % (tmp, tmp))
        os.chmod(fakecc, 0o755)
        write("ccver", "fakecc 1.0\n")
        one = write("one.csv", header + "\n" + first + "\n")
        builds = lambda: open(os.path.join(tmp, "cclog")).read().count("built") \
            if os.path.exists(os.path.join(tmp, "cclog")) else 0
        score("--input", one, env_extra={"CC": fakecc})
        score("--input", one, env_extra={"CC": fakecc})
        chk.ok(builds() == 1, "the same model and compiler must build once, built %d times" % builds())
        write("ccver", "fakecc 2.0\n")
        os.utime(fakecc, None)
        st = os.stat(fakecc)
        os.utime(fakecc, (st.st_atime + 5, st.st_mtime + 5))
        r = score("--input", one, env_extra={"CC": fakecc})
        chk.ok(r.rc == 0 and builds() == 2, "a compiler upgrade must rebuild (built %d times): %s"
               % (builds(), r.describe()))
        # a failed build leaves nothing behind
        badcc = write("badcc", "#!/bin/sh\nif [ \"$1\" = --version ]; then echo badcc; exit 0; fi\nexit 1\n")
        os.chmod(badcc, 0o755)
        other = write("other.pmml", reg_model(["x", "w"]))
        r = testlib.run([nerva, "score", other, "--input", one, "--allow-missing-columns"], cwd=tmp,
                        env=dict(env, CC=badcc))
        chk.ok(r.rc == 3 and "the C compiler" in r.err, "a failing compiler: %s" % r.describe())
        chk.ok(not [e for e in os.listdir(cache) if e.startswith("tmp-")],
               "a failed build left %s" % [e for e in os.listdir(cache) if e.startswith("tmp-")])
        r = testlib.run([nerva, "cache", "clean"], env=env)
        chk.ok(r.rc == 0 and "removed" in r.out and not [e for e in os.listdir(cache) if len(e) == 16],
               "nerva cache clean: %s %r %s" % (r.describe(), r.out, os.listdir(cache)))

        # ---- diagnostics: colour and progress
        bad = write("bad.pmml", reg_model(["x", "w"], a="X"))
        r = testlib.run([nerva, "check", "--color=always", bad], cwd=tmp)
        chk.ok(r.rc == 1 and "\033[" in r.err, "--color=always must colour: %r" % r.err)
        r = testlib.run([nerva, "check", bad], cwd=tmp)
        chk.ok(r.rc == 1 and "\033[" not in r.err, "no colour when not a terminal: %r" % r.err)

        def on_tty(argv, extra_env):
            pid, fd = pty.fork()
            if pid == 0:
                os.chdir(tmp)
                os.execve(argv[0], argv, dict(os.environ, **extra_env))
            out = b""
            while True:
                ready, _, _ = select.select([fd], [], [], 120)
                if not ready:
                    break
                try:
                    chunk = os.read(fd, 65536)
                except OSError:
                    break
                if not chunk:
                    break
                out += chunk
            os.waitpid(pid, 0)
            return out.decode("utf-8", "replace")

        out = on_tty([nerva, "check", bad], {"TERM": "xterm", "NO_COLOR": ""})
        chk.ok("\033[1;31m" in out, "colour on a terminal: %r" % out)
        out = on_tty([nerva, "check", bad], {"TERM": "xterm", "NO_COLOR": "1"})
        chk.ok("\033[1;" not in out and "\033[0m" not in out and "error:" in out, "NO_COLOR: %r" % out)
        chk.ok("(0.0 s)/" not in out and "(0.0 s)" + bad not in out,
               "a diagnostic must clear the progress line first: %r" % out)
        model2 = write("prog.pmml", reg_model(["x", "w"]))
        out = on_tty([nerva, "score", model2, "--input", one, "--allow-missing-columns"],
                     dict(env, TERM="xterm", NERVA_CACHE_DIR=os.path.join(tmp, "cache2")))
        chk.ok("nerva: building with the C compiler" in out and "\r\033[K" in out,
               "a progress line on a terminal: %r" % out[:500])
        r = testlib.run([nerva, "score", model2, "--input", one, "--allow-missing-columns"],
                        env=dict(env, NERVA_CACHE_DIR=os.path.join(tmp, "cache3")))
        chk.ok(r.rc == 0 and "building" not in r.err, "no progress when not a terminal: %r" % r.err)

        # ---- embedding: fields by name
        cc = os.environ.get("CC", "cc")
        flags = shlex.split(os.environ.get("NERVA_CFLAGS", "-O1 -std=c99 -pedantic -Wall -Wextra -Werror"))
        host = write("host.c", HOST)
        for label, names, a, b, ok in (("fields in order", ["x", "w"], "x", "w", True),
                                        ("fields reordered", ["w", "x"], "x", "w", True),
                                        ("a field renamed", ["z", "w"], "z", "w", False)):
            d = os.path.join(tmp, label.replace(" ", "_"))
            os.mkdir(d)
            with open(os.path.join(d, "m.pmml"), "w") as f:
                f.write(reg_model(names, a, b))
            r = testlib.run([nerva, "compile", "m.pmml", "-o", "m.c"], cwd=d)
            chk.ok(r.rc == 0, "%s: compile: %s" % (label, r.describe()))
            r = testlib.run([cc] + flags + ["-I", d, host, os.path.join(d, "m.c"), "-lm", "-o",
                                            os.path.join(d, "host")])
            if ok:
                chk.ok(r.rc == 0, "%s: the host must build: %s" % (label, r.describe()))
                out = testlib.run([os.path.join(d, "host")]).out.strip() if r.rc == 0 else ""
                chk.ok(out == "33", "%s: 1 + 2*1 + 3*10 is 33, the host printed %r" % (label, out))
            else:
                chk.ok(r.rc != 0 and "has no member named" in r.err and "m_input" in r.err,
                       "%s: the host must not build: %s" % (label, r.describe()))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    chk.finish()


if __name__ == "__main__":
    main()
