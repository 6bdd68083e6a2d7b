#!/bin/sh
# emdpo_cli.sh — `hetpref fit --model emdpo` end to end on a small two_traits
# simulation: every output file, identical bytes for 1 and 2 threads, the
# policy file format, and bad input refused with exit 2 and no output.
. "${srcdir:-.}/tests/lib.sh"
cfg="$HETPREF_CONFIGS/two_traits.ini"
"$HETPREF" simulate "$cfg" --set design.users=80 --set design.T=8 -o "$scratch/sim" >/dev/null
check "simulate two_traits: exit 0" [ $? -eq 0 ]
for t in 1 2; do
    "$HETPREF" fit --data "$scratch/sim/prefs.csv" --model emdpo --types 2 \
        --em-iters 3 --epochs 1 --hidden 8 --threads $t -o "$scratch/f$t" 2>/dev/null
    check "fit emdpo threads $t: exit 0" [ $? -eq 0 ]
done
for f in posteriors.csv fit.csv policies.txt config.ini; do
    check "$f written" [ -s "$scratch/f1/$f" ]
    check "$f identical for 1 and 2 threads" cmp -s "$scratch/f1/$f" "$scratch/f2/$f"
done
check "fit.csv header" grep -qx 'iteration,loglik,eta1,eta2,accuracy,ari,kept,converged' "$scratch/f1/fit.csv"
check "fit.csv: iterations 0..3 (or fewer, converged)" \
    awk -F, 'END { exit !(NR == 5 || (NR < 5 && $NF == 1)) }' "$scratch/f1/fit.csv"
check "policies.txt magic" grep -qx 'hetpref-policies 1' "$scratch/f1/policies.txt"
check "policies.txt architecture" grep -qx 'hidden 8' "$scratch/f1/policies.txt"
check "posteriors: header + 80 users" [ "$(wc -l < "$scratch/f1/posteriors.csv")" -eq 81 ]
check "config records the flags" grep -qx 'em_iters = 3' "$scratch/f1/config.ini"

# --precision single (mixed precision): recorded, not the bits of a double
# fit (the option is not ignored), and the same clustering accuracy within
# 0.01 on 300 users (kept iteration; both reach 1 on this seed).
"$HETPREF" simulate "$cfg" --set design.users=300 -o "$scratch/sim300" >/dev/null
for p in double single; do
    "$HETPREF" fit --data "$scratch/sim300/prefs.csv" --model emdpo --types 2 \
        --em-iters 3 --precision $p -o "$scratch/p_$p" 2>/dev/null
    check "fit emdpo --precision $p: exit 0" [ $? -eq 0 ]
done
check "config records precision = single" grep -qx 'precision = single' "$scratch/p_single/config.ini"
check "single precision is not the double fit's bits" \
    sh -c '! cmp -s "$1" "$2"' sh "$scratch/p_double/fit.csv" "$scratch/p_single/fit.csv"
acc_d=$(awk -F, '$7 == 1 { print $5 }' "$scratch/p_double/fit.csv")
acc_s=$(awk -F, '$7 == 1 { print $5 }' "$scratch/p_single/fit.csv")
check "single-precision accuracy $acc_s within 0.01 of double $acc_d" \
    awk -v a="$acc_s" -v b="$acc_d" 'BEGIN { d = a - b; exit !(a != "" && b != "" && d <= 0.01 && d >= -0.01) }'
expect_bad_fit "bad precision" "precision" --data "$scratch/sim/prefs.csv" --model emdpo --types 2 --precision half

head -n 73 "$scratch/sim/prefs.csv" > "$scratch/three.csv"   # 3 users x 8 queries x 3 rows
expect_bad_fit "types above users" "more types than users" --data "$scratch/three.csv" --model emdpo --types 4
expect_bad_fit "types above 64" "--types" --data "$scratch/sim/prefs.csv" --model emdpo --types 81
expect_bad_fit "bad init" "--init" --data "$scratch/sim/prefs.csv" --model emdpo --types 2 --init magic
expect_bad_fit "negative lr" "--lr" --data "$scratch/sim/prefs.csv" --model emdpo --types 2 --lr -1
cut -d, -f1-13 "$scratch/sim/prefs.csv" > "$scratch/notype.csv"
expect_bad_fit "init truth without types" "type column" --data "$scratch/notype.csv" --model emdpo --types 2 --init truth
finish
