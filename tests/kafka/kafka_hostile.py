#!/usr/bin/env python3
"""Hostile records and clients against `nerva kafka`: one record, or one
client, must never take a production stream down.

Why these: each test feeds the harness something that once stopped it for
good or stalled it -- a record whose result or dead letter is larger than
the producer may send, text that is not UTF-8, a PFA record that overflows
the engine's stack or crashes, hangs or exhausts it, a model that takes
minutes to compile, hundreds of idle connections to the metrics port -- and
checks that the records after it are scored, that the poison record is in
the dead-letter topic saying why, and that nothing is redone after a
restart.  The harness runs under an address-space limit (not in sanitized
builds: ASan reserves terabytes) and every step is bounded in time.

    kafka_hostile.py --nerva build/nerva TEST...      (TEST: a name below, or all)
"""

import json
import os
import resource
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from hostile_pfa import deep_frames, deep_value  # noqa: E402
from kafka_tests import FRAUD, ROOT, Env, Failure, check, free_port, reconcile, records, run_tests  # noqa: E402

SANITIZED = os.environ.get("NERVA_SANITIZED") == "1"
HARNESS_MEMORY = 3 << 30  # the harness's address space in these tests


def limited():
    """the harness's limits: address space (unless sanitized), no core files"""
    if not SANITIZED:
        resource.setrlimit(resource.RLIMIT_AS, (HARNESS_MEMORY, HARNESS_MEMORY))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def dead_letters(e, topic="dlq"):
    """{key: (headers dict, value length)} of a dead-letter topic"""
    out = {}
    for line in e.consume(topic, "%k\t%S\t%h\n"):
        k, size, hdrs = line.split("\t", 2)
        h = {}
        for kv in hdrs.split(","):
            if "=" in kv:
                name, v = kv.split("=", 1)
                h[name] = v
        out[k] = (h, int(size))
    return out


def second_run_consumes_nothing(e, extra=(), log="again.log", **kw):
    q = e.harness(extra=["-e"] + list(extra), log=log, limits=limited, **kw)
    e.finish(q)
    last = [line for line in e.log(q).split("\n") if "consumed=" in line][-1:]
    check(last and "consumed=0 " in last[0], "a restart consumed records again: %s" % last)


# ---------------------------------------------------------------- tests

def test_poison(nerva):
    """records of 2 MB that are not JSON, 2 MB of JSON with --passthrough
    (a result larger than the producer's limit), 1,010,000 bytes of garbage,
    JSON with invalid UTF-8: each is dead-lettered (cut to fit, saying why
    and the sizes), the records after it are scored, every result is JSON,
    and a restart has nothing to redo"""
    e = Env(nerva, "poison", partitions=1)
    try:
        good = records(0, 40)
        recs = list(good)
        recs[10] = ("k10", b"x" * 2000000)
        recs[20] = ("k20", json.dumps({"amount": 5, "hour": 3, "pad": "y" * 2000000}))
        recs[25] = ("k25", b"z" * 1010000)
        recs[30] = ("k30", b'{"amount": 5, "merchant_category": "caf\xc3\xa9 \xff"}')
        recs[31] = ("k31", b'{"amount": 5, "note": "\xed\xa0\x80"}')
        e.produce("in", recs)
        p = e.harness(extra=["-e", "--passthrough"], limits=limited)
        e.finish(p, timeout=120)
        poison = {"k10", "k20", "k25", "k30", "k31"}
        reconcile(e, 40, bad=len(poison))
        dl = dead_letters(e)
        check(set(dl) == poison, "dead letters %s, want %s" % (sorted(dl), sorted(poison)))
        limit = 1048576  # the consumer's max.partition.fetch.bytes, librdkafka's default
        # 1,010,000 bytes: over librdkafka's default message.max.bytes, which
        # stopped the harness for good; under the consumer's fetch size, so whole
        h, size = dl["k25"]
        check(h.get("nerva.error") == "parse" and size == 1010000, "k25: %d bytes, headers %r" % (size, h))
        for k, why in [("k10", "parse: JSON at byte 0"), ("k20", "too-large: the result (")]:
            h, size = dl[k]
            check(h.get("nerva.error") == "too-large" and why in h.get("nerva.error.message", "")
                  and "message.max.bytes (%d)" % limit in h.get("nerva.error.message", ""),
                  "%s: headers %r" % (k, h))
            check(0 < size < limit and h.get("nerva.value.size") == str(len(dict(recs)[k])),
                  "%s: the value is %d bytes, nerva.value.size %r" % (k, size, h.get("nerva.value.size")))
            check(h.get("nerva.source.topic") == "in" and h.get("nerva.source.offset") == k[1:],
                  "%s: source headers %r" % (k, h))
        for k in ("k30", "k31"):
            h = dl[k][0]
            check(h.get("nerva.error") == "parse" and "invalid UTF-8" in h.get("nerva.error.message", ""),
                  "%s: headers %r" % (k, h))
        # every result is JSON (UTF-8), passthrough copies included
        raw = e.consume("out", "%s\n", raw=True)
        for line in raw.split(b"\n"):
            if line:
                try:
                    json.loads(line.decode("utf-8"))
                except ValueError as ex:
                    raise Failure("a result is not JSON (%s): %r" % (ex, line[:200]))
        second_run_consumes_nothing(e, extra=["--passthrough"])
        # the producer's limit is the consumer's: raised together, the 2 MB
        # result goes out and the 2 MB dead letter is whole
        p = e.harness(group="big", extra=["-e", "--passthrough", "-X", "consumer.max.partition.fetch.bytes=4000000"],
                      out="out2", dlq="dlq2", log="big.log", limits=limited)
        e.finish(p, timeout=120)
        dl2 = dead_letters(e, "dlq2")
        check(set(dl2) == poison - {"k20"}, "with a larger limit, dead letters %s" % sorted(dl2))
        check(dl2["k10"][0].get("nerva.error") == "parse" and dl2["k10"][1] == 2000000,
              "with a larger limit, the 2 MB dead letter is %r" % (dl2["k10"],))
    finally:
        e.close()


CRASHER = r"""
/* a PFA engine (by hand, for the harness's sake) that crashes, hangs or asks
   for a gigabyte on some inputs, and counts the records it has seen */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include "nerva_model.h"
typedef struct eng { int seen, code; char msg[200]; } eng;
static size_t size(void) { return sizeof(eng); }
static int init(void *e) { memset(e, 0, sizeof(eng)); return NERVA_PFA_OK; }
static int action(void *ve, const char *json, size_t len, nerva_pfa_out out, void *ctx)
{
    eng *e = ve;
    char buf[64];
    int v, n;
    snprintf(buf, sizeof buf, "%.*s", (int)(len < 60 ? len : 60), json);
    v = atoi(buf);
    e->seen++;
    if (v == 13)
        *(volatile int *)(size_t)(v - 13) = 1;
    if (v == 14) {
        volatile unsigned long spin = 0;
        for (;;)
            spin++;
    }
    if (v == 15) {
        struct rlimit r;
        void *p = malloc((size_t)1 << 30);
        getrlimit(RLIMIT_AS, &r);
        snprintf(e->msg, sizeof e->msg, "RLIMIT_AS=%lld malloc(1 GiB) %s",
                 r.rlim_cur == RLIM_INFINITY ? -1LL : (long long)r.rlim_cur, p ? "succeeded" : "failed");
        free(p);
        e->code = 15;
        return NERVA_PFA_ERROR;
    }
    n = snprintf(buf, sizeof buf, "{\"id\": %d, \"seen\": %d}", v, e->seen);
    out(ctx, buf, (size_t)n);
    return NERVA_PFA_OK;
}
static int end(void *e, nerva_pfa_out out, void *ctx) { (void)e; (void)out; (void)ctx; return NERVA_PFA_OK; }
static void drop(void *e) { (void)e; }
static int last_error(const void *ve, const char **msg, size_t *len)
{
    const eng *e = ve;
    if (msg) *msg = e->msg;
    if (len) *len = strlen(e->msg);
    return e->code;
}
static int set_timeout(void *e, long long ms) { (void)e; (void)ms; return NERVA_PFA_OK; }
static const nerva_pfa crasher = {"crasher", NERVA_PFA_ABI, "map", "\"int\"",
    "{\"type\": \"record\", \"name\": \"R\", \"fields\": []}", size, init, action, end, drop, last_error, set_timeout};
__attribute__((visibility("default"))) const nerva_pfa *nerva_pfa_entry(void) { return &crasher; }
"""


def test_pfa_poison(nerva):
    """PFA records that overflow the stack (a recursion of big frames within
    the call limit), crash the engine, hang it past the harness's limit or
    ask for more memory than it has: each is dead-lettered, the engine is
    started afresh where it died, and the records after it are scored"""
    e = Env(nerva, "pfa-poison", partitions=1)
    try:
        # the recursion: a generated engine's stack bound makes it a PFA error
        model = os.path.join(e.dir, "deep.pfa")
        open(model, "w").write(deep_frames(1000))
        vals = list(range(40))
        vals[20] = 1999
        e.produce("in", [("k%d" % i, str(v)) for i, v in enumerate(vals)])
        p = e.harness(model=model, extra=["-e"], limits=limited)
        e.finish(p, timeout=180)
        reconcile(e, 40, bad=1)
        dl = dead_letters(e)
        h = dl["k20"][0]
        check(h.get("nerva.error") == "pfa" and h.get("nerva.error.code") == "-1002"
              and "4 MiB of stack" in h.get("nerva.error.message", ""), "the deep record's headers: %r" % h)
        got = {k: json.loads(v) for k, v in (line.split("\t", 1) for line in e.consume("out"))}
        for i, v in enumerate(vals):
            if i != 20:
                check(got["k%d" % i] == deep_value(v, 1000), "k%d: %r" % (i, got["k%d" % i]))
        # an engine that crashes (13), hangs (14) or allocates (15)
        src = os.path.join(e.dir, "crasher.c")
        so = os.path.join(e.dir, "crasher.so")
        open(src, "w").write(CRASHER)
        r = subprocess.run(["cc", "-shared", "-fPIC", "-O1", "-I", os.path.join(ROOT, "runtime", "lib"), "-o", so,
                            src], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        check(r.returncode == 0, "cc: %s" % r.stdout.decode())
        e.control("create in2 1")
        e.produce("in2", [("c%d" % i, str(i)) for i in range(30)])
        t0 = time.time()
        p = e.harness(model=so, topic="in2", out="out2", dlq="dlq2", log="crasher.log", limits=limited,
                      extra=["-e", "--pfa-limit", "1500", "--pfa-memory", "512"])
        e.finish(p, timeout=120)
        took = time.time() - t0
        dl = dead_letters(e, "dlq2")
        check(set(dl) == {"c13", "c14", "c15"}, "dead letters %s" % sorted(dl))
        msg13 = dl["c13"][0].get("nerva.error.message", "")
        check(dl["c13"][0].get("nerva.error") == "crash" and ("crashed" in msg13 or (SANITIZED and "exited" in msg13)),
              "the crash: %r" % (dl["c13"][0],))  # ASan reports a SEGV and exits
        check(dl["c14"][0].get("nerva.error") == "timeout" and "1500 ms" in dl["c14"][0]["nerva.error.message"],
              "the hang: %r" % (dl["c14"][0],))
        msg15 = dl["c15"][0].get("nerva.error.message", "")
        check(dl["c15"][0].get("nerva.error") == "pfa" and
              (SANITIZED or ("RLIMIT_AS=%d" % (512 << 20) in msg15 and "failed" in msg15)),
              "the allocation: %r" % (dl["c15"][0],))
        seen = {}
        for line in e.consume("out2"):
            v = json.loads(line.split("\t", 1)[1])
            seen[v["id"]] = v["seen"]
        check(sorted(seen) == [i for i in range(30) if i not in (13, 14, 15)], "results for %s" % sorted(seen))
        # one engine up to 12; a fresh one after the crash (14: seen 1) and
        # after the hang (15: seen 1, 16: seen 2)
        check(seen[12] == 13 and seen[16] == 2 and seen[29] == 15, "the engine's count: %r" % seen)
        check(took < 60, "the poison records took %.0f s" % took)
        print("pfa poison: crash, hang and allocation dead-lettered in %.1f s" % took)
    finally:
        e.close()


WRAPPER = """#!/bin/sh
# nerva, slow when the flag file exists: a model that takes minutes to compile
echo $$ >> "%(dir)s/pids"
ulimit -v > "%(dir)s/limits"
while [ -e "%(dir)s/slow" ]; do sleep 0.1; done
exec "%(nerva)s" "$@"
"""


def test_reload_slow(nerva):
    """a replacement model that compiles slowly: the running model keeps
    scoring meanwhile, the compile is stopped at --compile-timeout and runs
    under --compile-memory, and SIGTERM during a reload acts at once"""
    e = Env(nerva, "reload-slow", partitions=2)
    try:
        model = os.path.join(e.dir, "model.pmml")
        text = open(FRAUD).read()
        open(model, "w").write(text)
        wrapper = os.path.join(e.dir, "slow-nerva")
        open(wrapper, "w").write(WRAPPER % {"dir": e.dir, "nerva": nerva})
        os.chmod(wrapper, 0o755)
        slow = os.path.join(e.dir, "slow")
        p = e.harness(model=model, env={"NERVA": wrapper}, limits=limited,
                      extra=["--batch", "100", "--compile-timeout", "3", "--compile-memory", "3000"])
        e.wait_assigned(p)
        n = 16000
        prod = e.stream(0, n, chunk=400, interval=0.15)
        e.wait_progress(p, 1000)
        open(slow, "w").close()
        open(model + ".new", "w").write(text.replace('<Constant dataType="double">0.3</Constant>',
                                                     '<Constant dataType="double">0.0</Constant>'))
        os.rename(model + ".new", model)
        e.wait_log(p, "reloading", "no reload", timeout=10)
        before = e.progress(p)
        time.sleep(2)
        during = e.progress(p)
        check(during > before + 300 and "reloaded" not in e.log(p),
              "scoring stopped while the new model compiled: %d then %d" % (before, during))
        e.wait_log(p, "took longer than 3 s", "the slow compile was not stopped at --compile-timeout", timeout=15)
        check("reload refused" in e.log(p), "the timed-out compile is not a refused reload")
        limits = open(os.path.join(e.dir, "limits")).read().strip()
        check(SANITIZED or limits == str(3000 * 1024), "the compiler ran without --compile-memory: ulimit -v %s" % limits)
        # again, and SIGTERM while it compiles
        open(model + ".new", "w").write(text.replace('<Constant dataType="double">0.3</Constant>',
                                                     '<Constant dataType="double">0.1</Constant>'))
        os.rename(model + ".new", model)
        deadline = time.time() + 10
        while e.log(p).count("reloading") < 2:
            check(time.time() < deadline, "no second reload:\n" + e.log(p)[-2000:])
            time.sleep(0.05)
        time.sleep(0.5)
        t0 = time.time()
        p.send_signal(signal.SIGTERM)
        while "stopping" not in e.log(p):
            check(time.time() - t0 < 5, "SIGTERM during a reload was not acted on:\n" + e.log(p)[-2000:])
            time.sleep(0.02)
        acted = time.time() - t0
        e.finish(p, timeout=30)
        stopped = time.time() - t0
        check(acted < 1.0, "SIGTERM during a reload took %.2f s to act" % acted)
        pids = [int(x) for x in open(os.path.join(e.dir, "pids")).read().split()]
        for pid in pids:
            try:
                os.kill(pid, 0)
                raise Failure("the compiler (pid %d) outlived the harness" % pid)
            except ProcessLookupError:
                pass
        os.remove(slow)
        prod.finish()
        q = e.harness(model=model, extra=["-e"], log="drain.log")
        e.finish(q)
        reconcile(e, n)
        print("reload: SIGTERM acted on in %.2f s, the harness was gone in %.2f s" % (acted, stopped))
    finally:
        e.close()



def test_metrics_idle(nerva):
    """200 idle connections to the metrics port do not hold up a scrape;
    /healthz, /readyz, 404 elsewhere; IPv4 and IPv6"""
    e = Env(nerva, "metrics-idle", partitions=2)
    idle = []
    try:
        e.produce("in", records(0, 100))
        port = free_port()
        p = e.harness(extra=["--metrics-port", str(port)], limits=limited)
        e.wait_progress(p, 100)
        time.sleep(1.2)
        for k in range(200):
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            if k % 2:
                s.send(b"GET /metr")  # half a request, never finished
            idle.append(s)
        t0 = time.time()
        body = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=10).read().decode()
        took = time.time() - t0
        check("nerva_consumed_total 100" in body, "metrics: %r" % body[:300])
        check(took < 1.0, "a scrape beside 200 idle connections took %.2f s" % took)
        for path, code in [("/healthz", 200), ("/readyz", 200), ("/nope", 404), ("/", 404)]:
            try:
                r = urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=5)
                got = r.status
            except urllib.error.HTTPError as ex:
                got = ex.code
            check(got == code, "%s: %d, want %d" % (path, got, code))
        if socket.has_ipv6:
            try:
                body6 = urllib.request.urlopen("http://[::1]:%d/metrics" % port, timeout=5).read().decode()
                check("nerva_consumed_total" in body6, "IPv6 /metrics: %r" % body6[:200])
            except urllib.error.URLError as ex:
                if "Cannot assign" not in str(ex) and "unreachable" not in str(ex):
                    raise Failure("IPv6 /metrics: %s" % ex)
        # the idle ones are closed by the harness after a short while
        time.sleep(2.5)
        closed = 0
        for s in idle:
            s.settimeout(0.5)
            try:
                closed += s.recv(10) == b""
            except OSError:
                pass
        check(closed >= 190, "only %d of 200 idle connections were closed" % closed)
        p.send_signal(signal.SIGTERM)
        e.finish(p)
        print("metrics: a scrape beside 200 idle connections took %.3f s" % took)
    finally:
        for s in idle:
            s.close()
        e.close()


if __name__ == "__main__":
    sys.exit(run_tests(globals()))
