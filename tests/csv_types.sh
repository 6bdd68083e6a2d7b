#!/bin/sh
# csv_types.sh — every column of every CSV the `recovery` and `budget`
# experiments write holds one type: all numbers (NaN, Inf, -Inf count as
# numbers, as R's read.csv reads them) or all text, with no empty field and
# every row as wide as the header. The log-log slopes of `recovery` are in
# slopes.csv, one row per answer kind, beside a summary.csv that holds the
# sweep's rows only. Small configurations (tests/data/figures).
. "${srcdir:-.}/tests/lib.sh"

# coltypes FILE: one line per offending column or row; nothing when clean.
coltypes() {
    awk -F, '
        NR == 1 { nf = NF; for (i = 1; i <= NF; i++) name[i] = $i; next }
        NF != nf { printf "line %d: %d fields, header %d\n", NR, NF, nf; next }
        {
            for (i = 1; i <= NF; i++) {
                v = $i
                if (v == "") t = "empty"
                else if (v ~ /^[-+]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][-+]?[0-9]+)?$/ ||
                         v == "NaN" || v == "Inf" || v == "-Inf") t = "number"
                else t = "text"
                if (!((i, t) in seen)) {
                    seen[i, t] = 1; kinds[i] = kinds[i] " " t " \"" v "\""
                }
            }
        }
        END {
            if (NR < 2) print "no data rows"
            for (i = 1; i <= nf; i++)
                if ((i, "empty") in seen || ((i, "number") in seen && (i, "text") in seen))
                    printf "column %s:%s\n", name[i], kinds[i]
        }' "$1"
}

for id in recovery budget; do
    HETPREF_CONFIGS="$TESTDATA/figures" "$HETPREF" reproduce --only "$id" \
        -o "$scratch/r" >"$scratch/out" 2>"$scratch/err"
    rc=$?
    check "reproduce --only $id: exit 0 (got $rc: $(cat "$scratch/err"))" [ "$rc" -eq 0 ]
    n=0
    for f in "$scratch/r/results/$id"/*.csv; do
        [ -f "$f" ] || continue
        n=$((n + 1))
        coltypes "$f" >"$scratch/types"
        check "$id/$(basename "$f"): one type per column, no empty field: $(cat "$scratch/types")" \
            [ ! -s "$scratch/types" ]
    done
    want=$( [ "$id" = recovery ] && echo 3 || echo 2 )
    check "$id: $want CSV files checked (got $n)" [ "$n" -eq "$want" ]
done

rec="$scratch/r/results/recovery"
check "slopes.csv header" \
    grep -qx 'design.answer,x,metric,n,slope,se,ci_low,ci_high' "$rec/slopes.csv"
for kind in pair top1 full; do
    # 3 sizes x 3 replicates = 9 points per kind; ci_low < slope < ci_high
    check "slopes.csv: one row for $kind, 9 points, slope inside its interval" \
        awk -F, -v k="$kind" '$1 == k && $2 == "design.users" && $3 == "w1" &&
            $4 == 9 && $7 < $5 && $5 < $8 { n++ } END { exit n != 1 }' "$rec/slopes.csv"
done
check "slopes.csv: three rows" [ "$(wc -l <"$rec/slopes.csv")" -eq 4 ]
check "summary.csv: no slope rows" \
    awk -F, 'NR > 1 && ($1 == "" || $3 == "slope" || $4 ~ /slope/) { exit 1 }' \
    "$rec/summary.csv"
finish
