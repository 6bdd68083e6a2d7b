#!/bin/sh
# plot_missing.sh — without gnuplot, `reproduce` still writes every CSV and
# the .gp script, warns once, and exits 0; `hetpref plot DIR` then renders
# the PNG when gnuplot is there, without a warning even under the C locale.
. "${srcdir:-.}/tests/lib.sh"
HETPREF_GNUPLOT=/nonexistent/gnuplot "$HETPREF" reproduce --only calibration \
    -o "$scratch/r" 2>"$scratch/err"
rc=$?
check "reproduce without gnuplot: exit 0 (got $rc: $(cat "$scratch/err"))" [ "$rc" -eq 0 ]
check "warning mentions gnuplot" grep -q 'warning: gnuplot not found' "$scratch/err"
for f in runs.csv summary.csv frequencies.csv config.ini; do
    check "results/calibration/$f written" [ -s "$scratch/r/results/calibration/$f" ]
done
check "plots/calibration.gp written" [ -s "$scratch/r/plots/calibration.gp" ]
check "no png without gnuplot" [ ! -e "$scratch/r/plots/calibration.png" ]
if command -v "${GNUPLOT:-gnuplot}" >/dev/null 2>&1; then
    LC_ALL=C "$HETPREF" plot "$scratch/r/results/calibration" 2>"$scratch/plot_err"
    check "hetpref plot: exit 0" [ $? -eq 0 ]
    check "hetpref plot under LC_ALL=C: no gnuplot warning ($(cat "$scratch/plot_err"))" \
        [ ! -s "$scratch/plot_err" ]
    check "hetpref plot: png rendered" [ -s "$scratch/r/plots/calibration.png" ]
    check "hetpref plot: svg rendered" [ -s "$scratch/r/plots/calibration.svg" ]
fi
"$HETPREF" plot "$scratch/r/results" 2>/dev/null
check "plot on a non-experiment dir: exit 2" [ $? -eq 2 ]
finish
