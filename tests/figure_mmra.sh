#!/bin/sh
# figure_mmra.sh — the `mmra` figure draws what regret_matrix.csv says: the
# heat map's cell at (x = policy j, y = type i) carries R[type i][policy j]
# for every cell of both scenarios, and every table numbers replicates from
# 1 like the figure's titles. The drawn cells are read back from gnuplot
# itself: a copy of mmra.gp sends each heat-map plot to a table (`set table`)
# instead of the image. A small configuration (tests/data/figures).
. "${srcdir:-.}/tests/lib.sh"
reproduce_small mmra
res="$scratch/r/results/mmra"
plots="$scratch/r/plots"
check "regret_matrix.csv header" \
    grep -qx 'scenario,replicate,type,policy,regret' "$res/regret_matrix.csv"

# col FILE NAME: the values of the column named NAME (header row skipped).
col() {
    awk -F, -v n="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == n) c = i;
        next } c { print $c }' "$1"
}
for t in regret_matrix weights true_regrets; do
    reps=$(col "$res/$t.csv" replicate | sort -n | uniq | tr '\n' ' ')
    case $t in regret_matrix) want='1 ' ;; *) want='1 2 ' ;; esac
    check "$t.csv: replicates numbered from 1 (got '$reps', want '$want')" \
        [ "$reps" = "$want" ]
done
check "the heat map's title names replicate 1" \
    grep -q "regret matrix R (replicate 1)" "$plots/mmra.gp"

if ! command -v "${GNUPLOT:-gnuplot}" >/dev/null 2>&1; then
    echo "no gnuplot: the drawn cells are not checked"
    finish
fi
# Each heat-map plot (`plot $mat...`) goes to probe<n>.txt: "x y value i".
awk '/^plot \$mat/ { n++; print "set table sprintf(\"probe%d.txt\", " n ")";
    print; print "unset table"; next } { print }' "$plots/mmra.gp" \
    >"$plots/probe.gp"
(cd "$plots" && "${GNUPLOT:-gnuplot}" probe.gp) 2>"$scratch/gperr"
check "gnuplot runs the probe ($(cat "$scratch/gperr"))" [ -s "$plots/probe2.txt" ]
# The scenarios in the order the figure draws them: two_traits, four_groups.
set -- two_traits four_groups
for n in 1 2; do
    sc=$1; shift
    # Compare each drawn cell (x, y, value) with R[type y][policy x]; count
    # the cells and the ones that differ, and whether the transpose differs
    # anywhere (if R were symmetric this check could not tell).
    awk -F, -v sc="$sc" -v probe="$plots/probe$n.txt" '
        NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
        $c["scenario"] == sc { R[$c["type"], $c["policy"]] = $c["regret"] + 0 }
        function d(a, b) { a -= b; return a < 0 ? -a : a }
        END {
            FS = " "
            while ((getline line < probe) > 0) {
                if (split(line, f) != 4 || f[4] != "i") continue
                cells++
                x = f[1] + 0; y = f[2] + 0; v = f[3] + 0
                if (!((y, x) in R) || d(v, R[y, x]) > 1e-4 * (1 + d(R[y, x], 0)))
                    wrong++
                if (d(R[y, x], R[x, y]) > 1e-3) asym++
            }
            printf "%d %d %d\n", cells, wrong, asym
        }' "$res/regret_matrix.csv" >"$scratch/cmp"
    read -r cells wrong asym <"$scratch/cmp"
    k=$( [ "$sc" = two_traits ] && echo 4 || echo 16 )
    check "$sc: the heat map has $k cells (got $cells)" [ "$cells" -eq "$k" ]
    check "$sc: cell (x = policy j, y = type i) = R[type i][policy j] ($wrong of $cells differ)" \
        [ "$wrong" -eq 0 ]
    check "$sc: R is not symmetric, so a transposed map would be caught" \
        [ "$asym" -gt 0 ]
done
finish
