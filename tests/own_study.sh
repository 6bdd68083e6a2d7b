#!/bin/sh
# own_study.sh — the README's worked example ("Your own study, step by
# step") cannot rot: every ```sh block between the own-study markers is run,
# in order, as one script (hetpref on PATH), and every line of every ```text
# block (the output shown) must be a whole line of what the script printed
# on stdout and stderr. The example is also checked for content: it must
# run describe, identify --data, fit --types 1:3, report, predict, plot and
# a --config rerun.
. "${srcdir:-.}/tests/lib.sh"
readme=$(cd "${srcdir:-.}" && pwd)/README.md
cd "$scratch" || exit 99
mkdir bin && ln -s "$HETPREF" bin/hetpref
awk '/<!-- own-study: begin -->/ { on = 1; next }
     /<!-- own-study: end -->/ { on = 0 }
     on && /^```sh$/ { f = "script.sh"; next }
     on && /^```text$/ { f = "expected.txt"; next }
     /^```$/ { f = ""; next }
     f != "" { print > f }' "$readme"
check "README has the example's commands" [ -s script.sh ]
check "README has the example's output" [ -s expected.txt ]
for cmd in 'hetpref describe --data' 'hetpref identify --data' \
           'hetpref fit --data .* --types 1:3' 'hetpref report' \
           'hetpref predict --estimates' 'hetpref plot' 'hetpref fit --config'; do
    check "the example runs $cmd" grep -q "^$cmd" script.sh
done
mkdir run
(cd run && PATH="$scratch/bin:$PATH" sh -e ../script.sh) > out.txt 2>&1
rc=$?
check "the example's commands exit 0 (got $rc: $(tail -3 out.txt))" [ "$rc" -eq 0 ]
while IFS= read -r line; do
    check "output shown in README appears: $line" grep -qxF -- "$line" out.txt
done < expected.txt
finish
