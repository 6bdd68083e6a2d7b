#!/bin/sh
# plot_sweep.sh — `hetpref plot` on any sweep's summary.csv and on a fit
# directory: default panels, columns found by name, --x/--by/-o, bad input
# (exit 2, nothing written), and a failing gnuplot leaving no image.
. "${srcdir:-.}/tests/lib.sh"
sw=$scratch/sw
"$HETPREF" sweep "$TESTDATA/plot_sweep.ini" -o "$sw" --threads 1 2>"$scratch/err"
check "tiny sweep runs ($(cat "$scratch/err"))" [ -s "$sw/summary.csv" ]
have_gnuplot=0
command -v "${GNUPLOT:-gnuplot}" >/dev/null 2>&1 && have_gnuplot=1
metrics=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "metric") c = i; next }
                   !seen[$c]++ { print $c }' "$sw/summary.csv")
check "summary.csv has metrics" [ -n "$metrics" ]

# Defaults: one plot per metric, x = the numeric key, series by the other.
"$HETPREF" plot "$sw" 2>"$scratch/err"
rc=$?
check "plot SWEEPDIR: exit 0 (got $rc: $(cat "$scratch/err"))" [ "$rc" -eq 0 ]
for m in $metrics; do
    check "default: $m.gp written" [ -s "$sw/$m.gp" ]
    if [ "$have_gnuplot" -eq 1 ]; then
        check "default: $m.png non-empty" [ -s "$sw/$m.png" ]
        check "default: $m.svg non-empty" [ -s "$sw/$m.svg" ]
    fi
done
check "default x is the numeric key" grep -q "^set xlabel 'calibration.answers'" "$sw/chi2.gp"
check "default series by the other key" grep -q "title 'design.answer=top1'" "$sw/chi2.gp"
# The first point of series 1 is the mean of chi2 at answers=50, answer=pair.
want=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) h[$i] = i; next }
    $h["metric"] == "chi2" && $h["calibration.answers"] == 50 &&
    $h["design.answer"] == "pair" { print $h["mean"] }' "$sw/summary.csv")
check "series 1 starts at the mean of its cell ($want)" \
    grep -q "^array s1_y\[3\] = \[$want, " "$sw/chi2.gp"

# Columns by name: the same table with its columns in another order draws the
# same data.
mkdir "$scratch/perm"
awk -F, -v OFS=, '{ print $8, $5, $3, $1, $9, $2, $4, $6, $7 }' "$sw/summary.csv" \
    > "$scratch/perm/summary.csv"
"$HETPREF" plot "$scratch/perm" --y chi2 2>"$scratch/err"
rc=$?
check "permuted columns: exit 0 ($(cat "$scratch/err"))" [ "$rc" -eq 0 ]
body() { sed -n '/^# ---- begin body/,/^# ---- end body/p' "$1"; }
body "$sw/chi2.gp" > "$scratch/a"
body "$scratch/perm/chi2.gp" > "$scratch/b"
check "permuted columns: the same plot body" cmp -s "$scratch/a" "$scratch/b"

# --x/--by swap, a category x axis, -o elsewhere.
"$HETPREF" plot "$sw" --y chi2 --x design.answer --by calibration.answers \
    -o "$scratch/o" 2>"$scratch/err"
rc=$?
check "--x/--by/-o: exit 0 ($(cat "$scratch/err"))" [ "$rc" -eq 0 ]
check "-o: only the asked metric there" [ "$(ls "$scratch/o" | sed 's/\..*//' | sort -u)" = chi2 ]
check "category x: tick labels" grep -q "^set xtics ('pair' 0, 'top1' 1)" "$scratch/o/chi2.gp"
check "--by: series titles" grep -q "title 'calibration.answers=200'" "$scratch/o/chi2.gp"
"$HETPREF" plot "$sw" --y chi2 --logx --logy -o "$scratch/log" 2>"$scratch/err"
rc=$?
check "--logx --logy: exit 0" [ "$rc" -eq 0 ]
check "--logx --logy in the script" grep -q '^set logscale x' "$scratch/log/chi2.gp"

# Bad input: exit 2, the message names what to change, nothing written.
expect_bad_plot() { # DESC FRAGMENT ARGS...
    d=$1; frag=$2; shift 2
    ls -R "$sw" > "$scratch/before"
    "$HETPREF" plot "$@" 2>"$scratch/err" >/dev/null
    rc=$?
    check "$d: exit 2 (got $rc: $(cat "$scratch/err"))" [ "$rc" -eq 2 ]
    check "$d: message has '$frag'" grep -qF -- "$frag" "$scratch/err"
    ls -R "$sw" > "$scratch/after"
    check "$d: nothing written" cmp -s "$scratch/before" "$scratch/after"
    check "$d: no -o dir" [ ! -e "$scratch/bad" ]
}
expect_bad_plot "--y unknown" "metrics there: chi2, df" "$sw" --y nope -o "$scratch/bad"
expect_bad_plot "--x unknown" "its keys: calibration.answers, design.answer" \
    "$sw" --x nope -o "$scratch/bad"
expect_bad_plot "--by unknown" "--by nope" "$sw" --by nope -o "$scratch/bad"
expect_bad_plot "--by = --x" "same key" "$sw" --x design.answer --by design.answer -o "$scratch/bad"
expect_bad_plot "--logx on a category" "not numeric" "$sw" --x design.answer --logx -o "$scratch/bad"
expect_bad_plot "not a sweep or fit dir" "not a sweep directory" "$scratch/o" -o "$scratch/bad"
expect_bad_plot "unknown option" "--wat" "$sw" --wat
# Two metrics that would share a plot file (one plot silently lost), and a
# key column named twice (--x KEY ambiguous): refused with FILE:LINE.
for bad in stem_clash key_twice nul_in_metric; do
    mkdir "$scratch/$bad"
    cp "${srcdir:-.}/tests/fuzz/regressions/plotsweep/$bad.csv" "$scratch/$bad/summary.csv"
done
expect_bad_plot "metrics 'a b' and 'a_b'" \
    "stem_clash/summary.csv:3: metric 'a_b' would be drawn into a_b.gp, the file of metric 'a b'" \
    "$scratch/stem_clash"
check "stem clash: no plot" [ ! -e "$scratch/stem_clash/a_b.gp" ]
expect_bad_plot "key column twice" "key_twice/summary.csv:1: column 'k' appears twice" \
    "$scratch/key_twice"
check "key twice: no plot" [ ! -e "$scratch/key_twice/acc.gp" ]
# A NUL byte in a metric's name cut it short: an internal error, exit 1.
expect_bad_plot "NUL in a metric" "nul_in_metric/summary.csv:2: field 3 holds a NUL byte" \
    "$scratch/nul_in_metric"

# A gnuplot that opens its output and then fails: no image, no temporary.
cat > "$scratch/fakegp" <<'FAKE'
#!/bin/sh
# Reads "cd 'DIR'", "hp_stem = 'STEM'" and "load 'NAME.gp'" from stdin,
# creates the empty image a failing gnuplot leaves behind (STEM.png, else
# NAME.png as the script would name it), and fails.
stem=
while read -r line; do
    case $line in
    "cd '"*) dir=${line#cd \'}; dir=${dir%\'} ;;
    "hp_stem = '"*) stem=${line#hp_stem = \'}; stem=${stem%\'} ;;
    "load '"*) [ -n "$stem" ] || { stem=${line#load \'}; stem=${stem%.gp\'}; } ;;
    esac
done
: > "$dir/$stem.png"
exit 1
FAKE
chmod +x "$scratch/fakegp"
HETPREF_GNUPLOT=$scratch/fakegp "$HETPREF" plot "$sw" --y chi2 -o "$scratch/fail" \
    2>"$scratch/err"
rc=$?
check "failing gnuplot: exit 1 (got $rc)" [ "$rc" -eq 1 ]
check "failing gnuplot: message" grep -q "failed with exit status 1" "$scratch/err"
check "failing gnuplot: .gp written" [ -s "$scratch/fail/chi2.gp" ]
check "failing gnuplot: no png, no temporary ($(ls -A "$scratch/fail"))" \
    [ "$(ls -A "$scratch/fail")" = chi2.gp ]
HETPREF_GNUPLOT=/nonexistent/gnuplot "$HETPREF" plot "$sw" --y chi2 \
    -o "$scratch/nogp" 2>"$scratch/err"
rc=$?
check "gnuplot missing: exit 0" [ "$rc" -eq 0 ]
check "gnuplot missing: warning" grep -q "warning: gnuplot not found" "$scratch/err"
check "gnuplot missing: .gp only" [ "$(ls "$scratch/nogp")" = chi2.gp ]

# A fit directory (estimates.csv as hetpref fit writes it); the wide form an
# older fit wrote is refused with its line, nothing drawn.
fit=$scratch/fitw
mkdir "$fit" "$scratch/fitl"
printf 'type,weight,theta1,theta2,se_weight,se_theta1,se_theta2\n1,0.75,1.25,-0.5,0.125,0.5,NaN\n2,0.25,-2,0.5,0.125,0.25,0.25\n' \
    > "$fit/estimates.csv"
printf 'user,p1,p2\nu1,0.91,0.09\nu2,0.39,0.61\nu3,0.99,0.01\nu4,0,1\n' > "$fit/posteriors.csv"
"$HETPREF" plot "$fit" 2>"$scratch/err"
rc=$?
check "plot FITDIR (wide): exit 2 (got $rc)" [ "$rc" -eq 2 ]
check "wide: refused with FILE:LINE" grep -qF "fitw/estimates.csv:1: column 2 is 'weight', expected 'parameter': this is the wide form" "$scratch/err"
check "wide: no types.gp ($(ls "$fit"))" [ ! -e "$fit/types.gp" ]
check "wide: no certainty.gp" [ ! -e "$fit/certainty.gp" ]
# 1.25 - 1.959963984540054 * 0.5 = 0.270018007729973 (a Wald 95% interval).
printf 'type,parameter,estimate,se,z,p,ci_low,ci_high\n1,weight,0.75,0.125,6,0,0.505,0.995\n1,theta[x1],1.25,0.5,2.5,0.012,0.270018007729973,2.229981992270027\n1,theta[x2],-0.5,NaN,NaN,NaN,NaN,NaN\n2,weight,0.25,0.125,2,0.046,0.005,0.495\n2,theta[x1],-2,0.25,-8,0,-2.49,-1.51\n2,theta[x2],0.5,0.25,2,0.046,0.01,0.99\n' \
    > "$fit/estimates.csv"
"$HETPREF" plot "$fit" 2>"$scratch/err"
rc=$?
check "plot FITDIR: exit 0 ($(cat "$scratch/err"))" [ "$rc" -eq 0 ]
check "missing se: warned" grep -q "1 coefficients have no finite interval" "$scratch/err"
check "types.gp and certainty.gp (1 of 2)" [ -s "$fit/types.gp" ]
check "types.gp and certainty.gp (2 of 2)" [ -s "$fit/certainty.gp" ]
lo=$(sed -n 's/^array t1_lo\[2\] = \[\([^,]*\),.*/\1/p' "$fit/types.gp")
check "ci_low drawn ($lo)" awk -v v="$lo" 'BEGIN { d = v - 0.270018007729973; exit !(d < 1e-12 && d > -1e-12) }'
check "parameter names" grep -q "set xtics ('theta\[x1\]' 0, 'theta\[x2\]' 1)" "$fit/types.gp"
check "type weight in the legend" grep -q "title 'type 1 (weight 0.75)'" "$fit/types.gp"
# max posteriors 0.91, 0.61, 0.99, 1 in 20 bins of width 0.025 from 0.5.
check "certainty histogram counts" grep -q '^array bin_n\[20\] = \[0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 2\]' "$fit/certainty.gp"
printf 'type,parameter,estimate,se,z,p,ci_low,ci_high\n1,weight,0.75,0.125,6,0,0.5,1\n1,theta[price],1.25,0.5,2.5,0.01,0.25,2.25\n2,weight,0.25,0.125,2,0.05,0,0.5\n2,theta[price],-2,0.25,-8,0,-2.5,-1.5\n' \
    > "$scratch/fitl/estimates.csv"
cp "$fit/posteriors.csv" "$scratch/fitl/"
"$HETPREF" plot "$scratch/fitl" 2>"$scratch/err"
rc=$?
check "plot FITDIR (long): exit 0 ($(cat "$scratch/err"))" [ "$rc" -eq 0 ]
check "long: ci_low..ci_high used" grep -q '^array t2_lo\[1\] = \[-2.5\]' "$scratch/fitl/types.gp"
check "long: named parameter" grep -q "set xtics ('theta\[price\]' 0)" "$scratch/fitl/types.gp"
"$HETPREF" plot "$fit" --y chi2 2>"$scratch/err"
rc=$?
check "fit dir with --y: exit 2" [ "$rc" -eq 2 ]
finish
