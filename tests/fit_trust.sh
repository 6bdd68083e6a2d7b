#!/bin/sh
# fit_trust.sh — a fit that is not to be trusted says so, and nothing is
# silently ignored:
#  * truth.csv writes only what is true (a neural population: the weights,
#    no coefficients), --truth refuses a truth it cannot compare, and
#    evaluation.csv never carries an unexplained NaN W1;
#  * every latent-class fit prints a summary on stderr, and a warning and a
#    fit.csv column for a singular information, non-convergence, a
#    degenerate class and a best log-likelihood reached by one start only;
#  * EM-DPO says which iterate it kept (the best, not the last);
#  * options that do not apply are errors (exit 2, naming why, no output):
#    fit flags of the other model, --set keys that are not fit settings,
#    simulate/identify on a config with [sweep] lists, identify --set of the
#    design keys its answer kinds replace; identify honours design.m.
. "${srcdir:-.}/tests/lib.sh"

col() { # col FILE NAME: the value of column NAME in row 2 of CSV FILE
    awk -F, -v n="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == n) c = i }
        NR == 2 && c { print $c }' "$1"
}
expect_refused() { # expect_refused DESC FRAGMENT OUTDIR COMMAND...
    d=$1; frag=$2; out=$3; shift 3
    rm -rf "$out"
    "$HETPREF" "$@" 2>"$scratch/err" >/dev/null
    rc=$?
    msg=$(cat "$scratch/err")
    check "$d: exit 2 (got $rc: $msg)" [ "$rc" -eq 2 ]
    check "$d: message mentions '$frag' ($msg)" grep -qF -- "$frag" "$scratch/err"
    check "$d: no output" [ ! -e "$out" ]
}

# ---- truth.csv of a neural population: weights only ----------------------
"$HETPREF" simulate "$HETPREF_CONFIGS/two_traits.ini" --set design.users=60 \
    --set design.T=4 -o "$scratch/tt" 2>/dev/null
rc=$?
check "simulate two_traits: exit 0" [ "$rc" -eq 0 ]
check "neural truth.csv: header type,kind,weight (no theta)" \
    grep -qx 'type,kind,weight' "$scratch/tt/truth.csv"
check "neural truth.csv: kind traits, weight 0.75" \
    grep -qx '1,traits,0.75' "$scratch/tt/truth.csv"
"$HETPREF" simulate "$TESTDATA/tiny.ini" -o "$scratch/tiny" 2>/dev/null
check "linear truth.csv: kind linear with theta" \
    grep -qx 'type,kind,weight,theta1,theta2' "$scratch/tiny/truth.csv"

# An lcl fit of neural data with its truth.csv beside: a warning, and
# evaluation.csv says why there is no W1.
"$HETPREF" fit --data "$scratch/tt/prefs.csv" --model lcl --types 2 --starts 2 \
    -o "$scratch/ttfit" 2>"$scratch/err"
rc=$?
check "lcl fit of neural data: exit 0 ($(cat "$scratch/err"))" [ "$rc" -eq 0 ]
check "neural truth beside the data: warning" grep -q "no W1 against it" "$scratch/err"
check "evaluation.csv: w1 NaN" [ "$(col "$scratch/ttfit/evaluation.csv" w1)" = NaN ]
check "evaluation.csv: w1_note names the nonlinear truth" \
    grep -q 'not comparable.*nonlinear (traits)' "$scratch/ttfit/evaluation.csv"
expect_refused "--truth of a neural population" "nonlinear (traits)" "$scratch/bad" \
    fit --data "$scratch/tt/prefs.csv" --model lcl --types 2 \
    --truth "$scratch/tt/truth.csv" -o "$scratch/bad"
expect_refused "--truth with 2 coefficients for 8 features" \
    "2 coefficients per type but the data have 8 features" "$scratch/bad" \
    fit --data "$scratch/tt/prefs.csv" --model lcl --types 2 \
    --truth "$scratch/tiny/truth.csv" -o "$scratch/bad"
cut -d, -f1-7 "$TESTDATA/pairs_glm.csv" > "$scratch/notype.csv"
expect_refused "--truth without a type column" "no type column" "$scratch/bad" \
    fit --data "$scratch/notype.csv" --model lcl --types 1 \
    --truth "$scratch/tiny/truth.csv" -o "$scratch/bad"
cp "$scratch/tiny/prefs.csv" "$scratch/alone.csv"
"$HETPREF" fit --data "$scratch/alone.csv" --model lcl --types 1 --starts 1 \
    -o "$scratch/alone" 2>/dev/null
check "no truth file: evaluation.csv w1_note says so" \
    [ "$(col "$scratch/alone/evaluation.csv" w1_note)" = "no truth file (give --truth)" ]

# ---- latent-class fits: summary, warnings, fit.csv columns ----------------
"$HETPREF" fit --data "$TESTDATA/pairs_glm.csv" --model lcl --types 1 --starts 2 \
    -o "$scratch/glm" 2>"$scratch/err"
check "clean fit: one summary line" grep -q '^hetpref: fit: K = 1, log-likelihood -64.8924, BIC .*; best reached by 2 of 2 starts; converged' "$scratch/err"
check "clean fit: no warning" sh -c "! grep -q warning '$scratch/err'"
check "clean fit: identified = 1" [ "$(col "$scratch/glm/fit.csv" identified)" = 1 ]
check "clean fit: 0 flat directions" [ "$(col "$scratch/glm/fit.csv" n_flat_directions)" = 0 ]
check "clean fit: 0 degenerate classes" [ "$(col "$scratch/glm/fit.csv" degenerate_classes)" = 0 ]

# Single pairs of a polarised population: 2 (= d) directions not identified.
"$HETPREF" simulate "$TESTDATA/polarised_pairs.ini" -o "$scratch/pp" 2>/dev/null
"$HETPREF" fit --data "$scratch/pp/prefs.csv" --model lcl --types 2 --starts 4 \
    --max-iter 50 -o "$scratch/ppfit" 2>"$scratch/err"
rc=$?
check "polarised pairs: exit 0 ($(cat "$scratch/err"))" [ "$rc" -eq 0 ]
check "polarised pairs: singular-information warning with the count" \
    grep -q 'warning: the information matrix is singular or nearly so: 2 of its 5 eigenvalues are below 1e-08 x the largest' "$scratch/err"
check "polarised pairs: identified = 0" [ "$(col "$scratch/ppfit/fit.csv" identified)" = 0 ]
check "polarised pairs: n_flat_directions = 2" [ "$(col "$scratch/ppfit/fit.csv" n_flat_directions)" = 2 ]
check "polarised pairs: best reached by one start: warning" \
    grep -q 'warning: the best log-likelihood was reached by only 1 of 4 starts' "$scratch/err"

# --max-iter 3: not converged, said on stderr and in fit.csv.
"$HETPREF" simulate "$TESTDATA/tiny.ini" --set design.users=200 -o "$scratch/t200" 2>/dev/null
"$HETPREF" fit --data "$scratch/t200/prefs.csv" --model lcl --types 2 --starts 2 \
    --max-iter 3 -o "$scratch/mi3" 2>"$scratch/err"
check "--max-iter 3: warning" grep -q 'warning: EM did not converge in 3 iterations' "$scratch/err"
check "--max-iter 3: summary says not converged" grep -q '^hetpref: fit: .*not converged after 3 iterations' "$scratch/err"
check "--max-iter 3: converged = 0" [ "$(col "$scratch/mi3/fit.csv" converged)" = 0 ]

# K = 3 on two types (pairs, 4 per user): one class separates its users
# perfectly and its coefficients run off (theta ~ (1160, -425)).
"$HETPREF" simulate "$TESTDATA/polarised_pairs.ini" --set population.kind=latent_class \
    --set design.users=300 --set design.T=4 --seed 3 -o "$scratch/k3" 2>/dev/null
"$HETPREF" fit --data "$scratch/k3/prefs.csv" --model lcl --types 3 --starts 4 \
    -o "$scratch/k3fit" 2>"$scratch/err"
check "K = 3: degenerate-class warning" \
    grep -q 'warning: type 3 is degenerate: utility scale [0-9.e+]* > 10 (exploding coefficients)' "$scratch/err"
check "K = 3: degenerate_classes = 1" [ "$(col "$scratch/k3fit/fit.csv" degenerate_classes)" = 1 ]

# ---- EM-DPO: the kept iterate ----------------------------------------------
"$HETPREF" fit --data "$scratch/tt/prefs.csv" --model emdpo --types 2 --em-iters 4 \
    --epochs 1 --hidden 8 --lr 0.05 -o "$scratch/em" 2>"$scratch/err"
rc=$?
check "emdpo: exit 0 ($(cat "$scratch/err"))" [ "$rc" -eq 0 ]
check "emdpo: summary names the kept iteration" grep -q '^hetpref: fit: EM-DPO, K = 2: kept iteration [1-4] of [1-4]' "$scratch/err"
check "emdpo fit.csv: exactly one kept row" \
    [ "$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "kept") c = i } NR > 1 && $c == 1' "$scratch/em/fit.csv" | wc -l)" -eq 1 ]
check "emdpo fit.csv: the kept row has the highest log-likelihood" \
    awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "kept") c = i; next }
        $2 != "NaN" && (best == "" || $2 + 0 > best + 0) { best = $2 }
        $c == 1 { kept = $2 } END { exit !(kept != "" && kept == best) }' "$scratch/em/fit.csv"

# ---- options that do not apply ---------------------------------------------
glm="$TESTDATA/pairs_glm.csv"
expect_refused "emdpo --se" "--se does not apply to --model emdpo" "$scratch/bad" \
    fit --data "$glm" --model emdpo --types 2 --se sandwich -o "$scratch/bad"
expect_refused "lcl --epochs" "--epochs does not apply to --model lcl" "$scratch/bad" \
    fit --data "$glm" --model lcl --types 1 --epochs 3 -o "$scratch/bad"
expect_refused "model given last" "--starts does not apply to --model emdpo" "$scratch/bad" \
    fit --data "$glm" --starts 3 --types 2 --model emdpo -o "$scratch/bad"
expect_refused "emdpo --truth" "--truth does not apply to --model emdpo" "$scratch/bad" \
    fit --data "$glm" --model emdpo --types 2 --truth "$scratch/tiny/truth.csv" -o "$scratch/bad"
expect_refused "fit --set design.users" "--set design.users does not apply" "$scratch/bad" \
    fit --data "$glm" --model lcl --types 1 --set design.users=3 -o "$scratch/bad"
expect_refused "lcl --set emdpo.hidden" "--set emdpo.hidden does not apply" "$scratch/bad" \
    fit --data "$glm" --model lcl --types 1 --set emdpo.hidden=3 -o "$scratch/bad"
expect_refused "simulate with [sweep] lists" "run them with 'hetpref sweep'" "$scratch/bad" \
    simulate "$TESTDATA/sweep_small.ini" -o "$scratch/bad"
check "simulate with [sweep] lists: names FILE:LINE" \
    grep -qF "hetpref: $TESTDATA/sweep_small.ini:22: [sweep] design.answer" "$scratch/err"
expect_refused "identify with [sweep] lists" "[sweep] lists" "$scratch/bad" \
    identify "$TESTDATA/sweep_small.ini" -o "$scratch/bad"
expect_refused "identify --set design.T" "identify.T" "$scratch/bad" \
    identify "$TESTDATA/tiny.ini" --set design.T=2 -o "$scratch/bad"

# identify honours design.m (it once used m = 3 whatever was set).
"$HETPREF" identify "$TESTDATA/tiny.ini" --set design.m=4 --set identify.designs=50 \
    --set identify.fisher_designs=20 --set identify.T=1 -o "$scratch/id4" 2>"$scratch/err"
rc=$?
check "identify m = 4: exit 0 ($(cat "$scratch/err"))" [ "$rc" -eq 0 ]
check "identify m = 4: fisher.csv has top1_of_4" grep -q '^top1_of_4,1,20,1,' "$scratch/id4/fisher.csv"
check "identify m = 4: equivalence.csv has full_4" grep -q '^full_4,50,' "$scratch/id4/equivalence.csv"
check "identify m = 4: no kind of 3" sh -c "! grep -q '_3,' '$scratch/id4/fisher.csv' '$scratch/id4/equivalence.csv'"

# A truth file is validated like data: a weight outside [0, 1] (even when the
# weights sum to 1) is an input error naming FILE:LINE, and nothing is written.
"$HETPREF" simulate "$TESTDATA/tiny.ini" -o "$scratch/tr" 2>/dev/null
awk -F, 'BEGIN { OFS = "," } NR == 2 { $3 = -0.5 } NR == 3 { $3 = 1.5 } { print }' \
    "$scratch/tr/truth.csv" > "$scratch/neg_truth.csv"
"$HETPREF" fit --data "$scratch/tr/prefs.csv" --types 2 --truth "$scratch/neg_truth.csv" \
    -o "$scratch/negfit" 2>"$scratch/err"
rc=$?
check "truth with a negative weight: exit 2 (got $rc)" [ "$rc" -eq 2 ]
check "truth with a negative weight: names FILE:LINE ($(cat "$scratch/err"))" \
    grep -q "neg_truth.csv:2: .*not in \[0, 1\]" "$scratch/err"
check "truth with a negative weight: nothing written" [ ! -e "$scratch/negfit" ]

# A feature whose square overflows is refused up front (exit 2, the column
# named), not reported as a numerical failure after the fit started.
printf 'user,query,item,rank,x1\n1,1,a,1,1e200\n1,1,b,0,0\n' > "$scratch/huge.csv"
"$HETPREF" fit --data "$scratch/huge.csv" --types 1 -o "$scratch/huge" 2>"$scratch/err"
rc=$?
check "feature 1e200: exit 2 (got $rc)" [ "$rc" -eq 2 ]
check "feature 1e200: names the column" grep -q "column 'x1' holds 1e+200" "$scratch/err"
check "feature 1e200: nothing written" [ ! -e "$scratch/huge" ]
finish
