#!/bin/sh
# under_bash.sh — the CLI test scripts are POSIX sh and run under /bin/sh
# (dash on Debian) in `make check`; this runs each of them again under bash,
# which is /bin/sh elsewhere (Fedora, macOS) and differs in corner cases such
# as the status $? after a command substitution. Skipped (77) without bash.
set -u
top=${srcdir:-.}
command -v bash >/dev/null 2>&1 || { echo "no bash: skipped"; exit 77; }
pass=0
fail=0
for t in "$top"/tests/*.sh; do
    case $(basename "$t") in
    # slurm_real.sh is not part of make check: as root it installs packages
    # and starts Slurm daemons (.ci/run runs it, once).
    lib.sh|mutation.sh|under_bash.sh|slurm_real.sh) continue ;;
    esac
    if bash "$t" >"${TMPDIR:-/tmp}/hetpref-under-bash.$$" 2>&1; then
        pass=$((pass + 1))
    else
        rc=$?
        if [ "$rc" -eq 77 ]; then pass=$((pass + 1)); continue; fi
        fail=$((fail + 1))
        echo "FAIL: $(basename "$t") under bash (exit $rc):"
        tail -n 20 "${TMPDIR:-/tmp}/hetpref-under-bash.$$"
    fi
done
rm -f "${TMPDIR:-/tmp}/hetpref-under-bash.$$"
echo "$0: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
