#!/bin/bash
# run_data.sh - data benchmark: simulate 10^6 users x 8 top-1-of-3
# answers (d = 8), write the CSV, read it back; the same work by numpy
# (generation), pandas.read_csv and data.table::fread (reading), in one run.
#
#   bench/run_data.sh                    # full size (CSV of about 4.2 GB)
#   BENCH_USERS=100000 bench/run_data.sh # quick run
#
# Environment: BENCH_USERS (default 1000000), REPS (repetitions of every
# measurement, default 3; medians are reported), KEEP=1 keeps the CSV,
# PEERS=0 skips the Python/R peers. Works as root or as a user with sudo;
# installs its Debian packages only when missing. Outputs under bench/out/data/
# (git-ignored): one .txt per measurement, results.csv, table.txt.
# Targets: >= 5e6 answers/s/core generated, >= 100 MB/s CSV read,
# reader peak RSS <= 1.5 x data_raw_bytes. MB = 10^6 bytes.
set -eu
cd "$(dirname "$0")/.."
export LC_ALL=C

USERS=${BENCH_USERS:-1000000}
T=8
REPS=${REPS:-3}
KEEP=${KEEP:-0}
PEERS=${PEERS:-1}
OUT=bench/out/data
CSV=$OUT/prefs.csv
NPROC=$(nproc)

. bench/lib.sh
need_pkgs time
[ "$PEERS" = 0 ] || need_pkgs python3-numpy python3-pandas r-base-core r-cran-data.table

[ -f Makefile ] || { echo "run_data.sh: configure the tree first (./autogen.sh && ./configure)" >&2; exit 1; }
make -s bench/bench_data >/dev/null

mkdir -p "$OUT"
rm -f "$OUT"/*.txt "$OUT"/*.time "$OUT/results.csv" "$OUT/quiet.log"

# Disk: about 530 bytes of CSV per answer (measured), plus 10 % slack.
need_kb=$(( USERS * T * 530 / 1024 * 11 / 10 ))
free_kb=$(df -Pk "$OUT" | awk 'NR == 2 { print $4 }')
if [ "$free_kb" -lt "$need_kb" ]; then
    echo "run_data.sh: need ~$(( need_kb / 1048576 )) GiB free in $OUT, have" \
         "$(( free_kb / 1048576 )) GiB; try BENCH_USERS=100000" >&2
    exit 1
fi

# timed TAG CMD...: run under /usr/bin/time -v; stdout to $OUT/TAG.txt with
# maxrss_time_bytes (peak RSS of the whole process) appended.
timed() {
    local tag=$1; shift
    wait_quiet "$tag"
    /usr/bin/time -v -o "$OUT/$tag.time" "$@" > "$OUT/$tag.txt"
    awk -F': ' '/Maximum resident set size/ { printf "maxrss_time_bytes=%.0f\n", $2 * 1024 }
                /Elapsed \(wall clock\)/ { n = split($2, a, ":"); s = 0;
                    for (i = 1; i <= n; i++) s = s * 60 + a[i]; printf "wall_s=%.3f\n", s }' \
        "$OUT/$tag.time" >> "$OUT/$tag.txt"
}

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
echo "run_data.sh: $USERS users x $T answers, $REPS repetitions, nproc $NPROC," \
     "load $LOAD_BEFORE" >&2

# 1. Generation in memory: 1 thread, then all threads (which also writes).
echo "run_data.sh: generating (1 thread)" >&2
OMP_NUM_THREADS=1 timed gen_t1 bench/bench_data gen -n "$USERS" -T "$T" --reps "$REPS"
echo "run_data.sh: generating ($NPROC threads) and writing the CSV" >&2
for r in $(seq "$REPS"); do
    # The first run writes the CSV; each later run writes it again (write
    # timing repeated), overwriting atomically.
    OMP_NUM_THREADS=$NPROC timed "gen_tall_$r" bench/bench_data gen -n "$USERS" \
        -T "$T" --reps 1 -o "$CSV"
done

# 2. Reading, each in its own process (peak RSS is the reader's).
for r in $(seq "$REPS"); do
    echo "run_data.sh: reading with csvio_read ($r/$REPS)" >&2
    timed "read_hetpref_$r" bench/bench_data read "$CSV"
done
if [ "$PEERS" != 0 ]; then
    echo "run_data.sh: numpy generation" >&2
    timed gen_numpy /usr/bin/python3 bench/peers.py gen "$USERS" "$T" "$REPS"
    for r in $(seq "$REPS"); do
        echo "run_data.sh: reading with pandas.read_csv ($r/$REPS)" >&2
        timed "read_pandas_$r" /usr/bin/python3 bench/peers.py read "$CSV"
        echo "run_data.sh: reading with data.table::fread ($r/$REPS)" >&2
        timed "read_fread_$r" Rscript bench/fread_read.R "$CSV"
    done
fi
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

# 3. Results: medians over repetitions, in results.csv and a table.
RAW=$(val "$OUT/read_hetpref_1.txt" raw_bytes)
CSVB=$(val "$OUT/read_hetpref_1.txt" csv_bytes)
med_of() { for f in "$OUT"/$1; do val "$f" "$2"; done | median; }   # med_of GLOB KEY
{
    echo "tool,metric,value"
    echo "hetpref,answers,$(val "$OUT/gen_t1.txt" answers)"
    echo "hetpref,csv_bytes,$CSVB"
    echo "hetpref,raw_bytes,$RAW"
    echo "hetpref,gen_answers_per_s_1thread,$(val "$OUT/gen_t1.txt" answers_per_s)"
    echo "hetpref,gen_answers_per_s_${NPROC}threads,$(med_of 'gen_tall_*.txt' answers_per_s)"
    echo "hetpref,gen_answers_per_s_per_core_${NPROC}threads,$(med_of 'gen_tall_*.txt' answers_per_s_per_thread)"
    echo "hetpref,write_MBps,$(med_of 'gen_tall_*.txt' write_MBps)"
    echo "hetpref,read_MBps,$(med_of 'read_hetpref_*.txt' read_MBps)"
    echo "hetpref,read_maxrss_bytes,$(med_of 'read_hetpref_*.txt' maxrss_time_bytes)"
    if [ "$PEERS" != 0 ]; then
        echo "numpy,gen_answers_per_s_1thread,$(val "$OUT/gen_numpy.txt" answers_per_s)"
        echo "pandas,read_MBps,$(med_of 'read_pandas_*.txt' read_MBps)"
        echo "pandas,read_maxrss_bytes,$(med_of 'read_pandas_*.txt' maxrss_time_bytes)"
        echo "fread,read_MBps,$(med_of 'read_fread_*.txt' read_MBps)"
        echo "fread,read_maxrss_bytes,$(med_of 'read_fread_*.txt' maxrss_time_bytes)"
        echo "fread,threads,$(val "$OUT/read_fread_1.txt" threads)"
    fi
    echo "machine,nproc,$NPROC"
    echo "machine,load_before,\"$LOAD_BEFORE\""
    echo "machine,load_after,\"$LOAD_AFTER\""
    echo "machine,busy_cores_before_max,$(busiest)"
} > "$OUT/results.csv"

r() { awk -F, -v t="$1" -v m="$2" '$1 == t && $2 == m { print $3 }' "$OUT/results.csv"; }
verdict() { awk -v x="$1" -v y="$3" -v op="$2" 'BEGIN {
    ok = (op == ">=") ? (x >= y) : (x <= y); print ok ? "met" : "NOT met" }'; }
{
    printf 'data benchmark: %s users x %s top-1-of-3 answers, d = 8; CSV %.0f MB, raw %.0f MB\n' \
        "$USERS" "$T" "$(calc "$CSVB / 1e6")" "$(calc "$RAW / 1e6")"
    printf 'machine: %s; load %s before, %s after; medians of %s runs\n' \
        "$(cpu_desc)" \
        "$LOAD_BEFORE" "$LOAD_AFTER" "$REPS"
    printf 'other processes kept up to %s cores busy just before a measurement (quiet.log)\n\n' "$(busiest)"
    printf '%-34s %14s %14s %10s\n' "measure" "hetpref" "target" "verdict"
    g1=$(r hetpref gen_answers_per_s_1thread)
    gc=$(r hetpref "gen_answers_per_s_per_core_${NPROC}threads")
    rd=$(r hetpref read_MBps)
    ratio=$(calc "$(r hetpref read_maxrss_bytes) / $RAW")
    printf '%-34s %14.3g %14s %10s\n' "answers/s, 1 thread" "$g1" ">= 5e6" "$(verdict "$g1" '>=' 5e6)"
    printf '%-34s %14.3g %14s\n' "answers/s, $NPROC threads" "$(r hetpref "gen_answers_per_s_${NPROC}threads")" ""
    printf '%-34s %14.3g %14s %10s\n' "answers/s/core, $NPROC threads" "$gc" ">= 5e6" "$(verdict "$gc" '>=' 5e6)"
    printf '%-34s %14.0f %14s\n' "CSV write MB/s (csvio_write)" "$(r hetpref write_MBps)" ""
    printf '%-34s %14.0f %14s %10s\n' "CSV read MB/s (csvio_read)" "$rd" ">= 100" "$(verdict "$rd" '>=' 100)"
    printf '%-34s %14.0f %14s\n' "reader peak RSS MB" "$(calc "$(r hetpref read_maxrss_bytes) / 1e6")" ""
    printf '%-34s %14.2f %14s %10s\n' "reader peak RSS / raw data" "$ratio" "<= 1.5" "$(verdict "$ratio" '<=' 1.5)"
    if [ "$PEERS" != 0 ]; then
        printf '\n%-34s %14s %14s %14s\n' "peer" "answers/s" "read MB/s" "RSS / raw"
        printf '%-34s %14.3g %14s %14s\n' "numpy Gumbel-max (1 core)" "$(r numpy gen_answers_per_s_1thread)" "" ""
        printf '%-34s %14s %14.0f %14.2f\n' "pandas.read_csv (1 thread)" "" "$(r pandas read_MBps)" \
            "$(calc "$(r pandas read_maxrss_bytes) / $RAW")"
        printf '%-34s %14s %14.0f %14.2f\n' "data.table::fread ($(r fread threads) thread(s))" "" "$(r fread read_MBps)" \
            "$(calc "$(r fread read_maxrss_bytes) / $RAW")"
    fi
} > "$OUT/table.txt"

if [ "$KEEP" != 1 ]; then rm -f "$CSV"; fi
echo
cat "$OUT/table.txt"
