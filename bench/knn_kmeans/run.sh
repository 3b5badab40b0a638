#!/usr/bin/env bash
# bench/knn_kmeans/run.sh -- nerva's k-NN regression and k-means distance
# against straightforward hand-written C, in one process (bench.c), from
# scratch: generates the models (gen_models.py), compiles them with nerva
# and every C file with cc -O2 (nerva and cc times printed), checks the
# results are the same bits and prints the medians and ratios.
#
#   bench/knn_kmeans/run.sh        environment: NERVA (build/nerva), OUT
#                                  (build/bench/knn_kmeans), ROUNDS (21), CC (cc)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
NERVA=${NERVA:-$root/build/nerva}
OUT=${OUT:-$root/build/bench/knn_kmeans}
ROUNDS=${ROUNDS:-21}
CC=${CC:-cc}
[ -x "$NERVA" ] || { echo "bench: no nerva at $NERVA (build it: ninja -C build)" >&2; exit 1; }
mkdir -p "$OUT"
python3 "$here/gen_models.py" "$OUT"
for m in knn kmeans; do
    s=$(date +%s.%N)
    "$NERVA" compile "$OUT/$m.pmml" --prefix "$m" -o "$OUT/$m.c"
    t=$(date +%s.%N)
    $CC -std=c99 -O2 -c "$OUT/$m.c" -o "$OUT/$m.o"
    u=$(date +%s.%N)
    echo "$m: nerva $(echo "$t - $s" | bc) s, cc -O2 $(echo "$u - $t" | bc) s, $(stat -c %s "$OUT/$m.c") bytes of C"
done
$CC -std=c99 -O2 -I"$OUT" -c "$here/handwritten.c" -o "$OUT/handwritten.o"
$CC -std=c99 -O2 -Wall -Wextra -I"$OUT" -I"$here" -c "$here/bench.c" -o "$OUT/bench.o"
$CC -o "$OUT/bench" "$OUT/bench.o" "$OUT/handwritten.o" "$OUT/knn.o" "$OUT/kmeans.o" -lm
"$OUT/bench" "$OUT/rows_knn.f64" "$OUT/rows_kmeans.f64" "$ROUNDS"
