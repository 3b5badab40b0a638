#!/usr/bin/env python
"""Reference draws of Python's random module for nerva's PFA generator
(runtime/lib/pfa_rt.c: the Mersenne Twister as CPython runs it;
runtime/lib/pfa_rand.c: rand.*, a.shuffle).  The reference engine Titus
seeds random.Random(randseed) and computes each rand.* function with
Python 2.7's random module, whose randrange, sample and shuffle differ from
Python 3's; so this script runs under Python 2.7 (the generator's raw words,
random() and gauss are the same in Python 3, and it checks so when a
python3 is at hand).  The output, tests/unit/rand_vectors.h, is committed;
tests/unit/test_pfa_rand.c replays it.

Regenerate (pyenv: PYENV_VERSION=2.7.18) and review the diff:
    python2.7 tools/gen_rand_vectors.py > tests/unit/rand_vectors.h

Each rand.* case below makes the calls Titus makes (titus/lib/rand.py,
titus/lib/array.py, titus/genpy.py), written out here: randint(low, high - 1)
for rand.int and rand.long, uniform(low, high) for rand.float and
rand.double, population[randint(0, n - 1)] for rand.choice and rand.choices,
sample, shuffle, gauss, getrandbits for rand.uuid4, uniform(0.0, total) for
rand.histogram.
"""
import random
import subprocess
import sys

assert sys.version_info[0] == 2, "run under Python 2.7, as Titus does"

NWORDS = 2000
SURROGATE_SEED = 824
NUNITS = 200
INT_MIN, INT_MAX = -2 ** 31, 2 ** 31 - 1
LONG_MIN, LONG_MAX = -2 ** 63, 2 ** 63 - 1

# seeds: int64 ones (the engine's randseed) and one past 64 bits (the key API)
SEEDS = [0, 1, 12345, -12345, 2 ** 32 + 5, 2 ** 63 - 1, -2 ** 63, 987654321987654321,
         2 ** 100 + 12345678901234567890123]


def key_words(n):
    n = abs(n)
    words = []
    while n:
        words.append(n & 0xffffffff)
        n >>= 32
    return words or [0]


def hexd(x):
    return x.hex() if x == x else "NAN"


def c_i64(v):
    return "INT64_MIN" if v == LONG_MIN else "%dLL" % v


def raw_stream(seed):
    r = random.Random(seed)
    words = [r.getrandbits(32) for _ in range(NWORDS)]
    units = [r.random() for _ in range(NUNITS)]
    return words, units


def check_python3(streams):
    """the same words and doubles from Python 3, when it is installed"""
    code = ("import random,sys\nfor s in %s:\n r=random.Random(s)\n"
            " print(' '.join(str(r.getrandbits(32)) for _ in range(%d)))\n"
            " print(' '.join(r.random().hex() for _ in range(%d)))\n"
            % ("[" + ", ".join(str(s) for s in SEEDS) + "]", NWORDS, NUNITS))
    try:
        out = subprocess.check_output(["python3", "-c", code]).decode().split("\n")
    except OSError:
        sys.stderr.write("no python3: the Python 3 cross-check is skipped\n")
        return
    for i, (words, units) in enumerate(streams):
        assert out[2 * i].split() == [str(w) for w in words]
        assert out[2 * i + 1].split() == [u.hex() for u in units]
    sys.stderr.write("python3 draws the same words and doubles\n")




def titus_histogram(r, w):
    cum = [0.0]
    for x in w:
        cum.append(cum[-1] + x)
    pos = r.uniform(0.0, cum[-1])
    for i, y in enumerate(cum):
        if pos < y:
            return i - 1


def gen_ops(seed):
    r = random.Random(seed)
    out = []

    def add(op, a, b, c, res):
        out.append((op, a, b, c, res))

    for _ in range(40):
        add("INT0", 0, 0, 0, [r.randint(INT_MIN, INT_MAX)])
        add("LONG0", 0, 0, 0, [r.randint(LONG_MIN, LONG_MAX)])
    ranges = [(5, 10), (-3, 4), (INT_MIN, INT_MAX), (0, 1), (-100000, 7)]
    for lo, hi in ranges * 8:
        add("INT", lo, hi, 0, [r.randint(lo, hi - 1)])
    lranges = [(5, 10), (LONG_MIN, LONG_MAX), (0, 2 ** 53 - 1), (0, 2 ** 53), (0, 2 ** 53 + 1),
               (-2 ** 60, 2 ** 60), (LONG_MIN, 0), (-7, 2 ** 62 + 3), (1, 2 ** 63 - 1),
               (0, 2 ** 60 - 2 ** 40 + 1)]     # log2(high - low - 1) just under 60: the 1.00001 matters
    for lo, hi in lranges * 8:
        add("LONG", lo, hi, 0, [r.randint(lo, hi - 1)])
    for lo, hi in [(5.0, 10.0), (-1e300, 1e300), (0.0, 1e-300), (-2.5, 3.25)] * 5:
        add("DOUBLE", lo, hi, 0, [r.uniform(lo, hi)])
    for mu, sigma in [(10.0, 2.0), (0.0, 1.0), (-3.0, 0.5)] * 11:
        add("GAUSS", mu, sigma, 0, [r.gauss(mu, sigma)])
    for n in [1, 2, 5, 26, 1000]:
        for _ in range(5):
            add("CHOICE", n, 0, 0, [r.randint(0, n - 1)])
    for n, k in [(5, 3), (5, 5), (21, 5), (22, 5), (22, 6), (100, 6), (1000, 10), (48, 7), (49, 7), (200, 20),
                 (100000, 50), (10, 0)]:
        add("SAMPLE", n, k, 0, r.sample(range(n), k))
    for n in [0, 1, 2, 3, 10, 100]:
        x = list(range(n))
        r.shuffle(x)
        add("SHUFFLE", n, 0, 0, x)
    for _ in range(6):
        add("UUID", 0, 0, 0, [r.getrandbits(32), r.getrandbits(16), r.getrandbits(12), r.getrandbits(12),
                              r.getrandbits(64)])
    for w in [[1.0, 2.0, 3.0], [0.0, 0.5, 0.0, 0.25], [1e-300, 1.0], [3.0]] * 4:
        add("HISTO", w, 0, 0, [titus_histogram(r, w)])
    for lo, hi in [(33, 127), (0, 256)] * 3:
        add("BYTES", lo, hi, 0, [r.randint(lo, hi - 1) for _ in range(8)])
    for _ in range(3):
        add("STRING", 0, 0, 0, [r.randint(1, 0xD800) for _ in range(8)])
    return out


def main():
    w = sys.stdout.write
    w("/* Generated by tools/gen_rand_vectors.py under Python %s: draws of its\n"
      "   random module for tests/unit/test_pfa_rand.c.  Do not edit. */\n\n" % sys.version.split()[0])
    streams = [raw_stream(s) for s in SEEDS]
    check_python3(streams)
    w("#define RV_NWORDS %d\n#define RV_NUNITS %d\n\n" % (NWORDS, NUNITS))
    w("typedef struct {\n    int in_i64;            /* the seed fits an int64 randseed */\n"
      "    int64_t seed;\n    int nkey;\n    uint32_t key[4];\n"
      "    uint32_t words[RV_NWORDS];   /* getrandbits(32) */\n"
      "    double units[RV_NUNITS];     /* then random() */\n} rv_stream;\n\n")
    w("static const rv_stream RV_STREAMS[] = {\n")
    for s, (words, units) in zip(SEEDS, streams):
        key = key_words(s)
        fits = LONG_MIN <= s <= LONG_MAX
        w("    {%d, %s, %d, {%s},\n     {" % (fits, c_i64(s) if fits else "0", len(key),
                                          ", ".join("%du" % k for k in key)))
        for i, x in enumerate(words):
            w("%s%du" % ("" if i == 0 else ",\n      " if i % 8 == 0 else ", ", x))
        w("},\n     {")
        for i, x in enumerate(units):
            w("%s%s" % ("" if i == 0 else ",\n      " if i % 4 == 0 else ", ", hexd(x)))
        w("}},\n")
    w("};\n\n")

    # battery: engine i of Titus's multiplicity, seed 12345 and -7
    w("/* the first 4 words of engine i (0..4) of a battery, as titus/genpy.py\n"
      "   seeds them: i times over, random.Random(randint(0, 2**31 - 1)) */\n")
    w("static const struct { int64_t seed; int index; uint32_t words[4]; } RV_BATTERY[] = {\n")
    for seed in [12345, -7]:
        for index in range(5):
            r = random.Random(seed)
            for _ in range(index):
                r = random.Random(r.randint(0, 2 ** 31 - 1))
            w("    {%d, %d, {%s}},\n" % (seed, index, ", ".join("%du" % r.getrandbits(32) for _ in range(4))))
    w("};\n\n")

    # rand.string's whole range: Python's draws of randint(1, 0xD800) with
    # U+D800 left out (seed 824 draws it 28th; nerva draws again)
    r = random.Random(SURROGATE_SEED)
    draws = [r.randint(1, 0xD800) for _ in range(41)]
    assert 0xD800 in draws[:40]
    w("/* rand.string(40) with randseed %d: Python draws U+D800 among the first 40\n"
      "   (randint(1, 0xD800)); nerva leaves it out and takes the next draw */\n" % SURROGATE_SEED)
    w("static const int64_t RV_SURROGATE_SEED = %d;\nstatic const unsigned RV_SURROGATE[40] = {\n" % SURROGATE_SEED)
    kept = [c for c in draws if c != 0xD800][:40]
    for i in range(0, 40, 8):
        w("    %s,\n" % ", ".join("0x%x" % c for c in kept[i:i + 8]))
    w("};\n\n")

    # rand.* cases
    w("enum { RV_INT0, RV_LONG0, RV_INT, RV_LONG, RV_DOUBLE, RV_GAUSS, RV_CHOICE, RV_SAMPLE, RV_SHUFFLE,\n"
      "       RV_UUID, RV_HISTO, RV_BYTES, RV_STRING };\n\n")
    pool_i, pool_d, rows = [], [], []
    for seed in [12345, 2 ** 32 + 5]:
        rows.append(("SEED", seed, 0, 0, 0, 0))
        for op, a, b, c, res in gen_ops(seed):
            if op == "HISTO":
                off = len(pool_d)
                pool_d.extend(a)
                rows.append((op, off, len(a), 0, len(pool_i), 1))
                pool_i.extend(res)
            elif op in ("DOUBLE", "GAUSS"):
                rows.append((op, len(pool_d), 0, 0, len(pool_d) + 2, 1))
                pool_d.extend([a, b, res[0]])
            else:
                rows.append((op, a, b, c, len(pool_i), len(res)))
                pool_i.extend(res)
    w("/* op, a, b, (unused), then the expected values: pool index and count;\n"
      "   DOUBLE and GAUSS take low/mu, high/sigma and the result from\n"
      "   RV_POOL_D[a..a+2], HISTO its n weights from RV_POOL_D[a..a+n) */\n")
    w("static const struct { int op; int64_t a, b, c; int at, n; } RV_OPS[] = {\n")
    for op, a, b, c, at, n in rows:
        if op == "SEED":
            w("    {-1, %s, 0, 0, 0, 0},\n" % c_i64(a))
        else:
            w("    {RV_%s, %s, %s, %s, %d, %d},\n" % (op, c_i64(a), c_i64(b), c_i64(c), at, n))
    w("};\n\n")
    w("static const int64_t RV_POOL_I[] = {\n")
    for i in range(0, len(pool_i), 4):
        w("    %s,\n" % ", ".join(c_i64(v) if v <= LONG_MAX else "(int64_t)%dULL" % v for v in pool_i[i:i + 4]))
    w("};\n\nstatic const double RV_POOL_D[] = {\n")
    for i in range(0, len(pool_d), 4):
        w("    %s,\n" % ", ".join(hexd(float(v)) for v in pool_d[i:i + 4]))
    w("};\n")


if __name__ == "__main__":
    main()
