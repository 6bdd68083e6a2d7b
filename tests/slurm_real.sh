#!/bin/sh
# slurm_real.sh — `hetpref sweep --slurm` on a real single-node Slurm cluster.
# Not part of `make check`: it installs packages and starts daemons. Run as
# root on Debian with access to the package mirror (as CI is); elsewhere it
# skips with exit 77 and says why.
#
# It installs slurmctld, slurmd, slurm-client and munge, starts munged (as
# the munge user), slurmctld and slurmd (as root) directly, without systemd,
# from a slurm.conf of its own (SLURM_CONF; nothing under /etc/slurm is
# touched), then:
#   1. sweep --slurm 4 --submit, waits (polling squeue: there is no
#      slurmdbd), compares runs.csv, summary.csv, config.ini with a local run;
#   2. submits a second run whose array tasks all get SIGTERM after 2 tasks
#      (HETPREF_TEST_SIGTERM_AFTER, exported by sbatch): they exit 143, the
#      merge must be cancelled (--kill-on-invalid-dep=yes), not left pending;
#      --slurm 4 --resume --submit then finishes it to the same bytes;
#   3. cancels one running array task (scancel JOBID_2): --resume --submit
#      resubmits that shard alone and the merge, to the same bytes;
#   4. stops the daemons it started, by PID.
# Usage: tests/slurm_real.sh (from the build tree; HETPREF and TESTDATA may
# be set as in make check).
set -u
here=$(cd "$(dirname "$0")" && pwd)
HETPREF=${HETPREF:-$here/../src/hetpref}
TESTDATA=${TESTDATA:-$here/data}
export HETPREF TESTDATA
skip() { echo "slurm_real.sh: skipped: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "not root (it installs packages and starts daemons)"
command -v apt-get > /dev/null || skip "no apt-get (not Debian)"
[ -x "$HETPREF" ] || skip "no hetpref binary at $HETPREF"
# Not a daemon started for a binary that is not hetpref (a stand-in that
# only exits, say): that is a failure, at once.
"$HETPREF" --version 2> /dev/null | grep -q '^hetpref ' ||
    { echo "FAIL: $HETPREF --version does not say hetpref" >&2; exit 1; }
t0=$(date +%s)
if ! command -v slurmctld > /dev/null || ! command -v slurmd > /dev/null ||
   ! command -v sbatch > /dev/null || ! command -v munged > /dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    { apt-get update -qq && apt-get install -y -qq --no-install-recommends \
        slurmctld slurmd slurm-client munge; } > /tmp/slurm_real.apt.log 2>&1 ||
        skip "apt-get install failed (no network?): see /tmp/slurm_real.apt.log"
fi
. "$here/lib.sh"
started=""
stop_daemons() {
    for p in $started; do kill "$p" 2> /dev/null; done
    for p in $started; do   # let them exit (slurmctld saves its state)
        w=0
        while kill -0 "$p" 2> /dev/null && [ $w -lt 20 ]; do sleep 0.5; w=$((w + 1)); done
    done
    rm -rf "$scratch"
}
trap stop_daemons EXIT

# munge: key, run directory, daemon as the munge user.
mkdir -p /run/munge /etc/munge /var/lib/munge /var/log/munge
chown munge:munge /run/munge /var/lib/munge /var/log/munge
chmod 0755 /run/munge
if [ ! -s /etc/munge/munge.key ]; then
    dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 2> /dev/null
    chown munge:munge /etc/munge/munge.key
    chmod 0400 /etc/munge/munge.key
fi
if ! munge -n > /dev/null 2>&1; then
    su -s /bin/sh munge -c munged || skip "munged would not start"
    sleep 1
    started="$started $(cat /run/munge/munged.pid)"
fi

# slurm.conf of our own.
host=$(hostname -s)
node=$(slurmd -C | head -n 1 | sed "s/^NodeName=[^ ]*/NodeName=$host/; s/ UpTime=.*//")
conf="$scratch/slurm.conf"
mkdir -p /run/slurm "$scratch/ctld" "$scratch/d"
cat > "$conf" <<EOF
ClusterName=hetpref
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmctldPidFile=/run/slurm/slurmctld.pid
SlurmdPidFile=/run/slurm/slurmd.pid
StateSaveLocation=$scratch/ctld
SlurmdSpoolDir=$scratch/d
SlurmctldLogFile=$scratch/slurmctld.log
SlurmdLogFile=$scratch/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
ReturnToService=2
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
$node NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
SLURM_CONF=$conf; export SLURM_CONF
# Another cluster on this machine (another run of this test) shares the pid
# files and ports: ours would not start, and its PIDs would be read as ours
# and stopped at exit. Refuse instead.
for f in /run/slurm/slurmctld.pid /run/slurm/slurmd.pid; do
    if [ -s "$f" ] && kill -0 "$(cat "$f")" 2> /dev/null; then
        echo "FAIL: a Slurm daemon is already running (PID $(cat "$f"), $f): not starting a second cluster" >&2
        exit 1
    fi
done
slurmctld -c 2> "$scratch/ctld.err" || { cat "$scratch/ctld.err" "$scratch/slurmctld.log" >&2; exit 1; }
sleep 1
started="$started $(cat /run/slurm/slurmctld.pid)"
slurmd 2> "$scratch/d.err" || { cat "$scratch/d.err" "$scratch/slurmd.log" >&2; exit 1; }
sleep 1
started="$started $(cat /run/slurm/slurmd.pid)"
i=0
until timeout 10 srun -t 1 hostname > /dev/null 2>&1; do
    i=$((i + 1))
    [ $i -lt 60 ] || { bad "no working srun after 60 s"; tail -20 "$scratch/slurmctld.log" "$scratch/slurmd.log" >&2; finish; }
    sleep 1
done
echo "slurm_real.sh: cluster up $(($(date +%s) - t0)) s after the start (srun hostname works)"

# Wait until none of the jobs given is in squeue (at most $1 seconds).
# A job id missing from the list is a failure (no submission to wait for);
# squeue failing for another reason than an unknown job id (a controller too
# busy to answer, say) is no answer: ask again.
wait_jobs() {
    limit=$1; shift
    list=$(echo "$@" | tr ' ' ',')
    case $list in ''|,*|*,|*,,*) return 1 ;; esac
    w=0
    while :; do
        q=$(squeue -h -j "$list" 2> "$scratch/squeue.err"); rc=$?
        [ $rc -eq 0 ] && [ -z "$q" ] && return 0
        [ $rc -ne 0 ] && grep -q 'Invalid job id' "$scratch/squeue.err" && return 0
        w=$((w + 1))
        [ $w -lt "$limit" ] || return 1
        sleep 1
    done
}
ids() { sed -n "s/^$1 job \([0-9]*\):.*/\1/p" "$2"; }

cfg="$TESTDATA/sweep_small.ini"
work=$(mktemp -d /var/tmp/hetpref-slurm.XXXXXX)
chmod 0755 "$work"
"$HETPREF" sweep "$cfg" -o "$work/local" --threads 2 2> /dev/null
check "local run: exit 0" [ $? -eq 0 ]

"$HETPREF" sweep "$cfg" -o "$work/run" --slurm 4 --submit \
    --sbatch '--time=00:10:00 --cpus-per-task=1' > "$scratch/msg"
check "--slurm 4 --submit: exit 0" [ $? -eq 0 ]
a=$(ids array "$scratch/msg"); m=$(ids merge "$scratch/msg")
check "job ids printed ($a, $m) (1 of 2)" [ -n "$a" ]
check "job ids printed ($a, $m) (2 of 2)" [ -n "$m" ]
check "jobs finish within 180 s" wait_jobs 180 "$a" "$m"
for f in runs.csv summary.csv config.ini; do
    check "$f: Slurm run identical to the local run" cmp -s "$work/local/$f" "$work/run/$f"
done

# Every array task terminated (SIGTERM, exit 143) after 2 of its tasks.
HETPREF_TEST_SIGTERM_AFTER=2 "$HETPREF" sweep "$cfg" -o "$work/term" --slurm 4 --submit > "$scratch/msg"
check "terminated run submitted: exit 0" [ $? -eq 0 ]
a=$(ids array "$scratch/msg"); m=$(ids merge "$scratch/msg")
check "array finishes within 120 s" wait_jobs 120 "$a"
check "merge cancelled, not left pending (kill-on-invalid-dep)" wait_jobs 30 "$m"
check "no runs.csv merged" [ ! -e "$work/term/runs.csv" ]
check "shard 2 kept its journal" [ -s "$work/term/shards/2/runs.journal" ]
check "shard log says SIGTERM / --resume" grep -q 'SIGTERM.*--resume' "$work/term/slurm/logs/array-2.out"
"$HETPREF" sweep "$cfg" -o "$work/term" --slurm 4 --resume --submit > "$scratch/msg"
check "--resume --submit: exit 0" [ $? -eq 0 ]
a=$(ids array "$scratch/msg"); m=$(ids merge "$scratch/msg")
check "resumed jobs finish within 180 s" wait_jobs 180 "$a" "$m"
for f in runs.csv summary.csv config.ini; do
    check "$f: terminated + resumed identical to the local run" cmp -s "$work/local/$f" "$work/term/$f"
done
grep -h 'skipped' "$work/term/slurm/logs/"array-*.out > "$scratch/skipped"
check "each resumed shard skipped its 2 journalled tasks" [ "$(grep -c 'skipped 2 of 6 tasks' "$scratch/skipped")" -eq 4 ]
# One array task cancelled with scancel while it runs (JOBID_2): only that
# shard is resubmitted by --resume --submit, with the merge, and the result is
# the bytes of a local run. Bigger tasks than above (a few seconds of CPU a
# shard), so task 2 is still running when scancel reaches it.
big="--set calibration.answers=4000000"
"$HETPREF" sweep "$cfg" -o "$work/local2" --threads 2 $big 2> /dev/null
check "local run (bigger tasks): exit 0" [ $? -eq 0 ]
"$HETPREF" sweep "$cfg" -o "$work/can" --slurm 4 --submit $big \
    --sbatch '--time=00:10:00 --cpus-per-task=1' > "$scratch/msg"
check "run to cancel submitted: exit 0" [ $? -eq 0 ]
a=$(ids array "$scratch/msg"); m=$(ids merge "$scratch/msg")
w=0   # until task 2 runs and has journalled a task
until [ "$(squeue -h -j "${a}_2" -o %T 2> /dev/null)" = RUNNING ] &&
      [ -s "$work/can/shards/2/runs.journal" ]; do
    w=$((w + 1)); [ $w -lt 600 ] || break
    sleep 0.2
done
scancel "${a}_2"
check "scancel ${a}_2 while it ran (journal had $(wc -l < "$work/can/shards/2/runs.journal") lines)" [ $w -lt 600 ]
check "array finishes within 180 s" wait_jobs 180 "$a"
check "merge cancelled after the scancel" wait_jobs 30 "$m"
check "no runs.csv merged" [ ! -e "$work/can/runs.csv" ]
"$HETPREF" status "$work/can" > "$scratch/st"
check "status: shard 2 not finished" grep -q '^shard 2/4: [0-5] of 6 tasks done (journal' "$scratch/st"
check "status: shard 1 finished" grep -qx 'shard 1/4: 6 of 6 tasks done (finished)' "$scratch/st"
check "status: shard 4 finished" grep -qx 'shard 4/4: 6 of 6 tasks done (finished)' "$scratch/st"
"$HETPREF" sweep "$cfg" -o "$work/can" --slurm 4 --resume --submit $big \
    --sbatch '--time=00:10:00 --cpus-per-task=1' > "$scratch/msg"
check "--resume --submit after scancel: exit 0" [ $? -eq 0 ]
check "--resume resubmits shard 2 only" grep -qx '#SBATCH --array=2' "$work/can/slurm/array.sbatch"
check "--resume: one array task" grep -q '^array job [0-9]*: can, 1 task$' "$scratch/msg"
a=$(ids array "$scratch/msg"); m=$(ids merge "$scratch/msg")
check "resumed shard and merge finish within 180 s" wait_jobs 180 "$a" "$m"
for f in runs.csv summary.csv config.ini; do
    check "$f: cancelled task + resumed identical to the local run" cmp -s "$work/local2/$f" "$work/can/$f"
done
"$HETPREF" status "$work/can" > "$scratch/st"
check "status after the resume: every task done and merged" grep -q '^total: 24 of 24 tasks done; merged.*: yes$' "$scratch/st"
if [ "$n_fail" -gt 0 ]; then   # what CI needs to see why
    for f in "$work"/*/slurm/logs/*.out; do
        [ -e "$f" ] && { echo "--- $f"; tail -n 5 "$f"; }
    done
    echo "--- slurmctld.log"; tail -n 40 "$scratch/slurmctld.log"
fi >&2
rm -rf "$work"
echo "slurm_real.sh: $(($(date +%s) - t0)) s in all"
finish
