#!/bin/sh
# mutation.sh — every CLI test script must be able to fail. Each one is run
# with HETPREF pointing at a program that does nothing and exits 0, and at
# one that exits 2; a script that still passes (or skips) would pass against
# a broken hetpref, so it is reported. The scripts themselves are run by the
# shell that runs them in `make check` (/bin/sh).
set -u
top=${srcdir:-.}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/hetpref-mutation.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
printf '#!/bin/sh\nexit 0\n' > "$tmp/exit0"
printf '#!/bin/sh\nexit 2\n' > "$tmp/exit2"
chmod +x "$tmp/exit0" "$tmp/exit2"
pass=0
fail=0
for t in "$top"/tests/*.sh; do
    case $(basename "$t") in
    # slurm_real.sh is not part of make check: as root it installs packages
    # and starts Slurm daemons (.ci/run runs it, once).
    lib.sh|layering.sh|mutation.sh|under_bash.sh|slurm_real.sh) continue ;;
    esac
    for fake in exit0 exit2; do
        HETPREF="$tmp/$fake" /bin/sh "$t" >"$tmp/log" 2>&1
        rc=$?
        if [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ]; then
            pass=$((pass + 1))
        else
            fail=$((fail + 1))
            echo "FAIL: $(basename "$t") exits $rc against a hetpref that only does '$fake'"
        fi
    done
done
echo "$0: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
