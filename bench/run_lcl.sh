#!/bin/bash
# run_lcl.sh - latent-class speed benchmark, in one run:
#  (a) latent-class EM on N = 10^4 users, T = 8 top-1-of-3 answers, d = 8,
#      K = 3, 20 starts: `hetpref fit` wall time with 1 and all threads;
#  (b) hetpref against R's flexmix (latent-class Bradley-Terry, per-user
#      grouping) on the same pairs data (N = 2000, T = 8, d = 4, K = 2,
#      5 starts), at matched convergence tolerances: wall time and final
#      log-likelihood of both, plus a check that the two log-likelihoods are
#      on one scale (K = 1 against glm; each side's estimates evaluated in R).
#
#   bench/run_lcl.sh
#
# Environment: REPS (hyperfine runs of the slow commands, default 3; the fast
# hetpref runs on the pairs use max(REPS, 10)), TOLS (matched tolerances,
# default "1e-6 1e-9": flexmix's default and hetpref's default). Works as root
# or as a user with sudo; installs hyperfine and r-cran-flexmix only when
# missing. Outputs under bench/out/lcl/ (git-ignored); the table is printed at
# the end and kept in bench/out/lcl/table.txt.
# Target: hetpref >= 20x faster than flexmix with an equal or better
# log-likelihood.
set -eu
cd "$(dirname "$0")/.."
export LC_ALL=C

REPS=${REPS:-3}
TOLS=${TOLS:-"1e-6 1e-9"}
FAST_RUNS=$(( REPS > 10 ? REPS : 10 ))
NPROC=$(nproc)
OUT=bench/out/lcl
HP=src/hetpref
SEED=1
ITERMAX=1000

. bench/lib.sh
need_pkgs hyperfine r-base-core r-cran-flexmix

[ -f Makefile ] || { echo "run_lcl.sh: configure the tree first (./autogen.sh && ./configure)" >&2; exit 1; }
make -s src/hetpref bench/bench_lcl >/dev/null

rm -rf "$OUT"
mkdir -p "$OUT"
# hf NAME RUNS CMD: hyperfine, the median wall time in seconds on stdout.
hf() {
    wait_quiet "$1"
    hyperfine --style basic --warmup 1 --runs "$2" --export-csv "$OUT/$1.hf.csv" \
        "$3" > "$OUT/$1.hf.txt" 2>&1 || { cat "$OUT/$1.hf.txt" >&2; return 1; }
    csvcol "$OUT/$1.hf.csv" median
}

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
echo "run_lcl.sh: nproc $NPROC, load $LOAD_BEFORE, $REPS runs" >&2

# ---- (a) N = 10^4, T = 8 top-1 of 3, d = 8, K = 3, 20 starts ------------
$HP simulate bench/lcl_top1.ini -o "$OUT/top1" 2>/dev/null
A_T=
for th in 1 "$NPROC"; do
    echo "run_lcl.sh: (a) hetpref fit, $th thread(s)" >&2
    t=$(hf "a_t$th" "$REPS" "$HP fit --data $OUT/top1/prefs.csv --model lcl --types 3 \
--starts 20 --seed $SEED --threads $th -o $OUT/a_fit_t$th")
    A_T="$A_T $t"
done
A_T1=$(echo $A_T | cut -d' ' -f1)
A_TN=$(echo $A_T | cut -d' ' -f2)
A_SAME=no
cmp -s "$OUT/a_fit_t1/estimates.csv" "$OUT/a_fit_t$NPROC/estimates.csv" &&
    cmp -s "$OUT/a_fit_t1/fit.csv" "$OUT/a_fit_t$NPROC/fit.csv" && A_SAME=yes
A_FIT=$OUT/a_fit_t$NPROC/fit.csv

# ---- (b) pairs: N = 2000, T = 8, d = 4, K = 2, 5 starts ------------------
$HP simulate bench/lcl_pairs.ini -o "$OUT/pairs" 2>/dev/null
P=$OUT/pairs/prefs.csv
for tol in $TOLS; do
    echo "run_lcl.sh: (b) flexmix, tol $tol" >&2
    rm -f "$OUT/flex_$tol.txt.times"
    t=$(hf "b_flex_$tol" "$REPS" \
        "Rscript bench/flexmix_pairs.R fit $P 2 5 $tol $ITERMAX $SEED $OUT/flex_$tol.txt")
    echo "$t" > "$OUT/b_flex_$tol.wall"
    for th in 1 "$NPROC"; do
        echo "run_lcl.sh: (b) hetpref, tol $tol, $th thread(s)" >&2
        t=$(hf "b_hp_${tol}_t$th" "$FAST_RUNS" "$HP fit --data $P --model lcl --types 2 \
--starts 5 --tol $tol --max-iter $ITERMAX --seed $SEED --threads $th -o $OUT/b_fit_${tol}_t$th")
        echo "$t" > "$OUT/b_hp_${tol}_t$th.wall"
        wait_quiet "b_hpfit_${tol}_t$th"
        bench/bench_lcl --data "$P" --types 2 --starts 5 --tol "$tol" --max-iter "$ITERMAX" \
            --seed "$SEED" --threads "$th" --reps "$FAST_RUNS" > "$OUT/b_hpfit_${tol}_t$th.txt"
    done
done
# Same scale: K = 1 on both (hetpref at a tight tolerance; glm at 1e-14) and
# each side's K = 2 estimates evaluated by one R function.
LAST_TOL=${TOLS##* }
$HP fit --data "$P" --model lcl --types 1 --starts 1 --tol 1e-14 --seed "$SEED" \
    -o "$OUT/b_k1" 2>/dev/null
Rscript bench/flexmix_pairs.R check "$P" "$OUT/b_k1" "$OUT/b_fit_${LAST_TOL}_t$NPROC" \
    "$OUT/flex_$LAST_TOL.txt" "$OUT/check.txt"
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- results ---------------------------------------------------------------
{
    echo "bench,threads,tol,tool,metric,value"
    echo "a,1,1e-9,hetpref,wall_s,$A_T1"
    echo "a,$NPROC,1e-9,hetpref,wall_s,$A_TN"
    for k in loglik iterations converged best_start_hits; do
        echo "a,$NPROC,1e-9,hetpref,$k,$(csvcol "$A_FIT" "$k")"
    done
    echo "a,,,hetpref,identical_output_1_vs_${NPROC}_threads,$A_SAME"
    for tol in $TOLS; do
        F=$OUT/flex_$tol.txt
        echo "b,1,$tol,flexmix,wall_s,$(cat "$OUT/b_flex_$tol.wall")"
        # .times has one line per run, the first from hyperfine's warm-up.
        echo "b,1,$tol,flexmix,fit_s,$(sed -n 's/^fit_s=//p' "$F.times" | tail -n +2 | median)"
        echo "b,1,$tol,flexmix,fit_user_s,$(sed -n 's/^fit_user_s=//p' "$F.times" | tail -n +2 | median)"
        for k in loglik iterations converged k; do echo "b,1,$tol,flexmix,$k,$(val "$F" "$k")"; done
        for th in 1 "$NPROC"; do
            echo "b,$th,$tol,hetpref,wall_s,$(cat "$OUT/b_hp_${tol}_t$th.wall")"
            B=$OUT/b_hpfit_${tol}_t$th.txt
            echo "b,$th,$tol,hetpref,fit_s,$(val "$B" fit_s_median)"
            echo "b,$th,$tol,hetpref,fit_user_s,$(val "$B" fit_user_s_median)"
            for k in loglik iterations converged best_hits; do
                echo "b,$th,$tol,hetpref,$k,$(val "$B" "$k")"
            done
        done
    done
    sed 's/^\([^=]*\)=\(.*\)$/check,,,R,\1,\2/' "$OUT/check.txt"
    echo "machine,,,,nproc,$NPROC"
    echo "machine,,,,load_before,\"$LOAD_BEFORE\""
    echo "machine,,,,load_after,\"$LOAD_AFTER\""
    echo "machine,,,,busy_cores_before_max,$(busiest)"
} > "$OUT/results.csv"

g() { awk -F, -v b="$1" -v th="$2" -v tol="$3" -v t="$4" -v m="$5" \
        '$1 == b && $2 == th && $3 == tol && $4 == t && $5 == m { print $6 }' "$OUT/results.csv"; }
{
    printf 'LCL speed benchmark; machine: %s; load %s before, %s after;\n' \
        "$(cpu_desc)" \
        "$LOAD_BEFORE" "$LOAD_AFTER"
    printf 'other processes kept up to %s cores busy just before a measurement (quiet.log)\n' "$(busiest)"
    printf 'wall = median of hyperfine runs (whole process); fit = median of the fit alone\n\n'
    printf '(a) N = 10^4, T = 8 top-1 of 3, d = 8, K = 3, 20 starts, tol 1e-9 (hetpref fit)\n'
    printf '    wall 1 thread %.2f s, %s threads %.2f s (x%.2f); loglik %s, %s iterations,\n' \
        "$A_T1" "$NPROC" "$A_TN" "$(calc "$A_T1 / $A_TN")" "$(g a "$NPROC" 1e-9 hetpref loglik)" \
        "$(g a "$NPROC" 1e-9 hetpref iterations)"
    printf '    converged %s, best-start hits %s/20; output identical for 1 and %s threads: %s\n\n' \
        "$(g a "$NPROC" 1e-9 hetpref converged)" "$(g a "$NPROC" 1e-9 hetpref best_start_hits)" \
        "$NPROC" "$A_SAME"
    printf '(b) pairs N = 2000, T = 8, d = 4, K = 2, 5 starts: flexmix (1 core) vs hetpref\n'
    printf '%-7s %-16s %9s %9s %20s %6s %9s %9s\n' tol tool "wall s" "fit s" loglik iter "x wall" "x fit"
    for tol in $TOLS; do
        fw=$(g b 1 "$tol" flexmix wall_s); ff=$(g b 1 "$tol" flexmix fit_s)
        fl=$(g b 1 "$tol" flexmix loglik)
        printf '%-7s %-16s %9.3f %9.3f %20.10f %6s %9s %9s\n' "$tol" "flexmix" "$fw" "$ff" "$fl" \
            "$(g b 1 "$tol" flexmix iterations)" "" ""
        for th in 1 "$NPROC"; do
            hw=$(g b "$th" "$tol" hetpref wall_s); hfit=$(g b "$th" "$tol" hetpref fit_s)
            hl=$(g b "$th" "$tol" hetpref loglik)
            printf '%-7s %-16s %9.3f %9.4f %20.10f %6s %9.1f %9.1f\n' "$tol" "hetpref ${th}thr" \
                "$hw" "$hfit" "$hl" "$(g b "$th" "$tol" hetpref iterations)" \
                "$(calc "$fw / $hw")" "$(calc "$ff / $hfit")"
        done
        # Verdict at all threads: >= 20x on both timings, and a loglik not
        # below flexmix's by more than the stopping tolerance allows.
        hw=$(g b "$NPROC" "$tol" hetpref wall_s); hfit=$(g b "$NPROC" "$tol" hetpref fit_s)
        hl=$(g b "$NPROC" "$tol" hetpref loglik)
        printf '        target (>= 20x on wall and fit, loglik >= flexmix - tol*|loglik|): %s\n' \
            "$(awk -v a="$(calc "$fw / $hw")" -v b="$(calc "$ff / $hfit")" -v h="$hl" -v f="$fl" \
                -v t="$tol" 'BEGIN { ok = a >= 20 && b >= 20 && h >= f - t * (f < 0 ? -f : f);
                                    print ok ? "met" : "NOT met" }')"
    done
    printf '\nsame scale (bench/out/lcl/check.txt):\n'
    printf '  K = 1: loglik hetpref %s, glm %s, flexmix %s\n' \
        "$(val "$OUT/check.txt" k1_loglik_hetpref)" "$(val "$OUT/check.txt" k1_loglik_glm)" \
        "$(val "$OUT/check.txt" k1_loglik_flexmix)"
    printf '         relative differences hetpref vs glm: loglik %s, coefficients (max) %s\n' \
        "$(val "$OUT/check.txt" k1_loglik_reldiff_hetpref_glm)" \
        "$(val "$OUT/check.txt" k1_coef_max_reldiff_hetpref_glm)"
    printf '  K = 2 (tol %s): hetpref reports %s, R evaluates its estimates at %s (rel. diff %s)\n' \
        "$LAST_TOL" "$(val "$OUT/check.txt" K_loglik_hetpref)" \
        "$(val "$OUT/check.txt" K_loglik_R_at_hetpref)" "$(val "$OUT/check.txt" K_loglik_reldiff)"
    printf '                  flexmix reports %s, R evaluates its estimates at %s\n' \
        "$(val "$OUT/check.txt" K_loglik_flexmix)" "$(val "$OUT/check.txt" K_loglik_R_at_flexmix)"
} > "$OUT/table.txt"
echo
cat "$OUT/table.txt"
