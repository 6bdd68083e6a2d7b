#!/bin/sh
# predict_cli.sh — `hetpref predict`: on the training data it reproduces the
# fit's posteriors.csv to 1e-12 and its log-likelihood (latent-class and
# EM-DPO); choice probabilities sum to 1 over each query and match the
# logistic formula on pairs; new data are scored; estimates of other data,
# a directory that is not a fit, conflicting flags: exit 2, nothing written.
. "${srcdir:-.}/tests/lib.sh"
"$HETPREF" simulate "$TESTDATA/tiny.ini" --set design.users=200 --set design.answer=top1 \
    -o "$scratch/sim" >/dev/null
"$HETPREF" fit --data "$scratch/sim/prefs.csv" --model lcl --types 2 --starts 3 \
    --seed 5 -o "$scratch/fit" 2>/dev/null
check "fit: exit 0" [ $? -eq 0 ]

# maxdiff A B: the largest |difference| of the numeric fields (all but the
# first column) of two CSVs with the same shape; "shape" when they differ.
maxdiff() {
    awk -F, 'NR == FNR { for (i = 2; i <= NF; i++) v[FNR, i] = $i; n[FNR] = NF; next }
        { if (n[FNR] != NF) bad = 1; for (i = 2; i <= NF; i++) {
            d = $i - v[FNR, i]; if (d < 0) d = -d; if (d > m) m = d } }
        END { if (bad || FNR != length(n)) print "shape"; else printf "%.3g\n", m }' "$1" "$2"
}
within() { awk -v x="$1" -v t="$2" 'BEGIN { exit !(x != "shape" && x + 0 <= t) }'; }

"$HETPREF" predict --estimates "$scratch/fit" --data "$scratch/sim/prefs.csv" \
    -o "$scratch/p" 2>"$scratch/err"
rc=$?
check "predict --estimates: exit 0 ($(cat "$scratch/err"))" [ "$rc" -eq 0 ]
d=$(maxdiff "$scratch/fit/posteriors.csv" "$scratch/p/posteriors.csv")
check "posteriors reproduce the fit's to 1e-12 (max diff $d)" within "$d" 1e-12
check "posteriors: same users in the same order" \
    [ "$(cut -d, -f1 "$scratch/fit/posteriors.csv")" = "$(cut -d, -f1 "$scratch/p/posteriors.csv")" ]
L_fit=$(sed -n 2p "$scratch/fit/fit.csv" | cut -d, -f1)
L_pred=$(sed -n 2p "$scratch/p/summary.csv" | cut -d, -f3)
check "held-out log-likelihood on the training data = the fit's ($L_pred vs $L_fit)" \
    awk -v a="$L_fit" -v b="$L_pred" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= 1e-9 * -a) }'
check "summary header" grep -qx 'users,answers,loglik,loglik_per_answer' "$scratch/p/summary.csv"
check "choices header" grep -qx 'user,query,item,p_type1,p_type2,p_mixture' "$scratch/p/choices.csv"
# Every column sums to 1 over the candidates of a query (3 per query here).
check "choice probabilities sum to 1 over each query" awk -F, 'NR > 1 {
        k = $1 SUBSEP $2; n[k]++; for (c = 4; c <= NF; c++) s[k, c] += $c; nf = NF }
    END { for (k in n) { if (n[k] != 3) exit 1; for (c = 4; c <= nf; c++) {
        d = s[k, c] - 1; if (d < 0) d = -d; if (d > 1e-12) exit 1 } } }' "$scratch/p/choices.csv"
# p_mixture = sum_k weight_k p_typek with the weights of estimates.csv.
w1=$(awk -F, '$1 == 1 && $2 == "weight" { print $3 }' "$scratch/fit/estimates.csv")
w2=$(awk -F, '$1 == 2 && $2 == "weight" { print $3 }' "$scratch/fit/estimates.csv")
check "p_mixture = w1 p_type1 + w2 p_type2" awk -F, -v a="$w1" -v b="$w2" 'NR > 1 {
    d = $6 - (a * $4 + b * $5); if (d < 0) d = -d; if (d > 1e-15) exit 1 }' "$scratch/p/choices.csv"

# Pairs, K = 1: the probability that the first-ranked candidate wins is
# 1 / (1 + exp(-theta . (x_winner - x_loser))) (hand formula, awk).
"$HETPREF" fit --data "$TESTDATA/pairs_glm.csv" --model lcl --types 1 --starts 1 \
    -o "$scratch/k1" 2>/dev/null
"$HETPREF" predict --estimates "$scratch/k1/estimates.csv" --data "$TESTDATA/pairs_glm.csv" \
    -o "$scratch/pk1" 2>/dev/null
check "predict with the estimates.csv path itself: exit 0" [ $? -eq 0 ]
t=$(awk -F, '$2 ~ /^theta/ { printf "%s ", $3 }' "$scratch/k1/estimates.csv")
want=$(awk -F, -v t="$t" 'BEGIN { split(t, th, " ") } NR == 2 || NR == 3 {
        for (j = 1; j <= 3; j++) x[NR, j] = $(4 + j); r[NR] = $4 }
    END { a = r[2] == 1 ? 2 : 3; b = 5 - a; u = 0
        for (j = 1; j <= 3; j++) u += th[j] * (x[a, j] - x[b, j])
        printf "%.15g\n", 1 / (1 + exp(-u)) }' "$TESTDATA/pairs_glm.csv")
got=$(awk -F, 'NR == 2 { print $4 }' "$scratch/pk1/choices.csv")
check "pairs: P(winner) = logistic(theta . (x_w - x_l)) ($got vs $want)" \
    awk -v a="$got" -v b="$want" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= 1e-12) }'

# New data: another sample of the same population.
"$HETPREF" simulate "$TESTDATA/tiny.ini" --set design.users=50 --set design.answer=top1 \
    --seed 99 -o "$scratch/new" >/dev/null
"$HETPREF" predict --estimates "$scratch/fit" --data "$scratch/new/prefs.csv" -o "$scratch/pn" 2>/dev/null
check "new data: exit 0, 50 users" [ "$(sed -n 2p "$scratch/pn/summary.csv" | cut -d, -f1)" = 50 ]

# EM-DPO: the kept iterate's posteriors and log-likelihood are reproduced.
"$HETPREF" fit --data "$scratch/sim/prefs.csv" --model emdpo --types 2 --epochs 1 \
    --em-iters 2 --hidden 4 --seed 1 -o "$scratch/em" 2>/dev/null
"$HETPREF" predict --policies "$scratch/em/policies.txt" --data "$scratch/sim/prefs.csv" \
    -o "$scratch/pe" 2>"$scratch/err"
rc=$?
check "predict --policies: exit 0 ($(cat "$scratch/err"))" [ "$rc" -eq 0 ]
d=$(maxdiff "$scratch/em/posteriors.csv" "$scratch/pe/posteriors.csv")
check "EM-DPO posteriors reproduce the fit's to 1e-12 (max diff $d)" within "$d" 1e-12
L_fit=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "kept") c = i; next } $c == 1 { print $2 }' "$scratch/em/fit.csv")
L_pred=$(sed -n 2p "$scratch/pe/summary.csv" | cut -d, -f3)
check "EM-DPO held-out log-likelihood = the kept iterate's ($L_pred vs $L_fit)" \
    awk -v a="$L_fit" -v b="$L_pred" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= 1e-9 * -a) }'

# Bad input: exit 2, a message naming what to change, nothing written.
bad_predict() { expect_bad predict "$@"; } # DESC FRAGMENT ARGS...
bad_predict "estimates with 3 features, data with 2" "have 3 features" \
    --estimates "$scratch/k1" --data "$scratch/sim/prefs.csv"
mkdir -p "$scratch/renamed"
sed 's/theta\[x2\]/theta[price]/' "$scratch/fit/estimates.csv" > "$scratch/renamed/estimates.csv"
bad_predict "estimates with another feature name" "is 'price' but the data's is 'x2'" \
    --estimates "$scratch/renamed" --data "$scratch/sim/prefs.csv"
mkdir -p "$scratch/empty"
bad_predict "not a fit directory" "estimates.csv: cannot open" \
    --estimates "$scratch/empty" --data "$scratch/sim/prefs.csv"
bad_predict "both models" "exactly one of" --estimates "$scratch/fit" \
    --policies "$scratch/em" --data "$scratch/sim/prefs.csv"
bad_predict "policies of other data" "the policies take 2 features" \
    --policies "$scratch/em" --data "$TESTDATA/pairs_glm.csv"
bad_predict "missing --data" "missing --data" --estimates "$scratch/fit"
finish
