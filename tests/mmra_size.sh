#!/bin/sh
# mmra_size.sh — a game too large for mmra is refused at once (exit 2) with
# its size, the limits and the estimated cost, before the data is read or
# anything is solved, and nothing is written. 10 000 policies used to run
# for over 300 s at 1.6 GB (the aggregators' K x J x J work) before the LP
# even started. Every run is under a timeout.
. "${srcdir:-.}/tests/lib.sh"
expect_refused() { # expect_refused DESC FRAGMENT ARGS...
    d=$1 frag=$2
    shift 2
    rm -rf "$scratch/out"
    timeout 30 "$HETPREF" mmra "$@" -o "$scratch/out" >/dev/null 2>"$scratch/err"
    rc=$?
    check "$d: exit 2 within 30 s (got $rc: $(cat "$scratch/err"))" [ "$rc" -eq 2 ]
    check "$d: the message says '$frag'" grep -qF -- "$frag" "$scratch/err"
    check "$d: the message gives the limits" \
        grep -qF "at most 1000 policies and 1000000 entries" "$scratch/err"
    check "$d: nothing written" [ ! -e "$scratch/out" ]
}

# 10 000 linear policies on the test data's one prompt.
mkdir -p "$scratch/pol"
awk -v K=10000 'BEGIN {
    print "hetpref-policies 1\nd 1\nlayers 0\nhidden 0\nactivation tanh\nbeta 0.1"
    printf "policies %d\nnames", K
    for (k = 1; k <= K; k++) printf " p%d", k
    printf "\nweights"
    for (k = 1; k <= K; k++) printf " %.17g", 1.0 / K
    print "\nparams 2"
    for (k = 1; k <= K; k++) printf "policy p%d\n%.6f\n0\n", k, (k % 97) / 50.0 - 1
    print "end" }' >"$scratch/pol/policies.txt"
expect_refused "10000 policies" \
    "policies.txt: 10000 types x 10000 policies is larger than mmra solves" \
    --policies "$scratch/pol" --data "$TESTDATA/mmra/prefs.csv"

# A regret matrix of 2 types x 1001 policies: J over the limit.
awk 'BEGIN { printf "type"; for (j = 1; j <= 1001; j++) printf ",p%d", j; print ""
             for (k = 1; k <= 2; k++) { printf "t%d", k
               for (j = 1; j <= 1001; j++) printf ",%d", (j + k) % 3; print "" } }' \
    >"$scratch/wide.csv"
expect_refused "1001 policies" "wide.csv: 2 types x 1001 policies" \
    --regret "$scratch/wide.csv"

# 1001 types x 1000 policies: over the entries; the cost is estimated.
awk 'BEGIN { printf "type"; for (j = 1; j <= 1000; j++) printf ",p%d", j; print ""
             for (k = 1; k <= 1001; k++) { printf "t%d", k
               for (j = 1; j <= 1000; j++) printf ",%d", (j * k) % 5; print "" } }' \
    >"$scratch/big.csv"
expect_refused "1001 x 1000 entries" "would take some" --regret "$scratch/big.csv"

# Within the limits: 3 types x 1000 policies is solved.
awk 'BEGIN { printf "type"; for (j = 1; j <= 1000; j++) printf ",p%d", j; print ""
             for (k = 1; k <= 3; k++) { printf "t%d", k
               for (j = 1; j <= 1000; j++) printf ",%.3f", ((j * 7 + k * 3) % 11) / 2.5
               print "" } }' >"$scratch/ok.csv"
"$HETPREF" mmra --regret "$scratch/ok.csv" -o "$scratch/ok" 2>"$scratch/err"
rc=$?
check "3 x 1000: solved (got $rc: $(cat "$scratch/err"))" [ "$rc" -eq 0 ]
check "3 x 1000: aggregator_weights.csv has (J + 4) x J rows" \
    [ "$(($(wc -l <"$scratch/ok/aggregator_weights.csv") - 1))" -eq 1004000 ]
finish
