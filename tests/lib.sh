# tests/lib.sh — shared helpers for the shell tests (sourced).
# Each test script counts its checks and exits non-zero when any failed;
# automake's harness reads the exit status (77 = skipped).
set -u
: "${HETPREF:?HETPREF must point at the hetpref binary (make check sets it)}"
: "${TESTDATA:?TESTDATA must point at tests/data}"
export LC_ALL=C
n_pass=0
n_fail=0
ok() { n_pass=$((n_pass + 1)); }
bad() { n_fail=$((n_fail + 1)); echo "FAIL: $*" >&2; }
check() { # check DESCRIPTION COMMAND...
    desc=$1; shift
    if "$@"; then ok; else bad "$desc"; fi
}
scratch=$(mktemp -d "${TMPDIR:-/tmp}/hetpref-test.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
# `hetpref CMD ARGS -o DIR` must exit 2 with a message containing FRAGMENT
# and write nothing.
expect_bad() { # expect_bad CMD DESC FRAGMENT ARGS...
    cmd=$1; d=$2; frag=$3; shift 3
    rm -rf "$scratch/bad"
    "$HETPREF" "$cmd" "$@" -o "$scratch/bad" 2>"$scratch/err" >/dev/null
    rc=$?
    check "$d: exit 2 (got $rc: $(cat "$scratch/err"))" [ "$rc" -eq 2 ]
    check "$d: message mentions '$frag'" grep -qF -- "$frag" "$scratch/err"
    check "$d: no output" [ ! -e "$scratch/bad" ]
}
expect_bad_fit() { expect_bad fit "$@"; } # expect_bad_fit DESC FRAGMENT ARGS...
# Run the experiment ID on its small configuration in tests/data/figures
# into $scratch/r (extra reproduce options after ID) and check it exits 0.
reproduce_small() { # reproduce_small ID [OPTION...]
    id=$1; shift
    HETPREF_CONFIGS="$TESTDATA/figures" "$HETPREF" reproduce --only "$id" "$@" \
        -o "$scratch/r" >"$scratch/out" 2>"$scratch/err"
    rc=$?
    check "reproduce --only $id: exit 0 (got $rc: $(cat "$scratch/err"))" [ "$rc" -eq 0 ]
}
finish() {
    echo "$0: $n_pass passed, $n_fail failed"
    [ "$n_fail" -eq 0 ]
    exit $?
}
