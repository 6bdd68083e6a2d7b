#!/bin/sh
# run.sh — `make fuzz`: run every libFuzzer target for SECONDS each, one at a
# time, from its checked-in seed corpus and regression inputs (read-only)
# plus a work corpus under WORK, and print one line per target (executions,
# coverage, new corpus inputs, outcome). Exits 1 when any target found a
# crash, leak, sanitizer report, timeout or property violation; the input
# is kept as WORK/TARGET/crash-* (libFuzzer's artifact).
#
# usage: run.sh SECONDS SRCDIR WORK TARGET...   (SRCDIR = tests/fuzz)
set -u
secs=$1 src=$2 work=$3
shift 3
: "${ASAN_OPTIONS:=detect_leaks=1:halt_on_error=1}"
: "${UBSAN_OPTIONS:=print_stacktrace=1:halt_on_error=1}"
export ASAN_OPTIONS UBSAN_OPTIONS
status=0
summary=
start=$(date +%s)
for t in "$@"; do
    name=$(basename "$t")
    base=${name#fuzz_}
    dir=$work/$name
    mkdir -p "$dir/corpus" "$dir/tmp"
    seeds=
    for d in "$src/corpus/$base" "$src/regressions/$base"; do
        [ -d "$d" ] && seeds="$seeds $d"
    done
    log=$dir/log
    # -timeout: one input over 10 s is a finding (work that grows too fast);
    # -rss_limit_mb: so is 2 GB of memory for an input of a few KB.
    # shellcheck disable=SC2086
    # TMPDIR: scratch files of an aborted input stay in the build tree.
    TMPDIR=$dir/tmp "$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$dir/" \
        "$dir/corpus" $seeds >"$log" 2>&1
    rc=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | sed 's/cov: //')
    new=$(find "$dir/corpus" -type f | wc -l)
    if [ "$rc" -eq 0 ]; then
        outcome=ok
    else
        outcome="FAILED (exit $rc; see $log)"
        status=1
        grep -E 'property violated|ERROR: (Address|Leak|libFuzzer)|runtime error|SUMMARY' "$log" | head -n 5
    fi
    line=$(printf '%-20s %4ss %10s execs  cov %6s  corpus %5s  %s' \
        "$name" "$secs" "${runs:-?}" "${cov:-?}" "$new" "$outcome")
    echo "$line"
    summary="$summary$line
"
done
if [ "$#" -gt 1 ]; then
    echo "fuzz summary:"
    printf '%s' "$summary"
fi
echo "fuzz: $# target(s) in $(( $(date +%s) - start )) s"
exit $status
