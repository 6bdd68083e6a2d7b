#!/bin/bash
# run_precision.sh - EM-DPO in double and in mixed single precision
# (`--precision single`) against the PyTorch peer in float64 and float32,
# per EM iteration, in one run.
#
#   bash bench/run_precision.sh            # REPS=3 by default
#
# Problem: run_emdpo.sh's (two_traits, 1000 users x 16 top-1-of-3 answers,
# d = 8, one hidden layer of 32, K = 2, 2 epochs per M-step, batch 64,
# beta 1, lr 0.01, --init kmeans, M-step restart). User CPU seconds from
# /usr/bin/time (the machines are shared: CPU time, not wall time), runs
# of the programs alternated REPS times, medians:
#   hetpref per iteration = (median at --em-iters 13 - median at 1) / 12
#     (--em-tol 0: every iteration runs), --precision double and single;
#   torch per iteration   = (median at --em-iters 4 - median at 1) / 3,
#     --loss pl, --dtype float64 and float32, OMP_NUM_THREADS=1.
# Both at 1 thread (per core), and hetpref's wall seconds at 2 threads.
# Accuracy: the kept iteration's accuracy column of hetpref's fit.csv at
# --em-iters 13; torch's own "accuracy=" line at --em-iters 4.
# Outputs under bench/out/precision/ (git-ignored); the table is printed.
set -u
cd "$(dirname "$0")/.."
. bench/lib.sh
REPS=${REPS:-3}
OUT=bench/out/precision
HP=src/hetpref
PY=/usr/bin/python3
need_pkgs python3-torch || exit 1
[ -x "$HP" ] || { echo "bench: build hetpref first (make)" >&2; exit 1; }
rm -rf "$OUT" && mkdir -p "$OUT"
DATA=$OUT/data
$HP simulate configs/two_traits.ini --set design.users=1000 --set design.T=16 -o "$DATA" 2>/dev/null
T=$OUT/times.txt
: > "$T"
ut() { # ut LABEL COMMAND...: append "LABEL user_s wall_s"
    local label=$1; shift
    /usr/bin/time -o "$OUT/t.$$" -f "%U %e" "$@" > /dev/null 2>&1
    echo "$label $(cat "$OUT/t.$$")" >> "$T"
}
for rep in $(seq "$REPS"); do
    for p in double single; do
        for th in 1 2; do
            for it in 1 13; do
                ut "hp_${p}_t${th}_it$it" $HP fit --data "$DATA/prefs.csv" --model emdpo \
                    --types 2 --threads $th --precision $p --em-iters $it --em-tol 0 \
                    -o "$OUT/hp_${p}_t${th}_it$it"
            done
        done
    done
    for dt in float64 float32; do
        for it in 1 4; do
            OMP_NUM_THREADS=1 ut "torch_${dt}_it$it" $PY bench/emdpo_torch.py \
                --data "$DATA/prefs.csv" --types 2 --beta 1 --lr 0.01 --batch 64 \
                --epochs 2 --em-iters $it --hidden 32 --layers 1 --init kmeans \
                --m-step restart --threads 1 --seed 1 --loss pl --dtype $dt
            [ "$it" = 4 ] && OMP_NUM_THREADS=1 $PY bench/emdpo_torch.py \
                --data "$DATA/prefs.csv" --types 2 --beta 1 --lr 0.01 --batch 64 \
                --epochs 2 --em-iters 4 --hidden 32 --layers 1 --init kmeans \
                --m-step restart --threads 1 --seed 1 --loss pl --dtype $dt \
                > "$OUT/torch_$dt.out" 2>/dev/null
        done
    done
done
rm -f "$OUT/t.$$"
med() { awk -v k="$1" -v c="$2" '$1 == k { print $c }' "$T" | median; } # med LABEL COLUMN
kept_acc() { awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "accuracy") a = i }
                      $7 == 1 { print $a }' "$1/fit.csv"; }
echo "CPU: $(cpu_desc)"
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-22s %14s %12s %10s\n' program "user s / iter" "torch64 /" accuracy
t64=$(calc "($(med torch_float64_it4 2) - $(med torch_float64_it1 2)) / 3")
for p in double single; do
    per=$(calc "($(med hp_${p}_t1_it13 2) - $(med hp_${p}_t1_it1 2)) / 12")
    printf '%-22s %14.4f %11.1fx %10s\n' "hetpref $p" "$per" "$(calc "$t64 / $per")" \
        "$(kept_acc "$OUT/hp_${p}_t1_it13")"
done
for dt in float64 float32; do
    per=$(calc "($(med torch_${dt}_it4 2) - $(med torch_${dt}_it1 2)) / 3")
    printf '%-22s %14.4f %11.1fx %10s\n' "torch $dt" "$per" "$(calc "$t64 / $per")" \
        "$(sed -n 's/^accuracy=//p' "$OUT/torch_$dt.out")"
done
for p in double single; do
    w=$(calc "($(med hp_${p}_t2_it13 3) - $(med hp_${p}_t2_it1 3)) / 12")
    printf 'hetpref %s, 2 threads: %.4f wall s / iter\n' "$p" "$w"
done
