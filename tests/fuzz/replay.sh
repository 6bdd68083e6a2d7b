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
#   estread          predict --estimates F --data tests/data/golden/tiny/
#                    prefs.csv; identify --data (the same) --estimates F;
#                    plot DIR and report DIR (DIR/estimates.csv = F, beside
#                    the posteriors.csv and fit.csv of a fit of that data)
#   plotsweep        plot DIR (DIR/summary.csv = F)
#   csvtab           report DIR (DIR/select.csv = F); report and plot of a
#                    fit directory whose fit.csv, posteriors.csv is F
#   sweep_merge      merge SHARD (SHARD/runs.csv = F, config.ini of a sweep)
#   sweep_journal    sweep CONFIG --resume into a finished sweep whose
#                    runs.journal is F
# Each must exit 0 or 2 within LIMIT seconds, print no sanitizer report, and
# after exit 2 leave no output file behind (the output directory absent or
# empty; for --resume, every file but the journal unchanged; for plot, no
# .gp file beside the input; for report, nothing on stdout). Prints one
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

# estimates.csv: through every command that reads it. A fit of the tiny data
# gives the files beside it (posteriors.csv for plot, fit.csv for report).
tiny=$data/golden/tiny/prefs.csv
if ! "$hetpref" fit --data "$tiny" --model lcl --types 2 --threads 1 \
    -o "$tmp/fit" >/dev/null 2>&1; then
    fail "$tiny" "the base fit failed"
fi
for f in $(files estread); do
    run "$f" "$tmp/o" "$hetpref" predict --estimates "$f" --data "$tiny" -o "$tmp/o"
    run "$f" "$tmp/o" "$hetpref" identify --data "$tiny" --estimates "$f" \
        -o "$tmp/o"
    rm -rf "$tmp/e" && mkdir "$tmp/e" && cp "$f" "$tmp/e/estimates.csv"
    cp "$tmp/fit/posteriors.csv" "$tmp/fit/fit.csv" "$tmp/e/"
    HETPREF_GNUPLOT=/nonexistent run "$f" "" "$hetpref" plot "$tmp/e"
    if [ "$rc_last" -eq 2 ] && ls "$tmp/e"/*.gp >/dev/null 2>&1; then
        fail "$f" "plot: exit 2 but left $(ls "$tmp/e"/*.gp)"
    fi
    run "$f" "" "$hetpref" report "$tmp/e"
    if [ "$rc_last" -eq 2 ] && [ -s "$tmp/stdout" ]; then
        fail "$f" "report: exit 2 but printed $(head -c 100 "$tmp/stdout")"
    fi
done
for f in $(files plotsweep); do
    rm -rf "$tmp/p" && mkdir "$tmp/p" && cp "$f" "$tmp/p/summary.csv"
    HETPREF_GNUPLOT=/nonexistent run "$f" "" "$hetpref" plot "$tmp/p"
    if [ "$rc_last" -eq 2 ] && ls "$tmp/p"/*.gp >/dev/null 2>&1; then
        fail "$f" "plot: exit 2 but left $(ls "$tmp/p"/*.gp)"
    fi
done
for f in $(files csvtab); do
    rm -rf "$tmp/r" && mkdir "$tmp/r" && cp "$f" "$tmp/r/select.csv"
    run "$f" "" "$hetpref" report "$tmp/r"
    if [ "$rc_last" -eq 2 ] && [ -s "$tmp/stdout" ]; then
        fail "$f" "report: exit 2 but printed $(head -c 100 "$tmp/stdout")"
    fi
    for g in fit.csv posteriors.csv; do
        rm -rf "$tmp/e" && cp -r "$tmp/fit" "$tmp/e" && cp "$f" "$tmp/e/$g"
        run "$f" "" "$hetpref" report "$tmp/e"
        if [ "$rc_last" -eq 2 ] && [ -s "$tmp/stdout" ]; then
            fail "$f" "report ($g): exit 2 but printed $(head -c 100 "$tmp/stdout")"
        fi
        HETPREF_GNUPLOT=/nonexistent run "$f" "" "$hetpref" plot "$tmp/e"
        if [ "$rc_last" -eq 2 ] && ls "$tmp/e"/*.gp >/dev/null 2>&1; then
            fail "$f" "plot ($g): exit 2 but left $(ls "$tmp/e"/*.gp)"
        fi
    done
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
