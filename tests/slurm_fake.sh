#!/bin/sh
# slurm_fake.sh — `sweep --slurm N`, without Slurm: the scripts are checked
# by content, then run by a fake sbatch placed first on PATH, which runs the
# tasks of an array one after the other (SLURM_ARRAY_TASK_ID,
# SLURM_CPUS_PER_TASK set) and a dependent job only when the jobs it depends
# on succeeded. The merged CSVs must be the bytes of a local run, also after
# one shard is terminated (SIGTERM) midway and resumed with --resume.
. "${srcdir:-.}/tests/lib.sh"
cfg="$TESTDATA/sweep_small.ini"
bin="$scratch/bin"
mkdir -p "$bin"
# The fake sbatch. FAKE_TERM_TASK=I FAKE_TERM_AFTER=K: array task I gets a
# real SIGTERM after K of its tasks (hetpref's test hook). Every submission is
# logged in $FAKE_LOG as "id script array-list dependency".
cat > "$bin/sbatch" <<'EOF'
#!/bin/sh
set -u
parsable=0 dep= kill=no script=
for a in "$@"; do
    case $a in
    --parsable) parsable=1 ;;
    --dependency=afterok:*) dep=${a#--dependency=afterok:} ;;
    --kill-on-invalid-dep=yes) kill=yes ;;
    -*) echo "fake sbatch: unexpected option $a" >&2; exit 1 ;;
    *) script=$a ;;
    esac
done
[ -n "$script" ] && [ -r "$script" ] || { echo "fake sbatch: no script" >&2; exit 1; }
[ -z "$dep" ] || [ "$kill" = yes ] || { echo "fake sbatch: dependency without --kill-on-invalid-dep=yes" >&2; exit 1; }
n=$(($(cat "$FAKE_STATE/next" 2>/dev/null || echo 100) + 1))
echo "$n" > "$FAKE_STATE/next"
array=$(sed -n 's/^#SBATCH --array=//p' "$script")
echo "$n ${script##*/} ${array:--} ${dep:--}" >> "$FAKE_LOG"
status=ok
if [ -n "$dep" ] && [ -e "$FAKE_STATE/failed.$dep" ]; then
    status=cancelled   # --kill-on-invalid-dep=yes: never runs
elif [ -n "$array" ]; then
    for r in $(echo "$array" | tr ',' ' '); do
        lo=${r%-*} hi=${r#*-}
        i=$lo
        while [ "$i" -le "$hi" ]; do
            if [ "$i" = "${FAKE_TERM_TASK:-}" ]; then
                HETPREF_TEST_SIGTERM_AFTER=$FAKE_TERM_AFTER SLURM_ARRAY_TASK_ID=$i \
                    SLURM_CPUS_PER_TASK=2 bash "$script" 2>>"$FAKE_STATE/stderr" || status=failed
            else
                SLURM_ARRAY_TASK_ID=$i SLURM_CPUS_PER_TASK=2 \
                    bash "$script" 2>>"$FAKE_STATE/stderr" || status=failed
            fi
            i=$((i + 1))
        done
    done
else
    bash "$script" 2>>"$FAKE_STATE/stderr" || status=failed
fi
[ "$status" = ok ] || touch "$FAKE_STATE/failed.$n"
if [ "$parsable" = 1 ]; then echo "$n;cluster"; else echo "Submitted batch job $n"; fi
EOF
chmod +x "$bin/sbatch"
FAKE_STATE="$scratch/state"; FAKE_LOG="$scratch/state/log"
export FAKE_STATE FAKE_LOG
mkdir -p "$FAKE_STATE"

"$HETPREF" sweep "$cfg" -o "$scratch/local" --threads 2 2>/dev/null
check "local run: exit 0" [ $? -eq 0 ]

# Written, not submitted: the scripts' content.
out="$scratch/gen"
"$HETPREF" sweep "$cfg" -o "$out" --slurm 3 --sbatch '--partition=short -A proj --time=00:10:00' > "$scratch/msg"
check "--slurm 3: exit 0" [ $? -eq 0 ]
a="$out/slurm/array.sbatch"; m="$out/slurm/merge.sbatch"; s="$out/slurm/submit.sh"
check "array.sbatch written" [ -s "$a" ]
check "merge.sbatch written" [ -s "$m" ]
check "submit.sh written" [ -s "$s" ]
check "nothing run yet: no shards" [ ! -e "$out/shards" ]
check "nothing run yet: no runs.csv" [ ! -e "$out/runs.csv" ]
check "says how to submit" grep -q "sh $out/slurm/submit.sh" "$scratch/msg"
check "array of 3 tasks" grep -qx '#SBATCH --array=1-3' "$a"
check "shard count 3 written out, not SLURM_ARRAY_TASK_COUNT" grep -q -- '--shard "$i/3"' "$a"
check "no SLURM_ARRAY_TASK_COUNT in the command" sh -c "! grep -v '^#' '$a' | grep -q SLURM_ARRAY_TASK_COUNT"
check "exec hetpref by its absolute path" grep -q "^exec '/[^']*hetpref' sweep '$out/slurm/config.ini'" "$a"
check "threads from SLURM_CPUS_PER_TASK" grep -q 'threads=${SLURM_CPUS_PER_TASK:-1}' "$a"
check "--sbatch options as #SBATCH lines (array)" grep -qx '#SBATCH -A proj' "$a"
check "--sbatch options as #SBATCH lines (merge)" grep -qx '#SBATCH --time=00:10:00' "$m"
check "merge execs hetpref merge of 3 shards into OUT" sh -c "grep -q '^exec .*merge' '$m' && grep -c \"'$out/shards'/[123]\" '$m' | grep -qx 3 && grep -q \"^  -o '$out'\$\" '$m'"
check "submit: array with --parsable" grep -q 'sbatch --parsable .*array.sbatch' "$s"
check "submit: merge afterok + kill-on-invalid-dep" grep -q -- '--dependency=afterok:$a1 --kill-on-invalid-dep=yes .*merge.sbatch' "$s"
check "resolved config copied" cmp -s "$out/slurm/config.ini" "$scratch/local/config.ini"

# Bad input: exit 2, nothing written.
"$HETPREF" sweep "$cfg" -o "$scratch/bad1" --slurm 3 --sbatch '--array=1-9' 2>"$scratch/err"
check "--sbatch --array refused: exit 2" [ $? -eq 2 ]
check "... names --sbatch" grep -q -- '--sbatch' "$scratch/err"
check "... writes nothing" [ ! -e "$scratch/bad1" ]
"$HETPREF" sweep "$cfg" -o "$scratch/bad2" --slurm 3 --sbatch '--partition=x; rm -rf /' 2>/dev/null
check "--sbatch with ';' refused: exit 2" [ $? -eq 2 ]
"$HETPREF" sweep "$cfg" -o "$scratch/bad3" --slurm 0 2>/dev/null
check "--slurm 0: exit 2" [ $? -eq 2 ]
"$HETPREF" sweep "$cfg" -o "$scratch/bad6" --slurm 2 --threads 4 2>"$scratch/err"
check "--slurm with --threads: exit 2, not ignored" [ $? -eq 2 ]
check "... names SLURM_CPUS_PER_TASK" grep -q 'cpus-per-task' "$scratch/err"
"$HETPREF" reproduce -o "$scratch/bad7" --slurm 2 --threads 4 2>/dev/null
check "reproduce --slurm with --threads: exit 2" [ $? -eq 2 ]
"$HETPREF" sweep "$cfg" -o "$scratch/bad4" --submit 2>/dev/null
check "--submit without --slurm: exit 2" [ $? -eq 2 ]
mkdir "$scratch/nobin"
PATH="$scratch/nobin" "$HETPREF" sweep "$cfg" -o "$scratch/bad5" --slurm 2 --submit 2>"$scratch/err"
check "--submit without sbatch: exit 2" [ $? -eq 2 ]
check "... says sbatch is missing" grep -q 'sbatch is not on PATH' "$scratch/err"
check "... writes nothing" [ ! -e "$scratch/bad5" ]
"$HETPREF" sweep "$cfg" -o "$out" --slurm 3 --resume --set run.seed=7 2>"$scratch/err"
check "--resume with another config: exit 2" [ $? -eq 2 ]
"$HETPREF" sweep "$cfg" -o "$out" --slurm 4 --resume 2>"$scratch/err"
check "--resume with another shard count: exit 2" [ $? -eq 2 ]
check "... says which" grep -q 'split into 3 shards' "$scratch/err"

# Submitted through the fake Slurm: byte-identical to the local run.
PATH="$bin:$PATH" "$HETPREF" sweep "$cfg" -o "$scratch/run" --slurm 3 --submit > "$scratch/msg"
check "--submit: exit 0" [ $? -eq 0 ]
check "--submit prints the array job id" grep -q '^array job 101: run, 3 tasks' "$scratch/msg"
check "--submit prints the merge job id" grep -q '^merge job 102: run, after' "$scratch/msg"
check "merge depends on the array" grep -qx '102 merge.sbatch - 101' "$FAKE_LOG"
for f in runs.csv summary.csv config.ini; do
    check "$f: Slurm run identical to the local run" cmp -s "$scratch/local/$f" "$scratch/run/$f"
done
"$HETPREF" status "$scratch/run" > "$scratch/st"
check "status: exit 0" [ $? -eq 0 ]
check "status: shard 2/3 done" grep -qx 'shard 2/3: 8 of 8 tasks done (finished)' "$scratch/st"
check "status: merged" grep -q 'total: 24 of 24 tasks done; merged.*yes' "$scratch/st"

# Shard 2 terminated after 3 of its tasks: the merge never runs; --resume
# resubmits shard 2 alone, and the result is the same bytes.
: > "$FAKE_LOG"
FAKE_TERM_TASK=2 FAKE_TERM_AFTER=3 PATH="$bin:$PATH" \
    "$HETPREF" sweep "$cfg" -o "$scratch/kill" --slurm 3 --submit > /dev/null
check "submit with a terminated shard: exit 0 (submission succeeded)" [ $? -eq 0 ]
check "the terminated shard said exit 143 / --resume" grep -q 'SIGTERM.*--resume' "$FAKE_STATE/stderr"
check "merge cancelled: no runs.csv" [ ! -e "$scratch/kill/runs.csv" ]
check "shard 2 kept its journal" [ -s "$scratch/kill/shards/2/runs.journal" ]
"$HETPREF" status "$scratch/kill" > "$scratch/st"
check "status: shard 2 partial" grep -q '^shard 2/3: [3-7] of 8 tasks done (journal' "$scratch/st"
check "status: shard 3 finished" grep -qx 'shard 3/3: 8 of 8 tasks done (finished)' "$scratch/st"
check "status: not merged" grep -q 'merged.*: no$' "$scratch/st"
: > "$FAKE_LOG"
PATH="$bin:$PATH" "$HETPREF" sweep "$cfg" -o "$scratch/kill" --slurm 3 --resume --submit > "$scratch/msg"
check "--resume --submit: exit 0" [ $? -eq 0 ]
check "--resume resubmits shard 2 only" grep -qx '#SBATCH --array=2' "$scratch/kill/slurm/array.sbatch"
check "--resume tasks continue their journal" grep -q -- '--resume$' "$scratch/kill/slurm/array.sbatch"
check "--resume: one array task" grep -q '^array job [0-9]*: kill, 1 task$' "$scratch/msg"
check "fake Slurm ran array 2 then the merge" sh -c "grep -q ' array.sbatch 2 -\$' '$FAKE_LOG' && grep -q ' merge.sbatch - ' '$FAKE_LOG'"
for f in runs.csv summary.csv config.ini; do
    check "$f: terminated + resumed identical to the local run" cmp -s "$scratch/local/$f" "$scratch/kill/$f"
done
: > "$FAKE_LOG"
PATH="$bin:$PATH" "$HETPREF" sweep "$cfg" -o "$scratch/kill" --slurm 3 --resume --submit > "$scratch/msg"
check "--resume when every shard finished: merge only" sh -c "[ ! -e '$scratch/kill/slurm/array.sbatch' ] && grep -q '^merge job' '$scratch/msg' && ! grep -q array.sbatch '$FAKE_LOG'"

# --resume of a finished sweep (here: the merged one) runs nothing again
# and rewrites the same bytes.
"$HETPREF" sweep "$cfg" -o "$scratch/kill" --resume --threads 1 2>"$scratch/err"
check "--resume of a finished sweep: exit 0" [ $? -eq 0 ]
check "... skips all 24 tasks" grep -q 'skipped 24 of 24 tasks (done: a finished runs.csv); 0 to run' "$scratch/err"
for f in runs.csv summary.csv; do
    check "$f: unchanged" cmp -s "$scratch/local/$f" "$scratch/kill/$f"
done

# reproduce --slurm: a plain-sweep experiment is sharded; its merge job then
# runs `reproduce --only ID --resume`, which finds every task done.
HETPREF_CONFIGS=${HETPREF_CONFIGS:-$srcdir/configs}; export HETPREF_CONFIGS
"$HETPREF" reproduce --quick --only equivalence --threads 2 -o "$scratch/rl" 2>/dev/null
check "local reproduce: exit 0" [ $? -eq 0 ]
: > "$FAKE_LOG"; : > "$FAKE_STATE/stderr"
PATH="$bin:$PATH" "$HETPREF" reproduce --slurm 2 --only equivalence --submit -o "$scratch/rs" > "$scratch/msg"
check "reproduce --slurm 2 --submit: exit 0" [ $? -eq 0 ]
check "reproduce: array of 2 shards, then the merge" sh -c "grep -q ' equivalence.array.sbatch 1-2 -\$' '$FAKE_LOG' && grep -q ' equivalence.merge.sbatch - ' '$FAKE_LOG'"
check "reproduce: the merge job's reproduce ran no task again" grep -q 'skipped [1-9][0-9]* of \([0-9]*\) tasks (done: a finished runs.csv); 0 to run' "$FAKE_STATE/stderr"
for f in runs.csv summary.csv config.ini reproduce.done; do
    check "reproduce: results/equivalence/$f identical to a local reproduce" cmp -s "$scratch/rl/results/equivalence/$f" "$scratch/rs/results/equivalence/$f"
done
check "reproduce: the plot drawn" [ -s "$scratch/rs/plots/equivalence.gp" ]
check "reproduce: the config lookup exported to the jobs" grep -q '^export HETPREF_CONFIGS=' "$scratch/rs/slurm/equivalence.merge.sbatch"
"$HETPREF" status "$scratch/rs" > "$scratch/st"
check "reproduce status: exit 0" [ $? -eq 0 ]
check "reproduce status: equivalence finished" grep -qx 'equivalence: finished (quick)' "$scratch/st"
check "reproduce status: its shards done" sh -c "grep -q '^  shard 2/2: \([0-9]*\) of \1 tasks done (finished)\$' '$scratch/st'"
check "reproduce status: merged into results/equivalence" grep -q "^  total: .*merged into $scratch/rs/results/equivalence/runs.csv: yes\$" "$scratch/st"
check "reproduce status: the other experiments not part of it" grep -qx 'recovery: not part of this run' "$scratch/st"
PATH="$bin:$PATH" "$HETPREF" reproduce --slurm 2 --only equivalence --resume -o "$scratch/rs" > "$scratch/msg"
check "reproduce --resume after it finished: nothing left" grep -q 'equivalence: already done' "$scratch/msg"
"$HETPREF" reproduce --slurm 2 --only mmra -o "$scratch/rm" > "$scratch/msg"
check "reproduce --slurm: mmra (sweep_map) runs whole, one array task" sh -c "grep -q 'cannot be sharded.*: mmra' '$scratch/msg' && grep -qx '1) id=mmra ;;' '$scratch/rm/slurm/whole.array.sbatch' && [ ! -e '$scratch/rm/slurm/mmra.array.sbatch' ]"
"$HETPREF" status "$scratch/rm" > "$scratch/st"
check "reproduce status: mmra runs whole, not finished" grep -qx 'mmra: not finished (runs whole, in one task of whole.array.sbatch)' "$scratch/st"
# Shard 1 of equivalence terminated after 1 task: status shows it partial,
# shard 2 finished, nothing merged.
: > "$FAKE_LOG"
FAKE_TERM_TASK=1 FAKE_TERM_AFTER=1 PATH="$bin:$PATH" \
    "$HETPREF" reproduce --slurm 2 --only equivalence --submit -o "$scratch/rk" > /dev/null
"$HETPREF" status "$scratch/rk" > "$scratch/st"
check "reproduce status (terminated shard): exit 0" [ $? -eq 0 ]
check "... equivalence not finished" grep -qx 'equivalence: not finished' "$scratch/st"
check "... shard 1 partial" grep -q '^  shard 1/2: [1-9][0-9]* of [0-9]* tasks done (journal' "$scratch/st"
check "... shard 2 finished" sh -c "grep -q '^  shard 2/2: \([0-9]*\) of \1 tasks done (finished)\$' '$scratch/st'"
check "... not merged" grep -q '^  total: .*: no$' "$scratch/st"
"$HETPREF" reproduce --slurm 2 --only nosuch -o "$scratch/rn" 2>/dev/null
check "reproduce --slurm --only unknown: exit 2" [ $? -eq 2 ]

# A local run's status.
HETPREF_TEST_SIGINT_AFTER=5 "$HETPREF" sweep "$cfg" -o "$scratch/loc2" --threads 1 2>/dev/null
"$HETPREF" status "$scratch/loc2" > "$scratch/st"
check "status of an interrupted local run" grep -qx '5 of 24 tasks done (journal: interrupted, failed or running)' "$scratch/st"
"$HETPREF" status "$scratch/nonexistent" 2>/dev/null
check "status of a non-sweep directory: exit 2" [ $? -eq 2 ]
finish
