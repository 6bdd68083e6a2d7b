#!/bin/sh
# figure_npmle_polarised.sh — the `npmle_polarised` experiment on a small
# configuration (tests/data/figures: b = (2, 1) on a 7 x 7 grid, N = 200,
# 800): heat.csv's truth is 1/2 at +b and -b and 0 at the other 47 grid
# points for every answer kind, with diff = estimate - truth; every fit
# meets its certificate; at N = 800 the pairs' mean W1 to the two atoms is
# above the triples' (pairs cannot tell {+b, -b} from 0, triples can); the
# figures' scripts circle the atoms.
. "${srcdir:-.}/tests/lib.sh"
reproduce_small npmle_polarised --threads 2
res="$scratch/r/results/npmle_polarised"
check "heat.csv: 49 points per answer kind, truth 1/2 at +-(2, 1) and 0 elsewhere, diff = estimate - truth" \
    awk -F, 'NR == 1 { if ($0 != "answer,theta1,theta2,estimate,truth,diff,odd") exit 1
                       next }
        { n[$1]++; atom = ($2 == 2 && $3 == 1) || ($2 == -2 && $3 == -1)
          if ($5 != (atom ? 0.5 : 0) || $6 != $4 - $5) exit 1; m[$1] += atom }
        END { if (length(n) != 3) exit 1
              for (k in n) if (n[k] != 49 || m[k] != 2) exit 1 }' "$res/heat.csv"
check "runs.csv: 12 fits, each certificate in [1, 1 + 1e-6]" \
    awk -F, 'NR == 1 { for (j = 1; j <= NF; j++) c[$j] = j; next }
        { q = $c["certificate"]; if (!(q >= 1 && q <= 1 + 1e-6)) exit 1; n++ }
        END { exit n != 12 }' "$res/runs.csv"
check "summary.csv: at N = 800 the pairs' mean W1 exceeds top-1's and full's by 1" \
    awk -F, '$3 == 800 && $4 == "w1" { w[$2] = $6 }
        END { exit !(w["pair"] > w["top1"] + 1 && w["pair"] > w["full"] + 1) }' \
    "$res/summary.csv"
check "slopes.csv: a row per answer kind" [ "$(wc -l < "$res/slopes.csv")" -eq 4 ]
for p in npmle_polarised npmle_polarised_heat; do
    check "plots/$p.gp written" [ -s "$scratch/r/plots/$p.gp" ]
done
check "the heat maps circle the true atoms" \
    grep -q 'with points' "$scratch/r/plots/npmle_polarised_heat.gp"
"$HETPREF" reproduce --help | grep -q '^  npmle_polarised '
check "reproduce --help lists npmle_polarised" [ $? -eq 0 ]
finish
