#!/bin/sh
# report_cli.sh — `hetpref report`: the regression table of a fit (the
# K = 1 fit of tests/data/pairs_glm.csv, whose numbers tests/fit_cli.sh
# checks against R's glm) and the model comparison of a select.csv, in
# Markdown and LaTeX, against checked-in tables (tests/data/golden/report/);
# directories that are not a fit: exit 2 naming the missing file, no output.
. "${srcdir:-.}/tests/lib.sh"
gold="$TESTDATA/golden/report"
"$HETPREF" fit --data "$TESTDATA/pairs_glm.csv" --model lcl --types 1 --starts 2 \
    -o "$scratch/k1" 2>/dev/null
check "fit for the report: exit 0" [ $? -eq 0 ]
for fmt in markdown latex; do
    ext=md; [ $fmt = latex ] && ext=tex
    "$HETPREF" report "$scratch/k1" --format $fmt > "$scratch/fit.$ext" 2>"$scratch/err"
    rc=$?
    check "report fit --format $fmt: exit 0 ($(cat "$scratch/err"))" [ "$rc" -eq 0 ]
    check "report fit --format $fmt matches golden" cmp -s "$scratch/fit.$ext" "$gold/fit.$ext"
    "$HETPREF" report "$TESTDATA/report_select" --format $fmt > "$scratch/select.$ext"
    check "report select --format $fmt matches golden" cmp -s "$scratch/select.$ext" "$gold/select.$ext"
done
"$HETPREF" report "$scratch/k1" > "$scratch/default.md"
check "markdown is the default" cmp -s "$scratch/default.md" "$gold/fit.md"
# The table's numbers are those of estimates.csv (glm's coefficient 0.7458,
# se 0.1923, p = 1.05e-4: three stars) and of fit.csv.
check "theta[x1]: 0.746 with three stars" grep -qF '| x1 | 0.746\*\*\* |' "$scratch/fit.md"
check "its standard error below" grep -qF '|  | (0.192) |' "$scratch/fit.md"
check "notes: users, answers, log-likelihood" grep -qF 'Users: 60. Answers: 120. Log-likelihood: -64.892.' "$scratch/fit.md"
check "select: lowest BIC at K = 1" grep -qF 'Lowest BIC: K = 1.' "$scratch/select.md"

# bad_report DESC FRAGMENT ARGS...: exit 2, message, nothing on stdout.
bad_report() {
    d=$1; frag=$2; shift 2
    "$HETPREF" report "$@" > "$scratch/out" 2>"$scratch/err"
    rc=$?
    check "$d: exit 2 (got $rc: $(cat "$scratch/err"))" [ "$rc" -eq 2 ]
    check "$d: message mentions '$frag'" grep -qF -- "$frag" "$scratch/err"
    check "$d: nothing on stdout" [ ! -s "$scratch/out" ]
}
mkdir -p "$scratch/empty" "$scratch/nofit"
cp "$scratch/k1/estimates.csv" "$scratch/nofit/"
bad_report "empty directory" "no estimates.csv" "$scratch/empty"
bad_report "estimates without fit.csv" "no fit.csv" "$scratch/nofit"
bad_report "no such directory" "no such directory" "$scratch/none"
bad_report "bad --format" "--format" "$scratch/k1" --format html
bad_report "missing DIR" "missing DIR" --format latex
mkdir -p "$scratch/sel"
cut -d, -f1-9 "$TESTDATA/report_select/select.csv" > "$scratch/sel/select.csv"
bad_report "select.csv without best_hits" "no column 'best_hits'" "$scratch/sel"
sed 's/^K,loglik/K,loglik/; 2s/,3,/,x,/' "$TESTDATA/report_select/select.csv" > "$scratch/sel/select.csv"
bad_report "select.csv with text in n_params" "select.csv:2: n_params: 'x'" "$scratch/sel"
finish
