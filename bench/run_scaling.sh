#!/bin/bash
# run_scaling.sh - cost against the number of users N: `hetpref simulate`,
# `hetpref fit --model lcl` and `hetpref fit --model emdpo` on one config
# (configs/two_traits.ini with design.users = N: T = 16 top-1-of-3 answers
# per user, d = 8), N = 10^3 .. 10^6, one thread.
#
#   bash bench/run_scaling.sh
#
# Each command runs under /usr/bin/time: user CPU, sys CPU, wall and peak
# RSS, medians over REPS runs. Time per answer = user CPU / (N x T) in µs;
# per pass = that / the number of passes over the data, since the number of
# passes may depend on N:
#   simulate: 1 pass;
#   lcl:      --types 2 --starts 1: passes = the fit's E-step passes
#             (fit.csv `iterations`; each EM iteration also takes a Newton
#             M-step over the data), one start so that it counts them all;
#   emdpo:    --types 2, --em-iters EM_ITERS (default 4) with --em-tol 0,
#             so every N runs the same EM iterations (each: 2 epochs per
#             type and an E-step); passes = EM iterations run (rows of
#             fit.csv after iteration 0).
# The ratio column divides each N's µs per answer by REF_N's (10^4).
# Verdict per command: linear when every N's µs per answer (and, apart,
# per answer per pass) is within +-15% of REF_N's. The two fits are also
# run at 2 threads for N in NS2 (wall and user + sys CPU). Last,
# bench/gather_floor.c reads the largest N's queries (and a hundredth of
# them) at random with no arithmetic, from the data set's own layout and as
# hetpref's packed records: the memory system's floor for EM-DPO's
# minibatch gather, and what it alone adds per answer at that N.
#
# Environment: NS (default "1000 10000 100000 1000000"), REPS (runs per N,
# default 3 below 10^6 and 1 at 10^6), NS2 (default "100000 1000000"),
# EM_ITERS (4), LIMIT_S (a run taking longer is stopped and reported;
# default 600), QUIET_WAIT (seconds to wait for a quiet machine before each
# N; default 30), KEEP_DATA (1: keep the simulated data; the 10^6-user CSV
# is ~8.5 GB), TABLE_ONLY (1: no runs, the table again from the last run's
# files). Outputs under bench/out/scaling/ (git-ignored); the table is
# printed at the end and kept in bench/out/scaling/table.txt.
set -eu
cd "$(dirname "$0")/.."
export LC_ALL=C

NS=${NS:-"1000 10000 100000 1000000"}
NS2=${NS2:-"100000 1000000"}
EM_ITERS=${EM_ITERS:-4}
LIMIT_S=${LIMIT_S:-600}
REF_N=${REF_N:-10000}
export QUIET_WAIT=${QUIET_WAIT:-30}
OUT=bench/out/scaling
HP=src/hetpref
CFG=configs/two_traits.ini
TIMEFMT="user=%U
sys=%S
wall=%e
rss_kb=%M"

. bench/lib.sh

[ -f Makefile ] || { echo "run_scaling.sh: configure the tree first (./autogen.sh && ./configure)" >&2; exit 1; }

FIT_LCL="--model lcl --types 2 --starts 1"
FIT_EMDPO="--model emdpo --types 2 --em-iters $EM_ITERS --em-tol 0"

# timed TAG CMD...: run CMD under /usr/bin/time (at most LIMIT_S seconds),
# its stderr and the measures in $OUT/TAG.{err,time}. Returns CMD's status
# (124 when it was stopped at LIMIT_S).
timed() {
    local tag=$1 rc=0
    shift
    /usr/bin/time -f "$TIMEFMT" -o "$OUT/$tag.time" timeout "$LIMIT_S" "$@" \
        2> "$OUT/$tag.err" || rc=$?
    [ "$rc" = 0 ] || echo "run_scaling.sh: $tag: exit $rc (stderr in $OUT/$tag.err)" >&2
    return "$rc"
}

# passes CMD DIR: passes over the data of the fit in DIR (see above).
passes() {
    case $1 in
        simulate) echo 1 ;;
        lcl) csvcol "$2/fit.csv" iterations ;;
        emdpo) awk -F, 'NR > 1 && $1 > 0 { n++ } END { print n }' "$2/fit.csv" ;;
    esac
}

# run_cmd CMD N REPS D: REPS timed runs of CMD on N users (data in D); one
# row per run in $OUT/runs.csv. Returns non-zero when a run failed.
run_cmd() {
    local cmd=$1 n=$2 reps=$3 d=$4 r tag
    for r in $(seq 1 "$reps"); do
        tag=${cmd}_${n}_$r
        echo "run_scaling.sh: $cmd, N = $n, run $r/$reps" >&2
        case $cmd in
            simulate) timed "$tag" "$HP" simulate "$CFG" --set design.users="$n" -o "$d" || return 1 ;;
            lcl) timed "$tag" "$HP" fit --data "$d/prefs.csv" $FIT_LCL --threads 1 -o "$OUT/$tag" || return 1 ;;
            emdpo) timed "$tag" "$HP" fit --data "$d/prefs.csv" $FIT_EMDPO --threads 1 -o "$OUT/$tag" || return 1 ;;
        esac
        echo "$cmd,$n,$r,$(val "$OUT/$tag.time" user),$(val "$OUT/$tag.time" sys),$(val "$OUT/$tag.time" wall),$(val "$OUT/$tag.time" rss_kb),$(passes "$cmd" "$OUT/$tag")" \
            >> "$OUT/runs.csv"
    done
}

# run_2thr CMD N D: one fit at --threads 2; a row in $OUT/threads2.csv.
run_2thr() {
    local tag=${1}_${2}_t2 opts
    opts=$FIT_LCL; [ "$1" = lcl ] || opts=$FIT_EMDPO
    echo "run_scaling.sh: $1, N = $2, 2 threads" >&2
    timed "$tag" "$HP" fit --data "$3/prefs.csv" $opts --threads 2 -o "$OUT/$tag" || return 1
    echo "$1,$2,$(val "$OUT/$tag.time" user),$(val "$OUT/$tag.time" sys),$(val "$OUT/$tag.time" wall)" \
        >> "$OUT/threads2.csv"
}

# measure: every run, into $OUT (runs.csv, threads2.csv, loads.txt, failed.txt)
measure() {
    make -s src/hetpref >/dev/null
    rm -rf "$OUT"
    mkdir -p "$OUT"
    echo "before=$(cut -d' ' -f1-3 /proc/loadavg)" > "$OUT/loads.txt"
    echo "cmd,n,run,user_s,sys_s,wall_s,rss_kb,passes" > "$OUT/runs.csv"
    echo "cmd,n,user_s,sys_s,wall_s" > "$OUT/threads2.csv"
    local n d reps cmd failed=
    for n in $NS; do
        reps=${REPS:-$([ "$n" -ge 1000000 ] && echo 1 || echo 3)}
        d=$OUT/d$n
        wait_quiet "N=$n"
        for cmd in simulate lcl emdpo; do
            # a fit without its data cannot run: stop this N after a failed simulate
            run_cmd "$cmd" "$n" "$reps" "$d" || { failed="$failed $cmd@$n"; [ "$cmd" != simulate ] || break; }
        done
        if [ -f "$d/prefs.csv" ] && echo " $NS2 " | grep -q " $n "; then
            for cmd in lcl emdpo; do run_2thr "$cmd" "$n" "$d" || failed="$failed $cmd-2thr@$n"; done
        fi
        [ -f "$OUT/data_config.ini" ] || [ ! -f "$d/config.ini" ] || cp "$d/config.ini" "$OUT/data_config.ini"
        [ "${KEEP_DATA:-0}" = 1 ] || rm -rf "$d"
    done
    echo "after=$(cut -d' ' -f1-3 /proc/loadavg)" >> "$OUT/loads.txt"
    echo "$failed" > "$OUT/failed.txt"
}
# TABLE_ONLY=1: no runs, the table again from the files of the last run
if [ "${TABLE_ONLY:-0}" != 1 ]; then measure; fi
LOAD_BEFORE=$(val "$OUT/loads.txt" before); LOAD_AFTER=$(val "$OUT/loads.txt" after)
FAILED=$(cat "$OUT/failed.txt")

# answers per user and their kind, from the resolved config of the data
ini() { awk -F' *= *' -v s="[$1]" -v k="$2" '/^\[/ { in_s = ($0 == s) }
                                           in_s && $1 == k { print $2; exit }' "$OUT/data_config.ini"; }
T=$(ini design T); M=$(ini design m); KIND=$(ini design answer); D=$(ini design d)
EPOCHS=$(ini emdpo epochs)

# The memory floor of EM-DPO's minibatch gather at the largest N and at a
# hundredth of it (bench/gather_floor.c: the reads alone, no arithmetic).
NMAX=$(echo $NS | tr ' ' '\n' | sort -n | tail -1)
if [ "${TABLE_ONLY:-0}" != 1 ]; then
    gcc -O2 -o "$OUT/gather_floor" bench/gather_floor.c
    "$OUT/gather_floor" $((NMAX * T)) $((M * D * 8)) > "$OUT/gather_floor.txt"
fi

# ---- medians per (command, N) ---------------------------------------------------
col() { awk -F, -v c="$1" -v n="$2" -v k="$3" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == k) j = i }
                                             $1 == c && $2 == n { print $j }' "$OUT/runs.csv" | median; }
{
    echo "cmd,n,runs,user_s,sys_s,wall_s,rss_mib,passes,us_per_answer,us_per_answer_pass,us_marginal"
    for cmd in simulate lcl emdpo; do
        pn=; pu=
        for n in $NS; do
            runs=$(awk -F, -v c="$cmd" -v n="$n" '$1 == c && $2 == n' "$OUT/runs.csv" | wc -l)
            [ "$runs" -gt 0 ] || continue
            u=$(col "$cmd" "$n" user_s); p=$(col "$cmd" "$n" passes)
            echo "$cmd,$n,$runs,$u,$(col "$cmd" "$n" sys_s),$(col "$cmd" "$n" wall_s),$(calc "$(col "$cmd" "$n" rss_kb) / 1024"),$p,$(calc "1e6 * $u / ($n * $T)"),$(calc "1e6 * $u / ($n * $T * $p)"),$([ -n "$pn" ] && calc "1e6 * ($u - $pu) / (($n - $pn) * $T)")"
            pn=$n; pu=$u
        done
    done
} > "$OUT/results.csv"

g() { awk -F, -v c="$1" -v n="$2" -v k="$3" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == k) j = i }
                                           $1 == c && $2 == n { print $j }' "$OUT/results.csv"; }
# verdict CMD COLUMN: "linear" when every N is within +-15% of REF_N
verdict() {
    local ref
    ref=$(g "$1" "$REF_N" "$2")
    [ -n "$ref" ] || { echo "no $REF_N-user run"; return; }
    awk -F, -v c="$1" -v k="$2" -v r="$ref" -v ref_n="$REF_N" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == k) j = i }
        $1 == c { x = $j / r; if (x < lo || lo == "") lo = x; if (x > hi) hi = x; ns = ns " " $2
                  if (x > 1.15) up = up " " $2; if (x < 0.85) dn = dn " " $2 }
        END { printf "%s (ratio to N = %s: %.3f..%.3f over N =%s%s%s)\n",
              (up == "" && dn == "") ? "linear" : "NOT linear", ref_n, lo, hi, ns,
              up == "" ? "" : "; above 1.15 at N =" up, dn == "" ? "" : "; below 0.85 at N =" dn }' "$OUT/results.csv"
}
{
    printf 'Cost against N; machine: %s\n' "$(cpu_desc)"
    printf 'load %s before, %s after; other processes kept up to %s cores busy just before an N (quiet.log)\n' \
        "$LOAD_BEFORE" "$LOAD_AFTER" "$(busiest)"
    printf 'data: %s --set design.users=N: T = %s %s-of-%s answers per user, d = %s\n' "$CFG" "$T" "$KIND" "$M" "$D"
    printf 'commands (1 thread):\n  hetpref simulate %s --set design.users=N -o DIR\n' "$CFG"
    printf '  hetpref fit --data DIR/prefs.csv %s --threads 1 -o OUT\n' "$FIT_LCL"
    printf '  hetpref fit --data DIR/prefs.csv %s --threads 1 -o OUT\n' "$FIT_EMDPO"
    printf 'medians of the runs; µs/answer = user CPU / (N T); per pass: / passes (simulate 1,\n'
    printf 'lcl E-step passes, emdpo EM iterations); ratio = µs/answer / that at N = %s;\n' "$REF_N"
    printf 'marginal = user CPU added since the previous N / answers added (fixed costs cancel)\n\n'
    printf '%-9s %8s %5s %10s %8s %10s %7s %11s %13s %8s %10s %9s\n' command N runs "user s" "sys s" "wall s" \
        passes "µs/answer" "µs/ans/pass" ratio "marginal" "RSS MiB"
    for cmd in simulate lcl emdpo; do
        ref=$(g "$cmd" "$REF_N" us_per_answer)
        for n in $NS; do
            [ -n "$(g "$cmd" "$n" runs)" ] || continue
            printf '%-9s %8s %5s %10.3f %8.3f %10.3f %7s %11.3f %13.4f %8s %10s %9.1f\n' "$cmd" "$n" \
                "$(g "$cmd" "$n" runs)" "$(g "$cmd" "$n" user_s)" "$(g "$cmd" "$n" sys_s)" \
                "$(g "$cmd" "$n" wall_s)" "$(g "$cmd" "$n" passes)" "$(g "$cmd" "$n" us_per_answer)" \
                "$(g "$cmd" "$n" us_per_answer_pass)" \
                "$([ -n "$ref" ] && printf '%.3f' "$(calc "$(g "$cmd" "$n" us_per_answer) / $ref")" || echo -)" \
                "$(m=$(g "$cmd" "$n" us_marginal); [ -n "$m" ] && printf '%.3f' "$m" || echo -)" \
                "$(g "$cmd" "$n" rss_mib)"
        done
    done
    printf '\nverdicts (within +-15%% of N = %s):\n' "$REF_N"
    for cmd in simulate lcl emdpo; do
        printf '  %-8s per answer: %s\n' "$cmd" "$(verdict "$cmd" us_per_answer)"
        printf '  %-8s per answer per pass: %s\n' "" "$(verdict "$cmd" us_per_answer_pass)"
    done
    GF=$OUT/gather_floor.txt
    reads=$((EM_ITERS * 2 * EPOCHS))
    printf '\nmemory floor of the EM-DPO gather (bench/gather_floor.c: queries read in a shuffled\n'
    printf 'order, no arithmetic; ns per query, user CPU, median of 3), prefetching 64 queries ahead:\n'
    printf '  %-52s %12s %12s\n' "" "N = $NMAX" "N = $((NMAX / 100))"
    printf '  %-52s %12s %12s\n' "$(val "$GF" row_bytes)-byte rows and three entries (the data set itself)" \
        "$(val "$GF" large_ahead_64_ns_per_query)" "$(val "$GF" small_ahead_64_ns_per_query)"
    printf '  %-52s %12s %12s\n' "a packed record, its user's weight, rows from a table" \
        "$(val "$GF" large_packed_ahead_64_ns_per_query)" "$(val "$GF" small_packed_ahead_64_ns_per_query)"
    printf '  the fit reads each query %s times (%s EM iterations x 2 types x %s epochs) as packed\n' \
        "$reads" "$EM_ITERS" "$EPOCHS"
    printf '  records (hetpref, repeated rows): %.3f µs per answer more at N = %s than at N = %s\n' \
        "$(calc "$reads * ($(val "$GF" large_packed_ahead_64_ns_per_query) - $(val "$GF" small_packed_ahead_64_ns_per_query)) / 1000")" \
        "$NMAX" "$((NMAX / 100))"
    printf '  from the memory system alone (%.3f read from the data set itself)\n' \
        "$(calc "$reads * ($(val "$GF" large_ahead_64_ns_per_query) - $(val "$GF" small_ahead_64_ns_per_query)) / 1000")"
    printf '\n2 threads (fits only; user + sys CPU against the 1-thread median):\n'
    printf '%-9s %8s %10s %10s %12s %12s\n' command N "wall s" "CPU s" "1-thr wall" "1-thr CPU"
    tail -n +2 "$OUT/threads2.csv" | while IFS=, read -r cmd n u s w; do
        printf '%-9s %8s %10.3f %10.3f %12.3f %12.3f\n' "$cmd" "$n" "$w" "$(calc "$u + $s")" \
            "$(g "$cmd" "$n" wall_s)" "$(calc "$(g "$cmd" "$n" user_s) + $(g "$cmd" "$n" sys_s)")"
    done
    [ -z "$FAILED" ] || printf '\nFAILED or stopped at %s s:%s (see %s/*.err)\n' "$LIMIT_S" "$FAILED" "$OUT"
} > "$OUT/table.txt"
echo
cat "$OUT/table.txt"
[ -z "$FAILED" ]
