#!/bin/sh
# outputs.sh — a command's outputs appear all together or not at all, under
# hostile conditions: a later output that cannot be written (its path is a
# directory), a full disk (a file-size limit), an output directory that
# cannot be written, and a rerun into a directory holding an older result
# (no stale file is left beside the new ones). Never a partial file, never a
# staging directory left behind. Commands: simulate, fit, mmra, sweep, merge.
. "${srcdir:-.}/tests/lib.sh"
no_partial() { ! ls -d "$scratch"/*.partial.* >/dev/null 2>&1; }
# A command that must fail at its outputs: exit 1, FRAGMENT (the path and
# reason) in its message, no staging directory left.
blocked() { # blocked DESC FRAGMENT COMMAND...
    d=$1 frag=$2
    shift 2
    "$@" >/dev/null 2>"$scratch/err"
    rc=$?
    check "$d: exit 1 (got $rc)" [ "$rc" -eq 1 ]
    check "$d: the message names the path ($(cat "$scratch/err"))" \
        grep -q "$frag" "$scratch/err"
    check "$d: no staging directory left" no_partial
}

# config.ini is a directory: simulate writes nothing else.
mkdir -p "$scratch/sim/config.ini"
"$HETPREF" simulate "$TESTDATA/tiny.ini" -o "$scratch/sim" 2>"$scratch/err"
rc=$?
check "simulate, config.ini a directory: exit 1 (got $rc)" [ "$rc" -eq 1 ]
check "simulate: the message names the path ($(cat "$scratch/err"))" \
    grep -q "sim/config.ini: is a directory" "$scratch/err"
check "simulate: no prefs.csv" [ ! -e "$scratch/sim/prefs.csv" ]
check "simulate: no truth.csv" [ ! -e "$scratch/sim/truth.csv" ]
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
# ---- mmra ----------------------------------------------------------------
mmra_tables="weights.csv regrets.csv summary.csv duals.csv aggregators.csv aggregator_weights.csv"
# config.ini (written last) is a directory: none of the six tables appears.
mkdir -p "$scratch/mmra/config.ini"
blocked "mmra, config.ini a directory" "mmra/config.ini: is a directory" \
    "$HETPREF" mmra --regret "$TESTDATA/mmra/regret_4x3.csv" -o "$scratch/mmra"
for f in $mmra_tables; do
    check "mmra: $f not written" [ ! -e "$scratch/mmra/$f" ]
done

# A full disk: a 60 x 60 game has an aggregator_weights.csv of some 100 KB.
awk 'BEGIN { printf "type"; for (j = 1; j <= 60; j++) printf ",p%d", j; print "";
             for (k = 1; k <= 60; k++) { printf "t%d", k;
               for (j = 1; j <= 60; j++) printf ",%.6f", ((k * 7 + j * 13) % 17) / 3.7;
               print "" } }' >"$scratch/regret60.csv"
blocked "mmra on a full disk" "mfull/aggregator" sh -c "trap '' XFSZ; \
    ulimit -f 8; exec \"\$0\" mmra --regret \"\$1\" -o \"\$2\"" \
    "$HETPREF" "$scratch/regret60.csv" "$scratch/mfull"
check "mmra, full disk: no output directory" [ ! -e "$scratch/mfull" ]

# ---- sweep and merge ------------------------------------------------------
small="$TESTDATA/sweep_small.ini"
# summary.csv is a directory: runs.csv is not committed either, the journal
# stays, and --resume finishes once the obstacle is gone.
mkdir -p "$scratch/sw/summary.csv"
blocked "sweep, summary.csv a directory" "sw/summary.csv: is a directory" \
    "$HETPREF" sweep "$small" --set calibration.answers=20 -o "$scratch/sw"
check "sweep: runs.csv not written" [ ! -e "$scratch/sw/runs.csv" ]
check "sweep: the journal is kept" [ -s "$scratch/sw/runs.journal" ]
rmdir "$scratch/sw/summary.csv"
"$HETPREF" sweep "$small" --set calibration.answers=20 -o "$scratch/sw" \
    --resume >/dev/null 2>"$scratch/err"
rc=$?
check "sweep --resume afterwards: exit 0 (got $rc: $(cat "$scratch/err"))" [ "$rc" -eq 0 ]
check "sweep --resume: runs.csv" [ -s "$scratch/sw/runs.csv" ]
check "sweep --resume: summary.csv" [ -s "$scratch/sw/summary.csv" ]
check "sweep --resume: the journal is gone" [ ! -e "$scratch/sw/runs.journal" ]

# merge: summary.csv of the output is a directory: nothing is committed.
mkdir -p "$scratch/mg/summary.csv"
blocked "merge, summary.csv a directory" "mg/summary.csv: is a directory" \
    "$HETPREF" merge "$scratch/sw" -o "$scratch/mg"
check "merge: no runs.csv" [ ! -e "$scratch/mg/runs.csv" ]
check "merge: no config.ini" [ ! -e "$scratch/mg/config.ini" ]
# A merge into a directory holding an interrupted run's journal: the
# journal is not left beside the merged result.
rmdir "$scratch/mg/summary.csv"
echo "0	1	0.5" >"$scratch/mg/runs.journal"
"$HETPREF" merge "$scratch/sw" -o "$scratch/mg" 2>"$scratch/err"
rc=$?
check "merge over an old journal: exit 0 (got $rc: $(cat "$scratch/err"))" [ "$rc" -eq 0 ]
check "merge: the stale journal is gone" [ ! -e "$scratch/mg/runs.journal" ]
check "merge: runs.csv identical to the sweep's" cmp -s "$scratch/sw/runs.csv" \
    "$scratch/mg/runs.csv"

# ---- an output directory that cannot be written ----------------------------
# A mode-555 directory; as root (which writes there anyway) /sys, where
# nothing can be created; skipped when neither refuses.
ro=$scratch/ro
mkdir -p "$ro" && chmod 555 "$ro"
if mkdir "$ro/probe" 2>/dev/null; then
    rmdir "$ro/probe"
    ro=/sys
    if mkdir "$ro/hetpref-probe.$$" 2>/dev/null; then rmdir "$ro/hetpref-probe.$$"; ro=; fi
fi
if [ -n "$ro" ]; then
    for cmd in "simulate $TESTDATA/tiny.ini" \
               "mmra --regret $TESTDATA/mmra/regret_4x3.csv" \
               "fit --data $scratch/notype.csv --types 1" \
               "sweep $small --set calibration.answers=20"; do
        name=${cmd%% *}
        # shellcheck disable=SC2086
        "$HETPREF" $cmd -o "$ro/hetpref-out.$$" >/dev/null 2>"$scratch/err"
        rc=$?
        check "$name, unwritable output: exit 1 or 2 (got $rc)" \
            [ "$rc" -eq 1 -o "$rc" -eq 2 ]
        check "$name, unwritable output: path and reason ($(cat "$scratch/err"))" \
            grep -qE "$ro/hetpref-out\.$$.*: .*(denied|not permitted|Read-only)" "$scratch/err"
        check "$name, unwritable output: nothing created" [ ! -e "$ro/hetpref-out.$$" ]
    done
else
    echo "outputs.sh: no unwritable directory here; skipping those checks"
fi
chmod 755 "$scratch/ro"
finish
