#!/bin/sh
# docrefs.sh — every file the user is pointed to is shipped.
#
# The --help texts are read by users of an installed hetpref, who have no
# source tree: they may point only to the installed documentation (doc/*.md,
# in dist_doc_DATA). README.md, doc/*.md and the man page may also point to
# other files of the source tree, but each must exist and be in the
# distribution (make dist: HETPREF_DISTFILES, set by make check, is
# automake's DISTFILES). Markdown links inside doc/ are relative to doc/.
# No user-facing text cites the internal specification or an issue number.
. "${srcdir:-.}/tests/lib.sh"
: "${HETPREF_DISTFILES:?HETPREF_DISTFILES must list the distributed files (make check sets it)}"
top=${srcdir:-.}

# The distributed files, one per line, relative to the top directory.
for f in $HETPREF_DISTFILES; do
    f=${f#"$top"/}; f=${f#./}
    echo "$f"
done | sort -u > "$scratch/dist"
sed -n '/^dist_doc_DATA/,/[^\\]$/p' "$top/Makefile.am" | tr ' \t\\' '\n\n\n' |
    grep '^doc/.*\.md$' | sort -u > "$scratch/docs"
check "some documentation installed (dist_doc_DATA)" [ -s "$scratch/docs" ]

# shipped PATH: PATH is a distributed file, or lies under a distributed
# directory.
shipped() {
    grep -qxF "$1" "$scratch/dist" && return 0
    d=$1
    while [ "$d" != "${d%/*}" ]; do
        d=${d%/*}
        grep -qxF "$d" "$scratch/dist" && return 0
    done
    return 1
}
# refs FILE: the source-tree paths FILE mentions, one per line.
refs() {
    grep -oE '(src|sims|doc|tests|bench|configs|completions)/[A-Za-z0-9_./-]*[A-Za-z0-9_]' "$1" |
        grep -E '\.(h|c|md|1|sh|ini|def)$' | sort -u
}

# The help texts.
: > "$scratch/help"
"$HETPREF" --help >> "$scratch/help" 2>&1
for c in simulate fit identify mmra sweep merge status plot reproduce describe config; do
    "$HETPREF" "$c" --help >> "$scratch/help" 2>&1
done
check "help texts read" [ -s "$scratch/help" ]
n_help=0
for r in $(refs "$scratch/help"); do
    n_help=$((n_help + 1))
    check "--help points to $r: installed documentation" grep -qxF "$r" "$scratch/docs"
done
check "--help points to the documentation somewhere ($n_help references)" [ "$n_help" -gt 0 ]

# README, the documentation, the man page.
for f in README.md doc/hetpref.1 $(cat "$scratch/docs"); do
    check "$f is shipped" shipped "$f"
    for r in $(refs "$top/$f"); do
        check "$f points to $r: exists" [ -e "$top/$r" ]
        check "$f points to $r: in the distribution" shipped "$r"
    done
done
for f in $(cat "$scratch/docs"); do
    for l in $(grep -oE '\]\([A-Za-z0-9_.-]+\.md(#[A-Za-z0-9_-]*)?\)' "$top/$f" |
               sed 's/^](//; s/)$//; s/#.*//' | sort -u); do
        check "$f links to doc/$l: installed" grep -qxF "doc/$l" "$scratch/docs"
    done
done

# Nothing user-facing cites the internal specification or an issue.
for f in "$scratch/help" "$top/README.md" "$top/doc/hetpref.1" $(sed "s|^|$top/|" "$scratch/docs"); do
    check "${f##*/}: no SPEC or issue reference" \
        sh -c "! grep -nE '\\bSPEC\\b|[Ii]ssue #?[0-9]' '$f'"
done
finish
