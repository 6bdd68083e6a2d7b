#!/bin/sh
# sweep_determinism.sh — a sweep's CSVs are byte-identical whatever the
# thread count, sharding (merged), or an interrupt followed by --resume.
. "${srcdir:-.}/tests/lib.sh"
cfg="$TESTDATA/sweep_small.ini"

"$HETPREF" sweep "$cfg" -o "$scratch/t1" --threads 1
check "threads 1: exit 0" [ $? -eq 0 ]
"$HETPREF" sweep "$cfg" -o "$scratch/t2" --threads 2
check "threads 2: exit 0" [ $? -eq 0 ]
for f in runs.csv summary.csv config.ini; do
    check "$f identical for 1 and 2 threads" cmp -s "$scratch/t1/$f" "$scratch/t2/$f"
done
rows=$(($(wc -l < "$scratch/t1/runs.csv") - 1))
check "runs.csv has 6 cells x 4 replicates = 24 rows (got $rows)" [ "$rows" -eq 24 ]
check "runs.csv header" grep -q '^task,cell,replicate,design.answer,population.eta,seed,data_seed,chi2,df,p_value,max_abs_diff,max_abs_z,answers$' "$scratch/t1/runs.csv"
check "swept list values are quoted" grep -q '^1,0,1,pair,"0.55, 0.45",' "$scratch/t1/runs.csv"
check "no journal left" [ ! -e "$scratch/t1/runs.journal" ]

# Shards 1/3, 2/3, 3/3 merged equal the single run.
for i in 1 2 3; do
    "$HETPREF" sweep "$cfg" -o "$scratch/s$i" --shard $i/3 --threads 2
    check "shard $i/3: exit 0" [ $? -eq 0 ]
done
"$HETPREF" merge "$scratch/s1" "$scratch/s2" "$scratch/s3" -o "$scratch/merged"
check "merge: exit 0" [ $? -eq 0 ]
for f in runs.csv summary.csv config.ini; do
    check "$f: merged shards identical to one run" cmp -s "$scratch/t1/$f" "$scratch/merged/$f"
done
"$HETPREF" merge "$scratch/s1" "$scratch/s2" -o "$scratch/m2" 2>"$scratch/err"
check "merge with a shard missing: exit 2" [ $? -eq 2 ]
check "merge names the missing task" grep -q 'task' "$scratch/err"
"$HETPREF" merge "$scratch/s1" "$scratch/s1" -o "$scratch/m3" 2>/dev/null
check "merge with a shard twice: exit 2" [ $? -eq 2 ]

# Interrupt after 5 tasks (a real SIGINT, raised by a test hook), then resume.
HETPREF_TEST_SIGINT_AFTER=5 "$HETPREF" sweep "$cfg" -o "$scratch/int" --threads 2 2>"$scratch/err"
rc=$?
check "interrupted sweep exits 130 (got $rc)" [ "$rc" -eq 130 ]
check "interrupted sweep says --resume" grep -q -- '--resume' "$scratch/err"
check "interrupted sweep leaves no runs.csv" [ ! -e "$scratch/int/runs.csv" ]
check "interrupted sweep keeps its journal" [ -s "$scratch/int/runs.journal" ]
done_lines=$(wc -l < "$scratch/int/runs.journal")
check "journal holds at least the 5 finished tasks ($done_lines)" [ "$done_lines" -ge 5 ]
check "journal holds fewer than all 24 tasks ($done_lines)" [ "$done_lines" -lt 24 ]
"$HETPREF" sweep "$cfg" -o "$scratch/int" --threads 1 --resume 2>"$scratch/err"
rc=$?
check "resume: exit 0 (got $rc)" [ "$rc" -eq 0 ]
check "resume says how many tasks it skipped ($done_lines of 24)" \
    grep -q "skipped $done_lines of 24 tasks" "$scratch/err"
for f in runs.csv summary.csv; do
    check "$f: interrupted + resumed identical to one run" cmp -s "$scratch/t1/$f" "$scratch/int/$f"
done
# SIGTERM (scancel, a time limit, docker stop) stops it the same way, with
# exit 143, and --resume finishes it to the same bytes.
HETPREF_TEST_SIGTERM_AFTER=4 "$HETPREF" sweep "$cfg" -o "$scratch/term" --threads 2 2>"$scratch/err"
rc=$?
check "terminated sweep exits 143 (got $rc)" [ "$rc" -eq 143 ]
check "terminated sweep says --resume" grep -q -- 'SIGTERM.*--resume' "$scratch/err"
check "terminated sweep leaves no runs.csv" [ ! -e "$scratch/term/runs.csv" ]
check "terminated sweep keeps its journal" [ -s "$scratch/term/runs.journal" ]
"$HETPREF" sweep "$cfg" -o "$scratch/term" --threads 1 --resume 2>/dev/null
check "resume after SIGTERM: exit 0" [ $? -eq 0 ]
check "resume after SIGTERM: runs.csv identical" cmp -s "$scratch/t1/runs.csv" "$scratch/term/runs.csv"
# A torn last journal line (killed mid-write) is dropped and redone.
HETPREF_TEST_SIGINT_AFTER=3 "$HETPREF" sweep "$cfg" -o "$scratch/torn" --threads 1 2>/dev/null
printf '17\t123' >> "$scratch/torn/runs.journal"
"$HETPREF" sweep "$cfg" -o "$scratch/torn" --resume
check "resume after a torn line: exit 0" [ $? -eq 0 ]
check "torn journal: runs.csv identical" cmp -s "$scratch/t1/runs.csv" "$scratch/torn/runs.csv"
# Resuming with a different configuration is refused.
HETPREF_TEST_SIGINT_AFTER=2 "$HETPREF" sweep "$cfg" -o "$scratch/diff" --threads 1 2>/dev/null
"$HETPREF" sweep "$cfg" -o "$scratch/diff" --resume --seed 5 2>"$scratch/err"
check "resume with another config: exit 2" [ $? -eq 2 ]

# A directory holding the results of another configuration is refused (exit
# 2, no byte changed), and the message names the ways out; --force
# overwrites; --resume without a journal is refused there too.
cp -R "$scratch/t1" "$scratch/ow"
"$HETPREF" sweep "$cfg" -o "$scratch/ow" --seed 5 2>"$scratch/err"
rc=$?
check "sweep into another config's results: exit 2 (got $rc)" [ "$rc" -eq 2 ]
check "refusal names --force and --resume" grep -q -- '--force.*--resume' "$scratch/err"
for f in runs.csv summary.csv config.ini; do
    check "refused: $f untouched" cmp -s "$scratch/t1/$f" "$scratch/ow/$f"
done
"$HETPREF" sweep "$cfg" -o "$scratch/ow" --seed 5 --resume 2>"$scratch/err"
rc=$?
check "--resume into another config's results (no journal): exit 2 (got $rc)" [ "$rc" -eq 2 ]
check "refused --resume: runs.csv untouched" cmp -s "$scratch/t1/runs.csv" "$scratch/ow/runs.csv"
"$HETPREF" sweep "$cfg" -o "$scratch/ow" --seed 5 --force --threads 2 2>"$scratch/err"
rc=$?
check "--force: exit 0 (got $rc)" [ "$rc" -eq 0 ]
check "--force: config.ini is the new one" grep -qx 'seed = 5' "$scratch/ow/config.ini"
differ() { ! cmp -s "$1" "$2"; }
check "--force: runs.csv rewritten" differ "$scratch/t1/runs.csv" "$scratch/ow/runs.csv"
"$HETPREF" sweep "$cfg" -o "$scratch/ow" --seed 5 --threads 2 2>"$scratch/err"
rc=$?
check "rerun of the same config into its own results: exit 0 (got $rc)" [ "$rc" -eq 0 ]
mkdir "$scratch/stray" && cp "$scratch/t1/runs.csv" "$scratch/stray/"
"$HETPREF" sweep "$cfg" -o "$scratch/stray" 2>"$scratch/err"
rc=$?
check "a runs.csv without config.ini: exit 2 (got $rc)" [ "$rc" -eq 2 ]
"$HETPREF" sweep --help > "$scratch/help"
check "sweep --help documents --force" grep -q -- '--force' "$scratch/help"

# Summary: 6 cells x 6 metrics.
srows=$(($(wc -l < "$scratch/t1/summary.csv") - 1))
check "summary.csv has 36 rows (got $srows)" [ "$srows" -eq 36 ]
# Calibration p-values of a correct simulator are not tiny: every cell's mean
# p-value over 4 replicates above 0.05 (each replicate is U(0,1) under the
# null; the mean of 4 falls below 0.05 with probability ~1e-4).
awk -F, 'NR > 1 && $4 == "p_value" { if ($6 < 0.05) bad = 1 } END { exit bad }' "$scratch/t1/summary.csv"
check "calibration p-values look uniform (no cell mean < 0.05)" [ $? -eq 0 ]
finish
