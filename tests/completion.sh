#!/bin/sh
# completion.sh — completions/hetpref under bash: sources it, sets
# COMP_WORDS/COMP_CWORD as bash would (words split at '=' too, as the default
# COMP_WORDBREAKS does), calls _hetpref and compares COMPREPLY for commands,
# options, --set keys and values, --only ids, --model values and files.
# Skips (77) without bash.
. "${srcdir:-.}/tests/lib.sh"
command -v bash >/dev/null 2>&1 || { echo "bash not installed" >&2; exit 77; }
comp=$(cd "${srcdir:-.}" && pwd)/completions/hetpref
bindir=$(cd "$(dirname "$HETPREF")" && pwd)

mkdir -p "$scratch/w/sub" && cd "$scratch/w" || exit 99
: >a.ini; : >b.csv; : >c.txt

# got EXPECTED WORD...: the sorted COMPREPLY (space-separated) of completing
# the last WORD (bash's words: 'a.b=c' is passed as a.b = c) is EXPECTED.
got() {
    want=$1; shift
    have=$(PATH="$bindir:$PATH" bash -c '
        . "$1"; shift
        COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
        _hetpref hetpref
        printf "%s\n" "${COMPREPLY[@]}" | LC_ALL=C sort | tr "\n" " "' \
        sh "$comp" "$@")
    have=${have% }
    if [ "$have" = "$want" ]; then ok; else
        bad "complete '$*': got '$have', want '$want'"
    fi
}

got "merge mmra" hetpref m
got "config" hetpref co
got "--version" hetpref --v
got "identify" hetpref id
got "--resume" hetpref sweep a.ini --res
got "--force" hetpref sweep a.ini --f
got "--sbatch --seed --set --shard --slurm --submit" hetpref sweep a.ini --s
got "--dry-run" hetpref reproduce --d
got "--eta" hetpref mmra --e # not fit's --em-* and --epochs
got "--em-iters --em-patience --em-tol --epochs" hetpref fit --e
got "--m-step --max-iter --model" hetpref fit --m
got "--folds" hetpref fit --fo
got "emdpo lcl npmle" hetpref fit --model ''
got "observed sandwich" hetpref fit --se ''
got "warm" hetpref fit --m-step w
got "hedge lp" hetpref mmra --solver ''
got "emdpo_clusters emdpo_groups" hetpref reproduce --only emdpo
got "design.pool= design.prompts=" hetpref sweep a.ini --set design.p
got "emdpo.em_iters= emdpo.em_patience= emdpo.em_tol=" hetpref fit --set emdpo.em
# bash has split 'design.answer=f' into design.answer = f: only 'full' replaces f
got "full" hetpref sweep a.ini --set design.answer = f
# 'design.answer=' with the cursor after '=': bash's current word is '='
got "full pair top1 topk" hetpref sweep a.ini --set design.answer =
got "kmeans" hetpref fit --set emdpo.init = k
got "a.ini sub" hetpref simulate ''
got "b.csv sub" hetpref fit --data ''
got "sub" hetpref sweep a.ini -o ''
got "sub" hetpref merge ''
got "sub" hetpref report ''
got "latex markdown" hetpref report sub --format ''
got "--format" hetpref report sub --f
got "--estimates" hetpref predict --e
got "sub" hetpref predict --estimates ''
# plot: metrics and swept keys of the directory's summary.csv
printf 'cell,design.m,fit.types,metric,n,mean,sd,ci_low,ci_high\n0,3,1,tv,2,0.5,0,0.5,0.5\n0,3,1,loglik,2,1,0,1,1\n' \
    > sub/summary.csv
got "loglik tv" hetpref plot sub --y ''
got "design.m fit.types" hetpref plot sub --x ''
got "fit.types" hetpref plot -o x sub --x d --by f
got "" hetpref plot --y ''
got "a.ini sub" hetpref fit --config ''
finish
