#!/bin/bash
# run_emdpo.sh - speed benchmark: EM-DPO in hetpref against the same
# EM-DPO written idiomatically in PyTorch (bench/emdpo_torch.py), in one run.
#
#   bash bench/run_emdpo.sh
#
# Problem: two_traits, 1000 users x 16 top-1-of-3 answers,
# d = 8, one hidden layer of 32 (tanh), K = 2, 3 EM iterations x 2 epochs
# (M-step restarted from the reference every iteration), batch 64 queries,
# beta 1, lr 0.01 (the two_traits scenario's [emdpo] settings), float64,
# --init kmeans in both programs (each its own k-means on the same per-user
# summaries: hetpref's is in src/emdpo.c, the torch one re-implements it),
# 1 and 2 threads.
#
# Per-iteration wall time:
#   hetpref: whole `hetpref fit` processes timed by hyperfine (median of
#     HP_RUNS runs) at --em-iters 1 and --em-iters 4; per iteration =
#     (t4 - t1) / 3, so reading the CSV, k-means and writing outputs cancel.
#   torch:   time.perf_counter around the EM loop inside the script
#     (imports, CSV reading and k-means excluded); per iteration = loop / 3
#     and, separately, the mean of iterations 2..3 (after torch's warm-up);
#     median over REPS processes. Run with the general Plackett-Luce loss
#     (hetpref's code path; the verdict uses it) and, as a sensitivity check,
#     with --loss top1 (log_softmax). Each torch run also loads hetpref's
#     trained policies (--check-hetpref) and checks that its own E-step
#     reproduces hetpref's log-likelihood and responsibilities.
# Accuracy: hetpref's DIR/fit.csv accuracy column after iteration 3; the torch
#   script's own best-permutation accuracy against the type column.
# GFLOP/s of hetpref's training loop: dgemm flops counted per minibatch of n
#   candidate rows as n H (4 d + 6) (forward 2ndH + 2nH; backward X^T dZ 2ndH,
#   h^T df 2nH, df w2^T 2nH), i.e. n_cands H (4 d + 6) per policy-epoch; the
#   training time comes from `--em-iters 1 --epochs 10` minus `--epochs 2`
#   (K x 8 policy-epochs, nothing else differs). Set against the machine's
#   DGEMM peak: OpenBLAS's 512 x 512 dgemm rate (bench/dgemm_peak.c linked
#   to OpenBLAS; 1 process, and 2 at once), with GSL cblas's rate (what
#   hetpref links) beside it, and the core's measured peak
#   (bench/flops_peak.c, built twice: baseline x86-64 (SSE2, no FMA), and
#   -march=native for the widest vectors with FMA; no assumed flops per
#   cycle: they differ between cores of one vector width). The training step's five products alone are timed three ways on
#   the same shapes (192 rows, d = 8, H = 32): GSL cblas and OpenBLAS
#   (dgemm_peak.c) and hetpref's vecops kernels (bench/bench_nn.c, which
#   also times the network's whole forward + backward).
# OpenBLAS (Debian's libopenblas0-pthread) is unpacked under
#   bench/out/openblas with apt-get download + dpkg -x, not installed: the
#   system's libblas.so.3 alternative, which torch and R load, stays as it
#   is. The torch PL-loss runs are repeated with that OpenBLAS preloaded
#   through LD_LIBRARY_PATH (the script records which BLAS torch mapped),
#   and the verdict takes the faster torch of the two.
#
# Environment: REPS (torch runs per thread count, default 5, at least 3),
# HP_RUNS (hyperfine runs of each hetpref command, default max(REPS, 10)),
# LOAD_MAX (default 0.5) and LOAD_WAITS (default 10): before every timed block
# the script sleeps 30 s while the 1-minute load average is above LOAD_MAX,
# at most LOAD_WAITS times, and records the load it ran under. Installs
# python3-torch, hyperfine, gcc and libgsl-dev with apt-get when missing
# (root, or sudo). Outputs under bench/out/emdpo/ (git-ignored); the table is
# printed at the end and kept in bench/out/emdpo/table.txt, every number in
# bench/out/emdpo/results.csv.
# Target: hetpref >= 10x faster per EM iteration than torch, with
# the same clustering accuracy (+-0.03).
set -eu
cd "$(dirname "$0")/.."
export LC_ALL=C

REPS=${REPS:-5}
[ "$REPS" -ge 3 ] || { echo "run_emdpo.sh: REPS must be >= 3" >&2; exit 2; }
HP_RUNS=${HP_RUNS:-$(( REPS > 10 ? REPS : 10 ))}
LOAD_MAX=${LOAD_MAX:-0.5}
LOAD_WAITS=${LOAD_WAITS:-10}
OUT=bench/out/emdpo
DATA=bench/out/emdpo_data
HP=src/hetpref
PY=/usr/bin/python3     # Debian's python3, where python3-torch lives
SEED=1
K=2; D=8; H=32; EPOCHS=2; ITERS=3; EP_LONG=10
COMMON="--model emdpo --types $K --beta 1 --lr 0.01 --batch 64 --hidden $H --layers 1 \
--init kmeans --m-step restart --seed $SEED"

. bench/lib.sh
need_pkgs python3-torch hyperfine gcc libgsl-dev
$PY -c 'import torch' || { echo "run_emdpo.sh: $PY cannot import torch" >&2; exit 1; }

[ -f Makefile ] || { echo "run_emdpo.sh: configure the tree first (./autogen.sh && ./configure)" >&2; exit 1; }
make -s src/hetpref bench/bench_nn >/dev/null

# OpenBLAS, unpacked (not installed): see the header.
OBDIR=bench/out/openblas
if [ ! -f "$OBDIR/lib/libopenblas.so.0" ]; then
    rm -rf "$OBDIR"
    mkdir -p "$OBDIR/deb" "$OBDIR/lib"
    ( cd "$OBDIR/deb" && { apt-get download libopenblas0-pthread >/dev/null 2>&1 ||
        { $S apt-get update -qq && apt-get download libopenblas0-pthread >/dev/null 2>&1; }; } ) &&
        dpkg -x "$OBDIR"/deb/libopenblas0-pthread_*.deb "$OBDIR/x" &&
        cp -a "$(dirname "$(find "$OBDIR/x" -name libopenblas.so.0 | head -n 1)")"/. "$OBDIR/lib/" ||
        echo "run_emdpo.sh: could not unpack OpenBLAS; its rows are left out" >&2
fi
OB=
[ -f "$OBDIR/lib/libopenblas.so.0" ] && [ -f "$OBDIR/lib/libblas.so.3" ] && OB=$PWD/$OBDIR/lib

rm -rf "$OUT"
mkdir -p "$OUT"
gcc -O2 -o "$OUT/dgemm_peak" bench/dgemm_peak.c -lgslcblas -lm
gcc -O2 -o "$OUT/flops_peak" bench/flops_peak.c
gcc -O2 -march=native -o "$OUT/flops_peak_native" bench/flops_peak.c
[ -z "$OB" ] || gcc -O2 -o "$OUT/dgemm_peak_ob" bench/dgemm_peak.c "$OB/libopenblas.so.0" \
    -Wl,-rpath,"$OB" -lm

val() { sed -n "s/^$2=//p" "$1" | head -n 1; }            # val FILE KEY
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2];
                           else printf "%.6g\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
calc() { awk "BEGIN { printf \"%.6g\", $1 }"; }
load1() { cut -d' ' -f1 /proc/loadavg; }
# quiet NAME: wait while the 1-minute load is above LOAD_MAX; log the load.
quiet() {
    local i=0
    while awk -v l="$(load1)" -v m="$LOAD_MAX" 'BEGIN { exit !(l > m) }' &&
          [ "$i" -lt "$LOAD_WAITS" ]; do
        echo "run_emdpo.sh: load $(load1) > $LOAD_MAX, sleeping 30 s" >&2
        sleep 30
        i=$((i + 1))
    done
    echo "$1,$(cut -d' ' -f1-3 /proc/loadavg | tr ' ' '/')" >> "$OUT/loads.csv"
    echo "run_emdpo.sh: $1 under load $(load1)" >&2
}
# hfcol FILE ROW: hyperfine CSV median of the ROW-th command (1-based).
hfcol() { awk -F, -v r="$1" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "median") k = i }
                           NR == r + 1 { print $k }' "$2"; }
csvlast() { awk -F, -v c="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == c) k = i }
                               NR > 1 { v = $k } END { print v }' "$1"; }

# ---- data --------------------------------------------------------------------
rm -rf "$DATA"
$HP simulate configs/two_traits.ini --set design.users=1000 --set design.T=16 -o "$DATA" 2>/dev/null
P=$DATA/prefs.csv
NCANDS=$(( $(wc -l < "$P") - 1 ))
NQ=$(awk -F, 'NR > 1 { q[$1 "," $2] = 1 } END { print length(q) }' "$P")
echo "block,load1/load5/load15" > "$OUT/loads.csv"
echo "run_emdpo.sh: $NCANDS candidate rows, $NQ queries; torch $($PY -c 'import torch; print(torch.__version__)')" >&2

# ---- hetpref -----------------------------------------------------------------
for th in 1 2; do
    quiet "hetpref_t$th"
    hyperfine --style basic --warmup 1 --runs "$HP_RUNS" --export-csv "$OUT/hp_t$th.hf.csv" \
        -n it1 "$HP fit --data $P $COMMON --epochs $EPOCHS --em-iters 1 --threads $th -o $OUT/hp_it1_t$th" \
        -n it3 "$HP fit --data $P $COMMON --epochs $EPOCHS --em-iters $ITERS --threads $th -o $OUT/hp_it3_t$th" \
        -n it4 "$HP fit --data $P $COMMON --epochs $EPOCHS --em-iters 4 --threads $th -o $OUT/hp_it4_t$th" \
        -n ep$EP_LONG "$HP fit --data $P $COMMON --epochs $EP_LONG --em-iters 1 --threads $th -o $OUT/hp_ep${EP_LONG}_t$th" \
        > "$OUT/hp_t$th.hf.txt" 2>&1 || { cat "$OUT/hp_t$th.hf.txt" >&2; exit 1; }
done
HP_SAME=no
cmp -s "$OUT/hp_it3_t1/posteriors.csv" "$OUT/hp_it3_t2/posteriors.csv" &&
    cmp -s "$OUT/hp_it3_t1/fit.csv" "$OUT/hp_it3_t2/fit.csv" && HP_SAME=yes

# ---- torch -------------------------------------------------------------------
# loss pl: the general Plackett-Luce path (the code path hetpref runs);
# loss top1: log_softmax(u)[:, 0], the shortest idiomatic loss for these
# top-1 data (a sensitivity check: how much faster torch gets);
# variant plob: loss pl with OpenBLAS in place of the system's libblas.so.3.
VARIANTS="pl top1"
[ -z "$OB" ] || VARIANTS="$VARIANTS plob"
for var in $VARIANTS; do
    loss=${var%ob}
    LDP=${LD_LIBRARY_PATH:-}
    [ "$var" != plob ] || LDP=$OB${LDP:+:$LDP}
    for th in 1 2; do
        quiet "torch_${var}_t$th"
        for rep in $(seq 1 "$REPS"); do
            echo "run_emdpo.sh: torch, $var, $th thread(s), run $rep/$REPS" >&2
            f=$OUT/torch_${var}_t${th}_$rep.txt
            t0=$(date +%s.%N)
            LD_LIBRARY_PATH=$LDP OMP_NUM_THREADS=$th MKL_NUM_THREADS=$th OPENBLAS_NUM_THREADS=$th \
                $PY bench/emdpo_torch.py --data "$P" --types $K --beta 1 --lr 0.01 --batch 64 \
                --epochs $EPOCHS --em-iters $ITERS --hidden $H --layers 1 --init kmeans \
                --m-step restart --threads "$th" --seed $SEED --loss $loss \
                --hetpref-posteriors "$OUT/hp_it3_t$th/posteriors.csv" \
                --check-hetpref "$OUT/hp_it3_t$th" > "$f"
            t1=$(date +%s.%N)
            echo "process_s=$(calc "$t1 - $t0")" >> "$f"
        done
    done
done

# ---- DGEMM peak (OpenBLAS; GSL cblas, what hetpref links) and the step ---------
quiet dgemm
"$OUT/dgemm_peak" 512 9 192 > "$OUT/dgemm_1.txt"
"$OUT/dgemm_peak" 512 9 > "$OUT/dgemm_2a.txt" & pa=$!
"$OUT/dgemm_peak" 512 9 > "$OUT/dgemm_2b.txt" & pb=$!
wait "$pa" "$pb"
if [ -n "$OB" ]; then
    OPENBLAS_NUM_THREADS=1 "$OUT/dgemm_peak_ob" 512 9 192 > "$OUT/dgemm_ob_1.txt"
    OPENBLAS_NUM_THREADS=1 "$OUT/dgemm_peak_ob" 512 9 > "$OUT/dgemm_ob_2a.txt" & pa=$!
    OPENBLAS_NUM_THREADS=1 "$OUT/dgemm_peak_ob" 512 9 > "$OUT/dgemm_ob_2b.txt" & pb=$!
    wait "$pa" "$pb"
fi
bench/bench_nn 192 > "$OUT/bench_nn.txt"
# the core's measured peak: a baseline build (hetpref outside its per-level kernels) and
# the core's widest vectors with FMA, one process and two at once
"$OUT/flops_peak" 3 > "$OUT/flops_base_1.txt"
"$OUT/flops_peak_native" 3 > "$OUT/flops_native_1.txt"
"$OUT/flops_peak_native" 3 > "$OUT/flops_native_2a.txt" & pa=$!
"$OUT/flops_peak_native" 3 > "$OUT/flops_native_2b.txt" & pb=$!
wait "$pa" "$pb"
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- numbers -------------------------------------------------------------------
CPU=$(cpu_desc)
NPROC=$(nproc)
# measured, not assumed: flops per cycle differ between cores of one vector
# width (bench/flops_peak.c)
PEAK_THEO1=$(val "$OUT/flops_native_1.txt" gflops)
PEAK_THEO=$(calc "$(val "$OUT/flops_native_2a.txt" gflops) + $(val "$OUT/flops_native_2b.txt" gflops)")
PEAK_BASE1=$(val "$OUT/flops_base_1.txt" gflops)
LANES=$(val "$OUT/flops_native_1.txt" lanes)
F_EPOCH=$(( NCANDS * H * (4 * D + 6) ))          # per policy-epoch
F_ESTEP=$(( K * NCANDS * 2 * H * (D + 1) ))      # E-step forward, all policies
F_ITER=$(( K * EPOCHS * F_EPOCH + F_ESTEP ))
BLAS_TORCH=$(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3 2>/dev/null || echo unknown)

{
    echo "tool,threads,metric,value"
    for th in 1 2; do
        F=$OUT/hp_t$th.hf.csv
        t1=$(hfcol 1 "$F"); t3=$(hfcol 2 "$F"); t4=$(hfcol 3 "$F"); te=$(hfcol 4 "$F")
        per=$(calc "($t4 - $t1) / 3")
        train=$(calc "$te - $t1")
        echo "hetpref,$th,wall_em1_s,$t1"
        echo "hetpref,$th,wall_em3_s,$t3"
        echo "hetpref,$th,wall_em4_s,$t4"
        echo "hetpref,$th,wall_em1_ep${EP_LONG}_s,$te"
        echo "hetpref,$th,per_iter_s,$per"
        echo "hetpref,$th,train_policy_epochs,$(( K * (EP_LONG - EPOCHS) ))"
        echo "hetpref,$th,train_s,$train"
        echo "hetpref,$th,train_gflops,$(calc "$K * ($EP_LONG - $EPOCHS) * $F_EPOCH / $train / 1e9")"
        echo "hetpref,$th,iter_gflops,$(calc "$F_ITER / $per / 1e9")"
        echo "hetpref,$th,accuracy,$(csvlast "$OUT/hp_it3_t$th/fit.csv" accuracy)"
        echo "hetpref,$th,accuracy_init,$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "accuracy") k = i } NR == 2 { print $k }' "$OUT/hp_it3_t$th/fit.csv")"
        for var in $VARIANTS; do
            tool=torch; [ "$var" = pl ] || tool=torch_$var
            for key in per_iter_s per_iter_steady_s loop_s process_s; do
                echo "$tool,$th,$key,$(for f in "$OUT"/torch_${var}_t${th}_*.txt; do val "$f" "$key"; done | median)"
            done
            f1=$OUT/torch_${var}_t${th}_1.txt
            for key in accuracy accuracy_init agreement_with_hetpref torch_threads iter_s \
                       check_loglik_reldiff check_posterior_maxdiff blas_loaded; do
                echo "$tool,$th,$key,\"$(val "$f1" "$key")\""
            done
            echo "$tool,$th,runs_same_accuracy,$(for f in "$OUT"/torch_${var}_t${th}_*.txt; do val "$f" accuracy; done | sort -u | wc -l | awk '{ print ($1 == 1) ? "yes" : "no" }')"
        done
    done
    echo "hetpref,,identical_output_1_vs_2_threads,$HP_SAME"
    echo "gsl_cblas,1,dgemm512_gflops,$(val "$OUT/dgemm_1.txt" gflops_median)"
    echo "gsl_cblas,2,dgemm512_gflops,$(calc "$(val "$OUT/dgemm_2a.txt" gflops_median) + $(val "$OUT/dgemm_2b.txt" gflops_median)")"
    echo "gsl_cblas,1,train_shapes_gflops,$(val "$OUT/dgemm_1.txt" small_gflops)"
    if [ -n "$OB" ]; then
        echo "openblas,1,dgemm512_gflops,$(val "$OUT/dgemm_ob_1.txt" gflops_median)"
        echo "openblas,2,dgemm512_gflops,$(calc "$(val "$OUT/dgemm_ob_2a.txt" gflops_median) + $(val "$OUT/dgemm_ob_2b.txt" gflops_median)")"
        echo "openblas,1,train_shapes_gflops,$(val "$OUT/dgemm_ob_1.txt" small_gflops)"
    fi
    echo "vecops,1,train_shapes_gflops,$(val "$OUT/bench_nn.txt" vecops_gflops)"
    echo "vecops,1,train_shapes_us,$(val "$OUT/bench_nn.txt" vecops_step_us)"
    echo "nn,1,step_us,$(val "$OUT/bench_nn.txt" nn_step_us)"
    echo "nn,1,step_gflops,$(val "$OUT/bench_nn.txt" nn_gflops)"
    echo "machine,,measured_peak_gflops_1core,$PEAK_THEO1"
    echo "machine,,measured_peak_gflops,$PEAK_THEO"
    echo "machine,,baseline_build_peak_gflops_1core,$PEAK_BASE1"
    echo "machine,,native_lanes,$LANES"
    echo "machine,,cpu,\"$CPU\""
    echo "machine,,nproc,$NPROC"
    echo "machine,,load_after,\"$LOAD_AFTER\""
    echo "count,,flops_per_policy_epoch,$F_EPOCH"
    echo "count,,flops_per_em_iteration,$F_ITER"
    echo "count,,n_cands,$NCANDS"
    echo "count,,n_queries,$NQ"
    echo "torch,,blas,$BLAS_TORCH"
} > "$OUT/results.csv"

g() { awk -F, -v t="$1" -v th="$2" -v m="$3" '$1 == t && $2 == th && $3 == m {
          v = $4; for (i = 5; i <= NF; i++) v = v "," $i; gsub(/"/, "", v); print v }' "$OUT/results.csv"; }
{
    printf 'EM-DPO speed benchmark: hetpref vs PyTorch %s (float64)\n' \
        "$($PY -c 'import torch; print(torch.__version__)')"
    printf 'machine: %s; load (1/5/15 min) per block:\n' "$CPU"
    tail -n +2 "$OUT/loads.csv" | sed 's/^/    /'
    printf '    after all blocks: %s\n' "$LOAD_AFTER"
    busy=$(awk -F, -v m="$LOAD_MAX" 'NR > 1 { split($2, l, "/"); if (l[1] > m) b = b " " $1 }
                                    END { print b }' "$OUT/loads.csv")
    [ -z "$busy" ] || printf '    WARNING: timed with a 1-minute load above %s:%s (numbers may be skewed)\n' \
        "$LOAD_MAX" "$busy"
    printf 'data: two_traits, 1000 users x 16 top-1-of-3 answers (%s queries, %s candidate rows), d = %s\n' \
        "$NQ" "$NCANDS" "$D"
    printf 'fit: K = %s, hidden %s (tanh, 1 layer), %s EM iterations x %s epochs, batch 64 queries,\n' \
        "$K" "$H" "$ITERS" "$EPOCHS"
    printf '     beta 1, lr 0.01, --init kmeans, restart M-steps, seed %s\n' "$SEED"
    printf 'hetpref: hyperfine median of %s runs; per iteration = (t[em-iters 4] - t[em-iters 1]) / 3\n' "$HP_RUNS"
    printf 'torch:   median of %s runs of the timed EM loop (perf_counter); BLAS mapped: %s' \
        "$REPS" "$(g torch 1 blas_loaded)"
    [ -z "$OB" ] || printf '; PL, OpenBLAS runs: %s' "$(g torch_plob 1 blas_loaded)"
    printf '\n\n'
    TOOLS="torch torch_top1"; [ -z "$OB" ] || TOOLS="$TOOLS torch_plob"
    printf '%-7s %-21s %12s %12s %18s %9s\n' threads tool "s/iter" "s/iter it2-3" "hetpref faster by" accuracy
    for th in 1 2; do
        hp=$(g hetpref "$th" per_iter_s)
        printf '%-7s %-21s %12.4f %12s %18s %9.4f\n' "$th" hetpref "$hp" - - "$(g hetpref "$th" accuracy)"
        for tool in $TOOLS; do
            tm=$(g "$tool" "$th" per_iter_s); ts=$(g "$tool" "$th" per_iter_steady_s)
            case $tool in
                torch) name="torch (PL loss)" ;;
                torch_top1) name="torch (top-1 loss)" ;;
                *) name="torch (PL, OpenBLAS)" ;;
            esac
            printf '%-7s %-21s %12.4f %12.4f %18s %9.4f\n' "$th" "$name" "$tm" "$ts" \
                "$(printf 'x%.2f / x%.2f' "$(calc "$tm / $hp")" "$(calc "$ts / $hp")")" \
                "$(g "$tool" "$th" accuracy)"
        done
    done
    printf '(s/iter: hetpref (t4 - t1) / 3; torch EM loop / 3, and the mean of iterations 2-3 alone)\n'
    printf '\nhetpref whole process (em-iters 1 / 3 / 4), s:'
    for th in 1 2; do
        printf ' %s thr %.3f / %.3f / %.3f;' "$th" "$(g hetpref "$th" wall_em1_s)" \
            "$(g hetpref "$th" wall_em3_s)" "$(g hetpref "$th" wall_em4_s)"
    done
    printf '\ntorch per-iteration times of run 1, s: 1 thr %s; 2 thr %s\n' \
        "$(g torch 1 iter_s)" "$(g torch 2 iter_s)"
    printf 'torch whole process (median), s: 1 thr %s, 2 thr %s\n' \
        "$(g torch 1 process_s)" "$(g torch 2 process_s)"
    printf 'initial (k-means) accuracy: hetpref %.4f, torch %.4f; final hard labels torch vs hetpref agree on %s of users\n' \
        "$(g hetpref 1 accuracy_init)" "$(g torch 1 accuracy_init)" "$(g torch 1 agreement_with_hetpref)"
    printf 'same model: torch E-step on hetpref'"'"'s final policies and eta: log-likelihood rel. diff %s, max |posterior diff| %s\n' \
        "$(g torch 1 check_loglik_reldiff)" "$(g torch 1 check_posterior_maxdiff)"
    printf 'hetpref output identical for 1 and 2 threads: %s; torch accuracy the same in every run: 1 thr %s, 2 thr %s\n\n' \
        "$HP_SAME" "$(g torch 1 runs_same_accuracy)" "$(g torch 2 runs_same_accuracy)"
    printf 'GFLOP/s (dgemm flops: n H (4d + 6) per minibatch of n rows = %s per policy-epoch;\n' "$F_EPOCH"
    printf '         an EM iteration = %s incl. the E-step forward over every candidate row, as torch\n' "$F_ITER"
    printf '         runs it; hetpref evaluates each distinct row once, so its whole-iteration figure\n'
    printf '         counts work it does not do: compare the training loops)\n'
    for th in 1 2; do
        printf '  hetpref %s thr: training loop %.3f GFLOP/s (%s policy-epochs in %.3f s); whole EM iteration %.3f GFLOP/s\n' \
            "$th" "$(g hetpref "$th" train_gflops)" "$(g hetpref "$th" train_policy_epochs)" \
            "$(g hetpref "$th" train_s)" "$(g hetpref "$th" iter_gflops)"
    done
    PEAK1=$(g gsl_cblas 1 dgemm512_gflops); PEAK2=$(g gsl_cblas 2 dgemm512_gflops); PEAKN="GSL cblas"
    if [ -n "$OB" ]; then
        PEAK1=$(g openblas 1 dgemm512_gflops); PEAK2=$(g openblas 2 dgemm512_gflops); PEAKN=OpenBLAS
        printf '  machine DGEMM peak, OpenBLAS %s dgemm 512x512: %.2f GFLOP/s (1 process), %.2f GFLOP/s (2 processes at once)\n' \
            "$(basename "$(readlink -f "$OB/libopenblas.so.0")")" "$PEAK1" "$PEAK2"
    fi
    printf '  GSL cblas dgemm 512x512 (what hetpref links): %.2f GFLOP/s (1 process), %.2f GFLOP/s (2 processes at once)\n' \
        "$(g gsl_cblas 1 dgemm512_gflops)" "$(g gsl_cblas 2 dgemm512_gflops)"
    printf '  the training step'"'"'s five products alone (n = 192 rows, 1 process): GSL cblas %.2f' \
        "$(g gsl_cblas 1 train_shapes_gflops)"
    [ -z "$OB" ] || printf ', OpenBLAS %.2f' "$(g openblas 1 train_shapes_gflops)"
    printf ', hetpref vecops %.2f GFLOP/s (%.2f us per step)\n' \
        "$(g vecops 1 train_shapes_gflops)" "$(g vecops 1 train_shapes_us)"
    printf '  hetpref network forward + backward of one step (products, tanh, biases): %.2f us, %.2f GFLOP/s\n' \
        "$(g nn 1 step_us)" "$(g nn 1 step_gflops)"
    printf '  measured peak (bench/flops_peak.c): the core'"'"'s widest vectors with FMA (%s lanes) %.1f GFLOP/s/core, %.1f GFLOP/s on %s cores;\n' \
        "$LANES" "$PEAK_THEO1" "$PEAK_THEO" "$NPROC"
    printf '    a baseline x86-64 build (SSE2, no FMA: hetpref outside its per-level kernels) %.1f GFLOP/s/core\n' "$PEAK_BASE1"
    printf '  training loop / %s dgemm peak: 1 thr %.1f%%, 2 thr %.1f%%; / measured peak: 1 thr %.2f%%, 2 thr %.2f%%\n\n' \
        "$PEAKN" "$(calc "100 * $(g hetpref 1 train_gflops) / $PEAK1")" \
        "$(calc "100 * $(g hetpref 2 train_gflops) / $PEAK2")" \
        "$(calc "100 * $(g hetpref 1 train_gflops) / $PEAK_THEO1")" \
        "$(calc "100 * $(g hetpref 2 train_gflops) / $PEAK_THEO")"
    # the fastest torch PL-loss run: netlib BLAS or OpenBLAS, whole loop or steady
    best() { local b= v; for tool in torch torch_plob; do
                 [ "$tool" = torch ] || [ -n "$OB" ] || continue
                 for key in per_iter_s per_iter_steady_s; do
                     v=$(g "$tool" "$1" "$key")
                     b=$(awk -v b="$b" -v v="$v" 'BEGIN { print (b == "" || v < b) ? v : b }')
                 done
             done; echo "$b"; }
    ok=$(awk -v a1="$(g hetpref 1 per_iter_s)" -v a2="$(g hetpref 2 per_iter_s)" \
             -v m1="$(best 1)" -v m2="$(best 2)" \
             -v h1="$(g hetpref 1 accuracy)" -v h2="$(g hetpref 2 accuracy)" \
             -v c1="$(g torch 1 accuracy)" -v c2="$(g torch 2 accuracy)" '
        function abs(x) { return x < 0 ? -x : x }
        BEGIN { r1 = m1 / a1; r2 = m2 / a2
                acc = abs(h1 - c1) <= 0.03 && abs(h2 - c2) <= 0.03
                printf "speed %s (x%.2f at 1 thread, x%.2f at 2, against the fastest torch PL-loss measure), accuracy %s",
                    (r1 >= 10 && r2 >= 10) ? "met" : "NOT met", r1, r2, acc ? "met" : "NOT met" }')
    printf 'target (hetpref >= 10x faster per EM iteration at 1 and 2 threads, accuracy within 0.03): %s\n' "$ok"
} > "$OUT/table.txt"
echo
cat "$OUT/table.txt"
