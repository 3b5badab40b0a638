#!/usr/bin/env python3
"""Runs every libFuzzer harness for a fixed time, seeded from the project's
own models, and fails on any finding.

Why: the readers face untrusted bytes (a model from anyone, a Kafka message
from anything), and a fuzzer that only runs by hand stops being run.  This
is the test script's fuzzing step: each harness of a build configured with
-Dfuzz=true (clang, ASan+UBSan) runs --seconds seconds from a seed corpus of
the models in tests/ and samples/, at most --jobs at a time.  A crash, a
leak, a sanitizer report, a timeout (--timeout seconds on one input) or an
out-of-memory input fails the run, and the input that caused it is kept in
--workdir/<harness>/ (libFuzzer's crash-*, leak-*, timeout-*, oom-* files)
to replay with `build-fuzz/tests/<harness> FILE`.

Prints, per harness, the executions, the coverage reached and the findings.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import time

HARNESSES = {
    # harness: (path under the build dir, seed file suffixes)
    "fuzz_read_pmml": ("tests/fuzz_read_pmml", (".pmml", ".xml")),
    "fuzz_read_pfa": ("tests/fuzz_read_pfa", (".pfa", ".json")),
    "fuzz_read_ppfa": ("tests/fuzz_read_ppfa", (".ppfa",)),
    "fuzz_compile": ("tests/fuzz_compile", (".pmml", ".pfa", ".json")),
    "fuzz_codec": ("tests/kafka/fuzz_codec", ()),  # seeds written below
}
SEED_DIRS = ["tests/golden", "tests/errors", "tests/e2e", "tests/ppfa", "tests/pfa_e2e",
             "tests/kafka", "samples"]
MAX_SEED_BYTES = 64 * 1024      # the harnesses' -max_len; larger seeds only slow the start


def seeds(src, h, dest):
    suffixes = HARNESSES[h][1]
    os.makedirs(dest, exist_ok=True)
    n = 0
    for d in SEED_DIRS:
        for root, _, files in os.walk(os.path.join(src, d)):
            for f in sorted(files):
                if not f.endswith(suffixes):
                    continue
                p = os.path.join(root, f)
                if os.path.getsize(p) > MAX_SEED_BYTES:
                    continue
                data = open(p, "rb").read()
                n += 1
                open(os.path.join(dest, "seed%04d%s" % (n, os.path.splitext(f)[1])), "wb").write(data)
    if h == "fuzz_codec":
        # the codec harness's first byte picks the format (0 JSON, 1 CSV, 2 Avro);
        # records of its stand-in model's fields x, n, s, b
        for data in (b'\x00{"x": 1.5, "n": 2, "s": "a", "b": true}\n{"x": null, "n": -1}',
                     b'\x00[{"x": 1e308, "n": 9007199254740993, "s": "\\u00e9", "b": false}]',
                     b'\x01x,n,s,b\n1.5,2,a,true\n,,"q""uote",false\n',
                     b'\x02\x02\x00\x00\x00\x00\x00\x00\xf8\x3f\x04\x00\x00\x00'):
            n += 1
            open(os.path.join(dest, "seed%04d" % n), "wb").write(data)
    return n


def parse_stats(text):
    execs = re.findall(r"stat::number_of_executed_units:\s*(\d+)", text)
    cov = re.findall(r"#\d+\s+\w+\s+cov: (\d+)", text)
    return (int(execs[-1]) if execs else 0), (int(cov[-1]) if cov else 0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True, help="a build dir configured with -Dfuzz=true")
    ap.add_argument("--source", default=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--seconds", type=int, default=60)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--timeout", type=int, default=10)
    ap.add_argument("--only", action="append", help="run only these harnesses")
    a = ap.parse_args()
    a.build, a.workdir = os.path.abspath(a.build), os.path.abspath(a.workdir)

    shutil.rmtree(a.workdir, ignore_errors=True)
    names = [h for h in HARNESSES if not a.only or h in a.only]
    todo = []
    for h in names:
        exe = os.path.join(a.build, HARNESSES[h][0])
        if not os.path.exists(exe):
            print("MISSING %s: %s was not built (configure with -Dfuzz=true and clang)" % (h, exe))
            return 1
        wd = os.path.join(a.workdir, h)
        corpus = os.path.join(wd, "corpus")
        n = seeds(a.source, h, corpus)
        todo.append((h, exe, wd, corpus, n))

    env = dict(os.environ)
    env["ASAN_OPTIONS"] = "detect_leaks=1:allocator_may_return_null=1"
    env["UBSAN_OPTIONS"] = "print_stacktrace=1:halt_on_error=1"
    running, failed, results = [], 0, []
    while todo or running:
        while todo and len(running) < a.jobs:
            h, exe, wd, corpus, n = todo.pop(0)
            log = open(os.path.join(wd, "log.txt"), "wb")
            cmd = [exe, corpus, "-max_total_time=%d" % a.seconds, "-timeout=%d" % a.timeout,
                   "-rss_limit_mb=2048", "-max_len=%d" % MAX_SEED_BYTES, "-print_final_stats=1",
                   "-artifact_prefix=" + wd + "/"]
            p = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=wd)
            running.append((h, p, wd, n, log, time.monotonic()))
        time.sleep(1)
        for r in list(running):
            h, p, wd, n, log, t0 = r
            if p.poll() is None:
                if time.monotonic() - t0 > a.seconds + 300:
                    p.kill()
                    p.wait()
                else:
                    continue
            running.remove(r)
            log.close()
            text = open(os.path.join(wd, "log.txt"), errors="replace").read()
            execs, cov = parse_stats(text)
            found = sorted(f for f in os.listdir(wd)
                           if re.match(r"(crash|leak|timeout|oom|slow-unit)-", f))
            ok = p.returncode == 0 and not found
            results.append((h, n, execs, cov, ok, found))
            if not ok:
                failed += 1
                tail = text[-3000:]
                print("FAIL %s (exit %s); findings kept in %s: %s\n%s"
                      % (h, p.returncode, wd, ", ".join(found) or "none", tail))
    print("%-16s %6s %12s %6s  %s" % ("harness", "seeds", "executions", "cov", "result"))
    for h, n, execs, cov, ok, found in sorted(results):
        print("%-16s %6d %12d %6d  %s" % (h, n, execs, cov, "ok" if ok else "FAIL " + " ".join(found)))
    print("%d harnesses, %d s each: %s" % (len(results), a.seconds, "failed" if failed else "no findings"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
