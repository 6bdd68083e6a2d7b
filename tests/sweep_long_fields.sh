#!/bin/sh
# sweep_long_fields.sh — the sweep journal (--resume) and a shard's runs.csv
# (merge) are read through csvrec with no field-length limit: a 151-byte
# number (1 and 150 zeros) is read whole. Regression: merge used to cut
# every field at 127 bytes and silently read 1e126 instead of 1e150.
. "${srcdir:-.}/tests/lib.sh"
cfg="$TESTDATA/sweep_small.ini"
big=1$(printf '%0150d' 0)

# Journal: one finished task whose chi2 is the long number, then --resume.
HETPREF_TEST_SIGINT_AFTER=1 "$HETPREF" sweep "$cfg" -o "$scratch/j" --threads 1 2>/dev/null
check "interrupted sweep left a journal" [ -s "$scratch/j/runs.journal" ]
head -n 1 "$scratch/j/runs.journal" | awk -F'\t' -v OFS='\t' -v b="$big" '{ $3 = b; print }' > "$scratch/jl"
mv "$scratch/jl" "$scratch/j/runs.journal"
task=$(cut -f1 "$scratch/j/runs.journal")
"$HETPREF" sweep "$cfg" -o "$scratch/j" --threads 1 --resume
check "resume with a long journal field: exit 0" [ $? -eq 0 ]
check "journal: the long chi2 read whole (9.9999999999999998e+149 = 1e150)" grep -q "^$task,[^e]*,9.9999999999999998e+149," "$scratch/j/runs.csv"

# Merge: a shard whose runs.csv holds the long number.
"$HETPREF" sweep "$cfg" -o "$scratch/a" --threads 1
check "sweep: exit 0" [ $? -eq 0 ]
# Field 9 of the first row is chi2 (task,cell,replicate,design.answer,
# "0.55, 0.45" as two awk fields,seed,data_seed,chi2).
awk -F, -v OFS=, -v b="$big" 'NR == 2 { $9 = b } { print }' "$scratch/a/runs.csv" > "$scratch/r"
mv "$scratch/r" "$scratch/a/runs.csv"
"$HETPREF" merge "$scratch/a" -o "$scratch/m"
check "merge with a long field: exit 0" [ $? -eq 0 ]
check "merge: the long chi2 read whole (9.9999999999999998e+149 = 1e150)" grep -q '^0,.*,9.9999999999999998e+149,' "$scratch/m/runs.csv"
finish
