#!/bin/sh
# mmra_cli.sh — `hetpref mmra` end to end: the three input modes on small
# files with mixtures solved by hand, every output table, Hedge against the
# LP, and every class of bad input refused with exit 2, a message naming
# FILE:LINE and the field, and no output directory.
. "${srcdir:-.}/tests/lib.sh"
d="$TESTDATA/mmra"

# numcheck DESC FILE ROW COL WANT TOL: field COL of line ROW of FILE is
# within TOL of WANT.
numcheck() {
    got=$(sed -n "$3p" "$2" | cut -d, -f"$4")
    awk -v g="$got" -v w="$5" -v t="$6" 'BEGIN { d = g - w; if (d < 0) d = -d;
        exit !(g != "" && d <= t) }'
    check "$1 (got '$got', want $5)" [ $? -eq 0 ]
}

# --regret, 2 x 2: R = [[0, 3], [1, 0]]. Type A's regret is 3 w2, type B's
# is w1; equal at w = (3/4, 1/4), value 3/4; the type mixture (1/4, 3/4)
# makes both policies worth 3/4 (by hand).
"$HETPREF" mmra --regret "$d/regret_2x2.csv" -o "$scratch/r" 2>"$scratch/err"
rc=$?
check "regret 2x2: exit 0 ($(cat "$scratch/err"))" [ "$rc" -eq 0 ]
numcheck "regret 2x2: w1 = 3/4" "$scratch/r/weights.csv" 2 2 0.75 1e-12
numcheck "regret 2x2: w2 = 1/4" "$scratch/r/weights.csv" 3 2 0.25 1e-12
numcheck "regret 2x2: regret of A = 3/4" "$scratch/r/regrets.csv" 2 2 0.75 1e-12
numcheck "regret 2x2: regret of B = 3/4" "$scratch/r/regrets.csv" 3 2 0.75 1e-12
numcheck "regret 2x2: worst = 3/4" "$scratch/r/summary.csv" 2 2 0.75 1e-12
numcheck "regret 2x2: dual of A = 1/4" "$scratch/r/duals.csv" 2 2 0.25 1e-12
check "weights.csv header and names" grep -qx 'policy,weight' "$scratch/r/weights.csv"
check "weights.csv policy p2" grep -q '^p2,' "$scratch/r/weights.csv"
check "regrets.csv header" grep -qx 'type,regret' "$scratch/r/regrets.csv"
check "summary.csv header" grep -qx 'solver,worst_regret,iterations' "$scratch/r/summary.csv"
check "summary.csv says lp" grep -q '^lp,' "$scratch/r/summary.csv"
check "duals.csv header" grep -qx 'type,dual' "$scratch/r/duals.csv"
check "aggregators.csv header" grep -qx 'aggregator,type,regret' "$scratch/r/aggregators.csv"
check "aggregator_weights.csv header" grep -qx 'aggregator,policy,weight' "$scratch/r/aggregator_weights.csv"
# 2 policies + 4 aggregators, each 2 types + worst: 18 rows + header
check "aggregators.csv: 6 aggregators x 3 rows" [ "$(wc -l < "$scratch/r/aggregators.csv")" -eq 19 ]
check "aggregator_weights.csv: 6 aggregators x 2 policies" [ "$(wc -l < "$scratch/r/aggregator_weights.csv")" -eq 13 ]
for a in single:p1 single:p2 utilitarian uniform maxmin_utility mmra; do
    check "aggregators.csv has a worst row for $a" grep -q "^$a,worst," "$scratch/r/aggregators.csv"
done
check "single:p2 worst = 3" grep -qx 'single:p2,worst,3' "$scratch/r/aggregators.csv"
check "uniform worst = 1.5" grep -qx 'uniform,worst,1.5' "$scratch/r/aggregators.csv"
# utilitarian with uniform eta: column sums (1, 3) -> p1
check "utilitarian picks p1" grep -qx 'utilitarian,p1,1' "$scratch/r/aggregator_weights.csv"
# with --eta 0.9,0.1 the sums are (0.1, 2.7): still p1; with 0.1,0.9: (0.9, 0.3) -> p2
"$HETPREF" mmra --regret "$d/regret_2x2.csv" --eta 0.1,0.9 -o "$scratch/eta" 2>/dev/null
check "--eta: utilitarian picks p2" grep -qx 'utilitarian,p2,1' "$scratch/eta/aggregator_weights.csv"
mm=$(awk -F, '$1 == "mmra" && $2 == "worst" { print $3 }' "$scratch/r/aggregators.csv")
check "mmra worst row = summary" [ "$mm" = "$(sed -n 2p "$scratch/r/summary.csv" | cut -d, -f2)" ]
check "mmra worst is the smallest worst" awk -F, -v m="$mm" \
    '$2 == "worst" && $3 + 0 < m - 1e-12 { bad = 1 } END { exit bad }' "$scratch/r/aggregators.csv"

# --regret, 4 types x 3 policies. By hand: types A, C, D bind, so
#   1.25 w2 + 4 w3 = 2 w1 ... solving A = C = D with w1 + w2 + w3 = 1 gives
#   w = (1/3, 2/5, 4/15), value 47/30; the type mixture (4/15, 0, 2/5, 1/3)
#   makes every policy worth 47/30 (certificate), and B (4/5) does not bind.
"$HETPREF" mmra --regret "$d/regret_4x3.csv" -o "$scratch/r43" 2>"$scratch/err"
rc=$?
check "regret 4x3: exit 0 ($(cat "$scratch/err"))" [ "$rc" -eq 0 ]
numcheck "regret 4x3: w1 = 1/3" "$scratch/r43/weights.csv" 2 2 0.333333333333333333 1e-12
numcheck "regret 4x3: w2 = 2/5" "$scratch/r43/weights.csv" 3 2 0.4 1e-12
numcheck "regret 4x3: w3 = 4/15" "$scratch/r43/weights.csv" 4 2 0.266666666666666667 1e-12
numcheck "regret 4x3: worst = 47/30" "$scratch/r43/summary.csv" 2 2 1.56666666666666667 1e-12
numcheck "regret 4x3: B's regret 4/5" "$scratch/r43/regrets.csv" 3 2 0.8 1e-12
numcheck "regret 4x3: B does not bind (dual 0)" "$scratch/r43/duals.csv" 3 2 0 1e-12
numcheck "regret 4x3: dual of C = 2/5" "$scratch/r43/duals.csv" 4 2 0.4 1e-12

# Hedge on the same game.
"$HETPREF" mmra --regret "$d/regret_4x3.csv" --solver hedge --iters 20000 -o "$scratch/h" 2>"$scratch/err"
rc=$?
check "hedge: exit 0 ($(cat "$scratch/err"))" [ "$rc" -eq 0 ]
check "hedge: summary" grep -q '^hedge,[0-9.e+-]*,20000$' "$scratch/h/summary.csv"
numcheck "hedge: worst within 1e-3 of 47/30" "$scratch/h/summary.csv" 2 2 1.56666666666666667 0.001
numcheck "hedge: w2 near 2/5" "$scratch/h/weights.csv" 3 2 0.4 0.01

# --values, 2 x 2: L = [[1.5, 0.25], [0.75, 2]], c = (2, 1):
#   R = [[0, 2 (1.5 - 0.25)], [2 - 0.75, 0]] = [[0, 2.5], [1.25, 0]],
#   w = (2.5, 1.25) / 3.75 = (2/3, 1/3), value 2.5 * 1.25 / 3.75 = 5/6.
"$HETPREF" mmra --values "$d/values_2x2.csv" --weights 2,1 -o "$scratch/v" 2>"$scratch/err"
rc=$?
check "values 2x2: exit 0 ($(cat "$scratch/err"))" [ "$rc" -eq 0 ]
numcheck "values 2x2: w_a = 2/3" "$scratch/v/weights.csv" 2 2 0.666666666666666667 1e-12
numcheck "values 2x2: worst = 5/6" "$scratch/v/summary.csv" 2 2 0.833333333333333333 1e-12
# max-min utility on L itself: min(1.5 w + 0.25 (1-w), 0.75 w + 2 (1-w)) is
# largest where 1.25 w + 0.25 = 2 - 1.25 w, w = 0.7 (by hand)
check "values 2x2: maxmin_utility puts 0.7 on a" \
    awk -F, '$1 == "maxmin_utility" && $2 == "a" { d = $3 - 0.7; exit !(d < 1e-12 && d > -1e-12) }' \
    "$scratch/v/aggregator_weights.csv"
"$HETPREF" mmra --values "$d/values_2x2.csv" -o "$scratch/v1" 2>/dev/null
# c = (1, 1): R = [[0, 1.25], [1.25, 0]] -> w = (1/2, 1/2), value 0.625
numcheck "values 2x2 without --weights: worst = 0.625" "$scratch/v1/summary.csv" 2 2 0.625 1e-12

# --policies: two linear policies f = w x + b on d = 1 (tests/data/mmra):
# a: w = ln 3, b: w = -ln 3 (b's bias 0.5 cancels in the softmax).
# Pool P (items x = 0, 1, uniform reference): pi_a = (1/4, 3/4), pi_b =
# (3/4, 1/4). Pool Q (three items x = 0.5): both policies uniform = the
# reference, so it adds 0 to every L entry but counts in the mean over the
# two prompts. Hence L_aa - L_ab = (1/2) (1/2) ln 3 = ln(3) / 4 (see
# tests/test_policyio.c for P's values), the same for b, and
#   c = (1, 1): w = (1/2, 1/2), value ln(3) / 8 = 0.13732653608351372;
#   c = (1, 3): w = (1/4, 3/4), value 3 ln(3) / 16 = 0.20598980412527060.
"$HETPREF" mmra --policies "$d" --data "$d/prefs.csv" -o "$scratch/p" 2>"$scratch/err"
rc=$?
check "policies: exit 0 ($(cat "$scratch/err"))" [ "$rc" -eq 0 ]
numcheck "policies: worst = ln(3)/8" "$scratch/p/summary.csv" 2 2 0.13732653608351372 1e-12
numcheck "policies: w_a = 1/2" "$scratch/p/weights.csv" 2 2 0.5 1e-12
check "policies: policy names from policies.txt" grep -q '^b,' "$scratch/p/weights.csv"
# default eta = the policies' weights (0.75, 0.25): regret sums (0.25 r, 0.75 r) -> a
check "policies: utilitarian uses the policies' weights" grep -qx 'utilitarian,a,1' "$scratch/p/aggregator_weights.csv"
"$HETPREF" mmra --policies "$d" --data "$d/prefs.csv" --weights 1,3 -o "$scratch/p3" 2>"$scratch/err"
rc=$?
check "policies --weights 1,3: exit 0 ($(cat "$scratch/err"))" [ "$rc" -eq 0 ]
numcheck "policies --weights 1,3: worst = 3 ln(3)/16" "$scratch/p3/summary.csv" 2 2 0.20598980412527060 1e-12
numcheck "policies --weights 1,3: w_a = 1/4" "$scratch/p3/weights.csv" 2 2 0.25 1e-12

# Existing output directories are fine; the default is results/mmra.
"$HETPREF" mmra --regret "$d/regret_2x2.csv" -o "$scratch/r" 2>/dev/null
check "rerun into an existing directory: exit 0" [ $? -eq 0 ]
(cd "$scratch" && "$HETPREF" mmra --regret "$d/regret_2x2.csv" 2>/dev/null)
check "default output results/mmra" [ -s "$scratch/results/mmra/weights.csv" ]
printf '\357\273\277type,p1,p2\nA,0,3\nB,1,0\n' > "$scratch/bom.csv"
"$HETPREF" mmra --regret "$scratch/bom.csv" -o "$scratch/bom" 2>"$scratch/err"
check "a UTF-8 byte-order mark is ignored ($(cat "$scratch/err"))" cmp -s "$scratch/bom/weights.csv" "$scratch/r/weights.csv"
"$HETPREF" mmra --help > "$scratch/help"
check "--help: exit 0 and usage" grep -q 'usage: hetpref mmra' "$scratch/help"

# ---- bad input: exit 2, message, no output --------------------------------
# expect_bad DESC FRAGMENT ARGS...: FRAGMENT must appear in the message.
expect_bad() {
    desc=$1; frag=$2; shift 2
    rm -rf "$scratch/bad"
    "$HETPREF" mmra "$@" -o "$scratch/bad" 2>"$scratch/err" >/dev/null
    rc=$?
    check "$desc: exit 2 (got $rc: $(cat "$scratch/err"))" [ "$rc" -eq 2 ]
    check "$desc: message mentions '$frag' ($(cat "$scratch/err"))" grep -qF -- "$frag" "$scratch/err"
    check "$desc: no output" [ ! -e "$scratch/bad" ]
}
# bad_matrix DESC MODE LINE FRAGMENT CONTENT [ARGS...]: CONTENT (printf
# format) written to a file, read with MODE; the message names FILE:LINE.
bad_matrix() {
    desc=$1; mode=$2; line=$3; frag=$4; content=$5; shift 5
    f="$scratch/m_$(echo "$desc" | tr -c 'a-zA-Z0-9\n' _).csv"
    printf "$content" > "$f"
    expect_bad "$desc" "$f:$line: " "$mode" "$f" "$@"
    check "$desc: mentions '$frag'" grep -qF -- "$frag" "$scratch/err"
}
bad_matrix "empty file" --regret 1 "empty file" ''
bad_matrix "header without type" --regret 1 "first column must be 'type'" 'kind,p1\nA,1\n'
bad_matrix "no policy columns" --regret 1 "no policy columns" 'type\nA\n'
bad_matrix "empty policy name" --regret 1 "empty name" 'type,p1,\nA,1,2\n'
bad_matrix "repeated policy" --regret 1 "policy 'p1' repeated" 'type,p1,p2,p1\nA,1,2,3\n'
bad_matrix "repeated type" --regret 3 "type 'A' repeated" 'type,p1\nA,1\nA,2\n'
bad_matrix "NaN regret" --regret 2 "column 'p2': not finite: 'NaN'" 'type,p1,p2\nA,0,NaN\nB,1,0\n'
bad_matrix "Inf regret" --regret 3 "column 'p1': not finite: 'inf'" 'type,p1,p2\nA,0,1\nB,inf,0\n'
bad_matrix "overflowing regret" --regret 2 "not finite" 'type,p1,p2\nA,0,1e999\n'
bad_matrix "non-numeric regret" --regret 2 "column 'p1': not a number: 'abc'" 'type,p1,p2\nA,abc,1\n'
bad_matrix "empty regret" --regret 2 "column 'p2': not a number" 'type,p1,p2\nA,1,\n'
bad_matrix "hex regret" --regret 2 "not a number: '0x1p3'" 'type,p1,p2\nA,0x1p3,1\n'
bad_matrix "negative regret" --regret 3 "column 'p2': negative regret" 'type,p1,p2\nA,0,1\nB,0.5,-0.25\n'
bad_matrix "field count" --regret 3 "expected 3 fields" 'type,p1,p2\nA,0,1\nB,0.5\n'
bad_matrix "header only" --regret 1 "no type rows" 'type,p1,p2\n'
bad_matrix "unclosed quote" --regret 2 "quoted field not closed" 'type,p1\n"A,1\n'
bad_matrix "stray quote" --regret 2 "malformed CSV" 'type,p1\nA"x,1\n'
bad_matrix "type named worst" --regret 2 "reserved" 'type,p1\nworst,1\n'
bad_matrix "empty type" --regret 2 "empty type name" 'type,p1\n,1\n'
bad_matrix "values: more rows than columns" --values 4 "square" 'type,a,b\na,1,2\nb,3,4\nc,5,6\n'
bad_matrix "values: fewer rows than columns" --values 3 "2 type rows" 'type,a,b,c\na,1,2,3\nb,3,4,5\n'
bad_matrix "values: row name mismatch" --values 3 "row 2 is type 'c' but policy column 2 is 'b'" 'type,a,b\na,1,2\nc,3,4\n'
bad_matrix "values: NaN" --values 2 "column 'b': not finite" 'type,a,b\na,1,nan\nb,3,4\n'
bad_matrix "values: repeated policy" --values 1 "policy 'a' repeated" 'type,a,a\na,1,2\na,3,4\n'
expect_bad "missing --regret file" "$scratch/nope.csv: cannot open" --regret "$scratch/nope.csv"
expect_bad "missing --values file" "$scratch/nope.csv: cannot open" --values "$scratch/nope.csv"
expect_bad "zero regret weight" "--weights: entry 2 is not positive" --values "$d/values_2x2.csv" --weights 1,0
expect_bad "negative regret weight" "--weights: entry 1 is not positive" --values "$d/values_2x2.csv" --weights -1,1
expect_bad "NaN regret weight" "--weights: entry 1: not finite" --values "$d/values_2x2.csv" --weights nan,1
expect_bad "non-numeric regret weight" "--weights: entry 2: not a number" --values "$d/values_2x2.csv" --weights 1,x
expect_bad "too many regret weights" "--weights: 3 values for 2 types" --values "$d/values_2x2.csv" --weights 1,2,3
expect_bad "too few regret weights" "--weights: 1 values for 2 types" --values "$d/values_2x2.csv" --weights 1
expect_bad "policies: weight count" "--weights: 3 values for 2 types" --policies "$d" --data "$d/prefs.csv" --weights 1,1,1
expect_bad "negative eta" "--eta: entry 2 is negative" --regret "$d/regret_2x2.csv" --eta 1,-1
expect_bad "eta count" "--eta: 3 values for 2 types" --regret "$d/regret_2x2.csv" --eta 1,1,1
expect_bad "eta all zero" "--eta: all zero" --regret "$d/regret_2x2.csv" --eta 0,0
expect_bad "--weights with --regret" "--weights applies to --values" --regret "$d/regret_2x2.csv" --weights 1,1
expect_bad "no mode" "missing --regret CSV" --solver lp
expect_bad "two modes" "exclude each other" --regret "$d/regret_2x2.csv" --values "$d/values_2x2.csv"
expect_bad "--policies without --data" "--policies needs --data" --policies "$d"
expect_bad "--data without --policies" "--data goes with --policies" --regret "$d/regret_2x2.csv" --data "$d/prefs.csv"
expect_bad "bad solver" "--solver: expected lp or hedge" --regret "$d/regret_2x2.csv" --solver simplex
expect_bad "--iters with lp" "--iters applies to --solver hedge" --regret "$d/regret_2x2.csv" --iters 10
expect_bad "--iters 0" "--iters: expected a positive integer" --regret "$d/regret_2x2.csv" --solver hedge --iters 0
expect_bad "--step negative" "--step: expected a positive number" --regret "$d/regret_2x2.csv" --solver hedge --step -1
expect_bad "unknown option" "unknown argument '--bogus'" --regret "$d/regret_2x2.csv" --bogus
"$HETPREF" mmra --regret 2>"$scratch/err"
check "missing value: exit 2" [ $? -eq 2 ]
check "missing value: message" grep -qF -- "--regret needs a value" "$scratch/err"

# Badly scaled regret matrices: GLPK's floating-point
# simplex answered the 2 x 2 with eps = 1e-50 by the uniform mixture, worst
# 8, at exit 0; with 1e-20 "LP infeasible", with 1e-16 a numerical failure.
# By hand (tests/test_mmra.c): policy b, worst regret 1, type a binding.
# solve_ok DESC CSV OUT: mmra --regret CSV -o OUT exits 0.
solve_ok() {
    rm -rf "$3"
    "$HETPREF" mmra --regret "$2" -o "$3" 2>"$scratch/err"
    rc=$?
    check "$1: exit 0 ($(cat "$scratch/err"))" [ "$rc" -eq 0 ]
}
for eps in 1e-50 1e-20 1e-16; do
    printf 'type,a,b\na,15,1\nb,0,%s\n' "$eps" > "$scratch/eps.csv"
    solve_ok "eps $eps" "$scratch/eps.csv" "$scratch/eps"
    numcheck "eps $eps: weight of a = 0" "$scratch/eps/weights.csv" 2 2 0 1e-12
    numcheck "eps $eps: weight of b = 1" "$scratch/eps/weights.csv" 3 2 1 1e-12
    numcheck "eps $eps: worst regret 1" "$scratch/eps/summary.csv" 2 2 1 1e-12
    numcheck "eps $eps: type a binds" "$scratch/eps/duals.csv" 2 2 1 1e-12
    check "eps $eps: maxmin_utility worst 1" grep -qx 'maxmin_utility,worst,1' "$scratch/eps/aggregators.csv"
done
# 1e25 beside O(1) entries: the uniform mixture (worst 3.3e24) came back;
# type c's regrets are all >= 4 and policy a has (1, 0, 4): optimum 4.
printf 'type,a,b,c\na,1,1e25,4\nb,0,2,5\nc,4,5,1e25\n' > "$scratch/big.csv"
solve_ok "1e25" "$scratch/big.csv" "$scratch/big"
numcheck "1e25: worst regret 4" "$scratch/big/summary.csv" 2 2 4 1e-12
numcheck "1e25: weight of a = 1" "$scratch/big/weights.csv" 2 2 1 1e-12
check "1e25: mmra worst row 4" grep -qx 'mmra,worst,4' "$scratch/big/aggregators.csv"

# --policies: policies and data that do not fit together.
expect_bad "missing policies dir" "$scratch/nodir/policies.txt: cannot open" --policies "$scratch/nodir" --data "$d/prefs.csv"
expect_bad "missing data" "$scratch/nope.csv: cannot open" --policies "$d" --data "$scratch/nope.csv"
printf 'user,query,item,rank,x1,x2,prompt\nu,q,a,1,0,1,P\nu,q,b,0,1,0,P\n' > "$scratch/d2.csv"
expect_bad "feature dimensions differ" "$d/policies.txt:2: 'd': the policies take 1 features but $scratch/d2.csv has 2" \
    --policies "$d" --data "$scratch/d2.csv"
printf 'user,query,item,rank,x1\nu,q,a,1,0\nu,q,b,0,1\n' > "$scratch/noprompt.csv"
expect_bad "no prompt column" "$scratch/noprompt.csv: queries have no prompt column" \
    --policies "$d" --data "$scratch/noprompt.csv"
printf 'user,query,item,rank,x1,prompt\nu,q,a,1,0,P\nu,q,b,0,1,P\nv,q,a,1,0.5,P\nv,q,c,0,1,P\n' > "$scratch/clash.csv"
expect_bad "item with two feature vectors" "item 'a' has different features" \
    --policies "$d" --data "$scratch/clash.csv"
printf 'user,query,item,rank,x1,prompt\nu,q,a,1,NaN,P\nu,q,b,0,1,P\n' > "$scratch/nan.csv"
expect_bad "bad data file" "$scratch/nan.csv:2: " --policies "$d" --data "$scratch/nan.csv"
mkdir -p "$scratch/pol"
sed 's/^weights .*/weights 0.5 0.25/' "$d/policies.txt" > "$scratch/pol/policies.txt"
expect_bad "bad policies file" "$scratch/pol/policies.txt:9: 'weights'" --policies "$scratch/pol" --data "$d/prefs.csv"
sed 's/^names a b/names a worst/; s/^policy b/policy worst/' "$d/policies.txt" > "$scratch/pol/policies.txt"
expect_bad "policy named worst" "reserved" --policies "$scratch/pol" --data "$d/prefs.csv"
# --objective kl on the same policies. Pool P: pi_w = (l/4 + 3(1-l)/4,
# 3l/4 + (1-l)/4) for w = (l, 1 - l); pool Q adds 0 but counts in the mean,
# so R_k(w) = c_k beta (1/2) KL(pi_w || pi_k on P), beta = 0.1.
#   c = (1, 1): by symmetry l = 1/2, pi_w uniform on P, KL = (1/2) ln(4/3)
#   per type, value beta ln(4/3) / 4 = 0.0071920518112945220;
#   c = (1, 3): R_a falls and 3 R_b rises with l, so the optimum equalises
#   them; the reference is that crossing by bisection in awk (60 halvings).
"$HETPREF" mmra --objective kl --policies "$d" --data "$d/prefs.csv" -o "$scratch/k" 2>"$scratch/err"
rc=$?
check "kl: exit 0 ($(cat "$scratch/err"))" [ "$rc" -eq 0 ]
check "kl: summary header" grep -qx 'objective,worst_regret,lower_bound,rounds,relative_gap,converged,lp_iterations' "$scratch/k/summary.csv"
numcheck "kl: worst = beta ln(4/3)/4" "$scratch/k/summary.csv" 2 2 0.0071920518112945220 1e-16
numcheck "kl: lower bound = beta ln(4/3)/4" "$scratch/k/summary.csv" 2 3 0.0071920518112945220 1e-16
numcheck "kl: converged" "$scratch/k/summary.csv" 2 6 1 0
numcheck "kl: w_a = 1/2" "$scratch/k/weights.csv" 2 2 0.5 1e-12
numcheck "kl: regret of a" "$scratch/k/regrets.csv" 2 2 0.0071920518112945220 1e-16
numcheck "kl: dual of a = 1/2" "$scratch/k/duals.csv" 2 2 0.5 1e-9
# single a under type b: beta (1/2) KL(pi_a || pi_b on P) = beta ln(3) / 4
check "kl: single:a's KL regret for b = beta ln(3)/4" awk -F, \
    '$1 == "single:a" && $2 == "b" { f = 1; d = $3 - 0.027465307216702742; if (d < 0) d = -d; ok = d < 1e-15 } END { exit !(f && ok) }' "$scratch/k/aggregators.csv"
check "kl: mmra_kl has the smallest worst KL regret" awk -F, \
    '$2 == "worst" { if ($1 == "mmra_kl") m = $3; else if (o == "" || $3 < o) o = $3 } END { exit !(m != "" && m <= o + 1e-15) }' "$scratch/k/aggregators.csv"
check "kl: mmra_kl weights listed" grep -q '^mmra_kl,a,' "$scratch/k/aggregator_weights.csv"
"$HETPREF" mmra --objective kl --policies "$d" --data "$d/prefs.csv" --weights 1,3 --gap 1e-12 -o "$scratch/k3" 2>"$scratch/err"
rc=$?
check "kl --weights 1,3: exit 0 ($(cat "$scratch/err"))" [ "$rc" -eq 0 ]
ref=$(awk 'function kl(l, pa, p1, p2) { p1 = l / 4 + 3 * (1 - l) / 4; p2 = 1 - p1;
    return p1 * log(p1 / pa) + p2 * log(p2 / (1 - pa)) }
    BEGIN { lo = 0; hi = 1; for (i = 0; i < 60; i++) { m = (lo + hi) / 2;
        if (0.05 * kl(m, 0.25) > 3 * 0.05 * kl(m, 0.75)) lo = m; else hi = m }
        printf "%.17g %.17g\n", m, 0.05 * kl(m, 0.25) }')
numcheck "kl --weights 1,3: w_a = bisection" "$scratch/k3/weights.csv" 2 2 "${ref% *}" 1e-9
numcheck "kl --weights 1,3: worst = bisection" "$scratch/k3/summary.csv" 2 2 "${ref#* }" 1e-13
expect_bad "kl with a regret matrix" "--objective kl needs --policies DIR --data CSV" --objective kl --regret "$d/regret_2x2.csv"
expect_bad "kl with a value matrix" "--objective kl needs --policies DIR --data CSV" --objective kl --values "$d/values_2x2.csv"
expect_bad "unknown objective" "--objective: expected linear or kl" --objective kx --policies "$d" --data "$d/prefs.csv"
expect_bad "kl gap 0" "--gap: expected a number in (0, 1)" --objective kl --policies "$d" --data "$d/prefs.csv" --gap 0
expect_bad "kl gap 1" "--gap: expected a number in (0, 1)" --objective kl --policies "$d" --data "$d/prefs.csv" --gap 1
expect_bad "kl gap NaN" "--gap: expected a number in (0, 1)" --objective kl --policies "$d" --data "$d/prefs.csv" --gap nan
expect_bad "kl with --solver" "--solver applies to --objective linear" --objective kl --solver lp --policies "$d" --data "$d/prefs.csv"
expect_bad "--gap without kl" "--gap applies to --objective kl only" --gap 1e-9 --regret "$d/regret_2x2.csv"

finish
