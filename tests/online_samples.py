#!/usr/bin/env python3
"""The two online PFA samples (samples/online) score as their independent
reference says: an EWMA per key in a pool (updated in place) and an online
linear regression whose coefficients take a gradient step per record.

samples/online/make_data.py writes the inputs and the expected outputs
(plain Python, the spec's formulas); `nerva score` must agree to 1e-12
relative on every field of every record.
"""

import argparse
import json
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import testlib  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
N = 3000


def close(a, b):
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(close(a[k], b[k]) for k in a)
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return abs(a - b) <= 1e-12 * max(1.0, abs(a), abs(b))
    return a == b


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--nerva", required=True)
    args = ap.parse_args()
    chk = testlib.Checker("online_samples")
    tmp = tempfile.mkdtemp(prefix="nerva-online-")
    try:
        r = testlib.run([sys.executable, os.path.join(ROOT, "samples/online/make_data.py"), tmp, str(N)])
        if not chk.ok(r.rc == 0, "make_data.py failed\n" + r.describe()):
            chk.finish()
        for doc, data in (("ewma_pool.pfa", "events"), ("sgd_linreg.pfa", "regression")):
            out = os.path.join(tmp, data + ".out.jsonl")
            r = testlib.run([os.path.abspath(args.nerva), "score", os.path.join(ROOT, "samples/online", doc),
                             "--input", os.path.join(tmp, data + ".jsonl"), "--output", out], timeout=300)
            if not chk.ok(r.rc == 0, "%s: score failed\n%s" % (doc, r.describe())):
                continue
            with open(out, encoding="utf-8") as f:
                got = [json.loads(x) for x in f if x.strip()]
            with open(os.path.join(tmp, data + ".expected.jsonl"), encoding="utf-8") as f:
                want = [json.loads(x) for x in f if x.strip()]
            bad = [i for i, (a, b) in enumerate(zip(got, want)) if not close(a, b)]
            chk.ok(len(got) == len(want) == N and not bad,
                   "%s: %d outputs for %d records, %d differ (first: #%s %r, expected %r)"
                   % (doc, len(got), len(want), len(bad), bad[0] if bad else "-",
                      got[bad[0]] if bad else None, want[bad[0]] if bad else None))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    chk.finish()


if __name__ == "__main__":
    main()
