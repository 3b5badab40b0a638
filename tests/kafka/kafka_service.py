#!/usr/bin/env python3
"""`nerva kafka` as a service beside Kafka Streams applications and
Confluent tooling: topics by name and by pattern, the Java client's
partitioning, a Schema Registry, and what operations need (logs, health
endpoints, properties files, a systemd unit).

Why these: each test states a promise a user relies on without reading the
harness's code -- a restart under a pattern subscription redoes nothing, a
key lands in the partition the Java partitioner gives it, a record written
with an evolved schema is read as the specification says and its result is
framed with the id the registry gave the output schema, the logs parse line
by line -- and checks it from the outside: kcat, HTTP, the registry's own
view, an independent Avro encoder and the Java client's murmur2 written out
here.  Where a test can, it also breaks the promise on purpose and checks
that the check notices.

    kafka_service.py --nerva build/nerva TEST...      (TEST: a name below, or all)
"""

import csv
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kafka_tests import FRAUD, ROOT, Env, Failure, check, free_port, records, run_tests  # noqa: E402
from registry_server import RegistryServer  # noqa: E402



def http_get(url, timeout=5):
    try:
        r = urllib.request.urlopen(url, timeout=timeout)
        return r.status, r.read().decode()
    except urllib.error.HTTPError as ex:
        return ex.code, ex.read().decode()


# ---------------------------------------------------------------- topics

def test_topics(nerva):
    """two -t options, one a pattern: offsets, dead letters, logs and
    metrics name the real topics; -o and --dlq are named after the input
    topic; a restart of the group redoes nothing"""
    e = Env(nerva, "topics", partitions=3, topics=("tx.a", "tx.b", "other"))
    try:
        n = 600
        recs = records(0, 3 * n, bad_every=100)
        e.produce("tx.a", recs[:n])
        e.produce("tx.b", recs[n:2 * n])
        e.produce("other", recs[2 * n:])
        port = free_port()
        args = ["-e", "-t", "other", "--metrics-port", "127.0.0.1:%d" % port]
        p = e.harness(topic="^tx\\..*", out="{topic}.scored", dlq="{topic}.dlq", extra=args)
        e.finish(p)
        log = e.log(p)
        check(re.search(r"assigned 9 partition\(s\): (?=.*tx\.a\[0,1,2\])(?=.*tx\.b\[0,1,2\])(?=.*other\[0,1,2\])", log),
              "the assignment does not name the real topics:\n" + log[-2000:])
        for t, part in [("tx.a", recs[:n]), ("tx.b", recs[n:2 * n]), ("other", recs[2 * n:])]:
            want = {k for k, _ in part}
            out, dlq = set(e.keys(t + ".scored")), set(e.keys(t + ".dlq"))
            check(out | dlq == want and not out & dlq, "%s: %d scored, %d dead letters, of %d" % (t, len(out), len(dlq), n))
            bad = {k for k in want if int(k[1:]) % 100 == 99}
            check(dlq == bad, "%s: dead letters %s, want %s" % (t, sorted(dlq), sorted(bad)))
            for line in e.consume(t + ".dlq", "%h\n"):
                check("nerva.source.topic=%s," % t in line, "%s: a dead letter names another source: %s" % (t, line))
            check(re.search(r"bad record %s\[\d\]@\d+" % re.escape(t), log), "no log line names %s" % t)
        # a second run of the same group: everything was committed, per real topic
        q = e.harness(topic="^tx\\..*", out="{topic}.scored", dlq="{topic}.dlq", extra=["-e", "-t", "other"],
                      log="again.log")
        e.finish(q)
        last = re.findall(r"consumed=(\d+)", e.log(q))
        check(last and last[-1] == "0", "a restart under a pattern consumed %s records again" % last[-1:])
        # the pattern also matches the results' topics (tx.a.scored): those are not fed back
        check(re.search(r"tx\.a\.scored\[.*paused, not consumed", e.log(q)),
              "the results' topics were not kept out of the pattern:\n" + e.log(q)[-2000:])
    finally:
        e.close()


# ---------------------------------------------------------------- partitioning

def murmur2(data):
    """Kafka's Utils.murmur2 (the Java client's default partitioner), as an
    unsigned 32-bit value"""
    m, r = 0x5BD1E995, 24
    h = (0x9747B28C ^ len(data)) & 0xFFFFFFFF
    n4 = len(data) // 4
    for i in range(n4):
        k = data[4 * i] | data[4 * i + 1] << 8 | data[4 * i + 2] << 16 | data[4 * i + 3] << 24
        k = (k * m) & 0xFFFFFFFF
        k ^= k >> r
        k = (k * m) & 0xFFFFFFFF
        h = (h * m) & 0xFFFFFFFF
        h ^= k
    rest = len(data) % 4
    tail = data[4 * n4:]
    if rest == 3:
        h ^= tail[2] << 16
    if rest >= 2:
        h ^= tail[1] << 8
    if rest >= 1:
        h ^= tail[0]
        h = (h * m) & 0xFFFFFFFF
    h ^= h >> 13
    h = (h * m) & 0xFFFFFFFF
    h ^= h >> 15
    return h


def java_partition(key, partitions):
    return (murmur2(key.encode()) & 0x7FFFFFFF) % partitions


def test_partitioning(nerva):
    """keys partitioned the Java way on input land in the same partition
    number on output (murmur2_random by default); with librdkafka's old
    default (consistent_random, CRC32) most do not, which the check sees"""
    # Kafka's own test vectors (UtilsTest.testMurmur2), as signed ints
    for text, want in [("21", -973932308), ("foobar", -790332482), ("a-little-bit-long-string", -985981536),
                       ("a-little-bit-longer-string", -1486304829),
                       ("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971), ("abc", 479470107)]:
        got = murmur2(text.encode())
        check((got - (1 << 32) if got >= 1 << 31 else got) == want, "murmur2(%r) = %d, Kafka says %d" % (text, got, want))
    parts = 6
    e = Env(nerva, "partitioning", partitions=parts, topics=("in", "out", "dlq", "out2"))
    try:
        keys = ["customer-%d" % i for i in range(40)]
        by_part = {}
        for i, k in enumerate(keys):
            by_part.setdefault(java_partition(k, parts), []).append((k, records(i, i + 1)[0][1]))
        for part, recs in by_part.items():
            e.produce("in", recs, partition=part)
        got_in = {line.split("\t")[0]: int(line.split("\t")[1]) for line in e.consume("in", "%k\t%p\n")}
        check(all(got_in[k] == java_partition(k, parts) for k in keys), "the input is not partitioned the Java way")
        p = e.harness(extra=["-e"])
        e.finish(p)
        out = {line.split("\t")[0]: int(line.split("\t")[1]) for line in e.consume("out", "%k\t%p\n")}
        moved = [k for k in keys if out.get(k) != java_partition(k, parts)]
        check(not moved, "%d of %d keys landed in another output partition than the Java client's: %s"
              % (len(moved), len(keys), moved[:5]))
        # the check notices when the partitioner is not the Java client's
        p = e.harness(group="crc", out="out2", extra=["-e", "-X", "producer.partitioner=consistent_random"],
                      log="crc.log")
        e.finish(p)
        out2 = {line.split("\t")[0]: int(line.split("\t")[1]) for line in e.consume("out2", "%k\t%p\n")}
        moved2 = [k for k in keys if out2.get(k) != java_partition(k, parts)]
        check(len(moved2) > len(keys) // 2, "with CRC32, only %d of %d keys moved: the check cannot see it"
              % (len(moved2), len(keys)))
        print("partitioning: 0 of %d keys moved (CRC32 would move %d)" % (len(keys), len(moved2)))
    finally:
        e.close()


# ---------------------------------------------------------------- registry

def zigzag(v):
    z = ((v << 1) ^ (v >> 63)) & 0xFFFFFFFFFFFFFFFF
    out = bytearray()
    while True:
        b = z & 0x7F
        z >>= 7
        if z:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def avro_encode(schema, value):
    """Avro binary of value; a union's value is (branch, value) or None"""
    t = schema if isinstance(schema, str) else schema["type"] if isinstance(schema, dict) else "union"
    if t == "union":
        branch, v = value if value is not None else (schema.index("null"), None)
        return zigzag(branch) + avro_encode(schema[branch], v)
    if t == "null":
        return b""
    if t == "boolean":
        return b"\1" if value else b"\0"
    if t in ("int", "long"):
        return zigzag(value)
    if t == "float":
        return struct.pack("<f", value)
    if t == "double":
        return struct.pack("<d", value)
    if t in ("string", "bytes"):
        b = value.encode() if isinstance(value, str) else value
        return zigzag(len(b)) + b
    if t == "record":
        return b"".join(avro_encode(f["type"], value[f["name"]]) for f in schema["fields"] if f["name"] in value)
    raise ValueError(t)


def avro_decode(schema, data, at=0):
    """(value, next offset); unions give the branch's value"""
    def varint(at):
        shift = z = 0
        while True:
            b = data[at]
            at += 1
            z |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                return (z >> 1) ^ -(z & 1), at
    t = schema if isinstance(schema, str) else schema["type"] if isinstance(schema, dict) else "union"
    if t == "union":
        branch, at = varint(at)
        return avro_decode(schema[branch], data, at)
    if t == "null":
        return None, at
    if t in ("int", "long"):
        return varint(at)
    if t == "double":
        return struct.unpack_from("<d", data, at)[0], at + 8
    if t == "string":
        n, at = varint(at)
        return data[at:at + n].decode(), at + n
    if t == "record":
        out = {}
        for f in schema["fields"]:
            out[f["name"]], at = avro_decode(f["type"], data, at)
        return out, at
    raise ValueError(t)


def f32(x):
    return struct.unpack("<f", struct.pack("<f", x))[0]


NS = "nerva.test"
READER = {"type": "record", "name": "Txn", "namespace": NS, "fields": [
    {"name": "txn_id", "type": "string"},
    {"name": "amount", "type": "double"},
    {"name": "merchant_category", "type": "string"},
    {"name": "hour", "type": "long"},
    {"name": "country_mismatch", "type": "int", "default": 0},
    {"name": "card_age_days", "type": ["null", "double"], "default": None}]}
# the first version: narrower numbers, no country_mismatch
WRITER_V1 = {"type": "record", "name": "Txn", "namespace": NS, "fields": [
    {"name": "txn_id", "type": "string"},
    {"name": "amount", "type": "float"},
    {"name": "merchant_category", "type": "string"},
    {"name": "hour", "type": "int"},
    {"name": "card_age_days", "type": "float"}]}
# the second: a field the reader does not know, others reordered
WRITER_V2 = {"type": "record", "name": "Txn", "namespace": NS, "fields": [
    {"name": "channel", "type": "string"},
    {"name": "txn_id", "type": "string"},
    {"name": "card_age_days", "type": ["null", "double"]},
    {"name": "amount", "type": "double"},
    {"name": "merchant_category", "type": "string"},
    {"name": "hour", "type": "long"},
    {"name": "country_mismatch", "type": "int"}]}
OUTPUT = {"type": "record", "name": "Scored", "namespace": NS, "fields": [
    {"name": "txn_id", "type": ["null", "string"]},
    {"name": "is_fraud", "type": ["null", "string"]},
    {"name": "fraud_probability", "type": ["null", "double"]},
    {"name": "decision", "type": ["null", "string"]}]}
CATEGORIES = ["grocery", "fuel", "travel", "gambling", "crypto_exchange"]


def registry_records(n, v1, v2):
    """(key, framed Avro value, the values the model sees) for n transactions,
    alternately written with the two writer schemas"""
    out = []
    for i in range(n):
        amount = round(5 + (i * 37 % 900) / 3, 2)
        age = None if i % 10 == 9 else 10.5 + i * 7 % 800
        row = {"txn_id": "T%d" % i, "amount": amount, "merchant_category": CATEGORIES[i % 5], "hour": i % 24,
               "country_mismatch": i % 7 == 0, "card_age_days": age}
        if i % 2 == 0 and age is not None:
            body = avro_encode(WRITER_V1, {"txn_id": row["txn_id"], "amount": amount,
                                           "merchant_category": row["merchant_category"], "hour": row["hour"],
                                           "card_age_days": age})
            seen = dict(row, amount=f32(amount), card_age_days=f32(age), country_mismatch=0)
            sid = v1
        else:
            body = avro_encode(WRITER_V2, {"channel": "pos", "txn_id": row["txn_id"],
                                           "card_age_days": None if age is None else (1, age), "amount": amount,
                                           "merchant_category": row["merchant_category"], "hour": row["hour"],
                                           "country_mismatch": int(row["country_mismatch"])})
            seen = dict(row, country_mismatch=int(row["country_mismatch"]))
            sid = v2
        out.append(("T%d" % i, b"\0" + struct.pack(">I", sid) + body, seen))
    return out


def reference_scores(nerva, e, seen):
    """`nerva score` on the values the model should see: {txn_id: result row}"""
    src = os.path.join(e.dir, "ref-in.csv")
    dst = os.path.join(e.dir, "ref-out.csv")
    cols = ["amount", "merchant_category", "hour", "country_mismatch", "card_age_days"]
    with open(src, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(cols)
        for s in seen:
            w.writerow(["" if s[c] is None else repr(s[c]) if isinstance(s[c], float) else s[c] for c in cols])
    r = subprocess.run([nerva, "score", FRAUD, "--input", src, "--output", dst], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, env=e.env, timeout=300)
    check(r.returncode == 0, "nerva score: %s" % r.stdout.decode()[-1000:])
    rows = list(csv.DictReader(open(dst, newline="")))
    return {s["txn_id"]: row for s, row in zip(seen, rows)}


def test_registry(nerva):
    """Avro through a Schema Registry (basic auth, from a Java properties
    file): writer schemas fetched by id once each and resolved into the
    reader's schema (promotions, a default, an unknown field, reordering),
    results framed with the id registered for the output topic's subject,
    an input string passed through into ["null", "string"], an unknown id
    dead-lettered; looking up an unregistered subject fails at start"""
    reg = RegistryServer(user="u:p").start()
    e = Env(nerva, "registry", partitions=3, topics=("in", "out", "dlq", "out2"))
    try:
        v1 = reg.register("in-value", json.dumps(WRITER_V1))
        v2 = reg.register("in-value", json.dumps(WRITER_V2))
        n = 300
        recs = registry_records(n, v1, v2)
        bad_id = [("T%d" % n, b"\0\0\0\x03\xe7" + b"\x02x")]  # schema id 999: not registered
        e.produce_binary("in", [(k, v) for k, v, _ in recs] + bad_id)
        reader = os.path.join(e.dir, "reader.avsc")
        output = os.path.join(e.dir, "output.avsc")
        json.dump(READER, open(reader, "w"))
        json.dump(OUTPUT, open(output, "w"))
        props = os.path.join(e.dir, "registry.properties")
        open(props, "w").write("# the registry, as Confluent's clients are told\n"
                               "schema.registry.url = %s\n"
                               "basic.auth.credentials.source = USER_INFO\n"
                               "schema.registry.basic.auth.user.info = u:p\n"
                               "value.deserializer = io.confluent.kafka.serializers.KafkaAvroDeserializer\n"
                               % reg.url)
        args = ["-e", "-F", props, "--input-format", "avro", "--output-format", "avro", "--input-schema", reader,
                "--output-schema", output, "--passthrough"]
        p = e.harness(extra=args)
        e.finish(p)
        reconcile_keys = {k for k, _, _ in recs} | {"T%d" % n}
        out_keys, dlq_keys = set(e.keys("out")), set(e.keys("dlq"))
        check(out_keys | dlq_keys == reconcile_keys and dlq_keys == {"T%d" % n},
              "%d results, dead letters %s" % (len(out_keys), sorted(dlq_keys)[:5]))
        dl = e.consume("dlq", "%h\n")
        check("nerva.error=schema" in dl[0] and "schema id 999" in dl[0], "the unknown id's dead letter: %r" % dl)
        out_id = reg.subjects.get("out-value", [None])[0]
        check(out_id is not None, "the output schema is not registered under out-value: %r" % reg.subjects)
        ref = reference_scores(nerva, e, [s for _, _, s in recs])
        raw = e.consume("out", "%k\t%S\n", raw=True)
        values = subprocess.run(["kcat", "-C", "-b", e.bootstrap, "-t", "out", "-o", "beginning", "-e", "-q",
                                 "-f", "%k<<K>>%s<<M>>"], stdout=subprocess.PIPE, timeout=60).stdout
        got = 0
        for item in values.split(b"<<M>>"):
            if not item:
                continue
            k, v = item.split(b"<<K>>", 1)
            check(v[0] == 0 and struct.unpack(">I", v[1:5])[0] == out_id,
                  "%s: the result is not framed with the output schema's id %d: %r" % (k, out_id, v[:5]))
            r, end = avro_decode(OUTPUT, v, 5)
            check(end == len(v), "%s: %d bytes after the record" % (k, len(v) - end))
            want = ref[k.decode()]
            check(r["txn_id"] == k.decode(), "%s: the passed-through txn_id is %r" % (k, r["txn_id"]))
            check(r["decision"] == want["decision"] and (r["is_fraud"] or "") == want["is_fraud"],
                  "%s: %r, nerva score says %r" % (k, r, want))
            wp = float(want["fraud_probability"])
            check(abs(r["fraud_probability"] - wp) <= 1e-12 * max(1, abs(wp)), "%s: %r vs %r" % (k, r, want))
            got += 1
        check(got == n, "%d results decoded of %d" % (got, n))
        check(len(raw) > 0, "no results")
        hits = {k: v for k, v in reg.hits.items() if k.startswith("GET /schemas/ids/")}
        check(hits == {"GET /schemas/ids/%d" % v1: 1, "GET /schemas/ids/%d" % v2: 1, "GET /schemas/ids/999": 1},
              "writer schemas were not fetched once each: %r" % hits)
        # --no-register: a subject that has no such schema stops the start
        r = subprocess.run([nerva, "kafka", FRAUD, "-b", e.bootstrap, "-t", "in", "-o", "out2", "-e", "-F", props,
                            "--no-register"] + args[3:], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=e.env,
                           timeout=120)
        msg = r.stdout.decode()
        check(r.returncode == 1 and "looking up the output schema under subject out2-value" in msg and "40401" in msg,
              "--no-register with an unregistered subject: exit %d: %s" % (r.returncode, msg[-800:]))
        # without credentials the registry says no, and the harness says so
        r = subprocess.run([nerva, "kafka", FRAUD, "-b", e.bootstrap, "-t", "in", "-o", "out", "-e",
                            "--schema-registry", reg.url] + args[3:], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           env=e.env, timeout=120)
        check(r.returncode == 1 and "401" in r.stdout.decode(), "no credentials: exit %d: %s"
              % (r.returncode, r.stdout.decode()[-800:]))
    finally:
        e.close()
        reg.stop()


# ---------------------------------------------------------------- operations

def test_health(nerva):
    """/healthz answers from the start, /readyz only once partitions are
    assigned and a model loaded, 404 elsewhere, over IPv4 and IPv6"""
    e = Env(nerva, "health", partitions=2)
    try:
        port = free_port()
        p = e.harness(topic="^later.*", extra=["--metrics-port", str(port),
                                               "-X", "consumer.topic.metadata.refresh.interval.ms=500"])
        deadline = time.time() + 60
        while True:
            try:
                st, body = http_get("http://127.0.0.1:%d/healthz" % port)
                break
            except (urllib.error.URLError, ConnectionError):
                check(time.time() < deadline and p.poll() is None, "no /healthz:\n" + e.log(p)[-2000:])
                time.sleep(0.1)
        check(st == 200, "/healthz before assignment: %d %s" % (st, body))
        time.sleep(1.5)
        st, body = http_get("http://127.0.0.1:%d/readyz" % port)
        check(st == 503 and "no partitions assigned" in body, "/readyz before assignment: %d %r" % (st, body))
        e.control("create later.one 2")
        e.produce("later.one", records(0, 20))
        e.wait_assigned(p)
        deadline = time.time() + 10
        while http_get("http://127.0.0.1:%d/readyz" % port)[0] != 200:
            check(time.time() < deadline, "/readyz never became ready:\n" + e.log(p)[-2000:])
            time.sleep(0.2)
        for path, want in [("/healthz", 200), ("/metrics", 200), ("/", 404), ("/metricsx", 404)]:
            st, _ = http_get("http://127.0.0.1:%d%s" % (port, path))
            check(st == want, "%s: %d, want %d" % (path, st, want))
        if socket.has_ipv6:
            try:
                st, _ = http_get("http://[::1]:%d/readyz" % port)
                check(st == 200, "IPv6 /readyz: %d" % st)
            except urllib.error.URLError as ex:
                print("health: no IPv6 loopback here (%s)" % ex)
        p.send_signal(signal.SIGTERM)
        e.finish(p)
    finally:
        e.close()


def test_logs(nerva):
    """--log-format json: every line of standard error is a JSON object with
    a time, a level and a message, librdkafka's with their facility; text
    lines have a timestamp and a level; -q keeps a fatal error"""
    e = Env(nerva, "logs", partitions=2)
    try:
        e.produce("in", records(0, 300, bad_every=50))
        p = e.harness(extra=["-e", "--log-format", "json", "-X", "debug=metadata"])
        e.finish(p)
        lines = [line for line in e.log(p).split("\n") if line]
        objs = []
        for line in lines:
            try:
                objs.append(json.loads(line))
            except ValueError:
                raise Failure("a log line is not JSON: %r" % line[:300])
        check(all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", o.get("time", "")) and
                  o.get("level") in ("error", "warn", "info", "debug") and "message" in o and "logger" in o
                  for o in objs), "log objects lack time, level, logger or message: %r" % objs[:3])
        rd = [o for o in objs if o["logger"] == "rdkafka"]
        check(rd and all(o.get("facility") for o in rd), "no librdkafka lines with their facility")
        stats = [o for o in objs if "consumed" in o]
        check(stats and stats[-1]["consumed"] == 300 and stats[-1]["dlq"] == 6, "stats: %r" % stats[-1:])
        check(any(o["level"] == "warn" and "bad record in[" in o["message"] for o in objs), "no bad-record warning")
        # text: a timestamp and a level on every line
        p = e.harness(group="g2", extra=["-e"], log="text.log")
        e.finish(p)
        for line in e.log(p).split("\n"):
            if line:
                check(re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (error|warn |info |debug) \S+: ", line),
                      "a text log line without timestamp and level: %r" % line)
        # -q: no chatter, but a fatal error is said
        for fmt in ("text", "json"):
            r = subprocess.run([nerva, "kafka", "/nonexistent/model.pmml", "-b", e.bootstrap, "-t", "in", "-o", "out",
                                "-q", "--log-format", fmt], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=e.env,
                               timeout=60)
            err = r.stderr.decode()
            check(r.returncode == 1 and "nonexistent" in err and "error" in err, "-q hid a fatal error (%s): exit %d, %r"
                  % (fmt, r.returncode, err))
        # a model that does not compile: the compiler's diagnostics are log lines too
        broken = os.path.join(e.dir, "broken.pmml")
        open(broken, "w").write(open(FRAUD).read().replace("</PMML>", ""))
        r = subprocess.run([nerva, "kafka", broken, "-b", e.bootstrap, "-t", "in", "-o", "out", "--log-format", "json"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=e.env, timeout=120)
        objs = [json.loads(line) for line in r.stderr.decode().split("\n") if line]
        check(r.returncode == 1 and any(o["logger"] == "nerva compile" and "broken.pmml" in o["message"] for o in objs),
              "the compiler's diagnostics: %r" % objs[-3:])
    finally:
        e.close()


def test_properties(nerva):
    """-F reads Java properties (key = value, key: value, comments,
    continuation lines, escapes); bootstrap.servers counts as -b; a key
    nobody knows is FILE:LINE; --version names librdkafka"""
    e = Env(nerva, "properties", partitions=2)
    try:
        e.produce("in", records(0, 200))
        host, port = e.bootstrap.split(",")[0].rsplit(":", 1)
        props = os.path.join(e.dir, "client.properties")
        open(props, "w").write("# Kafka Streams style\n"
                               "! another comment\n"
                               "bootstrap.servers = %s:\\\n    %s\n"
                               "consumer.session.timeout.ms: 6000\n"
                               "client.id   nerva\\u002dtest\n"
                               "key.deserializer=org.apache.kafka.common.serialization.StringDeserializer\n"
                               "\n" % (host, port))
        r = subprocess.run([nerva, "kafka", FRAUD, "-F", props, "-t", "in", "-o", "out", "-e", "-G", "props"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=e.env, timeout=120)
        check(r.returncode == 0, "a Java properties file: exit %d: %s" % (r.returncode, r.stdout.decode()[-1500:]))
        check(len(e.keys("out")) == 200, "%d results" % len(e.keys("out")))
        open(props, "a").write("no.such.property = 1\n")
        r = subprocess.run([nerva, "kafka", FRAUD, "-F", props, "-t", "in", "-o", "out", "-e"], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, env=e.env, timeout=120)
        check(r.returncode == 1 and "%s:9: " % props in r.stdout.decode() and "no.such.property" in r.stdout.decode(),
              "an unknown key: exit %d: %s" % (r.returncode, r.stdout.decode()[-800:]))
        r = subprocess.run([nerva, "kafka", "--version"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)
        out = r.stdout.decode()
        check(r.returncode == 0 and re.search(r"librdkafka \d+\.\d+\.\d+ \(builtin\.features=.*regex", out)
              and "libcurl" in out, "--version: %r" % out)
    finally:
        e.close()


def test_systemd(nerva):
    """the sample unit in docs/ passes systemd-analyze verify"""
    sa = shutil.which("systemd-analyze")
    if not sa:
        print("systemd-analyze is not here: the unit is not checked")
        return
    unit = open(os.path.join(ROOT, "docs", "nerva-kafka.service")).read()
    check("ExecStart=/usr/local/bin/nerva kafka" in unit, "the unit does not run nerva kafka")
    d = tempfile.mkdtemp(prefix="nerva-unit-")
    try:
        path = os.path.join(d, "nerva-kafka.service")
        open(path, "w").write(unit.replace("/usr/local/bin/nerva", os.path.abspath(nerva)))
        r = subprocess.run([sa, "verify", path], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60,
                           env=dict(os.environ, SYSTEMD_LOG_LEVEL="notice"))
        msgs = [line for line in r.stdout.decode().split("\n") if line and "nerva-kafka.service" in line]
        check(r.returncode == 0 and not msgs, "systemd-analyze verify: exit %d:\n%s" % (r.returncode, r.stdout.decode()))
    finally:
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(run_tests(globals()))
