#!/bin/sh
# progress_cli.sh — long runs show a progress bar on a terminal and nothing
# in pipes or under CI, and the bar never changes the results.
#
# The terminal is a pseudo-terminal from util-linux's script(1) (package
# bsdutils, essential on Debian); the test is skipped (77) without it.
. "${srcdir:-.}/tests/lib.sh"
command -v script >/dev/null 2>&1 || { echo "$0: no script(1): skipped"; exit 77; }
"$HETPREF" simulate "$HETPREF_CONFIGS/two_traits.ini" --set design.users=60 \
    --set design.T=6 -o "$scratch/sim" >/dev/null 2>&1
check "simulate: exit 0" [ $? -eq 0 ]
data=$scratch/sim/prefs.csv

# on_tty OUT CMD...: run CMD with stdout and stderr on a pseudo-terminal,
# without CI in the environment; the terminal's bytes go to OUT.
on_tty() {
    out=$1; shift
    script -qec "env -u CI $*" /dev/null > "$out" 2>&1 </dev/null
}

# EM-DPO: 3 iterations x 2 policies = 6 policy M-steps.
emdpo="fit --data $data --model emdpo --types 2 --em-iters 3 --epochs 1 --hidden 8"
on_tty "$scratch/tty_emdpo" "$HETPREF" $emdpo -o "$scratch/e_tty"
check "emdpo on a terminal: exit 0" [ $? -eq 0 ]
check "emdpo on a terminal: a bar that reaches 6/6" \
    grep -q 'fit (EM-DPO policy M-steps) \[#*\] 6/6' "$scratch/tty_emdpo"
"$HETPREF" $emdpo -o "$scratch/e_pipe" 2>"$scratch/err_emdpo" | cat >/dev/null
check "emdpo in a pipe: no bar on stderr" sh -c "! grep -q 'elapsed' '$scratch/err_emdpo'"
for f in fit.csv posteriors.csv policies.txt; do
    check "emdpo $f: the same bytes with and without the bar" \
        cmp -s "$scratch/e_tty/$f" "$scratch/e_pipe/$f"
done

# Latent-class EM: one unit per random start.
lcl="fit --data $data --model lcl --types 2 --starts 4"
on_tty "$scratch/tty_lcl" "$HETPREF" $lcl -o "$scratch/l_tty"
check "lcl on a terminal: exit 0" [ $? -eq 0 ]
check "lcl on a terminal: a bar that reaches 4/4" \
    grep -q 'fit (latent-class EM starts) \[#*\] 4/4' "$scratch/tty_lcl"
"$HETPREF" $lcl -o "$scratch/l_pipe" 2>"$scratch/err_lcl" >/dev/null
check "lcl in a file: no bar on stderr" sh -c "! grep -q 'elapsed' '$scratch/err_lcl'"
check "lcl fit.csv: the same bytes with and without the bar" \
    cmp -s "$scratch/l_tty/fit.csv" "$scratch/l_pipe/fit.csv"

# CI set: quiet even on a terminal.
script -qec "env CI=true $HETPREF $lcl -o $scratch/l_ci" /dev/null > "$scratch/tty_ci" 2>&1 </dev/null
check "CI=true on a terminal: exit 0" [ $? -eq 0 ]
check "CI=true on a terminal: no bar" sh -c "! grep -q 'elapsed' '$scratch/tty_ci'"

# A sweep shows its own bar (one unit per task).
on_tty "$scratch/tty_sweep" "$HETPREF" sweep "$TESTDATA/sweep_small.ini" -o "$scratch/sw"
check "sweep on a terminal: exit 0" [ $? -eq 0 ]
check "sweep on a terminal: a bar" grep -q '^.*sweep \[#*\] [0-9]*/[0-9]*' "$scratch/tty_sweep"
finish
