#!/bin/sh
# run_mmra.sh — MMRA solvers: GLPK simplex vs optimistic Hedge (10^5 rounds)
# on random K x K regret matrices, K = 4 and 64. Prints a CSV
# table: the Hedge–LP worst-regret gap and each solver's time per game.
# Run from a configured tree: bash bench/run_mmra.sh
set -eu
cd "$(dirname "$0")/.."
make -s bench/bench_mmra >/dev/null
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
bench/bench_mmra "${GAMES4:-21}" "${GAMES64:-6}"
