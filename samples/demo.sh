#!/usr/bin/env bash
# nerva demo: compile a card-fraud model (PMML) to C, score 200 transactions,
# check the results against an independent reference, embed the model in a
# small C program, and time it.  Run from anywhere; exits non-zero on failure.
#
#   ./samples/demo.sh            (builds build/nerva first if needed)
#
# Needs meson, ninja, a C compiler, libxml2 headers, check and python3: the
# ./demo script at the top of the repository installs them on Debian first.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
build=${NERVA_BUILD_DIR:-build}
nerva="$build/nerva"
model=samples/fraud/fraud.pmml
input=samples/fraud/transactions.csv
work=$(mktemp -d "${TMPDIR:-/tmp}/nerva-demo.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'echo "demo: FAILED (line $LINENO)" >&2' ERR

step() { printf '\n== %s\n' "$*"; }
show() { printf '$ %s\n' "$*"; "$@"; }

step "build nerva"
if [ ! -f "$build/build.ninja" ]; then
    meson setup "$build" >/dev/null
fi
ninja -C "$build" >/dev/null
"$nerva" --version

step "what the model is"
show "$nerva" info "$model"

step "compile it to C (one .c and one .h, C99, libc and libm only)"
show "$nerva" compile "$model" -o "$work/fraud.c"
echo "-- fraud.h: the typed input and output structs"
sed -n '/^typedef struct fraud_input/,/^extern const nerva_model/p' "$work/fraud.h"
echo "-- fraud.c: $(wc -l < "$work/fraud.c") lines; the descriptor table at its end:"
sed -n '/^static const nerva_field fraud_input_fields/,/^};/p' "$work/fraud.c"
# byte-identical output for the same input
"$nerva" compile "$model" -o "$work/again.c"
cmp -s "$work/fraud.c" "$work/again.c" && cmp -s "$work/fraud.h" "$work/again.h"
echo "-- compiling twice gives identical bytes"

step "score the transactions (CSV in, CSV out)"
show "$nerva" score "$model" --input "$input" --output "$work/scores.csv"
show python3 samples/compare.py samples/fraud/expected.csv "$work/scores.csv"
echo "-- a few transactions and their scores:"
python3 - "$input" "$work/scores.csv" <<'EOF'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
scores = list(csv.DictReader(open(sys.argv[2], newline="")))
cols = ["txn_id", "amount", "merchant_category", "hour", "country_mismatch", "card_age_days"]
out = ["is_fraud", "fraud_probability", "decision"]
fmt = "%-7s %9s %-16s %4s %8s %8s | %-8s %-11s %s"
print(fmt % ("txn_id", "amount", "merchant", "hour", "mismatch", "card_age", *out))
for i in (0, 7, 19, 42, 88, 101):
    r, s = rows[i], scores[i]
    p = s["fraud_probability"]
    print(fmt % (*(r[c] or "-" for c in cols), s["is_fraud"] or "-",
                 ("%.6f" % float(p)) if p else "-", s["decision"] or "-"))
print("(T10042 has hour 24, outside the model's 0..23: an invalid record, empty results)")
counts = {}
for s in scores:
    counts[s["decision"] or "(invalid)"] = counts.get(s["decision"] or "(invalid)", 0) + 1
print("decisions:", ", ".join("%s %d" % kv for kv in sorted(counts.items())))
EOF

step "the iris sample (softmax regression)"
"$nerva" score samples/iris/iris.pmml --input samples/iris/flowers.csv --output "$work/iris.csv"
show python3 samples/compare.py samples/iris/expected.csv "$work/iris.csv"

step "embed the model in a C program (typed API: fraud_score(&in, &out))"
cc=${CC:-cc}
"$cc" -std=c99 -O2 -c "$work/fraud.c" -o "$work/fraud.o"
show "$cc" -std=c99 -pedantic -Wall -Wextra -Werror -I"$work" samples/fraud/embed.c "$work/fraud.o" -lm -o "$work/embed"
show "$work/embed"

step "bench (ns per record; compile time; code size)"
show "$nerva" bench "$model" --input "$input" --min-seconds 0.3
json=$("$nerva" bench "$model" --input "$input" --json --min-seconds 0.2)
single=$(python3 -c 'import json,sys; print("%.0f" % json.loads(sys.argv[1])["single_ns"])' "$json")

echo
echo "demo: OK (fraud model compiled, 200 transactions scored and matched to the reference, ~${single} ns/record)"
