#!/bin/sh
# provenance.sh — a fit's config.ini records the command line, its inputs
# (size and SHA-256) and the version, holds only keys that apply to the fit,
# and `fit --config` reruns it byte for byte; a changed input is refused
# naming the file and both hashes, with nothing written.
. "${srcdir:-.}/tests/lib.sh"
cd "$scratch" || exit 99
cp "$TESTDATA/pairs_glm.csv" data.csv
"$HETPREF" fit --data data.csv --model lcl --types 2 --starts 2 --seed 5 \
    -o f1 2>err
rc=$?
check "fit: exit 0 (got $rc: $(cat err))" [ "$rc" -eq 0 ]
cfg=f1/config.ini
want=$(sha256sum data.csv 2>/dev/null | cut -c1-64)
[ -n "$want" ] || want=$(cksum -a sha256 data.csv 2>/dev/null | sed 's/.*= //')
size=$(wc -c < data.csv | tr -d ' ')
check "config records the command without -o" \
    grep -qx 'command = hetpref fit --data data.csv --model lcl --types 2 --starts 2 --seed 5' "$cfg"
check "config records the input, its size and SHA-256 ($want)" \
    grep -qx "input = $size $want data.csv" "$cfg"
check "config records the version" grep -q '^version = ' "$cfg"
check "config of a fit has no [population]" sh -c "! grep -q '^\[population\]' $cfg"
check "config of a fit has no [design]" sh -c "! grep -q '^\[design\]' $cfg"
check "config keeps [fit] and [run]" sh -c "grep -q '^\[fit\]' $cfg && grep -q '^seed = 5' $cfg"

# Rerun elsewhere: every file the same bytes, config.ini included.
"$HETPREF" fit --config "$cfg" -o f2 2>err
rc=$?
check "fit --config: exit 0 (got $rc: $(cat err))" [ "$rc" -eq 0 ]
for f in f1/*; do
    check "rerun: $(basename "$f") byte-identical" cmp -s "$f" "f2/${f#f1/}"
done
check "rerun: the same files" [ "$(ls f1)" = "$(ls f2)" ]
# Rerun in place (default OUT = the config's directory).
cp -R f1 f3
"$HETPREF" fit --config f3/config.ini 2>err
rc=$?
check "fit --config in place: exit 0 (got $rc)" [ "$rc" -eq 0 ]
check "in place: estimates unchanged" cmp -s f1/estimates.csv f3/estimates.csv

# A changed input: exit 2, both hashes named, nothing written.
printf '\n' >> data.csv
now=$(sha256sum data.csv 2>/dev/null | cut -c1-64)
"$HETPREF" fit --config "$cfg" -o f4 2>err
rc=$?
check "changed input: exit 2 (got $rc)" [ "$rc" -eq 2 ]
check "changed input: names the file" grep -q '^hetpref: data.csv: changed since' err
check "changed input: the recorded hash" grep -qF "$want" err
[ -n "$now" ] && check "changed input: the new hash" grep -qF "$now" err
check "changed input: nothing written" [ ! -e f4 ]
rm data.csv
"$HETPREF" fit --config "$cfg" -o f4 2>err
check "missing input: exit 2" [ $? -eq 2 ]
check "missing input: named" grep -q 'data.csv: input recorded in' err
# Only -o may accompany --config; a config of another command is refused.
"$HETPREF" fit --config "$cfg" --types 3 2>err
check "--config with another option: exit 2" [ $? -eq 2 ]
sed 's/^command = hetpref fit /command = hetpref mmra /' "$cfg" > other.ini
"$HETPREF" fit --config other.ini -o f5 2>err
check "config of another command: exit 2" [ $? -eq 2 ]
check "config of another command: says so" grep -q 'not a fit' err
finish
