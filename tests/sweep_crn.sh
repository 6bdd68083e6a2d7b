#!/bin/sh
# sweep_crn.sh — common random numbers: a sweep task's data come from a data
# seed of (master seed, the cell's data-defining keys, replicate) only.
# Cells that differ only in estimator keys ([fit], [mmra], [emdpo] but
# test_users) get the same data_seed in each replicate and identical data
# (the K = 1 latent-class fit and the calibration statistics are functions
# of the data alone, so they agree to the last digit); cells that differ in
# a data-defining key, and different replicates, get different data seeds.
. "${srcdir:-.}/tests/lib.sh"

# col FILE NAME: the 1-based column of NAME in FILE's header (0 if none).
col() {
    head -n 1 "$1" | awk -F, -v n="$2" '{ for (i = 1; i <= NF; i++) if ($i == n) { print i; exit } print 0 }'
}
# same_within FILE KEYCOLS VALCOL: 0 when every group of rows equal in the
# columns KEYCOLS (comma-separated numbers) has one value in column VALCOL,
# and there are at least 2 rows per group.
same_within() {
    awk -F, -v k="$2" -v v="$3" 'NR > 1 {
        n = split(k, ks, ","); g = ""
        for (i = 1; i <= n; i++) g = g "|" $ks[i]
        if (g in val && val[g] != $v) bad = 1
        val[g] = $v; cnt[g]++
    } END { for (g in cnt) if (cnt[g] < 2) bad = 1; exit bad || NR < 3 }' "$1"
}
# distinct FILE KEYCOLS VALCOL: 0 when groups that differ in KEYCOLS never
# share a value of VALCOL (and there are at least 2 groups).
distinct() {
    awk -F, -v k="$2" -v v="$3" 'NR > 1 {
        n = split(k, ks, ","); g = ""
        for (i = 1; i <= n; i++) g = g "|" $ks[i]
        if (($v in owner) && owner[$v] != g) bad = 1
        owner[$v] = g; if (!(g in seen)) { seen[g] = 1; ng++ }
    } END { exit bad || ng < 2 }' "$1"
}

same_nonempty() { [ -n "$1" ] && [ "$1" = "$2" ]; }
# run_ok WHAT COMMAND...: run it (stderr to $scratch/err), check exit 0.
run_ok() {
    w=$1; shift
    "$@" 2>"$scratch/err"
    rc=$?
    check "$w: exit 0 (got $rc: $(head -c 300 "$scratch/err"))" [ "$rc" -eq 0 ]
}

# 1. lcl, K = 1: design.users (data) x fit.max_iter x fit.starts (estimator).
run_ok "lcl sweep" "$HETPREF" sweep "$TESTDATA/sweep_crn.ini" -o "$scratch/lcl" --threads 2
runs="$scratch/lcl/runs.csv"
check "runs.csv has a data_seed column beside seed" \
    grep -q '^task,cell,replicate,design.users,fit.max_iter,fit.starts,seed,data_seed,' "$runs"
# crn_checks RUNS DATAKEY METRIC WHAT: rows equal in DATAKEY and replicate
# (differing in the estimator keys WHAT) share data_seed and METRIC; rows
# differing in DATAKEY or replicate do not share a data seed.
crn_checks() {
    k=$(col "$1" "$2"); r=$(col "$1" replicate)
    d=$(col "$1" data_seed); m=$(col "$1" "$3")
    check "$4 alone: one data_seed per ($2, replicate)" same_within "$1" "$k,$r" "$d"
    check "$4 alone: identical $3 (same data)" same_within "$1" "$k,$r" "$m"
    check "$2 (data) and replicates: different data seeds" distinct "$1" "$k,$r" "$d"
}
crn_checks "$runs" design.users loglik "fit.max_iter, fit.starts"
check "design.users (data): different data, different log-likelihoods" \
    distinct "$runs" "$(col "$runs" design.users),$(col "$runs" replicate)" \
    "$(col "$runs" loglik)"
check "every task has its own task seed" \
    distinct "$runs" "$(col "$runs" task)" "$(col "$runs" seed)"

# 2. calibration (metrics of the data alone): mmra.solver is an estimator
# key, emdpo.test_users simulates held-out users, so it defines data.
sed -e '/^\[sweep\]/,$d' "$TESTDATA/sweep_small.ini" > "$scratch/cal.ini"
cat >> "$scratch/cal.ini" <<'EOF'
[sweep]
task = calibration
replicates = 2
mmra.solver = lp | hedge
emdpo.test_users = 10 | 20
EOF
run_ok "calibration sweep" "$HETPREF" sweep "$scratch/cal.ini" -o "$scratch/cal" --threads 2
runs="$scratch/cal/runs.csv"
crn_checks "$runs" emdpo.test_users chi2 mmra.solver

# 3. The data seed is the same in another sweep with the same data-defining
# values: a cell of sweep 1 run alone (users 200, fit.starts 5) matches.
sed -e 's/^design.users = .*/design.users = 200/' \
    -e 's/^fit.starts = .*/fit.starts = 5/' \
    -e 's/^fit.max_iter = .*/fit.max_iter = 70/' \
    "$TESTDATA/sweep_crn.ini" > "$scratch/one.ini"
run_ok "single-cell sweep" "$HETPREF" sweep "$scratch/one.ini" -o "$scratch/one" --threads 1
a=$(awk -F, -v u="$(col "$scratch/lcl/runs.csv" design.users)" \
    -v d="$(col "$scratch/lcl/runs.csv" data_seed)" \
    'NR > 1 && $u == 200 { print $3 ":" $d }' "$scratch/lcl/runs.csv" | sort -u)
b=$(awk -F, -v d="$(col "$scratch/one/runs.csv" data_seed)" \
    'NR > 1 { print $3 ":" $d }' "$scratch/one/runs.csv" | sort -u)
check "a cell's data seeds do not depend on the other cells ($b)" \
    same_nonempty "$a" "$b"
# 4. select_k pairs K with K = 1 within a replicate: paired.csv's mean
# bic_minus_k1 is the mean over replicates of BIC(K) - BIC(1) taken row by
# row from runs.csv (recomputed here with awk), on a tiny select_k config.
mkdir -p "$scratch/configs"
printf '%s\n' '[run]' 'seed = 8' '[population]' 'kind = polarised' \
    '[design]' 'T = 1' 'users = 200' '[fit]' 'starts = 2' 'max_iter = 40' \
    '[sweep]' 'task = lcl' 'replicates = 3' 'design.answer = pair | top1' \
    'fit.types = 1 | 2' > "$scratch/configs/select_k.ini"
export HETPREF_CONFIGS="$scratch/configs"
run_ok "select_k (tiny)" "$HETPREF" reproduce --only select_k -o "$scratch/sk" --threads 2
sk="$scratch/sk/results/select_k"
want=$(awk -F, -v c="$(col "$sk/runs.csv" bic)" 'NR > 1 { b[$4 "," $5 "," $3] = $c }
    END { for (k in b) { split(k, f, ","); if (f[2] == 2) {
        s[f[1]] += b[k] - b[f[1] ",1," f[3]]; n[f[1]]++ } }
        for (a in s) printf "%s %.6f\n", a, s[a] / n[a] }' "$sk/runs.csv" | sort)
got=$(awk -F, '$2 == 2 && $3 == "bic_minus_k1" { printf "%s %.6f\n", $1, $5 }' \
    "$sk/paired.csv" 2>/dev/null | sort)
check "paired.csv: mean BIC(2) - BIC(1) per answer kind ($got; runs.csv: $want)" \
    same_nonempty "$got" "$want"
check "paired.csv: BIC(1) - BIC(1) = 0 over 3 replicates" \
    grep -q '^pair,1,bic_minus_k1,3,0,0,0,0$' "$sk/paired.csv"
check "paired.csv: the fraction converged per K" grep -q '^top1,2,converged,3,' "$sk/paired.csv"
finish
