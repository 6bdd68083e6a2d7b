#!/bin/bash
# replay.sh — every seed corpus file and regression input of tests/fuzz,
# replayed through the real command line, each as the command that reads
# that kind of file:
#   csvrec, csvio    describe --data F; fit --data F --model lcl --types 1
#   mxio             mmra --regret F; mmra --values F
#   cfg              simulate F; status DIR (DIR/config.ini = F: the sweep
#                    plan is built, nothing run)
#   cfgset           simulate tests/data/tiny.ini --set A --set B ... (the
#                    NUL-separated arguments of F)
#   policyio         mmra --policies DIR --data tests/data/mmra/prefs.csv
#                    (DIR/policies.txt = F)
#   truthio          fit --data tests/data/golden/tiny/prefs.csv --model lcl
#                    --types 2 --truth F
#   sweep_merge      merge SHARD (SHARD/runs.csv = F, config.ini of a sweep)
#   sweep_journal    sweep CONFIG --resume into a finished sweep whose
#                    runs.journal is F
# Each must exit 0 or 2 within LIMIT seconds, print no sanitizer report, and
# after exit 2 leave no output file behind (the output directory absent or
# empty; for --resume, every file but the journal unchanged). Prints one
# line per failure and "replay: N inputs, N failed"; exits 1 on a failure.
#
# usage: replay.sh HETPREF FUZZDIR TESTDATA [LIMIT]   (FUZZDIR = tests/fuzz)
set -u
hetpref=$1 fuzz=$2 data=$3 limit=${4:-60}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/hetpref-replay.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
n=0
failed=0

fail() { # fail INPUT WHY
    failed=$((failed + 1))
    echo "replay FAILED: $1: $2"
}

# run INPUT OUT CMD...: run CMD (output directory OUT, "" for none) and check.
run() {
    local input=$1 out=$2
    shift 2
    n=$((n + 1))
    [ -n "$out" ] && rm -rf "$out"
    timeout -k 5 "$limit" "$@" >"$tmp/stdout" 2>"$tmp/stderr" </dev/null
    local rc=$?
    rc_last=$rc
    if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
        fail "$input" "timed out after ${limit}s: $*"
    elif [ "$rc" -ne 0 ] && [ "$rc" -ne 2 ]; then
        fail "$input" "exit $rc: $* :: $(head -c 300 "$tmp/stderr")"
    fi
    if grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:|AddressSanitizer' \
        "$tmp/stderr"; then
        fail "$input" "sanitizer report: $* :: $(grep -m1 -E 'ERROR|runtime error' "$tmp/stderr")"
    fi
    if [ "$rc" -eq 2 ] && [ -n "$out" ] && [ -d "$out" ] &&
        [ -n "$(find "$out" -type f | head -n 1)" ]; then
        fail "$input" "exit 2 but left $(find "$out" -type f | tr '\n' ' ')"
    fi
}

files() { # files TARGET: its corpus and regression inputs
    find "$fuzz/corpus/$1" "$fuzz/regressions/$1" -type f 2>/dev/null | sort
}

for f in $(files csvrec) $(files csvio); do
    run "$f" "" "$hetpref" describe --data "$f"
    run "$f" "$tmp/o" "$hetpref" fit --data "$f" --model lcl --types 1 \
        --threads 1 -o "$tmp/o"
done
for f in $(files mxio); do
    run "$f" "$tmp/o" "$hetpref" mmra --regret "$f" -o "$tmp/o"
    run "$f" "$tmp/o" "$hetpref" mmra --values "$f" -o "$tmp/o"
done
for f in $(files cfg); do
    run "$f" "$tmp/o" "$hetpref" simulate "$f" -o "$tmp/o"
    # Plan it as a sweep (status builds the plan and runs nothing).
    rm -rf "$tmp/st" && mkdir "$tmp/st" && cp "$f" "$tmp/st/config.ini"
    run "$f" "" "$hetpref" status "$tmp/st"
done
for f in $(files cfgset); do
    args=()
    while IFS= read -r -d '' a; do args+=(--set "$a"); done < <(cat "$f"; printf '\0')
    run "$f" "$tmp/o" "$hetpref" simulate "$data/tiny.ini" "${args[@]}" -o "$tmp/o"
done
for f in $(files policyio); do
    rm -rf "$tmp/p" && mkdir "$tmp/p" && cp "$f" "$tmp/p/policies.txt"
    run "$f" "$tmp/o" "$hetpref" mmra --policies "$tmp/p" \
        --data "$data/mmra/prefs.csv" -o "$tmp/o"
done
for f in $(files truthio); do
    run "$f" "$tmp/o" "$hetpref" fit --data "$data/golden/tiny/prefs.csv" \
        --model lcl --types 2 --threads 1 --truth "$f" -o "$tmp/o"
done

# A finished sweep of the fixed configuration, for the shard and journal
# inputs (both are read against a sweep's config.ini).
cat >"$tmp/sweep.ini" <<'INI'
[run]
seed = 7
[calibration]
designs = 1
answers = 10
[sweep]
task = calibration
replicates = 2
design.m = 3 | 4
INI
if ! "$hetpref" sweep "$tmp/sweep.ini" --threads 1 -o "$tmp/base" \
    >/dev/null 2>&1; then
    fail "$tmp/sweep.ini" "the base sweep failed"
fi
for f in $(files sweep_merge); do
    rm -rf "$tmp/shard" && mkdir "$tmp/shard"
    cp "$tmp/base/config.ini" "$tmp/shard/" && cp "$f" "$tmp/shard/runs.csv"
    run "$f" "$tmp/o" "$hetpref" merge "$tmp/shard" -o "$tmp/o"
done
for f in $(files sweep_journal); do
    rm -rf "$tmp/s" && cp -r "$tmp/base" "$tmp/s" && cp "$f" "$tmp/s/runs.journal"
    before=$(cd "$tmp/s" && find . -type f ! -name runs.journal | sort | xargs cat | md5sum)
    run "$f" "" "$hetpref" sweep "$tmp/sweep.ini" --threads 1 --resume -o "$tmp/s"
    after=$(cd "$tmp/s" && find . -type f ! -name runs.journal | sort | xargs cat | md5sum)
    if [ "$rc_last" = 2 ] && [ "$before" != "$after" ]; then
        fail "$f" "exit 2 but the sweep's files changed"
    fi
done

echo "replay: $n inputs, $failed failed"
[ "$failed" -eq 0 ]
