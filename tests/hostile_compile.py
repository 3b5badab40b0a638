#!/usr/bin/env python3
"""Hostile-model compile test: small files with huge costs, and names that
could break the generated C, are either a clear error or correct code,
within bounded time and memory, and the code builds with gcc and clang.

Why: a probe of nerva found models that crashed it (left-deep chains 50,000
long), blew its memory (DefineFunction inlining, 24 GB for a PFA cond of
20,000 clauses), took minutes in libxml2 (200,000 attributes) or in the C
compiler (20,000 segments, 52,390 predictors in one function), and units
that would not build (a model named nerva.pmml, a 5,000-character category
value, a self-recursive PFA function under gcc 12 -Werror).  For each kind,
a model is generated here (tests/model_gen.py) and:

- nerva compile must exit 0, or 1 with the expected error (never a signal or
  a timeout);
- nerva and the C compiler together must stay within LIMIT_CPU seconds of
  CPU and LIMIT_RSS bytes each (measured per process with wait4); with
  --sanitized (an instrumented nerva) the sizes are a tenth and the limits
  are not checked, since instrumentation multiplies both;
- the C must build under `-std=c99 -pedantic -Wall -Wextra -Werror -O2` with
  gcc, and pass clang's checks under the same flags (-fsyntax-only) when
  installed;
- `nerva score` must give the model's values on a few records, computed here
  independently.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import model_gen  # noqa: E402
import testlib  # noqa: E402

STRICT = ["-std=c99", "-pedantic", "-Wall", "-Wextra", "-Werror", "-O2", "-c"]
LIMIT_CPU = 10.0           # seconds of CPU, nerva and cc together (the bound)
LIMIT_RSS = 1 << 30        # bytes, each process
TIMEOUT = 300              # seconds of wall time before a run counts as a hang


def measured(cmd, cwd, stdin=None):
    """Runs cmd; returns (returncode or None on timeout, stdout, stderr, cpu seconds, max RSS bytes)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        p = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=err,
                             stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL)
        if stdin is not None:
            p.stdin.write(stdin)
            p.stdin.close()
        t0 = time.monotonic()
        while True:
            pid, status, ru = os.wait4(p.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() - t0 > TIMEOUT:
                p.kill()
                os.wait4(p.pid, 0)
                return None, "", "timeout", 0.0, 0
            time.sleep(0.01)
        rc = os.waitstatus_to_exitcode(status)
        p.returncode = rc
        out.seek(0)
        err.seek(0)
        return (rc, out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace"),
                ru.ru_utime + ru.ru_stime, ru.ru_maxrss * 1024)


class Case:
    def __init__(self, chk, nerva, tmp, sanitized, compilers):
        self.chk, self.nerva, self.tmp = chk, nerva, tmp
        self.sanitized, self.compilers = sanitized, compilers

    def compile(self, name, text, ext=".pmml", want_error=None, args=()):
        """nerva compile NAME then cc (each compiler); returns the C path or None."""
        model = os.path.join(self.tmp, name + ext)
        with open(model, "w", encoding="utf-8") as f:
            f.write(text)
        out_c = os.path.join(self.tmp, name + ".c")
        rc, _, err, cpu, rss = measured([self.nerva, "compile", model, "-o", out_c] + list(args), self.tmp)
        what = "%s (%d bytes)" % (name, len(text))
        if want_error:
            self.chk.ok(rc == 1 and want_error in err, "%s: expected exit 1 with %r\n  rc=%s %s"
                        % (what, want_error, rc, err[-600:]))
            self.limits(what + " (nerva)", cpu, rss)
            return None
        if not self.chk.ok(rc == 0, "%s: nerva compile failed: rc=%s %s" % (what, rc, err[-600:])):
            return None
        total = cpu
        for cc in self.compilers:
            # gcc (cc) builds it at -O2 within the limits; clang checks it with
            # its own warnings (its -O2 takes 100 s on a cond of 20,000 clauses:
            # docs/security.md)
            flags = STRICT if cc == self.compilers[0] else STRICT[:-2] + ["-fsyntax-only"]
            crc, _, cerr, ccpu, crss = measured([cc] + flags + [out_c, "-o", os.devnull], self.tmp)
            self.chk.ok(crc == 0, "%s: %s failed on the generated C: rc=%s %s" % (what, cc, crc, cerr[-800:]))
            if cc == self.compilers[0]:
                total += ccpu
                self.limits("%s (%s)" % (what, cc), 0, crss)
        self.limits(what + " (nerva + cc)", total, rss)
        print("  %-28s nerva+cc %5.1f s cpu, nerva %4d MB, C %6.1f MB"
              % (name, total, rss >> 20, os.path.getsize(out_c) / 1e6), flush=True)
        return out_c

    def limits(self, what, cpu, rss):
        if self.sanitized:
            return
        self.chk.ok(cpu <= LIMIT_CPU, "%s: %.1f s of CPU, more than %.0f" % (what, cpu, LIMIT_CPU))
        self.chk.ok(rss <= LIMIT_RSS, "%s: %d MB of memory, more than %d" % (what, rss >> 20, LIMIT_RSS >> 20))

    def score(self, name, ext, header, rows, want, fmt="csv"):
        """nerva score on CSV rows (or JSON lines); compares column `y` (or the value) with want."""
        model = os.path.join(self.tmp, name + ext)
        if fmt == "csv":
            data = (",".join(header) + "\n" + "".join(",".join(str(v) for v in r) + "\n" for r in rows)).encode()
        else:
            data = "".join(json.dumps(r) + "\n" for r in rows).encode()
        rc, out, err, _, _ = measured([self.nerva, "score", model], self.tmp, stdin=data)
        if not self.chk.ok(rc == 0, "%s: nerva score failed: rc=%s %s" % (name, rc, err[-600:])):
            return
        lines = [x for x in out.split("\n") if x.strip()]
        if fmt == "csv":
            col = lines[0].split(",").index("y") if lines and "y" in lines[0].split(",") else 0
            got = [float(x.split(",")[col]) for x in lines[1:]]
        else:
            got = [json.loads(x) for x in lines]
        self.chk.ok(got == want, "%s: scores %.300r, want %.300r" % (name, got[:10], want[:10]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nerva", required=True)
    ap.add_argument("--sanitized", action="store_true",
                    help="nerva is instrumented: smaller models, no time or memory limits")
    args = ap.parse_args()
    nerva = os.path.abspath(args.nerva)
    chk = testlib.Checker("hostile_compile")
    compilers = [c for c in ("gcc", "clang") if shutil.which(c)]
    if "gcc" not in compilers:
        print("hostile_compile: no gcc")
        sys.exit(testlib.SKIP)
    if "clang" not in compilers:
        print("hostile_compile: note: no clang; the generated C is built with gcc only")
    k = 10 if args.sanitized else 1
    tmp = tempfile.mkdtemp(prefix="nerva-hostile-compile-")
    env_cache = os.path.join(tmp, "cache")
    os.environ["NERVA_CACHE_DIR"] = env_cache
    c = Case(chk, nerva, tmp, args.sanitized, compilers)
    try:
        # Each kind at full size: nerva, gcc and clang within the limits.  Its
        # scores are checked on the same kind at a tenth of the size (nerva
        # score builds again; the tables, splits and loops are the same).
        def kind(name, gen, full, small, ext, header, inputs, fmt="csv"):
            text = gen(full)[0]
            if not c.compile(name, text, ext):
                return
            text, score = gen(small)
            model = os.path.join(tmp, name + "_small" + ext)
            with open(model, "w", encoding="utf-8") as f:
                f.write(text)
            rows = inputs(small)
            want = [score(*r) if isinstance(r, tuple) else score(r) for r in rows]
            if fmt == "csv":
                rows = [list(r) if isinstance(r, tuple) else [r] for r in rows]
            c.score(name + "_small", ext, header(small) if header else None, rows, want, fmt)

        def wide_rows(n):
            return [tuple(float((i * j) % 5) - 1.5 for i in range(n)) for j in range(3)]

        def wide_gen(n):
            text, score = model_gen.wide_regression(n)
            return text, lambda *xs: score({"x%d" % i: x for i, x in enumerate(xs)})

        kind("wide_regression", wide_gen, 52390 // k, 5239 // k, ".pmml",
             lambda n: ["x%d" % i for i in range(n)], wide_rows)
        kind("many_values", model_gen.many_values, 58146 // k, 5814 // k, ".pmml", lambda n: ["c"],
             lambda n: ["v1", "v7", "v0", "v%d" % (n - 1)])
        kind("mapvalues", model_gen.mapvalues, 100000 // k, 10000 // k, ".pmml", lambda n: ["c"],
             lambda n: ["k5", "k%d" % (n - 1)])
        kind("discretize", model_gen.discretize, 100000 // k, 10000 // k, ".pmml", lambda n: ["x"],
             lambda n: [5.5, n - 0.5, 0.0])
        kind("normcont", model_gen.normcont, 100000 // k, 10000 // k, ".pmml", lambda n: ["x"],
             lambda n: [10.25, 3.0])
        kind("setpred", model_gen.setpred, 8000 // k, 800 // k, ".pmml", lambda n: ["c"],
             lambda n: ["s5", "zz", "s%d" % (n - 1)])
        kind("segments", model_gen.segments, 20000 // k, 3000 // k, ".pmml", lambda n: ["x"],
             lambda n: [1.0, -2.5])
        kind("deep_expression", model_gen.deep_expression, 120, 120, ".pmml", lambda n: ["x"], lambda n: [0.5])
        kind("pfa_cond", model_gen.pfa_cond, 20000 // k, 2000 // k, ".pfa", None,
             lambda n: [0, n - 1, n + 5], fmt="json")
        kind("pfa_cond_tests", model_gen.pfa_cond_tests, 5000 // k, 500 // k, ".pfa", None,
             lambda n: [0, n - 1, n + 5], fmt="json")
        kind("pfa_lets", model_gen.pfa_lets, 20000 // k, 2000 // k, ".pfa", None, lambda n: [7, -3], fmt="json")
        kind("pfa_enum", model_gen.pfa_enum, 100000 // k, 10000 // k, ".pfa", None,
             lambda n: ["s5", "s%d" % (n - 1)], fmt="json")
        # exponential inlining, attributes, over the limits: clear errors, fast
        c.compile("definefn", model_gen.definefn(25), want_error="--limit inline-size=N")
        c.compile("attrs", model_gen.attrs(200000), want_error="--limit xml-attributes=N")
        # names that could break the C: nerva's own prefix, a system header's name
        lin = model_gen.wide_regression(3)[0]
        path = c.compile("nerva", lin)
        if path:
            h = open(path[:-2] + ".h", encoding="utf-8").read()
            chk.ok("m_nerva_score" in h, "nerva.pmml: the prefix is not m_nerva")
        c.compile("math", lin, want_error="would hide the system header <math.h>")
        c.compile("regex", lin, want_error="would hide the system header <regex.h>")
        c.compile("plain", lin, args=["--prefix", "nerva"], want_error="prefix 'nerva' would collide")
        c.compile("plain2", lin, args=["--prefix", "nv_x"], want_error="prefix 'nv_x' would collide")
        # a name and a category value of 5,000 characters
        text, fname, value = model_gen.long_strings(5000)
        if c.compile("long_strings", text):
            model = os.path.join(tmp, "long_strings.pmml")
            rc, out, err, _, _ = measured([nerva, "score", model], tmp,
                                          stdin=("%s\n%s\nb\n" % (fname, value)).encode())
            lines = out.split("\n")
            # "b" matches no child: the tree's default noTrueChildStrategy gives no prediction
            chk.ok(rc == 0 and len(lines) >= 3 and lines[1].split(",")[0] == value and lines[2].split(",")[0] == "",
                   "long strings: scores %r %s" % ([x[:40] for x in lines[:3]], err[-300:]))
        c.compile("pfa_enum_limit", model_gen.pfa_enum(2000)[0], ".pfa", args=["--limit", "enum-symbols=1000"],
                  want_error="--limit enum-symbols=N")
        # a function that calls itself on every path builds under -Wall -Werror
        if c.compile("pfa_recursive", model_gen.pfa_recursive(), ".pfa"):
            c.score("pfa_recursive", ".pfa", None, [1],
                    [{"$error": {"code": -1002, "message": "too many nested function calls"}}], fmt="json")
        # cell-to with a function reference inside a user function (once a crash)
        if c.compile("pfa_cell_fnref", model_gen.pfa_cell_fnref(), ".pfa"):
            c.score("pfa_cell_fnref", ".pfa", None, [3, 4], [3, 7], fmt="json")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    chk.finish()


if __name__ == "__main__":
    main()
