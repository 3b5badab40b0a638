#!/usr/bin/env bash
# bench/run.sh -- the figures of docs/performance.md, from scratch.
#
# Why a script: the figures are only worth what their method is; this is the
# method, runnable.  It installs the benchmark's Debian packages (the
# NERVA_BENCH_PKGS of buildsys/deps.sh, the one file of package lists),
# trains the models, converts them to PMML with our converters, compiles
# them with nerva (one unit per tree layout), checks every result against
# the library's own, and times everything side by side in one process,
# pinned to one CPU, in interleaved rounds of CPU time; then counts
# instructions with callgrind (steady whatever the machine's load) and
# measures compile times.
#
#   bench/run.sh [what...]        what: xgb rf corpus compile (default: all)
#
# Environment: NERVA (default build/nerva), OUT (default build/bench), ROUNDS
# (default 25), CPU (the CPU to pin to, default 1), PYTHON (default
# /usr/bin/python3, Debian's, where python3-xgboost and python3-sklearn
# are), CC (default cc).  Results: OUT/*.txt.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
# shellcheck source=../buildsys/deps.sh
. "$root/buildsys/deps.sh"
nerva_deps "${NERVA_BENCH_PKGS[@]}"

NERVA=${NERVA:-$root/build/nerva}
OUT=${OUT:-$root/build/bench}
ROUNDS=${ROUNDS:-25}
CPU=${CPU:-1}
PY=${PYTHON:-/usr/bin/python3}
CC=${CC:-cc}
what=${*:-xgb rf corpus compile}
mkdir -p "$OUT"
[ -x "$NERVA" ] || { echo "bench: no nerva at $NERVA (build it: ninja -C build)" >&2; exit 1; }

# units.h for a harness: one X(prefix, "label") per compiled unit
units_h() {
    local f=$1; shift
    : >"$f"
    local list=""
    while [ $# -gt 0 ]; do
        echo "#include \"$1.h\"" >>"$f"
        list="$list X($1, \"$2\")"
        shift 2
    done
    echo "#define NERVA_UNITS$list" >>"$f"
}

# nerva compile MODEL as PREFIX with ARGS, then cc -O2; prints the CPU seconds of each
unit() {
    local model=$1 prefix=$2 dir=$3
    shift 3
    local t
    rm -f "$dir/$prefix.c"
    t=$( { /usr/bin/time -f "%U %S" "$NERVA" compile "$model" -w --prefix "$prefix" -o "$dir/$prefix.c" "$@" ; } 2>&1 >/dev/null | tail -1)
    [ -s "$dir/$prefix.c" ] || { echo "bench: nerva did not compile $model as $prefix" >&2; exit 1; }
    local c
    c=$( { /usr/bin/time -f "%U %S %M" $CC -O2 -c "$dir/$prefix.c" -o "$dir/$prefix.o" ; } 2>&1 | tail -1)
    echo "$prefix: nerva $(echo "$t" | awk '{print $1 + $2}') s, cc -O2 $(echo "$c" | awk '{print $1 + $2}') s ($(echo "$c" | awk '{print int($3 / 1024)}') MB), $(stat -c %s "$dir/$prefix.c") bytes of C"
}

# instructions per record of one method of a harness (callgrind)
instructions() {
    local n=$1
    shift
    valgrind --tool=callgrind --callgrind-out-file="$OUT/cg.out" "$@" >/dev/null 2>&1
    callgrind_annotate "$OUT/cg.out" 2>/dev/null | awk -v n="$n" '/PROGRAM TOTALS/ {gsub(",", "", $1); t = $1} END {print t}' |
        awk -v n="$n" -v base="${BASE:-0}" '{printf "%.0f\n", ($1 - base) / n}'
    rm -f "$OUT/cg.out"
}

if [[ " $what " == *" xgb "* ]]; then
    for spec in 100:6 500:8; do
        trees=${spec%%:*} depth=${spec##*:} name=xgb_${spec/:/x}
        d=$OUT/$name
        mkdir -p "$d"
        (cd "$here" && $PY xgb_train.py --out "$d" --trees "$trees" --depth "$depth" --name "$name")
        (cd "$here" && $PY xgb2pmml.py "$d/$name.json" "$d/$name.margin" "$d/$name.pmml")
        (cd "$here" && $PY xgb2flat.py "$d/$name.json" "$d/$name.margin" "$d/$name.flat")
        # nerva now, and before (the older rule: test graphs for ensembles this
        # large); nested branches too where gcc takes seconds, not minutes
        : >"$OUT/$name.compile.txt"
        unit "$d/$name.pmml" bn_default "$d" >>"$OUT/$name.compile.txt"
        unit "$d/$name.pmml" bn_before "$d" --tree-table-threshold 4000 >>"$OUT/$name.compile.txt"
        objs="$d/bn_default.o $d/bn_before.o"
        if [ "$trees" -le 100 ]; then
            unit "$d/$name.pmml" bn_branches "$d" --tree-layout branches >>"$OUT/$name.compile.txt"
            units_h "$d/units.h" bn_default "nerva default" bn_before "nerva before (graph)" bn_branches "nerva branches"
            objs="$objs $d/bn_branches.o"
        else
            units_h "$d/units.h" bn_default "nerva default" bn_before "nerva before (graph)"
        fi
        cat "$OUT/$name.compile.txt"
        # shellcheck disable=SC2086
        $CC -O2 -I"$d" -I"$here" -o "$d/xgb_bench" "$here/xgb_bench.c" "$here/handwritten.c" $objs -lxgboost -lm
        args=("$d/$name.json" "$d/$name.flat" "$d/rows.f32" "$d/$name.pred.f32")
        taskset -c "$CPU" "$d/xgb_bench" "${args[@]}" --rounds "$ROUNDS" | tee "$OUT/$name.txt"
        {
            echo "instructions per record (callgrind; the harness's own start subtracted)"
            BASE=$(instructions 1 "$d/xgb_bench" "${args[@]}" --only none)
            for m in "batch:xgboost" "batch:hand-written" "batch:nerva default" "batch:nerva before (graph)" \
                     "single:hand-written" "single:nerva default"; do
                printf '  %-32s %s\n' "$m" "$(BASE=$BASE instructions 10000 "$d/xgb_bench" "${args[@]}" --only "$m")"
            done
        } | tee -a "$OUT/$name.txt"
    done
fi

if [[ " $what " == *" rf "* ]]; then
    (cd "$here" && taskset -c "$CPU" $PY rf_bench.py --nerva "$NERVA" --out "$OUT/rf" --rounds "$ROUNDS") |
        tee "$OUT/rf.txt"
fi

if [[ " $what " == *" corpus "* ]]; then
    case_dir=$root/../shared/conformance/pmml/cpmml_AuditRandomForest
    if [ -d "$case_dir" ]; then
        d=$OUT/corpus
        mkdir -p "$d"
        unit "$case_dir/model.pmml" bn_default "$d" >"$OUT/corpus.compile.txt"
        unit "$case_dir/model.pmml" bn_before "$d" --tree-table-threshold 4000 >>"$OUT/corpus.compile.txt"
        cat "$OUT/corpus.compile.txt"
        units_h "$d/units.h" bn_default "nerva default" bn_before "nerva before (graph)"
        $CC -O2 -I"$d" -o "$d/model_bench" "$here/model_bench.c" "$d/bn_default.o" "$d/bn_before.o" -lm
        taskset -c "$CPU" "$d/model_bench" "$case_dir/input.csv" --rounds "$ROUNDS" | tee "$OUT/corpus.txt"
    else
        echo "bench: no corpus at $case_dir; skipping the corpus's forest" >&2
    fi
fi

if [[ " $what " == *" compile "* ]]; then
    d=$OUT/compile
    mkdir -p "$d"
    {
        echo "compile times (CPU seconds), complete random trees (bench/gen_forest.py)"
        for spec in 100:8 1000:10; do
            trees=${spec%%:*} depth=${spec##*:} name=forest_${spec/:/x}
            (cd "$here" && $PY gen_forest.py --trees "$trees" --depth "$depth" "$d/$name.json" "$d/$name.margin")
            (cd "$here" && $PY xgb2pmml.py "$d/$name.json" "$d/$name.margin" "$d/$name.pmml" 2>/dev/null)
            printf '%s (%s bytes of PMML): ' "$name" "$(stat -c %s "$d/$name.pmml")"
            unit "$d/$name.pmml" "$name" "$d"
        done
    } 2>&1 | tee "$OUT/compile.txt"
fi
