#!/usr/bin/env bash
# bench/side_by_side.sh -- the steps every bench/<pair>/run.sh takes: nerva's
# code for some models against straightforward hand-written C, in one process
# (<pair>/bench.c), from scratch.  Generates the models and their records
# (<pair>/gen_models.py), compiles each model with nerva and every C file with
# cc -O2 (nerva and cc times printed), links <pair>/bench with
# <pair>/handwritten.c and runs it on OUT/rows_MODEL.f64 of each model: it
# checks the results are the same bits and prints the medians and ratios.
#
#   bench/side_by_side.sh PAIR MODEL...   environment: NERVA (build/nerva), OUT
#                                         (build/bench/PAIR), ROUNDS (21), CC (cc)
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: side_by_side.sh PAIR MODEL..." >&2; exit 2; }
pair=$1
shift
root=$(cd "$(dirname "$0")/.." && pwd)
here=$root/bench/$pair
NERVA=${NERVA:-$root/build/nerva}
OUT=${OUT:-$root/build/bench/$pair}
ROUNDS=${ROUNDS:-21}
CC=${CC:-cc}
[ -x "$NERVA" ] || { echo "bench: no nerva at $NERVA (build it: ninja -C build)" >&2; exit 1; }
mkdir -p "$OUT"
python3 "$here/gen_models.py" "$OUT"
objs=() rows=()
for m in "$@"; do
    s=$(date +%s.%N)
    "$NERVA" compile "$OUT/$m.pmml" --prefix "$m" -o "$OUT/$m.c"
    t=$(date +%s.%N)
    $CC -std=c99 -O2 -c "$OUT/$m.c" -o "$OUT/$m.o"
    u=$(date +%s.%N)
    echo "$m: nerva $(echo "$t - $s" | bc) s, cc -O2 $(echo "$u - $t" | bc) s, $(stat -c %s "$OUT/$m.c") bytes of C"
    objs+=("$OUT/$m.o")
    rows+=("$OUT/rows_$m.f64")
done
$CC -std=c99 -O2 -I"$OUT" -c "$here/handwritten.c" -o "$OUT/handwritten.o"
$CC -std=c99 -O2 -I"$OUT" -I"$here" -c "$here/bench.c" -o "$OUT/bench.o"
$CC -o "$OUT/bench" "$OUT/bench.o" "$OUT/handwritten.o" "${objs[@]}" -lm
"$OUT/bench" "${rows[@]}" "$ROUNDS"
