#!/usr/bin/env python3
"""The Kafka harness against a real TCP broker: `nerva broker` (librdkafka's
mock cluster) with faults injected through its --control commands, kcat as
the independent producer and reader, and `nerva kafka` run the way users run
it.  Each test is bounded in records and seconds.

Why these: the harness's promise is about records, not code paths: every
input record comes out exactly once as a result or a dead letter, across
shutdowns, crashes, broker faults, rebalances and model reloads.  So every
test counts records by key at the end, through kcat, never through the
harness's own counters.

    kafka_tests.py --nerva build/nerva TEST...      (TEST: a name below, or all)
"""

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
FRAUD = os.path.join(ROOT, "samples", "fraud", "fraud.pmml")
TRANSACTIONS = os.path.join(ROOT, "samples", "fraud", "transactions.csv")
EXPECTED = os.path.join(ROOT, "samples", "fraud", "expected.csv")
SKIP = 77


class Failure(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Failure(msg)


class Env:
    """A broker, a scratch directory, and helpers to drive kcat and nerva."""

    def __init__(self, nerva, name, brokers=1, partitions=4, topics=("in", "out", "dlq")):
        self.nerva = nerva
        self.dir = tempfile.mkdtemp(prefix="nerva-kafka-%s-" % name)
        self.env = dict(os.environ, NERVA_CACHE_DIR=os.environ.get(
            "NERVA_CACHE_DIR", os.path.join(self.dir, "cache")))
        self.procs = []
        addr = os.path.join(self.dir, "address")
        args = [nerva, "broker", "--brokers", str(brokers), "--partitions", str(partitions),
                "--address-file", addr, "--control"]
        for t in topics:
            args += ["--topic", t]
        self.broker = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                       stderr=subprocess.STDOUT, env=self.env)
        # a wrong or stale address makes clients retry silently for minutes:
        # wait for this broker's own, freshly written file, and fail fast
        deadline = time.time() + 20
        while not os.path.exists(addr):
            if self.broker.poll() is not None:
                raise Failure("nerva broker exited: %s" % self.broker.stdout.read())
            check(time.time() < deadline, "nerva broker wrote no address file in 20 s")
            time.sleep(0.05)
        self.bootstrap = open(addr).read().strip()
        check(re.fullmatch(r"(127\.0\.0\.1:\d+,?)+", self.bootstrap) is not None,
              "bad address file: %r" % self.bootstrap)
        self.broker.stdout.readline()  # its banner

    def control(self, cmd):
        self.broker.stdin.write((cmd + "\n").encode())
        self.broker.stdin.flush()
        reply = self.broker.stdout.readline().decode().strip()
        check(reply == "ok", "broker control %r: %r" % (cmd, reply))

    def close(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        self.broker.send_signal(signal.SIGTERM)
        try:
            self.broker.wait(10)
        except subprocess.TimeoutExpired:
            self.broker.kill()
            self.broker.wait()
        shutil.rmtree(self.dir, ignore_errors=True)

    # ---- kcat
    def produce(self, topic, records, headers=None, partition=None, extra=()):
        """records: [(key, value)], str or bytes; values must not contain
        newlines (nor keys tabs)"""
        def b(x):
            return x if isinstance(x, bytes) else x.encode()
        data = b"".join(b(k) + b"\t" + b(v) + b"\n" for k, v in records)
        args = ["kcat", "-P", "-b", self.bootstrap, "-t", topic, "-K", "\t", "-z", "none",
                "-X", "message.max.bytes=8000000"] + list(extra)
        if partition is not None:
            args += ["-p", str(partition)]
        for h in headers or []:
            args += ["-H", h]
        p = subprocess.run(args, input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        check(p.returncode == 0, "kcat -P failed: %s" % p.stderr.decode())

    def produce_binary(self, topic, records):
        """records: [(key, value bytes)], any bytes but the delimiters"""
        for k, v in records:
            check(b"<<M>>" not in v and b"<<K>>" not in v and "<<" not in k, "a record holds a delimiter")
        data = b"".join(k.encode() + b"<<K>>" + v + b"<<M>>" for k, v in records)
        p = subprocess.run(["kcat", "-P", "-b", self.bootstrap, "-t", topic, "-K", "<<K>>", "-D", "<<M>>",
                            "-z", "none"], input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        check(p.returncode == 0, "kcat -P failed: %s" % p.stderr.decode())

    def stream(self, lo, hi, chunk=1000, interval=0.1, topic="in"):
        """produces records lo..hi-1 in the background, chunk by chunk, so
        that a harness is mid-stream whenever a test acts; join() waits"""
        import threading
        errors = []

        def run():
            try:
                for start in range(lo, hi, chunk):
                    self.produce(topic, records(start, min(hi, start + chunk)))
                    time.sleep(interval)
            except Exception as ex:  # reported by join()
                errors.append(ex)
        t = threading.Thread(target=run, daemon=True)
        t.start()

        def join():
            t.join(120)
            check(not t.is_alive() and not errors, "background producer failed: %s" % errors)
        t.finish = join
        return t

    def consume(self, topic, fmt="%k\t%s\n", raw=False):
        """every message of topic, as lines in kcat's format (raw: the bytes)"""
        p = subprocess.run(["kcat", "-C", "-b", self.bootstrap, "-t", topic, "-o", "beginning", "-e",
                            "-q", "-f", fmt, "-X", "fetch.message.max.bytes=8000000"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        check(p.returncode == 0, "kcat -C failed: %s" % p.stderr.decode())
        if raw:
            return p.stdout
        return [line for line in p.stdout.decode("utf-8", "replace").split("\n") if line]

    def keys(self, topic):
        return [line.split("\t", 1)[0] for line in self.consume(topic, "%k\n")]

    # ---- nerva kafka
    def harness(self, model=FRAUD, group="g", extra=(), log="harness.log", topic="in", out="out", dlq="dlq",
                env=None, limits=None):
        """starts `nerva kafka`; limits: a function run in the child before
        it starts (resource limits)"""
        args = [self.nerva, "kafka", model, "-b", self.bootstrap, "-t", topic, "-o", out, "-G", group,
                "--dlq", dlq, "--stats", "0.2", "-X", "consumer.session.timeout.ms=6000",
                "-X", "consumer.heartbeat.interval.ms=500"] + list(extra)
        logf = open(os.path.join(self.dir, log), "ab")
        p = subprocess.Popen(args, stdout=logf, stderr=logf, env=dict(self.env, **(env or {})),
                             preexec_fn=limits)
        p.logpath = logf.name
        self.procs.append(p)
        return p

    def log(self, p):
        return open(p.logpath, errors="replace").read()

    def events(self, p):
        """the log without its --stats lines"""
        return "\n".join(line for line in self.log(p).split("\n") if " lag=" not in line)

    def wait_assigned(self, p, timeout=60):
        deadline = time.time() + timeout
        while "assigned" not in self.log(p):
            if p.poll() is not None or time.time() > deadline:
                raise Failure("nerva kafka got no partitions:\n" + self.log(p)[-3000:])
            time.sleep(0.05)

    def wait_log(self, p, text, why, timeout=60):
        """waits for text in the harness's log; fails with why"""
        deadline = time.time() + timeout
        while text not in self.log(p):
            check(time.time() < deadline, "%s:\n%s" % (why, self.log(p)[-3000:]))
            time.sleep(0.1)

    def progress(self, p):
        """results acknowledged so far, from the harness's --stats lines"""
        found = re.findall(r"produced=(\d+) dlq=(\d+)", self.log(p))
        return sum(map(int, found[-1])) if found else 0

    def wait_progress(self, p, n, timeout=60):
        deadline = time.time() + timeout
        while self.progress(p) < n:
            if p.poll() is not None:
                raise Failure("nerva kafka exited early (%s):\n%s" % (p.returncode, self.log(p)[-3000:]))
            if time.time() > deadline:
                raise Failure("no progress to %d in %d s:\n%s" % (n, timeout, self.log(p)[-3000:]))
            time.sleep(0.05)

    def finish(self, p, timeout=90):
        try:
            rc = p.wait(timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            raise Failure("nerva kafka did not finish in %d s:\n%s" % (timeout, self.log(p)[-3000:]))
        check(rc == 0, "nerva kafka exited %d:\n%s" % (rc, self.log(p)[-3000:]))


def record(i, bad=False):
    if bad:
        return ("k%d" % i, '{"amount": %d.5, "merchant_category": "fu' % i)
    return ("k%d" % i, json.dumps({"id": i, "amount": round(5 + (i * 37 % 500) / 3, 2),
                                   "merchant_category": ["grocery", "fuel", "travel", "gambling"][i % 4],
                                   "hour": i % 24, "country_mismatch": i % 7 == 0,
                                   "card_age_days": i % 900}, separators=(",", ":")).replace("false", "0").replace("true", "1"))


def records(lo, hi, bad_every=0):
    return [record(i, bad_every and i % bad_every == bad_every - 1) for i in range(lo, hi)]


def reconcile(e, n, bad=0, exact=True):
    """every key k0..k(n-1) is in out or dlq; with exact, once"""
    out, dlq = e.keys("out"), e.keys("dlq")
    want = {"k%d" % i for i in range(n)}
    seen = set(out) | set(dlq)
    missing = want - seen
    check(not missing, "%d records lost, e.g. %s" % (len(missing), sorted(missing)[:5]))
    check(not (seen - want), "unexpected keys %s" % sorted(seen - want)[:5])
    check(not (set(out) & set(dlq)), "records both scored and dead-lettered")
    dups = len(out) + len(dlq) - len(seen)
    if exact:
        check(dups == 0, "%d records came out twice" % dups)
    check(len(set(dlq)) == bad, "%d dead letters, expected %d" % (len(set(dlq)), bad))
    return dups


# ---------------------------------------------------------------- tests

def test_round_trip(nerva):
    """counts reconcile; results equal `nerva score`'s on the sample data;
    metrics are served in Prometheus text format"""
    e = Env(nerva, "round-trip")
    try:
        import csv
        rows = list(csv.DictReader(open(TRANSACTIONS, newline="")))
        fields = ["amount", "merchant_category", "hour", "country_mismatch", "card_age_days"]

        def js(r):
            obj = {}
            for f in fields:
                v = r[f]
                obj[f] = None if v == "" else v if f == "merchant_category" else float(v)
            return json.dumps(obj, separators=(",", ":"))
        sample = [("k%d" % i, js(r)) for i, r in enumerate(rows)]
        n = 3000
        e.produce("in", sample + records(len(rows), n, bad_every=250))
        import socket
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        p = e.harness(extra=["--metrics-port", "127.0.0.1:%d" % port])
        e.wait_progress(p, n)
        time.sleep(1.2)  # the endpoint republishes each second
        metrics = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=10).read().decode()
        for name in ["nerva_consumed_total %d" % n, "nerva_produced_total", "nerva_dead_lettered_total",
                     "nerva_errors_total", "nerva_partition_lag{topic=\"in\",partition=\"0\"}",
                     "nerva_partition_consumed_total{topic=\"in\",partition=\"",
                     "# TYPE nerva_latency_seconds histogram", "nerva_latency_seconds_bucket{le=\"0.01\"}",
                     "nerva_latency_seconds_sum ", "nerva_score_seconds_count ", "nerva_build_info{version=",
                     "nerva_model_info{model=\"%s\",hash=\"" % FRAUD]:
            check(name in metrics, "metrics lack %r:\n%s" % (name, metrics))
        # a histogram's buckets are cumulative and end at its count
        series = dict(line.rsplit(" ", 1) for line in metrics.split("\n") if line and not line.startswith("#"))
        count = int(series["nerva_latency_seconds_count"])
        buckets = [int(v) for k, v in series.items() if k.startswith("nerva_latency_seconds_bucket")]
        check(count == n and buckets == sorted(buckets) and buckets[-1] == count
              and float(series["nerva_latency_seconds_sum"]) > 0, "latency histogram: %r" % buckets)
        p.send_signal(signal.SIGTERM)
        e.finish(p)
        bad = len(range(len(rows), n)) and sum(1 for i in range(len(rows), n) if i % 250 == 249)
        reconcile(e, n, bad)
        log = e.log(p)
        last = re.findall(r"consumed=(\d+) scored=(\d+) produced=(\d+) dlq=(\d+)", log)[-1]
        consumed, scored, produced, dlq = map(int, last)
        check(consumed == n and produced == scored and scored + dlq == n,
              "harness counters do not reconcile: %s" % (last,))
        # the first 200 results are the sample transactions: compare with the reference
        expected = list(csv.DictReader(open(EXPECTED, newline="")))
        got = {}
        for line in e.consume("out"):
            k, v = line.split("\t", 1)
            got[k] = json.loads(v)
        for i, want in enumerate(expected):
            r = got["k%d" % i]
            for f in ["is_fraud", "fraud_probability", "decision"]:
                w = want[f]
                g = r[f]
                if w == "":
                    check(g is None, "k%d %s: %r, expected missing" % (i, f, g))
                elif f == "fraud_probability":
                    check(g is not None and abs(float(w) - g) <= 1e-12 * max(1, abs(g)),
                          "k%d %s: %r, expected %s" % (i, f, g, w))
                else:
                    check(g == w, "k%d %s: %r, expected %r" % (i, f, g, w))
    finally:
        e.close()


def test_dead_letters(nerva):
    """malformed records reach the DLQ with their key, their headers and
    headers naming the error and the source; good ones keep headers too"""
    e = Env(nerva, "dlq", partitions=1)
    try:
        recs = [("k0", '{"amount": 12.5, "hour": 3}'),
                ("k1", '{"amount": '),                      # cut short
                ("k2", '{"amount": "lots"}'),               # wrong type
                ("k3", '[1, 2, 3]'),                        # not an object
                ("k4", '{"hour": 7, "amount": 1e999999}'),  # fine: infinity is invalid to the model
                ("k5", '{"merchant_category": {"nested": 1}}')]
        e.produce("in", recs, headers=["trace=abc"])
        p = e.harness(extra=["-e"])
        e.finish(p)
        reconcile(e, 6, bad=4)
        dl = {}
        for line in e.consume("dlq", "%k\t%o\t%h\t%s\n"):
            k, off, hdrs, val = line.split("\t", 3)
            dl[k] = (dict(h.split("=", 1) for h in hdrs.split(",")), val, int(off))
        want = {"k1": ("parse", 1), "k2": ("type", 2), "k3": ("parse", 3), "k5": ("type", 5)}
        for k, (kind, offset) in want.items():
            h, val = dl[k][0], dl[k][1]
            check(h.get("nerva.error") == kind, "%s: nerva.error=%r" % (k, h.get("nerva.error")))
            check(h.get("nerva.source.topic") == "in" and h.get("nerva.source.partition") == "0"
                  and h.get("nerva.source.offset") == str(offset), "%s: source headers %r" % (k, h))
            check(h.get("trace") == "abc", "%s: the input's header was not kept: %r" % (k, h))
            check(h.get("nerva.error.message"), "%s: no error message" % k)
            check(val == dict(recs)[k], "%s: the dead letter is not the original value: %r" % (k, val))
        check("field 'amount'" in dl["k2"][0]["nerva.error.message"], "k2 message: %r" % dl["k2"][0])
        out = e.consume("out", "%k\t%h\n")
        check(all("\ttrace=abc," in line for line in out), "results lost the input's headers: %r" % out)
        check(all(re.search(r",nerva\.model=[0-9a-f]{16}$", line) for line in out),
              "results do not say which model scored them: %r" % out)
        check("bad record in[0]@1: parse" in e.log(p), "bad records are not logged:\n" + e.log(p))
    finally:
        e.close()


def stop_and_restart(nerva, sig, name):
    """a harness consuming a live stream is stopped by sig, then restarted
    to the end; returns (env, records redone, the bound on them).  Before the
    signal the output's broker goes down for a while, so that many results
    are in flight, unacknowledged, while consumption (and, for kill -9,
    commits) go on: a harness that commits what it has not delivered loses
    them, and one that does not store what it delivers at shutdown redoes
    them."""
    e = Env(nerva, name, brokers=2, partitions=4)
    n = 30000
    try:
        for part in range(4):
            e.control("leader in %d 1" % part)
            e.control("leader out %d 2" % part)
            e.control("leader dlq %d 2" % part)
        p = e.harness(extra=["--batch", "100"])
        e.wait_assigned(p)
        prod = e.stream(0, n, chunk=500, interval=0.15)
        e.wait_progress(p, 4000)
        time.sleep(3)  # auto-commits happen each second
        early = e.progress(p)
        time.sleep(2)
        e.control("down 2")
        time.sleep(2)
        p.send_signal(sig)
        if sig == signal.SIGTERM:
            time.sleep(1.5)  # shutdown waits for the results in flight
        e.control("up 2")
        p.wait(60)
        if sig == signal.SIGTERM:
            check(p.returncode == 0, "exit %d after SIGTERM:\n%s" % (p.returncode, e.log(p)[-3000:]))
        check(e.progress(p) < n, "the stream ended before the signal; nothing was tested")
        prod.finish()
        q = e.harness(extra=["-e"], log="restart.log")
        e.finish(q)
        # records acknowledged before the last commit must not be redone:
        # at most those acknowledged in the last two seconds before the outage
        return e, reconcile(e, n, exact=sig == signal.SIGTERM), e.progress(p) - early + 1000
    except BaseException:
        e.close()
        raise


def test_sigterm_restart(nerva):
    """SIGTERM mid-stream, then a restart: nothing lost, nothing twice"""
    e, _, _ = stop_and_restart(nerva, signal.SIGTERM, "sigterm")
    e.close()


def test_kill9_restart(nerva):
    """kill -9 mid-stream, then a restart: nothing lost, and only records
    of the uncommitted window (the last second or so) redone"""
    e, dups, bound = stop_and_restart(nerva, signal.SIGKILL, "kill9")
    try:
        print("kill -9: %d records redone from the uncommitted window (bound %d)" % (dups, bound))
        check(dups <= bound, "%d records redone: more than the uncommitted window (%d)" % (dups, bound))
    finally:
        e.close()


def test_broker_faults(nerva):
    """request errors, brokers down for seconds, leader changes: nothing lost"""
    e = Env(nerva, "faults", brokers=3, partitions=6)
    n = 30000
    try:
        e.produce("in", records(0, n))
        # a session that outlives the outages: the member is not expelled
        p = e.harness(extra=["--batch", "200", "-X", "consumer.session.timeout.ms=30000"])
        e.wait_progress(p, 2000)
        # retriable errors on Produce (6 NOT_LEADER_OR_FOLLOWER, 7 REQUEST_TIMED_OUT),
        # Fetch (1) and OffsetCommit (8, 14 COORDINATOR_LOAD_IN_PROGRESS)
        e.control("errors 0 6 20")
        e.control("errors 0 7 20")
        e.control("errors 1 6 10")
        e.control("errors 8 14 5")
        e.wait_progress(p, 8000)
        e.control("leader in 0 2")
        e.control("leader out 1 3")
        e.control("leader out 2 1")
        e.wait_progress(p, 12000)
        e.control("down 2")
        e.control("down 3")
        time.sleep(3)
        e.control("up 2")
        e.control("up 3")
        e.wait_progress(p, 20000, timeout=90)
        e.control("down -1")
        time.sleep(2)
        e.control("up -1")
        e.wait_progress(p, n, timeout=120)
        p.send_signal(signal.SIGTERM)
        e.finish(p)
        # a produce request the broker refuses for its messages (10
        # MESSAGE_TOO_LARGE): those results are dead-lettered, each saying
        # so, and the stream goes on
        n2 = n + 6000
        e.control("create in2 6")
        e.control("create in3 6")
        for part in range(6):
            e.control("leader in2 %d 1" % part)
            e.control("leader in3 %d 1" % part)
            e.control("leader out %d 2" % part)
        p = e.harness(group="g2", extra=["--batch", "200"], log="refused.log", topic="in2")
        e.wait_assigned(p)
        prod = e.stream(n, n2, chunk=500, interval=0.15, topic="in2")
        e.wait_progress(p, 2000)
        e.control("broker-errors 2 0 10 1")
        prod.finish()
        e.wait_progress(p, n2 - n, timeout=90)
        check(p.poll() is None, "a refused result stopped the harness:\n" + e.events(p)[-3000:])
        p.send_signal(signal.SIGTERM)
        e.finish(p)
        refused = [line for line in e.consume("dlq", "%k\t%h\n")]
        check(refused and all("nerva.error=too-large" in x and "broker refused the result" in x for x in refused),
              "results the broker refused are not dead letters saying so: %r" % refused[:3])
        reconcile(e, n2, bad=len(refused))
        # produce requests that fail for the whole client (29
        # TOPIC_AUTHORIZATION_FAILED): the harness must stop without
        # committing past the failed results, and a restart must redo them
        n3 = n2 + 6000
        p = e.harness(group="g3", extra=["--batch", "200"], log="failed.log", topic="in3")
        e.wait_assigned(p)
        prod = e.stream(n2, n3, chunk=500, interval=0.15, topic="in3")
        e.wait_progress(p, 2000)
        e.control("broker-errors 2 0 29 1")
        try:
            rc = p.wait(60)
        except subprocess.TimeoutExpired:
            rc = None
        check(rc == 3 and "stopping without committing" in e.log(p),
              "failed deliveries did not stop the harness (exit %s):\n%s" % (rc, e.events(p)[-3000:]))
        prod.finish()
        q = e.harness(group="g3", extra=["-e"], log="restart.log", topic="in3")
        e.finish(q, timeout=120)
        dups = reconcile(e, n3, bad=len(refused), exact=False)
        print("faults: %d records redone" % dups)
    finally:
        e.close()


def test_group_takeover(nerva):
    """two members share the partitions; when one leaves, the other takes
    its partitions over and the stream completes with nothing lost"""
    e = Env(nerva, "group", partitions=6)
    n = 20000
    try:
        a = e.harness(group="shared", extra=["--batch", "100"], log="a.log")
        e.wait_assigned(a)
        prod = e.stream(0, n, chunk=500, interval=0.15)
        b = e.harness(group="shared", extra=["--batch", "100"], log="b.log")
        deadline = time.time() + 60
        while not (re.search(r"assigned [1-5] partition", e.log(a)) and
                   re.search(r"assigned [1-5] partition", e.log(b))):
            check(time.time() < deadline, "the two members never shared the partitions:\n%s\n%s"
                  % (e.log(a)[-2000:], e.log(b)[-2000:]))
            time.sleep(0.1)
        shared_a, shared_b = e.progress(a), e.progress(b)
        e.wait_progress(a, shared_a + 500)
        e.wait_progress(b, shared_b + 500)
        a.send_signal(signal.SIGTERM)
        e.finish(a)
        check(e.progress(a) < n, "member a finished the stream alone")
        deadline = time.time() + 60
        while not re.search(r"assigned 6 partition", e.log(b)):
            check(time.time() < deadline, "b never took over a's partitions:\n" + e.log(b)[-3000:])
            time.sleep(0.1)
        prod.finish()
        e.wait_progress(b, n - e.progress(a), timeout=90)
        b.send_signal(signal.SIGTERM)
        e.finish(b)
        # b's count includes records it redid, so it may stop short of the
        # end: a last member drains what is left from the group's offsets
        q = e.harness(group="shared", extra=["-e"], log="drain.log")
        e.finish(q)
        # exact=False: the mock cluster refuses offset commits while a group
        # rebalances (a real broker accepts them until the sync), so records
        # since the last auto-commit are redone by their new owner
        dups = reconcile(e, n, exact=False)
        print("group: %d records redone after rebalances" % dups)
    finally:
        e.close()


def test_hot_reload(nerva):
    """a changed model file is swapped in mid-stream with nothing lost or
    twice; an incompatible one is refused and the old model kept"""
    e = Env(nerva, "reload", partitions=2)
    try:
        model = os.path.join(e.dir, "model.pmml")
        text = open(FRAUD).read()
        open(model, "w").write(text)
        e.produce("in", records(0, 4000))
        p = e.harness(model=model, extra=["--batch", "100"])
        e.wait_progress(p, 4000)
        # a compatible change: nothing is "allow" any more
        check('<Constant dataType="double">0.3</Constant>' in text, "the sample model changed")
        open(model + ".new", "w").write(text.replace('<Constant dataType="double">0.3</Constant>',
                                                     '<Constant dataType="double">0.0</Constant>'))
        os.rename(model + ".new", model)
        e.wait_log(p, "reloaded", "no reload")
        e.produce("in", records(4000, 8000))
        e.wait_progress(p, 8000)
        # an incompatible one: a new input field
        bad = text.replace('<DataField name="is_fraud"', '<DataField name="extra" optype="continuous" '
                           'dataType="double"/>\n    <DataField name="is_fraud"', 1)
        bad = bad.replace('<MiningField name="card_age_days"/>',
                          '<MiningField name="card_age_days"/>\n      <MiningField name="extra"/>', 1)
        open(model + ".new", "w").write(bad)
        os.rename(model + ".new", model)
        p.send_signal(signal.SIGHUP)
        e.wait_log(p, "reload refused", "the incompatible model was not refused")
        check("input field 'extra' is new" in e.log(p), "refusal does not say why:\n" + e.log(p)[-2000:])
        e.produce("in", records(8000, 10000))
        e.wait_progress(p, 10000)
        p.send_signal(signal.SIGTERM)
        e.finish(p)
        reconcile(e, 10000)
        decisions = {}
        for line in e.consume("out"):
            k, v = line.split("\t", 1)
            decisions[int(k[1:])] = json.loads(v)["decision"]
        early = [decisions[i] for i in range(0, 4000)]
        late = [decisions[i] for i in range(4000, 10000)]
        check("allow" in early, "the first model never said allow")
        check("allow" not in late, "records after the reload were scored by the old model")
    finally:
        e.close()


# an emit engine with state: record i gives i % 3 values, each carrying the
# engine's count of records seen so far; every 50th record raises error 7
# after counting (and after emitting what it had)
PFA_EMIT = {
    "name": "splitter", "method": "emit",
    "input": {"type": "record", "name": "In", "fields": [{"name": "id", "type": "int"}]},
    "output": {"type": "record", "name": "Out", "fields": [
        {"name": "id", "type": "int"}, {"name": "part", "type": "int"}, {"name": "seen", "type": "int"}]},
    "cells": {"seen": {"type": "int", "init": 0}},
    "action": [
        {"cell": "seen", "to": {"params": [{"n": "int"}], "ret": "int", "do": {"+": ["n", 1]}}},
        {"for": {"j": 0}, "while": {"<": ["j", {"%": ["input.id", 3]}]}, "step": {"j": {"+": ["j", 1]}},
         "do": [{"emit": [{"new": {"id": "input.id", "part": "j", "seen": {"cell": "seen"}}, "type": "Out"}]}]},
        {"if": {"==": [{"%": ["input.id", 50]}, 49]}, "then": [{"error": "every fiftieth", "code": 7}]},
    ]}


def test_pfa(nerva):
    """a PFA engine in the harness: state kept across records, any number of
    results per record (each record committed once all its results are
    acknowledged, none for a record with none), PFA errors dead-lettered with
    their code, and formats a PFA engine cannot take refused"""
    e = Env(nerva, "pfa", partitions=3)
    try:
        model = os.path.join(e.dir, "splitter.pfa")
        json.dump(PFA_EMIT, open(model, "w"))
        n = 3000
        e.produce("in", [("k%d" % i, '{"id": %d}' % i) for i in range(n)])
        p = e.harness(model=model, extra=["-e", "--batch", "64"])
        e.finish(p)
        out = {}
        seen = []
        for line in e.consume("out"):
            k, v = line.split("\t", 1)
            r = json.loads(v)
            check(k == "k%d" % r["id"], "result %r under key %s" % (r, k))
            out.setdefault(r["id"], []).append(r["part"])
            seen.append(r["seen"])
        for i in range(n):
            got = sorted(out.get(i, []))
            check(got == list(range(i % 3)), "record %d gave parts %r, want %r" % (i, got, list(range(i % 3))))
        # one engine, one count: a record's values share the count it took
        check(len(set(seen)) == sum(1 for i in range(n) if i % 3) and min(seen) >= 1 and max(seen) <= n,
              "the engine's state is not one count over the stream: %d distinct counts" % len(set(seen)))
        dl = e.consume("dlq", "%k\t%h\n")
        want = {"k%d" % i for i in range(n) if i % 50 == 49}
        check({line.split("\t")[0] for line in dl} == want and len(dl) == len(want),
              "dead letters %d, want %d" % (len(dl), len(want)))
        check(all("nerva.error=pfa" in line and "nerva.error.code=7" in line for line in dl),
              "dead letters lack the PFA error and code: %r" % dl[:2])
        # everything was committed, records without results too
        q = e.harness(model=model, extra=["-e"], log="again.log")
        e.finish(q)
        last = re.findall(r"consumed=(\d+)", e.log(q))
        check(last and last[-1] == "0", "a second run consumed again: %s" % last[-1:])
        # formats the engine does not read are refused before anything runs
        r = subprocess.run([nerva, "kafka", model, "-b", e.bootstrap, "-t", "in", "-o", "out",
                            "--input-format", "csv"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           env=e.env, timeout=60)
        check(r.returncode == 1 and b"is a PFA engine" in r.stdout,
              "csv input to a PFA engine: exit %d: %s" % (r.returncode, r.stdout[-500:]))
    finally:
        e.close()


def test_pfa_timeout(nerva):
    """--pfa-timeout: a record on which an untrusted PFA document loops forever
    is dead-lettered with the timeout error, and the stream goes on"""
    e = Env(nerva, "pfa-timeout", partitions=2)
    try:
        model = os.path.join(e.dir, "loop.pfa")
        json.dump({"input": "int", "output": "int",
                   "action": [{"let": {"i": 0}},
                              {"while": {"<": ["input", 0]}, "do": [{"set": {"i": {"+": ["i", 1]}}}]},
                              {"*": ["input", 2]}]}, open(model, "w"))
        n = 200
        e.produce("in", [("k%d" % i, str(-i if i % 50 == 49 else i)) for i in range(n)])
        p = e.harness(model=model, extra=["-e", "--pfa-timeout", "100"])
        e.finish(p, timeout=120)
        reconcile(e, n, bad=4)
        dl = e.consume("dlq", "%k\t%h\n")
        check(all("exceeded timeout of 100 milliseconds" in line for line in dl),
              "the dead letters do not name the timeout: %r" % dl[:2])
        r = subprocess.run([nerva, "kafka", model, "-b", e.bootstrap, "-t", "in", "-o", "out",
                            "--pfa-timeout", "soon"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           env=e.env, timeout=60)
        check(r.returncode == 2, "a bad --pfa-timeout: exit %d, want 2 (usage)" % r.returncode)
    finally:
        e.close()


def test_pfa_reload(nerva):
    """a PFA engine is reloaded mid-stream when its document changes (same
    input type), and a document with another input type is refused"""
    e = Env(nerva, "pfa-reload", partitions=2)
    try:
        model = os.path.join(e.dir, "m.pfa")

        def doc(add, input_type="int"):
            return json.dumps({"name": "adder", "input": input_type, "output": "int",
                               "action": {"+": ["input", add] if input_type == "int" else [1, add]}})
        open(model, "w").write(doc(1000))
        e.produce("in", [("k%d" % i, str(i)) for i in range(0, 500)])
        p = e.harness(model=model, extra=["--batch", "50"])
        e.wait_progress(p, 500)
        open(model + ".new", "w").write(doc(2000))
        os.rename(model + ".new", model)
        e.wait_log(p, "reloaded", "no reload")
        e.produce("in", [("k%d" % i, str(i)) for i in range(500, 1000)])
        e.wait_progress(p, 1000)
        open(model + ".new", "w").write(doc(3000, "string"))
        os.rename(model + ".new", model)
        e.wait_log(p, "reload refused", "the other input type was not refused")
        check("input type differs" in e.log(p), "the refusal does not say why:\n" + e.log(p)[-2000:])
        e.produce("in", [("k%d" % i, str(i)) for i in range(1000, 1200)])
        e.wait_progress(p, 1200)
        p.send_signal(signal.SIGTERM)
        e.finish(p)
        reconcile(e, 1200)
        got = {}
        for line in e.consume("out"):
            k, v = line.split("\t", 1)
            got[int(k[1:])] = int(v)
        check(all(got[i] == i + 1000 for i in range(500)), "the first document did not score the first records")
        check(all(got[i] == i + 2000 for i in range(500, 1200)), "records after the reload were not scored by "
              "the new document (or the refused one was used)")
    finally:
        e.close()


def test_ppfa_reload(nerva):
    """an engine written in PrettyPFA (.ppfa) scores a stream and is reloaded
    when its text changes; a text with a syntax error is refused with its
    file:line:col and the running engine kept"""
    e = Env(nerva, "ppfa-reload", partitions=2)
    try:
        model = os.path.join(e.dir, "adder.ppfa")

        def replace(text):
            open(model + ".new", "w").write(text)
            os.rename(model + ".new", model)
        replace("name: adder\ninput: int\noutput: int\naction: input + 1000  // PrettyPFA\n")
        e.produce("in", [("k%d" % i, str(i)) for i in range(0, 400)])
        p = e.harness(model=model, extra=["--batch", "50"])
        e.wait_progress(p, 400)
        replace("name: adder\ninput: int\noutput: int\naction:\n  var k = 2000;\n  input + k\n")
        e.wait_log(p, "reloaded", "no reload")
        e.produce("in", [("k%d" % i, str(i)) for i in range(400, 800)])
        e.wait_progress(p, 800)
        replace("name: adder\ninput: int\noutput: int\naction: input + * 3000\n")
        e.wait_log(p, "reload refused", "a text with a syntax error was not refused")
        check("adder.ppfa:4:17: error:" in e.log(p), "the refusal does not point at the token:\n" + e.log(p)[-2000:])
        e.produce("in", [("k%d" % i, str(i)) for i in range(800, 1000)])
        e.wait_progress(p, 1000)
        p.send_signal(signal.SIGTERM)
        e.finish(p)
        reconcile(e, 1000)
        got = {}
        for line in e.consume("out"):
            k, v = line.split("\t", 1)
            got[int(k[1:])] = int(v)
        check(all(got[i] == i + 1000 for i in range(400)), "the first text did not score the first records")
        check(all(got[i] == i + 2000 for i in range(400, 1000)), "records after the reload were not scored by "
              "the new text (or the refused one was used)")
    finally:
        e.close()


def test_kcat_black_box(nerva):
    """kcat produces CSV to `nerva broker`, `nerva kafka` scores it, kcat
    reads JSON back: nothing but the command lines a user would type"""
    e = Env(nerva, "kcat", partitions=3, topics=("in", "out", "dlq"))
    try:
        rows = [("k%d" % i, "T%d,%d.25,grocery,%d,0,%d" % (i, i, i % 24, 100 + i)) for i in range(500)]
        rows.append(("k500", 'T500,"unterminated'))
        e.produce("in", rows)
        p = subprocess.run([nerva, "kafka", FRAUD, "-b", e.bootstrap, "-t", "in", "-o", "out", "--dlq", "dlq",
                            "-e", "-q", "--input-format", "csv", "--columns",
                            "txn_id,amount,merchant_category,hour,country_mismatch,card_age_days",
                            "--output-format", "json", "-X", "consumer.fetch.wait.max.ms=20"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120, env=e.env)
        check(p.returncode == 0, "nerva kafka: exit %d: %s" % (p.returncode, p.stderr.decode()[-2000:]))
        reconcile(e, 501, bad=1)
        for line in e.consume("out"):
            k, v = line.split("\t", 1)
            r = json.loads(v)
            check(set(r) == {"is_fraud", "fraud_probability", "decision"}, "fields: %r" % r)
            check(0 < r["fraud_probability"] < 1, "%s: %r" % (k, r))
    finally:
        e.close()


def test_exactly_once(nerva):
    """--exactly-once runs consume-transform-produce in transactions; the
    mock cluster cannot prove exactly-once, so this checks that the
    transactional pipeline delivers everything once on a clean run"""
    e = Env(nerva, "eos", partitions=3)
    try:
        e.produce("in", records(0, 3000, bad_every=500))
        p = e.harness(extra=["-e", "--exactly-once", "--batch", "500"])
        e.finish(p)
        reconcile(e, 3000, bad=6)
    finally:
        e.close()


STATE_MODEL = """<PMML xmlns="http://www.dmg.org/PMML-4_4" version="4.4"><Header/>
 <DataDictionary>
  <DataField name="card" optype="categorical" dataType="string"/>
  <DataField name="amount" optype="continuous" dataType="double"/>
  <DataField name="y" optype="continuous" dataType="double"/>
 </DataDictionary>
 <RegressionModel functionName="regression">
  <MiningSchema><MiningField name="card"/><MiningField name="amount"/><MiningField name="y" usageType="target"/></MiningSchema>
  <Output>
   <OutputField name="prev" dataType="double" feature="transformedValue"><Lag field="amount"><BlockIndicator field="card"/></Lag></OutputField>
   <OutputField name="count" dataType="double" feature="transformedValue"><Aggregate field="amount" function="count" groupField="card"/></OutputField>
  </Output>
  <RegressionTable intercept="0"/>
 </RegressionModel>
</PMML>
"""


def test_state(nerva):
    """a model with Lag and Aggregate: each partition keeps its own entities
    (card A in partition 0 never sees card A of partition 1), records of
    several entities interleave, and --state-max-entities forgets the least
    recently seen entity (counted in the metrics)"""
    e = Env(nerva, "state", partitions=4)
    try:
        model = os.path.join(e.dir, "lag.pmml")
        open(model, "w").write(STATE_MODEL)
        cards = {0: "AB", 1: "AB", 2: "AC", 3: "ABC"}  # partition 3: three cards, a bound of two
        sent, i = [], 0
        for p in range(4):
            recs = []
            for j in range(30):
                card = cards[p][j % len(cards[p])]
                amount = 10 * p + j
                recs.append(("k%d" % i, json.dumps({"card": card, "amount": amount})))
                sent.append((i, p, card, amount))
                i += 1
            e.produce("in", recs, partition=p)
        port = free_port()
        h = e.harness(model=model, extra=["--state-max-entities", "2", "--metrics-port", "127.0.0.1:%d" % port])
        e.wait_progress(h, len(sent))
        time.sleep(1.2)  # the endpoint republishes each second
        metrics = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=10).read().decode()
        h.send_signal(signal.SIGTERM)
        e.finish(h)
        reconcile(e, len(sent))
        got = {}
        for line in e.consume("out"):
            k, v = line.split("\t", 1)
            got[int(k[1:])] = json.loads(v)
        # what each record should see: its partition's entities only
        last, count, lru, evicted = {}, {}, {}, 0
        for i, p, card, amount in sent:
            lru.setdefault(p, [])
            if (p, card) not in last and len(lru[p]) == 2:
                gone = lru[p].pop(0)  # the least recently seen
                evicted += 1
                last.pop((p, gone), None)
                count.pop((p, gone), None)
            if card in lru[p]:
                lru[p].remove(card)
            lru[p].append(card)
            want_prev = last.get((p, card))
            count[(p, card)] = count.get((p, card), 0) + 1
            r = got[i]
            check(r["prev"] == want_prev and r["count"] == count[(p, card)],
                  "record %d (partition %d, card %s): got %r, expected prev %r count %r" %
                  (i, p, card, r, want_prev, count[(p, card)]))
            last[(p, card)] = amount
        evictions = re.search(r"^nerva_state_evictions_total (\d+)$", metrics, re.M)
        entities = re.search(r"^nerva_state_entities (\d+)$", metrics, re.M)
        check(evicted > 0 and evictions and int(evictions.group(1)) == evicted and entities and
              int(entities.group(1)) == 8,
              "state metrics: %r %r" % (evictions and evictions.group(0), entities and entities.group(0)))
    finally:
        e.close()


def test_usage(nerva):
    """bad command lines and models fail with a message, not a hang"""
    cases = [([nerva, "kafka"], 2, "no model file"),
             ([nerva, "kafka", FRAUD, "-b", "127.0.0.1:1"], 2, "are required"),
             ([nerva, "kafka", FRAUD, "-b", "x", "-t", "a", "-o", "b", "--input-format", "xml"], 2, "json, csv or avro"),
             ([nerva, "kafka", FRAUD, "-b", "x", "-t", "a", "-o", "b", "--input-format", "avro"], 2, "--input-schema"),
             ([nerva, "kafka", "/nonexistent.pmml", "-b", "127.0.0.1:1", "-t", "a", "-o", "b"], 1, "nonexistent"),
             ([nerva, "kafka", FRAUD, "-b", "127.0.0.1:1", "-t", "a", "-o", "b", "-X", "no.such.property=1"], 1,
              "No such configuration property")]
    for args, rc, text in cases:
        p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        err = p.stderr.decode()
        check(p.returncode == rc and text in err, "%s: exit %d, %r" % (" ".join(args[1:]), p.returncode, err))


def free_port():
    """a TCP port on 127.0.0.1 that was free a moment ago"""
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def run_tests(module_globals):
    """the command line of each kafka_*.py: --nerva NERVA [TEST...], the
    module's test_* functions, skipped (77) without kcat or the harness"""
    tests = {name[5:]: fn for name, fn in sorted(module_globals.items()) if name.startswith("test_")}
    ap = argparse.ArgumentParser()
    ap.add_argument("--nerva", required=True)
    ap.add_argument("tests", nargs="*")
    a = ap.parse_args()
    if not shutil.which("kcat"):
        print("kcat is not installed (apt-get install kcat): skipped")
        return SKIP
    nerva = os.path.abspath(a.nerva)
    if not os.path.exists(os.path.join(os.path.dirname(nerva), "nerva-kafka")):
        print("nerva was built without the Kafka harness (librdkafka-dev): skipped")
        return SKIP
    names = a.tests if a.tests and a.tests != ["all"] else list(tests)
    failed = 0
    for name in names:
        t0 = time.time()
        try:
            tests[name](nerva)
            print("ok   %-16s %.1f s" % (name, time.time() - t0))
        except Failure as f:
            failed += 1
            print("FAIL %-16s %.1f s\n%s" % (name, time.time() - t0, f))
        sys.stdout.flush()
    print("%d passed, %d failed" % (len(names) - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(run_tests(globals()))
