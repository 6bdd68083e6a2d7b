#!/bin/sh
# cli_golden.sh — `hetpref simulate` on tiny configs reproduces checked-in
# CSVs byte for byte (tests/data/golden/), and the written data read back
# through `describe` and re-simulated with the resolved config.ini agree.
. "${srcdir:-.}/tests/lib.sh"
for t in tiny tiny_pool; do
    "$HETPREF" simulate "$TESTDATA/$t.ini" -o "$scratch/$t" 2>"$scratch/err"
    rc=$?
    check "$t: simulate exit 0 ($(cat "$scratch/err"))" [ "$rc" -eq 0 ]
    for f in prefs.csv truth.csv; do
        check "$t/$f matches golden" cmp -s "$scratch/$t/$f" "$TESTDATA/golden/$t/$f"
    done
    # config.ini: the golden keys, then [provenance] naming this run's input.
    sed '/^\[provenance\]$/,$d' "$scratch/$t/config.ini" > "$scratch/$t.keys"
    check "$t/config.ini keys match golden" sh -c \
        "printf '\n' | cat '$TESTDATA/golden/$t/config.ini' - | cmp -s - '$scratch/$t.keys'"
    check "$t/config.ini: provenance command" \
        grep -qx "command = hetpref simulate $TESTDATA/$t.ini" "$scratch/$t/config.ini"
    check "$t/config.ini: provenance input" \
        grep -q "^input = [0-9]* [0-9a-f]\{64\} $TESTDATA/$t.ini\$" "$scratch/$t/config.ini"
    # The resolved config reproduces the same data.
    "$HETPREF" simulate "$scratch/$t/config.ini" -o "$scratch/$t.again"
    check "$t: config.ini reproduces prefs.csv" cmp -s "$scratch/$t/prefs.csv" "$scratch/$t.again/prefs.csv"
    "$HETPREF" describe --data "$scratch/$t/prefs.csv" > "$scratch/$t.describe"
    check "$t: describe reads it back" [ $? -eq 0 ]
done
check "tiny: 5 users" grep -qx 'users,5' "$scratch/tiny.describe"
check "tiny: 10 full rankings of 3" grep -qx 'answers_m3_r2,10' "$scratch/tiny.describe"
check "tiny_pool: 12 top-2 of 4" grep -qx 'answers_m4_r2,12' "$scratch/tiny_pool.describe"
check "tiny_pool: prompt column" grep -qx 'has_prompt,1' "$scratch/tiny_pool.describe"
# --seed overrides the config and changes the data.
"$HETPREF" simulate "$TESTDATA/tiny.ini" -o "$scratch/seeded" --seed 7
check "--seed changes the data" sh -c "! cmp -s '$scratch/tiny/prefs.csv' '$scratch/seeded/prefs.csv'"
check "--seed is recorded in config.ini" grep -qx 'seed = 7' "$scratch/seeded/config.ini"
# --set overrides any key.
"$HETPREF" simulate "$TESTDATA/tiny.ini" -o "$scratch/set" --set design.users=3
"$HETPREF" describe --data "$scratch/set/prefs.csv" | grep -qx 'users,3'
check "--set design.users=3" [ $? -eq 0 ]
finish
