#!/bin/sh
# select_cli.sh — `hetpref fit --types K1:K2` (choosing K) end to end on a
# small seeded two-type simulation (tests/data/tiny.ini, 300 users, top-1 of
# 3, 3 answers each): every K directory as a single fit writes it,
# select.csv's columns, both picks equal to the true K = 2, identical bytes
# for 1 and 2 threads, the plot (and its script without gnuplot), a rerun
# replacing the K directories whole, EM-DPO's NaN BIC, and bad input
# refused with exit 2, the flag named and nothing written.
#
# Tolerance of the picks: none — they are integers. On this data set (seed
# 424242) K = 2 beats K = 1 by about 140 in held-out log-likelihood with a
# standard error near 18 (8 standard errors) and by about 270 in BIC, so
# both picks are 2 far from any boundary; K = 3 improves neither by more than
# one standard error.
. "${srcdir:-.}/tests/lib.sh"
"$HETPREF" simulate "$TESTDATA/tiny.ini" --set design.users=300 --set design.answer=top1 \
    --set design.T=3 -o "$scratch/sim" >/dev/null
check "simulate: exit 0" [ $? -eq 0 ]
data="$scratch/sim/prefs.csv"
args="--data $data --model lcl --types 1:3 --folds 3 --starts 3 --max-iter 200 --seed 7"
for t in 1 2; do
    # shellcheck disable=SC2086 # args is a list of words
    "$HETPREF" fit $args --threads $t -o "$scratch/s$t" 2>"$scratch/err$t"
    rc=$?
    check "fit --types 1:3 threads $t: exit 0 ($(tail -n 2 "$scratch/err$t"))" [ "$rc" -eq 0 ]
done
s="$scratch/s1"
check "select.csv header" grep -qx 'K,loglik,n_params,aic,bic,icl,heldout_loglik,heldout_se,converged,best_hits' "$s/select.csv"
check "select.csv: K = 1, 2, 3" [ "$(cut -d, -f1 "$s/select.csv" | tr '\n' ' ')" = "K 1 2 3 " ]
check "n_params = K d + K - 1" [ "$(cut -d, -f3 "$s/select.csv" | tr '\n' ' ')" = "n_params 2 5 8 " ]
check "picks.csv header" grep -qx 'pick_bic,pick_heldout,heldout_best_k,heldout_threshold,folds' "$s/picks.csv"
check "BIC picks K = 2" [ "$(awk -F, 'NR == 2 { print $1 }' "$s/picks.csv")" = 2 ]
check "held-out (one-SE rule) picks K = 2" [ "$(awk -F, 'NR == 2 { print $2 }' "$s/picks.csv")" = 2 ]
check "picks printed on stderr" grep -q 'pick by BIC: K = 2' "$scratch/err1"
check "held-out pick printed on stderr" grep -q 'one-standard-error rule): K = 2' "$scratch/err1"
check "held-out totals finite, below 0, standard errors > 0" awk -F, \
    'NR > 1 && !($7 < 0 && $8 > 0 && $8 < 1e300) { bad = 1 } END { exit bad }' "$s/select.csv"
# The K directories are those of single fits of the same K and seed.
"$HETPREF" fit --data "$data" --model lcl --types 2 --starts 3 --max-iter 200 --seed 7 \
    -o "$scratch/single2" 2>/dev/null
for f in estimates.csv posteriors.csv fit.csv evaluation.csv config.ini; do
    check "2/$f = a single fit's $f" cmp -s "$s/2/$f" "$scratch/single2/$f"
done
check "select.csv loglik of K = 2 = fit.csv's" [ "$(awk -F, 'NR == 3 { print $2 }' "$s/select.csv")" = \
    "$(awk -F, 'NR == 2 { print $1 }' "$s/2/fit.csv")" ]
for f in select.csv picks.csv 1/estimates.csv 2/posteriors.csv 3/fit.csv 3/config.ini; do
    check "$f identical for 1 and 2 threads" cmp -s "$s/$f" "$scratch/s2/$f"
done
check "select.gp written" [ -s "$s/select.gp" ]
if command -v "${HETPREF_GNUPLOT:-gnuplot}" >/dev/null 2>&1; then
    check "select.png drawn" [ -s "$s/select.png" ]
fi
check "plot labels its axes" grep -q "ylabel 'BIC (lower is better)'" "$s/select.gp"
# hetpref plot redraws a choice of K in place: the same script.
cp "$s/select.gp" "$scratch/select.gp.orig"
rm -f "$s/select.gp" "$s/select.png"
"$HETPREF" plot "$s" 2>"$scratch/err"
rc=$?
check "plot of a choice of K: exit 0 ($(cat "$scratch/err"))" [ "$rc" -eq 0 ]
check "plot of a choice of K: the fit's own select.gp" cmp -s "$s/select.gp" "$scratch/select.gp.orig"
"$HETPREF" plot "$s" -o "$scratch/elsewhere" 2>"$scratch/err"
rc=$?
check "plot of a choice of K with -o: exit 2" [ "$rc" -eq 2 ]
check "plot of a choice of K with -o: nothing written" [ ! -e "$scratch/elsewhere" ]

# A rerun with another range replaces the K directories whole and drops
# the old ones.
HETPREF_GNUPLOT=/nonexistent/gnuplot "$HETPREF" fit --data "$data" --model lcl \
    --types 2:2 --folds 3 --starts 3 --max-iter 200 --seed 7 -o "$s" 2>"$scratch/err"
rc=$?
check "rerun --types 2:2 without gnuplot: exit 0" [ "$rc" -eq 0 ]
check "no gnuplot: a warning" grep -q 'warning' "$scratch/err"
check "no gnuplot: select.gp still written" [ -s "$s/select.gp" ]
check "rerun: K = 1 directory removed" [ ! -e "$s/1" ]
check "rerun: K = 3 directory removed" [ ! -e "$s/3" ]
check "rerun: no staging directory left" [ -z "$(ls -d "$s".* 2>/dev/null)" ]
check "rerun: select.csv has one K" [ "$(wc -l < "$s/select.csv")" -eq 2 ]

# EM-DPO: held-out log-likelihood only.
"$HETPREF" simulate "$HETPREF_CONFIGS/two_traits.ini" --set design.users=60 \
    --set design.T=6 -o "$scratch/esim" >/dev/null
"$HETPREF" fit --data "$scratch/esim/prefs.csv" --model emdpo --types 1:2 --folds 3 \
    --em-iters 2 --epochs 1 --hidden 8 -o "$scratch/e" 2>"$scratch/err"
rc=$?
check "emdpo --types 1:2: exit 0 ($(tail -n 1 "$scratch/err"))" [ "$rc" -eq 0 ]
check "emdpo: aic, bic, icl, best_hits NaN; held-out finite" awk -F, \
    'NR > 1 && !($4 == "NaN" && $5 == "NaN" && $6 == "NaN" && $10 == "NaN" && $7 < 0) { bad = 1 } END { exit bad }' \
    "$scratch/e/select.csv"
check "emdpo: no BIC pick" [ "$(awk -F, 'NR == 2 { print $1 }' "$scratch/e/picks.csv")" = NaN ]
check "emdpo: policies in each K directory (1 of 2)" [ -s "$scratch/e/1/policies.txt" ]
check "emdpo: policies in each K directory (2 of 2)" [ -s "$scratch/e/2/policies.txt" ]

# Bad input: exit 2, the flag named, nothing written (no staging left).
expect_bad_fit "types 3:1" "--types 3:1" --data "$data" --model lcl --types 3:1
expect_bad_fit "types 0:2" "--types 0:2" --data "$data" --model lcl --types 0:2
expect_bad_fit "folds 1" "--folds" --data "$data" --model lcl --types 1:2 --folds 1
expect_bad_fit "more folds than users" "--folds 301" --data "$data" --model lcl --types 1:2 --folds 301
expect_bad_fit "folds with a single K" "--folds" --data "$data" --model lcl --types 2 --folds 3
expect_bad_fit "K above a fold's training users" "--types 1:201" --data "$data" --model lcl --types 1:201
expect_bad_fit "folds with npmle" "--folds" --data "$data" --model npmle --grid 5 --folds 3
check "bad input: no staging directory left" [ -z "$(ls -d "$scratch"/bad.* 2>/dev/null)" ]
finish
