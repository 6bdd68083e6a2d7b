#!/bin/sh
# identify_data.sh — `hetpref identify --data`: the verdicts of four designs
# simulated from a polarised population (single pairs per user: not
# identified, d = 2 flat directions, a twin within 1e-12; the best of 3 and
# two pairs per user: identified; a feature collinear with another: not
# identified, naming it), the long estimates form, a fit run in place, and
# bad input (exit 2, a message naming the problem, nothing written).
. "${srcdir:-.}/tests/lib.sh"

col() { # col FILE NAME: the value of column NAME in row 2 of CSV FILE
    awk -F, -v n="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == n) c = i }
        NR == 2 && c { print $c }' "$1"
}
verdict() { cut -d, -f1 "$1/verdict.csv" | sed -n 2p; }
expect_refused() { expect_bad identify "$@"; } # DESC FRAGMENT ARGS...
sim() { # sim NAME --set...: polarised_pairs.ini with 200 users
    name=$1; shift
    "$HETPREF" simulate "$TESTDATA/polarised_pairs.ini" --set design.users=200 \
        "$@" -o "$scratch/$name" >/dev/null 2>&1 ||
        { echo "simulate $name failed" >&2; exit 99; }
}
est="$scratch/estimates.csv"
H='type,parameter,estimate,se,z,p,ci_low,ci_high\n'
printf "${H}1,weight,0.5,NaN,NaN,NaN,NaN,NaN\n1,theta[x1],1.5,NaN,NaN,NaN,NaN,NaN\n1,theta[x2],-0.8,NaN,NaN,NaN,NaN,NaN\n2,weight,0.5,NaN,NaN,NaN,NaN,NaN\n2,theta[x1],-1.5,NaN,NaN,NaN,NaN,NaN\n2,theta[x2],0.8,NaN,NaN,NaN,NaN,NaN\n" >"$est"

# ---- single pairs per user from a polarised population --------------------
sim pp
"$HETPREF" identify --data "$scratch/pp/prefs.csv" --estimates "$est" \
    -o "$scratch/o_pp" >"$scratch/out" 2>"$scratch/err"
rc=$?
check "pairs: exit 0 ($(cat "$scratch/err"))" [ "$rc" -eq 0 ]
for f in design.csv fisher.csv twin.csv verdict.csv config.ini; do
    check "pairs: $f written" [ -s "$scratch/o_pp/$f" ]
done
check "pairs: not_identified" [ "$(verdict "$scratch/o_pp")" = not_identified ]
check "pairs: 2 flat directions" [ "$(col "$scratch/o_pp/verdict.csv" n_zero)" = 2 ]
check "pairs: fisher.csv marks 2 rows zero" \
    [ "$(awk -F, 'NR > 1 && $8 == 1' "$scratch/o_pp/fisher.csv" | wc -l)" -eq 2 ]
check "pairs: fisher.csv names the parameters" \
    grep -q '^index,eigenvalue,relative,mc_se,method,outcome_limit,mc_draws,zero,zero_rel,theta_1\[x1\],theta_1\[x2\],theta_2\[x1\],theta_2\[x2\],eta_1$' \
    "$scratch/o_pp/fisher.csv"
check "pairs: exact" [ "$(col "$scratch/o_pp/fisher.csv" method)" = exact ]
diff=$(col "$scratch/o_pp/verdict.csv" twin_max_prob_diff)
check "pairs: twin difference $diff <= 1e-12" awk -v x="$diff" 'BEGIN { exit !(x <= 1e-12) }'
check "pairs: twin.csv says indistinguishable" [ "$(col "$scratch/o_pp/twin.csv" indistinguishable)" = 1 ]
check "pairs: printed fix" grep -q '^fix: ask for the best of 3 instead of pairs, or two answers per user$' "$scratch/out"
check "pairs: warning on stderr" grep -q 'warning: not_identified' "$scratch/err"
check "design.csv: 200 users with one answer" grep -qx 'answers_per_user,1,200' "$scratch/o_pp/design.csv"

# A fit directory stands for its estimates.csv: the same verdict files.
mkdir "$scratch/fitdir" && cp "$est" "$scratch/fitdir/estimates.csv"
"$HETPREF" identify --data "$scratch/pp/prefs.csv" --estimates "$scratch/fitdir" \
    -o "$scratch/o_long" >/dev/null 2>&1
for f in design.csv fisher.csv twin.csv verdict.csv; do
    check "fit directory: $f identical" cmp -s "$scratch/o_pp/$f" "$scratch/o_long/$f"
done

# ---- the best of 3, and two pairs per user: identified --------------------
sim t13 --set design.answer=top1 --set design.m=3
sim p2 --set design.T=2
for x in t13 p2; do
    "$HETPREF" identify --data "$scratch/$x/prefs.csv" --estimates "$est" \
        -o "$scratch/o_$x" >/dev/null 2>&1
    check "$x: identified" [ "$(verdict "$scratch/o_$x")" = identified ]
    check "$x: no flat direction" [ "$(col "$scratch/o_$x/verdict.csv" n_zero)" = 0 ]
done

# ---- collinear features: x3 = x1 / 2 --------------------------------------
sim c3 --set design.d=3 --set population.b=1.5,-0.8,0.4 --set design.answer=top1 \
    --set design.m=3 --set design.users=60
awk -F, 'BEGIN { OFS = "," } NR > 1 { $7 = sprintf("%.17g", $5 / 2) } { print }' \
    "$scratch/c3/prefs.csv" >"$scratch/col.csv"
"$HETPREF" identify --data "$scratch/col.csv" --types 2 --starts 2 \
    -o "$scratch/o_col" >"$scratch/out" 2>/dev/null
check "collinear: not_identified" [ "$(verdict "$scratch/o_col")" = not_identified ]
check "collinear: names x3" grep -q 'feature x3 is collinear with x1' "$scratch/out"
check "collinear: design.csv rank 2" grep -qx 'feature_rank,2,' "$scratch/o_col/design.csv"
check "fit: verdict.csv at = fit" [ "$(col "$scratch/o_col/verdict.csv" at)" = fit ]
check "fit: config.ini records the seed" grep -qx '; fit_seed = 1' "$scratch/o_col/config.ini"

# ---- bad input -------------------------------------------------------------
data="$scratch/pp/prefs.csv"
expect_refused "--estimates with --types" "do not apply" --data "$data" \
    --estimates "$est" --types 2
expect_refused "missing estimates" "cannot open the estimates file" \
    --data "$data" --estimates "$scratch/none.csv"
expect_refused "missing data" "none.csv" --data "$scratch/none.csv" --types 2
R=',0,NaN,NaN,NaN,NaN\n'
printf "${H}1,weight,1${R}1,theta[x1],1${R}1,theta[x2],2${R}1,theta[x3],3${R}" \
    >"$scratch/d3.csv"
expect_refused "estimates with 3 features" \
    "d3.csv:5: the estimates have 3 features (theta[x1], ...) but the data have 2 (x1, ...)" \
    --data "$data" --estimates "$scratch/d3.csv"
printf "${H}1,weight,0.5${R}1,theta[x1],1${R}1,theta[x2],2${R}3,weight,0.5${R}" \
    >"$scratch/k3.csv"
expect_refused "types 1 and 3" "k3.csv:5: type: '3', expected '2'" \
    --data "$data" --estimates "$scratch/k3.csv"
printf 'type,weight,theta1,theta2\n1,1,1,2\n' >"$scratch/wide.csv"
expect_refused "the old wide form" "wide.csv:1: column 2 is 'weight', expected 'parameter': this is the wide form" \
    --data "$data" --estimates "$scratch/wide.csv"
head -5 "$data" >"$scratch/two_users.csv"
expect_refused "more types than users" "more types than users" \
    --data "$scratch/two_users.csv" --types 3
expect_refused "no --data" "missing --data" --types 2
finish
