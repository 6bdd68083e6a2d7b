#!/bin/sh
# figure_npmle.sh — the `npmle` experiment on a small configuration
# (tests/data/figures): every fit meets its certificate, slopes.csv has a
# slope per answer kind, and heat.csv holds per answer kind the 49 grid
# points with estimate and truth weights each summing to 1, diff =
# estimate - truth, and odd = (diff(theta) - diff(-theta)) / 2 with -theta
# the mirrored grid point (checked on the coordinates themselves); a
# polarised population whose atoms are off the grid is refused before
# anything runs.
. "${srcdir:-.}/tests/lib.sh"
reproduce_small npmle --threads 2
res="$scratch/r/results/npmle"
check "heat.csv header" grep -qx 'answer,theta1,theta2,estimate,truth,diff,odd' "$res/heat.csv"
check "heat.csv: 3 answer kinds x 49 points" [ "$(wc -l < "$res/heat.csv")" -eq 148 ]
check "heat.csv: estimate and truth sum to 1, diff = estimate - truth, per kind" \
    awk -F, 'NR > 1 { e[$1] += $4; t[$1] += $5; n[$1]++
        d = $6 - ($4 - $5); if (d > 1e-15 || d < -1e-15) bad = 1 }
        END { if (length(n) != 3) exit 1
              for (k in n) { if (n[k] != 49) exit 1
                  if (e[k] - 1 > 1e-12 || 1 - e[k] > 1e-12) exit 1
                  if (t[k] - 1 > 1e-12 || 1 - t[k] > 1e-12) exit 1 }
              exit bad }' "$res/heat.csv"
check "heat.csv: odd is the odd part of diff at the mirrored point" \
    awk -F, 'NR > 1 { i = NR - 2; k = int(i / 49); r = i % 49
        x[k, r] = $2; y[k, r] = $3; d[k, r] = $6; o[k, r] = $7 }
        END { for (k = 0; k < 3; k++) for (r = 0; r < 49; r++) { m = 48 - r
            if (x[k, m] != -x[k, r] || y[k, m] != -y[k, r]) exit 1
            v = o[k, r] - (d[k, r] - d[k, m]) / 2
            if (v > 1e-15 || v < -1e-15) exit 1 } }' "$res/heat.csv"
check "runs.csv: every certificate <= 1 + 1e-6 and every w1 > 0" \
    awk -F, 'NR == 1 { for (j = 1; j <= NF; j++) c[$j] = j; next }
        { if (!($c["certificate"] >= 1 && $c["certificate"] <= 1 + 1e-6)) exit 1
          if (!($c["w1"] > 0)) exit 1; n++ } END { exit n != 12 }' "$res/runs.csv"
check "slopes.csv: a finite slope per answer kind" \
    awk -F, 'NR > 1 && $5 + 0 == $5 && $5 != "NaN" { n++ } END { exit n != 3 }' \
    "$res/slopes.csv"
# A finite population whose atoms are not grid points has no truth on the
# grid to draw: refused, exit 2, before any task runs (the default b =
# (1.5, -0.8) is off the 7 x 7 grid of spacing 1).
mkdir -p "$scratch/pol"
sed 's/^kind = gaussian/kind = polarised/' "$TESTDATA/figures/npmle.ini" > "$scratch/pol/npmle.ini"
HETPREF_CONFIGS="$scratch/pol" "$HETPREF" reproduce --only npmle -o "$scratch/p" \
    >/dev/null 2>"$scratch/err"
rc=$?
check "atoms off the grid: exit 2 (got $rc)" [ "$rc" -eq 2 ]
check "atoms off the grid: the message says so" grep -q "draw the truth on the grid" "$scratch/err"
check "atoms off the grid: no result files" [ -z "$(find "$scratch/p" -type f 2>/dev/null)" ]
for p in npmle npmle_heat; do
    check "plots/$p.gp written" [ -s "$scratch/r/plots/$p.gp" ]
done
finish
