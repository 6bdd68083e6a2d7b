#!/bin/sh
# npmle_cli.sh — `hetpref fit --model npmle` end to end: a fit on simulated
# triples writes grid.csv and fit.csv (certificate within the gap, W1 to the
# discrete truth beside the data), identical bytes for 1 and 2 threads, and
# bad grids (one point, not n^d, a non-positive radius, too large for memory)
# and flags of other models are refused with exit 2 and nothing written.
. "${srcdir:-.}/tests/lib.sh"

"$HETPREF" simulate "$TESTDATA/tiny.ini" --set design.users=400 --set design.T=4 \
    -o "$scratch/sim" >/dev/null
data="$scratch/sim/prefs.csv"
for t in 1 2; do
    "$HETPREF" fit --data "$data" --model npmle --grid 49 --grid-radius 2.25 \
        --threads $t -o "$scratch/f$t" 2>"$scratch/err"
    rc=$?
    check "npmle threads $t: exit 0 ($(cat "$scratch/err"))" [ "$rc" -eq 0 ]
done
for f in grid.csv fit.csv config.ini; do
    check "$f identical for 1 and 2 threads" cmp -s "$scratch/f1/$f" "$scratch/f2/$f"
done
check "grid.csv: header + 49 points" [ "$(wc -l < "$scratch/f1/grid.csv")" -eq 50 ]
check "grid.csv header" grep -qx 'theta1,theta2,weight' "$scratch/f1/grid.csv"
# Named feature columns name grid.csv's columns; the fit itself is the same.
mkdir -p "$scratch/named"
sed '1s/x1/price/;1s/x2/quality/' "$data" > "$scratch/named/prefs.csv"
"$HETPREF" fit --data "$scratch/named/prefs.csv" --model npmle --grid 49 \
    --grid-radius 2.25 --truth "$scratch/sim/truth.csv" -o "$scratch/fn" 2>/dev/null
check "named features: grid.csv header" \
    grep -qx 'theta\[price\],theta\[quality\],weight' "$scratch/fn/grid.csv"
tail -n +2 "$scratch/fn/grid.csv" > "$scratch/fn.body"
tail -n +2 "$scratch/f1/grid.csv" > "$scratch/f1.body"
check "named features: same grid and weights" cmp -s "$scratch/fn.body" "$scratch/f1.body"
check "grid.csv: weights sum to 1" \
    awk -F, 'NR > 1 { s += $3 } END { d = s - 1; exit !(d < 1e-12 && d > -1e-12) }' \
    "$scratch/f1/grid.csv"
check "fit.csv header" grep -qx 'loglik,certificate,gap,iterations,em_maps,converged,grid,grid_points,grid_radius,edge_mass,w1,w1_truth,w1_note' "$scratch/f1/fit.csv"
check "certificate in [1, 1 + gap], converged, regular grid, W1 finite" \
    awk -F, 'NR == 2 { exit !($2 >= 1 && $2 <= 1 + $3 && $6 == 1 && $7 == "regular" &&
        $8 == 49 && $11 + 0 == $11 && $11 != "NaN" && $12 != "") }' "$scratch/f1/fit.csv"
check "summary on stderr" grep -q 'NPMLE on 49 regular grid points' "$scratch/err"

# A gaussian population's truth.csv has no covariance: w1 NaN, said why.
cat > "$scratch/g.ini" <<EOF2
[population]
kind = gaussian
mean = 0.5, -0.25
cov = 0.3
[design]
d = 2
users = 200
EOF2
"$HETPREF" simulate "$scratch/g.ini" -o "$scratch/gs" >/dev/null
"$HETPREF" fit --data "$scratch/gs/prefs.csv" --model npmle --grid 25 -o "$scratch/g" \
    2>"$scratch/err"
check "gaussian truth: exit 0" [ $? -eq 0 ]
check "gaussian truth: w1 NaN and a note" \
    awk -F, 'NR == 2 { exit !($11 == "NaN" && $13 ~ /covariance/) }' "$scratch/g/fit.csv"
check "gaussian truth: warning" grep -q 'no W1 against it' "$scratch/err"

expect_bad_fit "grid 1" "--grid" --data "$data" --model npmle --grid 1
expect_bad_fit "grid not n^2" "e.g. 25 or 36" --data "$data" --model npmle --grid 30
expect_bad_fit "radius 0" "--grid-radius" --data "$data" --model npmle --grid 25 --grid-radius 0
expect_bad_fit "radius < 0" "--grid-radius" --data "$data" --model npmle --grid 25 --grid-radius -1
expect_bad_fit "grid too large for memory" "GiB of memory" --data "$data" --model npmle \
    --grid 99999515529
expect_bad_fit "no grid" "missing --grid" --data "$data" --model npmle
expect_bad_fit "types with npmle" "--types does not apply" --data "$data" --model npmle \
    --grid 25 --types 2
expect_bad_fit "grid with lcl" "--grid does not apply" --data "$data" --model lcl --types 2 \
    --grid 25
printf 'type,kind,weight,theta1\n1,linear,1,0.5\n' > "$scratch/badtruth.csv"
expect_bad_fit "truth of another dimension" "badtruth.csv" --data "$data" --model npmle \
    --grid 25 --truth "$scratch/badtruth.csv"
finish
