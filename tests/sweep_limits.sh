#!/bin/sh
# sweep_limits.sh — a sweep too large to run is counted and refused at once
# (exit 2, the count, FILE:LINE of the [sweep] key where the product passed
# the limit), never planned for days or until memory runs out; no output
# directory is created. Each run is under a timeout: before the count came
# first, the 10^8-cell sweep spent minutes checking cells and the 1.6e11-cell
# one failed "out of memory" (exit 1) or ran for days.
. "${srcdir:-.}/tests/lib.sh"
expect_refused() { # expect_refused DESC CONFIG FRAGMENT...
    d=$1; conf=$2; shift 2
    rm -rf "$scratch/out"
    timeout 20 "$HETPREF" sweep "$conf" -o "$scratch/out" >/dev/null 2>"$scratch/err"
    rc=$?
    check "$d: exit 2 within 20 s (got $rc: $(cat "$scratch/err"))" [ "$rc" -eq 2 ]
    for frag in "$@"; do
        check "$d: the message says '$frag'" grep -qF -- "$frag" "$scratch/err"
    done
    check "$d: no output directory" [ ! -e "$scratch/out" ]
}

# 40^7 = 163 840 000 000 cells (under the old 2^40 cap); the product passes
# 10^5 at the fourth key (line 8).
expect_refused "1.6e11 cells" "$TESTDATA/sweep_huge.ini" \
    "sweep_huge.ini:8: [sweep] emdpo.em_iters" "163840000000 cells" "the 100000 a sweep"

# 40^5 = 102 400 000 cells: small enough to allocate, far too many to check.
sed '/^emdpo.batch/d; /^emdpo.hidden/d' "$TESTDATA/sweep_huge.ini" \
    >"$scratch/cells.ini"
expect_refused "1.0e8 cells" "$scratch/cells.ini" \
    "cells.ini:8: [sweep] emdpo.em_iters" "102400000 cells"

# A product beyond 64 bits: 512^8 = 2^72 cells is reported approximately.
v512=$(awk 'BEGIN { for (i = 0; i < 512; i++) printf "%s%d", i ? "|" : "", i + 1 }')
{
    echo "[sweep]"
    for k in fit.starts fit.max_iter emdpo.epochs emdpo.em_iters \
             emdpo.em_patience emdpo.batch emdpo.hidden emdpo.test_users; do
        echo "$k = $v512"
    done
} >"$scratch/wrap.ini"
expect_refused "2^72 cells" "$scratch/wrap.ini" \
    "wrap.ini:3: [sweep] fit.max_iter" "about 4.72e+21 cells"

# 1600 cells x 10^6 replicates = 1.6e9 tasks: the replicates line is named.
head -n 6 "$TESTDATA/sweep_huge.ini" | sed 's/^task = calibration/&\nreplicates = 1000000/' \
    >"$scratch/tasks.ini"
expect_refused "1.6e9 tasks" "$scratch/tasks.ini" \
    "tasks.ini:5: [sweep] replicates = 1000000" "1600 cells x 1000000 replicates = 1600000000 tasks"

# Exactly at the limit: 250 x 400 = 100 000 cells are planned (status
# builds the plan and runs nothing), in well under the timeout.
v250=$(awk 'BEGIN { for (i = 0; i < 250; i++) printf "%s%d", i ? "|" : "", i + 1 }')
v400=$(awk 'BEGIN { for (i = 0; i < 400; i++) printf "%s%d", i ? "|" : "", i + 1 }')
mkdir -p "$scratch/limit"
printf '[sweep]\nfit.starts = %s\nfit.max_iter = %s\n' "$v250" "$v400" \
    >"$scratch/limit/config.ini"
timeout 20 "$HETPREF" status "$scratch/limit" >"$scratch/out.txt" 2>"$scratch/err"
rc=$?
check "100000 cells: planned (got $rc: $(cat "$scratch/err"))" [ "$rc" -eq 0 ]
check "100000 cells: status counts them" grep -q "100000 cells" "$scratch/out.txt"

# Beside the limit: a small sweep still plans and runs.
"$HETPREF" sweep "$TESTDATA/sweep_small.ini" --set calibration.answers=20 \
    -o "$scratch/small" >/dev/null 2>"$scratch/err"
rc=$?
check "a 6-cell sweep runs (got $rc: $(cat "$scratch/err"))" [ "$rc" -eq 0 ]
finish
