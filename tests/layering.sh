#!/bin/sh
# layering.sh — the three layers include only downwards (see Makefile.am):
# libcore (src/ minus the CLI) includes no header of sims/ or of the CLI;
# libsims (sims/) includes no CLI header; nobody reaches into another
# directory with "../". Also: every CSV is parsed by the one reader
# (csvrec). Fails, naming file and line, on each breach.
top=${srcdir:-.}
cd "$top" || exit 99
fail=0
cli_headers=$(cd src && ls cli*.h)
sims_headers=$(cd sims && ls *.h)
# is_in WORD LIST: 1 when WORD is one of LIST's words.
is_in() { for w in $2; do [ "$w" = "$1" ] && return 0; done; return 1; }
check() { # check FILE FORBIDDEN-HEADERS LAYER
    grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$1" |
    while IFS= read -r line; do
        n=${line%%:*}
        h=$(printf '%s\n' "$line" | sed 's/.*include[[:space:]]*"\([^"]*\)".*/\1/')
        case $h in
        */*) echo "$1:$n: includes \"$h\": no paths across directories"; echo x ;;
        *) if is_in "$h" "$2"; then
               echo "$1:$n: $3 includes \"$h\" from a layer above it"; echo x
           fi ;;
        esac
    done
}
out=$(
for f in src/*.c src/*.h; do
    case ${f#src/} in main.c|cli*) continue ;; esac
    check "$f" "$cli_headers $sims_headers" "libcore"
done
for f in sims/*.c sims/*.h; do check "$f" "$cli_headers" "libsims"; done
)
if printf '%s\n' "$out" | grep -q '^x$'; then
    printf '%s\n' "$out" | grep -v '^x$'
    fail=1
fi
# One CSV reader: libcsv's parser is driven from src/csvrec.c alone (the
# writers' csv_fwrite is fine anywhere).
for f in src/*.c sims/*.c; do
    [ "$f" = src/csvrec.c ] && continue
    if grep -n 'csv_\(parse\|init\|fini\)[[:space:]]*(' "$f"; then
        echo "$f: parses CSV with libcsv directly: read through csvrec.h"
        fail=1
    fi
done
# A shell check must not read $? after a $(...) on the same line: under
# bash, $? is then the status of the command substitution (always 0).
for f in tests/*.sh; do
    if grep -n '^[[:space:]]*check .*\$(.*\$?' "$f"; then
        echo "$f: a check reads \$? after a \$(...): save rc=\$? first"
        fail=1
    fi
done
# Nor end in "] && [ ... ]": check runs only the first test, and the shell
# runs the second outside it, so the second can never fail the check.
for f in tests/*.sh; do
    if grep -n '^[[:space:]]*check .*\] && \[' "$f"; then
        echo "$f: a check's second test is outside it: split it in two checks"
        fail=1
    fi
done
# The check must be able to fail: a planted upward include is caught.
tmp=$(mktemp -d)
printf '#include "tasks.h"\n' > "$tmp/planted.c"
if [ -z "$(check "$tmp/planted.c" "$sims_headers" libcore)" ]; then
    echo "layering.sh: the check missed a planted upward include"
    fail=1
fi
rm -rf "$tmp"
[ "$fail" -eq 0 ] && echo "layering: every include points down"
exit "$fail"
