#!/bin/sh
# reproduce_resume.sh — `hetpref reproduce` interrupted by Ctrl-C (a real
# SIGINT, raised by the sweep's test hook after 3 tasks) and finished with
# --resume gives the same bytes as one uninterrupted run; a finished
# experiment is skipped by --resume; the stamp names the mode.
. "${srcdir:-.}/tests/lib.sh"
rp() { "$HETPREF" reproduce --quick --only equivalence --threads 2 "$@"; }

rp -o "$scratch/one" 2>/dev/null
check "uninterrupted run: exit 0" [ $? -eq 0 ]
check "uninterrupted run: stamp says quick" grep -qx quick "$scratch/one/results/equivalence/reproduce.done"

HETPREF_TEST_SIGINT_AFTER=3 rp -o "$scratch/int" 2>"$scratch/err"
rc=$?
check "interrupted run exits 130 (got $rc)" [ "$rc" -eq 130 ]
check "interrupted run says --resume" grep -q -- '--resume' "$scratch/err"
check "interrupted run keeps its journal" [ -s "$scratch/int/results/equivalence/runs.journal" ]
check "interrupted run: no runs.csv" [ ! -e "$scratch/int/results/equivalence/runs.csv" ]
check "interrupted run: no stamp" [ ! -e "$scratch/int/results/equivalence/reproduce.done" ]

rp --resume -o "$scratch/int" 2>"$scratch/err"
rc=$?
check "resumed run: exit 0 ($(cat "$scratch/err"))" [ "$rc" -eq 0 ]
for f in runs.csv summary.csv; do
    check "$f: interrupted + resumed identical to one run" \
        cmp -s "$scratch/one/results/equivalence/$f" "$scratch/int/results/equivalence/$f"
done
check "resumed run: journal gone" [ ! -e "$scratch/int/results/equivalence/runs.journal" ]
check "resumed run: stamp says quick" grep -qx quick "$scratch/int/results/equivalence/reproduce.done"

cp "$scratch/int/results/equivalence/runs.csv" "$scratch/runs.before"
rp --resume -o "$scratch/int" 2>"$scratch/err"
check "second resume: exit 0" [ $? -eq 0 ]
check "second resume: skipped as done" grep -q 'equivalence: already done (quick), skipped' "$scratch/err"
check "second resume: runs.csv untouched" cmp -s "$scratch/runs.before" "$scratch/int/results/equivalence/runs.csv"

# A stamp of the other mode does not count: the experiment runs again (its
# sweep finds the tasks of its finished runs.csv of the same configuration
# done, and runs none of them again).
echo full > "$scratch/int/results/equivalence/reproduce.done"
rp --resume -o "$scratch/int" 2>"$scratch/err"
check "quick --resume ignores a full stamp: exit 0" [ $? -eq 0 ]
check "... the experiment is not skipped" sh -c "! grep -q 'already done' '$scratch/err' && grep -q 'equivalence: running or resuming (quick)' '$scratch/err'"
check "... its finished tasks are not run again" grep -q 'done: a finished runs.csv); 0 to run' "$scratch/err"
check "... stamp now says quick" grep -qx quick "$scratch/int/results/equivalence/reproduce.done"
check "... runs.csv the same bytes" cmp -s "$scratch/runs.before" "$scratch/int/results/equivalence/runs.csv"
finish
