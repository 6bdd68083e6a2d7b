#!/bin/sh
# cli_errors.sh — every class of bad input through the real CLI:
# exit status 2, a message "hetpref: FILE:LINE: ..." naming the field, and
# no output left behind. Also usage errors and the stable exit statuses.
. "${srcdir:-.}/tests/lib.sh"

# Bad configs: the first line of each file is "; LINE|fragment".
for f in "$TESTDATA"/bad/*.ini; do
    name=$(basename "$f" .ini)
    spec=$(head -n 1 "$f" | sed 's/^; //')
    line=${spec%%|*}
    frag=${spec#*|}
    out="$scratch/out_$name"
    "$HETPREF" simulate "$f" -o "$out" 2>"$scratch/err" >/dev/null
    rc=$?
    check "$name: exit 2 (got $rc)" [ "$rc" -eq 2 ]
    check "$name: message names $f:$line: ($(cat "$scratch/err"))" \
        grep -qF "hetpref: $f:$line: " "$scratch/err"
    check "$name: message mentions '$frag'" grep -qF "$frag" "$scratch/err"
    check "$name: no output directory" [ ! -e "$out" ]
done

# Bad data: tests/data/baddata/EXPECT lists file|line|fragment.
while IFS='|' read -r file line frag; do
    case $file in '#'*|'') continue ;; esac
    f="$TESTDATA/baddata/$file"
    "$HETPREF" describe --data "$f" >"$scratch/out" 2>"$scratch/err"
    rc=$?
    msg=$(cat "$scratch/err")
    check "$file: exit 2 (got $rc: $msg)" [ "$rc" -eq 2 ]
    check "$file: nothing on stdout" [ ! -s "$scratch/out" ]
    case $line in
        0) check "$file: message names the file ($msg)" grep -qF "hetpref: $f" "$scratch/err" ;;
        -1) check "$file: message names file:line ($msg)" grep -qE "hetpref: $f:[0-9]+: " "$scratch/err" ;;
        *) check "$file: message names $file:$line ($msg)" grep -qF "hetpref: $f:$line: " "$scratch/err" ;;
    esac
    check "$file: message mentions '$frag' ($msg)" grep -qiF "$frag" "$scratch/err"
done < "$TESTDATA/baddata/EXPECT"

# A missing data file and a missing config are input errors too.
"$HETPREF" describe --data "$scratch/nope.csv" 2>/dev/null
check "missing data file: exit 2" [ $? -eq 2 ]
"$HETPREF" simulate "$scratch/nope.ini" -o "$scratch/x" 2>/dev/null
check "missing config: exit 2" [ $? -eq 2 ]
mkdir "$scratch/adir"
for cmd in simulate sweep; do
    "$HETPREF" $cmd "$scratch/adir" -o "$scratch/out_dir_$cmd" 2>"$scratch/err"
    rc=$?
    check "$cmd with a directory as CONFIG: exit 2 (got $rc)" [ "$rc" -eq 2 ]
    check "$cmd with a directory as CONFIG: says so" grep -q "is a directory" "$scratch/err"
    check "$cmd with a directory as CONFIG: no output" [ ! -e "$scratch/out_dir_$cmd" ]
done

# HETPREF_DEBUG adds the source location of the failure, and only then.
f=$(ls "$TESTDATA"/bad/*.ini | head -n 1)
HETPREF_DEBUG=1 "$HETPREF" simulate "$f" -o "$scratch/dbg" 2>"$scratch/err" >/dev/null
check "HETPREF_DEBUG: origin printed ($(cat "$scratch/err"))" \
    grep -qE '^hetpref: \(raised at .*src/[a-z_]+\.c:[0-9]+\)$' "$scratch/err"
"$HETPREF" simulate "$f" -o "$scratch/dbg" 2>"$scratch/err" >/dev/null
check "no HETPREF_DEBUG: no origin" sh -c "! grep -q 'raised at' '$scratch/err'"

# One number syntax everywhere: a hexadecimal float is refused by every
# reader of user input (it used to be accepted by some and refused by others).
sed '2s/^\(1,1,2,1,\)[^,]*/\10x1p0/' "$TESTDATA/pairs_glm.csv" > "$scratch/hex.csv"
"$HETPREF" describe --data "$scratch/hex.csv" >/dev/null 2>"$scratch/err"
rc=$?
check "preference CSV with 0x1p0: exit 2 (got $rc)" [ "$rc" -eq 2 ]
check "preference CSV with 0x1p0: names line 2" grep -q "hex.csv:2:" "$scratch/err"
printf 'type,a,b\na,0x1p0,1\nb,1,0\n' > "$scratch/hexm.csv"
"$HETPREF" mmra --regret "$scratch/hexm.csv" -o "$scratch/hexm_out" 2>/dev/null
rc=$?
check "regret matrix with 0x1p0: exit 2 (got $rc)" [ "$rc" -eq 2 ]
"$HETPREF" simulate "$TESTDATA/tiny.ini" --set design.feature_scale=0x1p1 \
    -o "$scratch/hexc" 2>/dev/null
rc=$?
check "--set real 0x1p1: exit 2 (got $rc)" [ "$rc" -eq 2 ]
"$HETPREF" simulate "$TESTDATA/tiny.ini" --set population.b=0x1p1 \
    -o "$scratch/hexc" 2>/dev/null
rc=$?
check "--set list 0x1p1: exit 2 (got $rc)" [ "$rc" -eq 2 ]
check "hex inputs: nothing written (config)" [ ! -e "$scratch/hexc" ]
check "hex inputs: nothing written (matrix)" [ ! -e "$scratch/hexm_out" ]

# Usage errors.
expect_usage() { # expect_usage DESCRIPTION ARGS...
    d=$1; shift
    "$HETPREF" "$@" >/dev/null 2>"$scratch/err"
    rc=$?
    check "$d: exit 2 (got $rc)" [ "$rc" -eq 2 ]
    check "$d: says something" [ -s "$scratch/err" ]
}
expect_usage "no command"
expect_usage "unknown command" frobnicate
expect_usage "simulate without config" simulate
expect_usage "unknown option" simulate "$TESTDATA/tiny.ini" --frob
expect_usage "bad --seed" simulate "$TESTDATA/tiny.ini" --seed -3
expect_usage "bad --set" simulate "$TESTDATA/tiny.ini" --set design.users
expect_usage "--set unknown key" simulate "$TESTDATA/tiny.ini" --set design.userz=3 -o "$scratch/y"
check "--set error leaves no output" [ ! -e "$scratch/y" ]
expect_usage "bad --threads" sweep "$TESTDATA/sweep_small.ini" --threads 0
expect_usage "bad --shard" sweep "$TESTDATA/sweep_small.ini" --shard 3/2
expect_usage "merge without -o" merge "$scratch"
expect_usage "reproduce unknown experiment" reproduce --only nope -o "$scratch/r"
for id in calibration equivalence fisher recovery budget select_k coverage \
          emdpo_clusters emdpo_groups mmra npmle npmle_polarised; do
    check "reproduce --only nope: the message lists '$id'" grep -qw "$id" "$scratch/err"
done
check "reproduce --only nope: the message names 'nope'" grep -qw nope "$scratch/err"
check "reproduce --only nope: no output" [ ! -e "$scratch/r" ]

"$HETPREF" --help >/dev/null
check "--help exits 0" [ $? -eq 0 ]
"$HETPREF" --version | grep -q '^hetpref '
check "--version prints the version" [ $? -eq 0 ]
for c in simulate sweep merge plot reproduce describe; do
    "$HETPREF" $c --help >/dev/null
    check "$c --help exits 0" [ $? -eq 0 ]
done

# Every shipped experiment configuration is valid, quick and --full.
for mode in "" "--full"; do
    "$HETPREF" reproduce --dry-run $mode > "$scratch/dry" 2>"$scratch/err"
    rc=$?
    check "reproduce --dry-run $mode: exit 0 ($(cat "$scratch/err"))" [ "$rc" -eq 0 ]
    check "reproduce --dry-run $mode: one line per experiment" [ "$(wc -l < "$scratch/dry")" -eq 12 ]
done
finish
