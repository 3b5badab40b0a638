#!/usr/bin/env python3
"""Generated PFA engines in C hosts of their own: tests/pfa_host/host.c runs
two engines side by side with separate state, and the fold engine's merge
entry point, which must combine two partial tallies into the tally of the
whole stream and refuse a tally that is not one; tests/pfa_host/battery.c
runs four engines in threads over "shared" cells and pools, whose updates
must all be atomic (none lost), whose unshared cells stay each engine's
own, and whose lock an error inside an updater must give back;
tests/pfa_host/locale_host.c runs a regex engine under several host locales,
which must not change what its patterns mean.

    pfa_host.py --nerva build/nerva
Builds with $CC and $NERVA_CFLAGS (the test suite's strict C99 flags, and
the sanitizers in the sanitized build)."""

import argparse
import os
import shlex
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import testlib  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
MODEL = os.path.join(HERE, "pfa_e2e", "examples", "fold_tally", "model.pfa")
EXPECTED = """part0 {"n": 3, "sum": 14.0, "missing": 1}
part1 {"n": 2, "sum": 1.0, "missing": 1}
all {"n": 5, "sum": 15.0, "missing": 2}
merged {"n": 5, "sum": 15.0, "missing": 2}
bad tally: status 3: tally: the value does not match the type
"""
# a.len(re.index(_, "^.$")) (2: one character matched), re.count(_, "[é]"),
# re.count(_, "[a-z]"), re.count(the UTF-8 bytes, ".") (bytes, not characters)
REGEX = """[2, 1, 0, 2]
[0, 1, 2, 4]
[0, 0, 2, 2]
"""
BATTERY = """engine 0: ran
engine 1: ran
engine 2: ran
engine 3: ran
errors 20000
total after one more: 1020101080001
"""


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--nerva", required=True)
    args = ap.parse_args()
    chk = testlib.Checker("pfa_host")
    d = tempfile.mkdtemp(prefix="nerva-pfa-host-")
    try:
        shutil.copy(MODEL, os.path.join(d, "tally.pfa"))
        r = testlib.run([os.path.abspath(args.nerva), "compile", "tally.pfa", "-o", "tally.c"], cwd=d)
        chk.ok(r.rc == 0, "nerva compile: %s\n%s" % (r.describe(), r.err))
        h = open(os.path.join(d, "tally.h")).read() if r.rc == 0 else ""
        chk.ok("int tally_merge(" in h, "tally.h declares no tally_merge()")
        cc = os.environ.get("CC", "cc")
        flags = shlex.split(os.environ.get("NERVA_CFLAGS", "-O1 -std=c99 -pedantic -Wall -Wextra -Werror"))
        r = testlib.run([cc] + flags + ["-I", d, os.path.join(HERE, "pfa_host", "host.c"),
                                        os.path.join(d, "tally.c"), "-lm", "-o", os.path.join(d, "host")])
        chk.ok(r.rc == 0, "building the host: %s\n%s" % (r.describe(), r.err))
        if r.rc == 0:
            r = testlib.run([os.path.join(d, "host")])
            chk.ok(r.rc == 0, "the host failed: %s\n%s%s" % (r.describe(), r.out, r.err))
            chk.ok(r.out == EXPECTED, "the host printed:\n%s\nwant:\n%s" % (r.out, EXPECTED))

        # a battery over shared state
        shutil.copy(os.path.join(HERE, "pfa_host", "counter.pfa"), d)
        r = testlib.run([os.path.abspath(args.nerva), "compile", "counter.pfa", "-o", "counter.c"], cwd=d)
        chk.ok(r.rc == 0, "nerva compile counter.pfa: %s\n%s" % (r.describe(), r.err))
        r = testlib.run([cc] + flags + ["-pthread", "-I", d, os.path.join(HERE, "pfa_host", "battery.c"),
                                        os.path.join(d, "counter.c"), "-lm", "-o", os.path.join(d, "battery")])
        chk.ok(r.rc == 0, "building the battery: %s\n%s" % (r.describe(), r.err))
        if r.rc == 0:
            r = testlib.run([os.path.join(d, "battery")], timeout=120)
            chk.ok(r.rc == 0, "the battery failed (a hang is a lock not given back): %s\n%s%s"
                   % (r.describe(), r.out, r.err))
            chk.ok(r.out == BATTERY, "the battery printed:\n%s\nwant:\n%s" % (r.out, BATTERY))

        # regular expressions whatever the host's locale
        shutil.copy(os.path.join(HERE, "pfa_host", "relocale.pfa"), d)
        r = testlib.run([os.path.abspath(args.nerva), "compile", "relocale.pfa", "-o", "relocale.c"], cwd=d)
        chk.ok(r.rc == 0, "nerva compile relocale.pfa: %s\n%s" % (r.describe(), r.err))
        r = testlib.run([cc] + flags + ["-I", d, os.path.join(HERE, "pfa_host", "locale_host.c"),
                                        os.path.join(d, "relocale.c"), "-lm", "-o", os.path.join(d, "locale_host")])
        chk.ok(r.rc == 0, "building the locale host: %s\n%s" % (r.describe(), r.err))
        if r.rc == 0:
            for loc in ("C", "C.UTF-8", "POSIX", "de_DE.UTF-8", "de_DE.ISO-8859-1"):
                r = testlib.run([os.path.join(d, "locale_host"), loc])
                if r.out.startswith("no locale"):
                    continue
                chk.ok(r.rc == 0 and r.out == REGEX, "under the host locale %s the engine printed:\n%s%s\nwant:\n%s"
                       % (loc, r.out, r.err, REGEX))
    finally:
        shutil.rmtree(d, ignore_errors=True)
    chk.finish()


if __name__ == "__main__":
    main()
