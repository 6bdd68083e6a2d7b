#!/bin/sh
# outputs.sh — a command's outputs appear all together or not at all, under
# hostile conditions: a later output that cannot be written (its path is a
# directory), a full disk (a file-size limit), and a rerun into a directory
# holding an older result (no stale file is left beside the new ones). Never
# a partial file, never a staging directory left behind.
. "${srcdir:-.}/tests/lib.sh"
no_partial() { ! ls -d "$scratch"/*.partial.* >/dev/null 2>&1; }

# config.ini is a directory: simulate writes nothing else.
mkdir -p "$scratch/sim/config.ini"
"$HETPREF" simulate "$TESTDATA/tiny.ini" -o "$scratch/sim" 2>"$scratch/err"
rc=$?
check "simulate, config.ini a directory: exit 1 (got $rc)" [ "$rc" -eq 1 ]
check "simulate: the message names the path ($(cat "$scratch/err"))" \
    grep -q "sim/config.ini: is a directory" "$scratch/err"
check "simulate: no prefs.csv or truth.csv" \
    [ ! -e "$scratch/sim/prefs.csv" ] && [ ! -e "$scratch/sim/truth.csv" ]
check "simulate: no staging directory left" no_partial

# A full disk (file-size limit; SIGXFSZ ignored so writes fail with EFBIG).
(trap '' XFSZ; ulimit -f 8; "$HETPREF" simulate "$HETPREF_CONFIGS/two_traits.ini" \
    --set design.users=2000 -o "$scratch/full") 2>"$scratch/err"
rc=$?
check "simulate on a full disk: exit 1 (got $rc)" [ "$rc" -eq 1 ]
check "full disk: the message names the output ($(cat "$scratch/err"))" \
    grep -q "full/prefs.csv" "$scratch/err"
check "full disk: no output directory" [ ! -e "$scratch/full" ]
check "full disk: no staging directory left" no_partial

# fit: evaluation.csv is a directory, so nothing of the fit is committed.
"$HETPREF" simulate "$TESTDATA/tiny.ini" -o "$scratch/data" 2>/dev/null
mkdir -p "$scratch/fit/evaluation.csv"
"$HETPREF" fit --data "$scratch/data/prefs.csv" --types 2 --starts 2 \
    -o "$scratch/fit" 2>"$scratch/err"
rc=$?
check "fit, evaluation.csv a directory: exit 1 (got $rc)" [ "$rc" -eq 1 ]
for f in estimates.csv posteriors.csv fit.csv config.ini; do
    check "fit: $f not written" [ ! -e "$scratch/fit/$f" ]
done
check "fit: no staging directory left" no_partial

# A rerun into a directory holding another fit's results leaves none of them.
mkdir -p "$scratch/rerun"
echo stale > "$scratch/rerun/policies.txt"
echo stale > "$scratch/rerun/evaluation.csv"
echo mine > "$scratch/rerun/notes.txt"
cut -d, -f1-7 "$TESTDATA/pairs_glm.csv" > "$scratch/notype.csv"
"$HETPREF" fit --data "$scratch/notype.csv" --types 1 -o "$scratch/rerun" 2>/dev/null
rc=$?
check "rerun: exit 0 (got $rc)" [ "$rc" -eq 0 ]
check "rerun: estimates.csv written" [ -s "$scratch/rerun/estimates.csv" ]
check "rerun: the old policies.txt is gone" [ ! -e "$scratch/rerun/policies.txt" ]
check "rerun: the old evaluation.csv is gone (no type column now)" \
    [ ! -e "$scratch/rerun/evaluation.csv" ]
check "rerun: a file that is not a fit output is kept" [ -s "$scratch/rerun/notes.txt" ]
finish
