#!/usr/bin/env python3
"""The harness's throughput with Avro through a Schema Registry beside JSON,
in the same run: the same N card transactions in both formats, scored by the
same model, R rounds taking turns, each run with a fresh consumer group.

Avro is measured twice: records written with the reader's own schema (read
straight) and with an evolved writer's (resolved into the reader's schema
record by record).  The registry is the tests' small one (registry_server.py),
in this process; it is asked once per schema id, so it does not bound the
rate.  Reported: records/s of each run (first record consumed to last result
acknowledged, from the harness's last line) and the medians.

    tests/kafka/bench_registry.py --nerva build/nerva [--records N] [--rounds R]

Not part of `meson test` (it takes minutes); docs/kafka.md quotes its output.
"""

import argparse
import json
import os
import re
import statistics
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kafka_service import OUTPUT, READER, WRITER_V1, WRITER_V2, avro_encode, registry_records  # noqa: E402
from kafka_tests import FRAUD, Env, records  # noqa: E402
from registry_server import RegistryServer  # noqa: E402


def rate(e, p, n):
    e.finish(p, timeout=600)
    last = re.findall(r"consumed=(\d+) scored=(\d+) produced=(\d+) dlq=(\d+).* rate=(\d+) rec/s", e.log(p))[-1]
    if int(last[0]) != n or int(last[2]) != n:
        sys.exit("a run did not score every record: %s" % (last,))
    return int(last[4])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--nerva", required=True)
    ap.add_argument("--records", type=int, default=100000)
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args()
    nerva = os.path.abspath(a.nerva)
    n = a.records
    reg = RegistryServer().start()
    e = Env(nerva, "bench-registry", partitions=16, topics=("json", "avro", "avro.evolved", "out", "dlq"))
    try:
        same = reg.register("avro-value", json.dumps(READER))
        v1 = reg.register("avro-value", json.dumps(WRITER_V1))
        v2 = reg.register("avro-value", json.dumps(WRITER_V2))
        print("producing %d records in each format..." % n, flush=True)
        for lo in range(0, n, 20000):
            hi = min(n, lo + 20000)
            e.produce("json", records(lo, hi))
            recs = registry_records(hi - lo, v1, v2)
            e.produce_binary("avro.evolved", [(k, v) for k, v, _ in recs])
            e.produce_binary("avro", [(k, b"\0" + struct.pack(">I", same) + avro_encode(READER, dict(
                s, card_age_days=None if s["card_age_days"] is None else (1, s["card_age_days"]))))
                for k, _, s in recs])
        reader = os.path.join(e.dir, "reader.avsc")
        output = os.path.join(e.dir, "output.avsc")
        json.dump(READER, open(reader, "w"))
        json.dump(OUTPUT, open(output, "w"))
        avro = ["--input-format", "avro", "--output-format", "avro", "--input-schema", reader, "--output-schema",
                output, "--schema-registry", reg.url, "--passthrough"]
        modes = [("json", "json", []), ("avro (writer = reader)", "avro", avro),
                 ("avro (evolved writers)", "avro.evolved", avro)]
        rates = {m[0]: [] for m in modes}
        for r in range(a.rounds):
            for j in range(len(modes)):
                name, topic, extra = modes[(j + r) % len(modes)]
                p = e.harness(model=FRAUD, group="b-%d-%d" % (r, j), topic=topic, extra=["-e"] + extra,
                              log="%s-%d.log" % (topic, r))
                rates[name].append(rate(e, p, n))
                print("round %d %-24s %8d rec/s" % (r + 1, name, rates[name][-1]), flush=True)
        for name, _, _ in modes:
            print("%-24s median %8.0f rec/s over %d rounds" % (name, statistics.median(rates[name]), a.rounds))
    finally:
        e.close()
        reg.stop()


if __name__ == "__main__":
    main()
