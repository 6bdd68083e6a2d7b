#!/bin/sh
# provenance.sh — a fit's config.ini records the command line, its inputs
# (size and SHA-256) and the version, holds only keys that apply to the fit,
# and `fit --config` reruns it byte for byte; a changed input is refused
# naming the file and both hashes, with nothing written.
. "${srcdir:-.}/tests/lib.sh"
cd "$scratch" || exit 99
# rerun_same CMD FROM TO: `hetpref CMD --config FROM/config.ini -o TO` exits 0
# and writes the same files as FROM, byte for byte.
rerun_same() {
    "$HETPREF" "$1" --config "$2/config.ini" -o "$3" >/dev/null 2>err
    rc=$?
    check "$1 --config: exit 0 (got $rc: $(cat err))" [ "$rc" -eq 0 ]
    for f in "$2"/*; do
        check "$1 rerun: $(basename "$f") byte-identical" cmp -s "$f" "$3/${f#$2/}"
    done
    check "$1 rerun: the same files" [ "$(ls "$2")" = "$(ls "$3")" ]
}
# run_ok DESC ARGS...: `hetpref ARGS` exits 0.
run_ok() {
    desc=$1; shift
    "$HETPREF" "$@" >/dev/null 2>err
    rc=$?
    check "$desc: exit 0 (got $rc: $(cat err))" [ "$rc" -eq 0 ]
}
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
rerun_same fit f1 f2
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

# mmra and identify record and rerun the same way.
cp "$TESTDATA/mmra/regret_4x3.csv" r.csv
"$HETPREF" mmra --regret r.csv --solver hedge --iters 500 -o m1 >/dev/null 2>err
check "mmra: exit 0 ($(cat err))" [ -s m1/config.ini ]
check "mmra config: input recorded" grep -q '^input = [0-9]* [0-9a-f]* r.csv$' m1/config.ini
check "mmra config: only [mmra]" [ "$(grep '^\[' m1/config.ini | tr '\n' ' ')" = "[mmra] [provenance] " ]
rerun_same mmra m1 m2
printf '0,0,0\n' >> r.csv
"$HETPREF" mmra --config m1/config.ini -o m3 >/dev/null 2>err
rc=$?
check "mmra changed input: exit 2 (got $rc)" [ "$rc" -eq 2 ]
check "mmra changed input: named" grep -q '^hetpref: r.csv: changed since' err
check "mmra changed input: nothing written" [ ! -e m3 ]
sed -e 's/^designs = .*/designs = 50/' -e 's/^fisher_designs = .*/fisher_designs = 20/' \
    "$TESTDATA/tiny.ini" > id.ini
"$HETPREF" identify id.ini --set identify.designs=40 -o i1 >/dev/null 2>err
rc=$?
check "identify: exit 0 (got $rc: $(cat err))" [ "$rc" -eq 0 ]
check "identify config: command" grep -qx 'command = hetpref identify id.ini --set identify.designs=40' i1/config.ini
check "identify config: no [fit]" sh -c "! grep -q '^\[fit\]' i1/config.ini"
rerun_same identify i1 i2
"$HETPREF" fit --config i1/config.ini -o i3 >/dev/null 2>err
rc=$?
check "fit --config of an identify config: exit 2 (got $rc)" [ "$rc" -eq 2 ]

# identify --data records the data and the estimates file and reruns byte
# for byte: with a fit of its own, and at a fit directory's estimates.
cp "$TESTDATA/pairs_glm.csv" d.csv
run_ok "identify --data" identify --data d.csv --types 2 --starts 2 -o j1
check "identify --data config: command" grep -qx 'command = hetpref identify --data d.csv --types 2 --starts 2' j1/config.ini
check "identify --data config: the data recorded" \
    grep -q '^input = [0-9]* [0-9a-f]\{64\} d.csv$' j1/config.ini
check "identify --data config: settings kept as comments" grep -qx '; starts = 2' j1/config.ini
rerun_same identify j1 j2
"$HETPREF" fit --data d.csv --types 2 --starts 2 -o fd >/dev/null 2>err
"$HETPREF" identify --data d.csv --estimates fd -o j3 >/dev/null 2>err
check "identify --data --estimates DIR: the estimates file recorded" \
    grep -q '^input = [0-9]* [0-9a-f]\{64\} fd/estimates.csv$' j3/config.ini
rerun_same identify j3 j4
sed 's/^1,weight,/1,weight, /' fd/estimates.csv > e.tmp && mv e.tmp fd/estimates.csv
"$HETPREF" identify --config j3/config.ini -o j5 >/dev/null 2>err
rc=$?
check "identify --data changed estimates: exit 2 (got $rc)" [ "$rc" -eq 2 ]
check "identify --data changed estimates: named" \
    grep -q '^hetpref: fd/estimates.csv: changed since' err
check "identify --data changed estimates: nothing written" [ ! -e j5 ]

# sweep: config.ini records the command without -o, --threads, --shard,
# --resume and --force, so local runs, shards, their merge and a resume all
# write the same config.ini; a sweep's config.ini fed back (no --set) keeps
# the provenance it records.
cp "$TESTDATA/sweep_small.ini" sw.ini
run_ok sweep sweep sw.ini --seed 3 --threads 2 -o s0
check "sweep config: command without -o and --threads" grep -qx 'command = hetpref sweep sw.ini --seed 3' s0/config.ini
check "sweep config: CONFIG recorded" \
    grep -qx "input = $(wc -c < sw.ini | tr -d ' ') $(sha256sum sw.ini | cut -c1-64) sw.ini" s0/config.ini
"$HETPREF" sweep sw.ini --seed 3 --shard 1/2 --threads 1 -o s1 2>/dev/null
"$HETPREF" sweep sw.ini --shard=2/2 --seed 3 --force -o s2 2>/dev/null
check "sweep shard 1: config.ini as the local run's" cmp -s s0/config.ini s1/config.ini
run_ok "sweep merge" merge s1 s2 -o sm
for f in config.ini runs.csv summary.csv; do
    check "sweep merge: $f byte-identical to the local run" cmp -s s0/$f sm/$f
done
run_ok "sweep --resume, CONFIG spelled ./sw.ini" sweep ./sw.ini --seed 3 --resume -o s0
check "sweep --resume: records its own command" \
    grep -qx 'command = hetpref sweep ./sw.ini --seed 3' s0/config.ini
cp -R sm s3
"$HETPREF" sweep s3/config.ini -o s4 2>/dev/null
for f in config.ini runs.csv summary.csv; do
    check "sweep of a sweep's config.ini: $f byte-identical" cmp -s sm/$f s4/$f
done
"$HETPREF" sweep s3/config.ini --set calibration.designs=3 -o s5 2>/dev/null
check "sweep of a sweep's config.ini with --set: a new provenance" \
    grep -qx 'command = hetpref sweep s3/config.ini --set calibration.designs=3' s5/config.ini
finish
