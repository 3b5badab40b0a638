#!/usr/bin/env bash
# bench/neural_svm/run.sh -- nerva's network and RBF vector machine against
# straightforward hand-written C, in one process (bench.c), from scratch:
# generates the models (gen_models.py), compiles them with nerva and every C
# file with cc -O2 (nerva + cc times printed), checks the results are the
# same bits and prints the medians and ratios.
#
#   bench/neural_svm/run.sh        environment: NERVA (build/nerva), OUT
#                                  (build/bench/neural_svm), ROUNDS (21), CC (cc)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
NERVA=${NERVA:-$root/build/nerva}
OUT=${OUT:-$root/build/bench/neural_svm}
ROUNDS=${ROUNDS:-21}
CC=${CC:-cc}
[ -x "$NERVA" ] || { echo "bench: no nerva at $NERVA (build it: ninja -C build)" >&2; exit 1; }
mkdir -p "$OUT"
python3 "$here/gen_models.py" "$OUT"
for m in nn svm; do
    s=$(date +%s.%N)
    "$NERVA" compile "$OUT/$m.pmml" --prefix "$m" -o "$OUT/$m.c"
    t=$(date +%s.%N)
    $CC -std=c99 -O2 -c "$OUT/$m.c" -o "$OUT/$m.o"
    u=$(date +%s.%N)
    echo "$m: nerva $(echo "$t - $s" | bc) s, cc -O2 $(echo "$u - $t" | bc) s, $(stat -c %s "$OUT/$m.c") bytes of C"
done
$CC -std=c99 -O2 -I"$OUT" -c "$here/handwritten.c" -o "$OUT/handwritten.o"
$CC -std=c99 -O2 -I"$OUT" -I"$here" -c "$here/bench.c" -o "$OUT/bench.o"
$CC -o "$OUT/bench" "$OUT/bench.o" "$OUT/handwritten.o" "$OUT/nn.o" "$OUT/svm.o" -lm
"$OUT/bench" "$OUT/rows_nn.f64" "$OUT/rows_svm.f64" "$ROUNDS"
