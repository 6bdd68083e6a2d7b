#!/bin/sh
# fit_cli.sh — `hetpref fit` end to end: --types 1 on pairs equals a
# logistic regression without intercept on the feature differences
# (reference values from R, below), output is identical for any --threads,
# a latent-class fit writes every table, and bad input is refused cleanly.
. "${srcdir:-.}/tests/lib.sh"
data="$TESTDATA/pairs_glm.csv"

# Reference: R 4.2.2, glm(y ~ 0 + D, family = binomial) with D = x_winner -
# x_loser for the 120 pairs of tests/data/pairs_glm.csv and y = 1
# (glm.control(epsilon = 1e-14)); coefficients, sqrt(diag(vcov)), logLik:
#   0.745842919708 -0.468929890588 0.538028190956
#   0.192285462953  0.165177802802  0.180292455297
#   -64.8924145146
"$HETPREF" fit --data "$data" --model lcl --types 1 --starts 2 -o "$scratch/k1" 2>"$scratch/err"
rc=$?
check "fit --types 1: exit 0 ($(cat "$scratch/err"))" [ "$rc" -eq 0 ]
relcheck() { # relcheck DESC GOT WANT TOL
    awk -v g="$2" -v w="$3" -v t="$4" 'BEGIN { d = g - w; if (d < 0) d = -d;
        s = w < 0 ? -w : w; exit !(d <= t * s) }'
    check "$1 (got $2, want $3)" [ $? -eq 0 ]
}
# est TYPE PARAMETER COLUMN FILE: one number of the long estimates.csv.
est() { awk -F, -v t="$1" -v p="$2" -v c="$3" '$1 == t && $2 == p { print $c }' "$4"; }
e="$scratch/k1/estimates.csv"
b1=$(est 1 'theta[x1]' 3 "$e"); b2=$(est 1 'theta[x2]' 3 "$e"); b3=$(est 1 'theta[x3]' 3 "$e")
s1=$(est 1 'theta[x1]' 4 "$e"); s2=$(est 1 'theta[x2]' 4 "$e"); s3=$(est 1 'theta[x3]' 4 "$e")
relcheck "theta1 = glm coefficient" "$b1" 0.745842919708 1e-6
relcheck "theta2 = glm coefficient" "$b2" -0.468929890588 1e-6
relcheck "theta3 = glm coefficient" "$b3" 0.538028190956 1e-6
relcheck "se1 = glm standard error" "$s1" 0.192285462953 1e-6
relcheck "se2 = glm standard error" "$s2" 0.165177802802 1e-6
relcheck "se3 = glm standard error" "$s3" 0.180292455297 1e-6
# z = estimate / se and the 95% Wald interval of the glm values (R's
# confint.default: est -+ qnorm(0.975) se, qnorm(0.975) = 1.959963984540054).
relcheck "z of theta[x1]" "$(est 1 'theta[x1]' 5 "$e")" 3.87883154688 1e-6
relcheck "ci_low of theta[x1]" "$(est 1 'theta[x1]' 7 "$e")" 0.368970337570 1e-6
relcheck "ci_high of theta[x1]" "$(est 1 'theta[x1]' 8 "$e")" 1.12271550185 1e-6
check "K = 1: weight 1 with se 0, z and p NaN" grep -qx '1,weight,1,0,NaN,NaN,1,1' "$e"
check "vcov: diagonal = se^2" awk -F, -v s="$s2" 'NR == 4 { d = $5 - s * s; exit !(d < 1e-15 && d > -1e-15) }' "$scratch/k1/vcov.csv"
check "vcov header" grep -qx 'type,parameter,1:weight,1:theta\[x1\],1:theta\[x2\],1:theta\[x3\]' "$scratch/k1/vcov.csv"
"$HETPREF" fit --data "$data" --model lcl --types 1 --starts 2 --level 0.9 -o "$scratch/k1l" 2>/dev/null
# qnorm(0.95) = 1.6448536269514722: 0.745842919708 -+ 1.64485 x 0.192285462953
relcheck "--level 0.9: ci_low" "$(est 1 'theta[x1]' 7 "$scratch/k1l/estimates.csv")" 0.429561478560 1e-6
check "--level recorded in config.ini" grep -qx 'level = 0.9' "$scratch/k1l/config.ini"
expect_bad_fit "level 1" "--level" --data "$data" --model lcl --types 1 --level 1
expect_bad_fit "level with emdpo" "--level" --data "$data" --model emdpo --types 1 --level 0.9
ll=$(sed -n 2p "$scratch/k1/fit.csv" | cut -d, -f1)
relcheck "loglik = glm logLik" "$ll" -64.8924145146 1e-9
check "config.ini written" grep -qx 'types = 1' "$scratch/k1/config.ini"
check "posteriors: header + 60 users" [ "$(wc -l < "$scratch/k1/posteriors.csv")" -eq 61 ]
check "evaluation.csv (type column present)" [ -s "$scratch/k1/evaluation.csv" ]

# A latent-class fit on simulated triples, 1 vs 2 threads: identical bytes.
"$HETPREF" simulate "$TESTDATA/tiny.ini" --set design.users=300 --set design.answer=top1 \
    -o "$scratch/sim" >/dev/null
for t in 1 2; do
    "$HETPREF" fit --data "$scratch/sim/prefs.csv" --model lcl --types 2 --starts 4 \
        --seed 7 --threads $t -o "$scratch/f$t"
    check "fit K=2 threads $t: exit 0" [ $? -eq 0 ]
done
for f in estimates.csv vcov.csv posteriors.csv fit.csv evaluation.csv config.ini; do
    check "$f identical for 1 and 2 threads" cmp -s "$scratch/f1/$f" "$scratch/f2/$f"
done
check "estimates header" grep -qx 'type,parameter,estimate,se,z,p,ci_low,ci_high' "$scratch/f1/estimates.csv"
check "estimates: 2 types x (weight + 2 coefficients)" [ "$(wc -l < "$scratch/f1/estimates.csv")" -eq 7 ]
check "types by decreasing weight" awk -F, '$2 == "weight" { if (n++ && $3 > w) exit 1; w = $3 }' "$scratch/f1/estimates.csv"
check "vcov: 6 x 6" awk -F, '{ if (NF != 8) exit 1 } END { exit !(NR == 7) }' "$scratch/f1/vcov.csv"
check "fit.csv header" grep -q '^loglik,aic,bic,icl,iterations,starts,best_start_hits,converged,empty_classes,identified,n_flat_directions,degenerate_classes,users,answers$' "$scratch/f1/fit.csv"
check "fit.csv: 300 users, 600 answers (T = 2)" awk -F, 'NR == 2 { exit !($13 == 300 && $14 == 600) }' "$scratch/f1/fit.csv"
check "evaluation uses truth.csv beside the data (w1 finite)" \
    awk -F, 'NR == 2 { exit !($3 + 0 == $3 && $3 != "NaN") }' "$scratch/f1/evaluation.csv"

# Bad input: exit 2, message, no output.
expect_bad_fit "types above users" "more types than users" --data "$data" --model lcl --types 61
expect_bad_fit "types 0" "--types" --data "$data" --model lcl --types 0
expect_bad_fit "bad model" "--model" --data "$data" --model svm --types 2
expect_bad_fit "missing data" "missing --data" --model lcl --types 2
expect_bad_fit "bad data" "x1" --data "$TESTDATA/baddata/nan.csv" --model lcl --types 1
printf 'type,kind,weight,theta1\n1,linear,1,0.5\n' > "$scratch/badtruth.csv"
expect_bad_fit "truth of the wrong dimension" "badtruth.csv" --data "$data" --model lcl --types 1 --truth "$scratch/badtruth.csv"

# Constant feature: a warning, finite estimates, NaN standard errors.
awk -F, 'BEGIN { OFS = "," } NR == 1 { print; next } { $7 = 1.5; print }' "$data" > "$scratch/const.csv"
"$HETPREF" fit --data "$scratch/const.csv" --model lcl --types 1 --starts 1 -o "$scratch/const" 2>"$scratch/err"
check "constant feature: exit 0" [ $? -eq 0 ]
check "constant feature: warning names x3" grep -q "column 'x3' is constant" "$scratch/err"
check "constant feature: theta3 = 0" [ "$(est 1 'theta[x3]' 3 "$scratch/const/estimates.csv")" = 0 ]
check "constant feature: its se NaN" [ "$(est 1 'theta[x3]' 4 "$scratch/const/estimates.csv")" = NaN ]
check "constant feature: one flat direction, named on stderr" \
    grep -q 'singular or nearly so: 1 of its 3 eigenvalues' "$scratch/err"
check "constant feature: fit.csv identified = 0, n_flat_directions = 1" \
    awk -F, 'NR == 2 { exit !($10 == 0 && $11 == 1) }' "$scratch/const/fit.csv"

# Collinear features (x3 = 2 x1, exact in floating point): never a silent
# NaN — a warning naming the collinearity, finite estimates
# (ridge-stabilised Newton steps), NaN standard errors.
awk -F, 'BEGIN { OFS = ","; OFMT = CONVFMT = "%.17g" } NR == 1 { print; next } { $7 = 2 * $5; print }' "$data" > "$scratch/coll.csv"
"$HETPREF" fit --data "$scratch/coll.csv" --model lcl --types 1 --starts 1 -o "$scratch/coll" 2>"$scratch/err"
check "collinear features: exit 0" [ $? -eq 0 ]
check "collinear features: warning names the collinearity" grep -q "collinear" "$scratch/err"
check "collinear features: finite estimates" \
    awk -F, 'NR > 2 { if ($3 !~ /^-?[0-9]/) exit 1 }' "$scratch/coll/estimates.csv"
check "collinear features: standard errors NaN" \
    [ "$(est 1 'theta[x1]' 4 "$scratch/coll/estimates.csv")" = NaN ]
check "collinear features: fit.csv identified = 0, n_flat_directions = 1" \
    awk -F, 'NR == 2 { exit !($10 == 0 && $11 == 1) }' "$scratch/coll/fit.csv"
finish
