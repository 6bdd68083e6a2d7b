#!/bin/sh
# manpage.sh — doc/hetpref.1 renders without warnings and stays in step with
# the built binary's --help texts: every command of 'hetpref --help' has a
# section (.SS) of the page, every option a command's --help prints appears
# in that command's section, every option of 'hetpref --help' appears in the
# page, and so do every experiment id of 'reproduce --help' and every section
# of 'config --help'. MANPAGE=FILE checks another page (to see the test fail).
# Exit 77 (skip) only when neither groff nor man is installed to render the
# page, and only after the coverage checks passed.
. "${srcdir:-.}/tests/lib.sh"
page=${MANPAGE:-${srcdir:-.}/doc/hetpref.1}
[ -r "$page" ] || { echo "cannot read $page" >&2; exit 99; }

# ---- rendering -------------------------------------------------------------
renderer=
if command -v groff >/dev/null 2>&1; then
    renderer=groff
    groff -man -ww -z "$page" >"$scratch/warn" 2>&1
elif command -v man >/dev/null 2>&1; then
    renderer=man
    man --warnings -l "$page" 2>"$scratch/warn" >/dev/null
fi
if [ -n "$renderer" ]; then
    check "$renderer renders $page without warnings" test ! -s "$scratch/warn"
    cat "$scratch/warn" >&2
fi

# ---- the page as plain text: comments dropped, escapes undone -------------
grep -v '^\.\\"' "$page" |
    sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/\\f(..//g' -e 's/\\&//g' \
        -e 's/\\(..//g' -e 's/\\e/\\/g' >"$scratch/page"

# section NAME: the lines of the page from '.SS NAME' to the next .SS/.SH.
section() {
    awk -v n="$1" '/^\.S[SH]/ { on = ($0 == ".SS " n) ; next } on' "$scratch/page"
}
# has_word WORD FILE: WORD occurs in FILE, not as part of a longer option.
has_word() {
    grep -Eq -e "(^|[^A-Za-z0-9_-])$1([^A-Za-z0-9_-]|\$)" "$2"
}
# options FILE: the -x and --long-option words FILE mentions.
options() {
    grep -oE -e '(^|[^A-Za-z0-9_-])--?[a-z][a-z0-9-]*' "$1" |
        sed 's/^[^-]*//' | grep -E -e '^(--[a-z][a-z0-9-]*|-[a-z])$' | sort -u
}

"$HETPREF" --help >"$scratch/main.help" || { echo "hetpref --help failed" >&2; exit 99; }
commands=$(awk '/^commands:/ { on = 1; next } /^$/ { on = 0 }
                on && /^  [a-z]+ / { print $1 }' "$scratch/main.help"
           grep -oE 'hetpref [a-z]+ --help' "$scratch/main.help" | awk '{ print $2 }')
commands=$(printf '%s\n' $commands | sort -u)
check "hetpref --help lists commands" test -n "$commands"

for o in $(options "$scratch/main.help"); do
    check "option $o of 'hetpref --help' in the page" has_word "$o" "$scratch/page"
done
awk '/^\.SH SYNOPSIS/ { on = 1; next } /^\.SH/ { on = 0 } on' "$scratch/page" \
    >"$scratch/synopsis"
for c in $commands; do
    check "command $c in SYNOPSIS" grep -q "^\.B hetpref $c" "$scratch/synopsis"
    section "$c" >"$scratch/sec"
    if ! [ -s "$scratch/sec" ]; then
        bad "command $c has no '.SS $c' section in the page"
        continue
    fi
    ok
    "$HETPREF" "$c" --help >"$scratch/help" 2>&1 ||
        { bad "hetpref $c --help failed"; continue; }
    [ "$c" = config ] && continue # its help lists keys, not options
    for o in $(options "$scratch/help"); do
        # --help is every command's; the section "Options of every command".
        [ "$o" = --help ] && continue
        check "option $o of 'hetpref $c --help' in section $c" \
            has_word "$o" "$scratch/sec"
    done
done

# Experiment ids (reproduce --only) and configuration sections.
section reproduce >"$scratch/sec"
ids=$("$HETPREF" reproduce --help | awk '/^experiments:/ { on = 1; next } on && NF { print $1 }')
check "reproduce --help lists experiments" test -n "$ids"
for id in $ids; do
    check "experiment $id in section reproduce" has_word "$id" "$scratch/sec"
done
awk '/^\.SH CONFIGURATION/ { on = 1; next } /^\.SH/ { on = 0 } on' "$scratch/page" \
    >"$scratch/conf"
for s in $("$HETPREF" config --help | grep -oE '^\[[a-z_]+\]' | sort -u); do
    check "config section $s in CONFIGURATION" grep -qF "$s" "$scratch/conf"
done

# The page's title line names the version the binary reports.
v=$("$HETPREF" --version)
check "'.TH' names '$v'" grep -q "^\.TH HETPREF 1 .*\"$v\"" "$page"

if [ -z "$renderer" ] && [ "$n_fail" -eq 0 ]; then
    echo "$0: neither groff nor man installed: rendering not checked" >&2
    exit 77
fi
finish
