/* fsutil.h — output files that appear whole or not at all.
 *
 * fsutil_open_tmp opens "path.tmp.PID" for writing; fsutil_commit closes it
 * (checking every write error, including the final flush) and renames it onto
 * path; fsutil_abort closes and removes it. Use these for every output file so
 * an error or interrupt never leaves a half-written result. Also mkdir -p,
 * and the one "read a whole file into memory" helper.
 * Not here: formatting (callers print with "%.17g" in the C locale). */
#ifndef HETPREF_FSUTIL_H
#define HETPREF_FSUTIL_H

#include <stddef.h>
#include <stdio.h>

typedef struct fsutil_file {
    FILE *f;
    char path[4096];
    char tmp[4096 + 32];
} fsutil_file;

/* Open a temporary sibling of path. Returns PREF_OK or PREF_EIO (message
 * names the path). */
int fsutil_open(fsutil_file *o, const char *path);

/* fsutil_open of dir/name (fsutil_join's PREF_EINPUT when too long). */
int fsutil_open_in(fsutil_file *o, const char *dir, const char *name);

/* Flush, close and rename onto the final path. On any failure the temporary
 * file is removed and PREF_EIO returned. */
int fsutil_commit(fsutil_file *o);

/* Close and remove the temporary file (safe after a failed open). */
void fsutil_abort(fsutil_file *o);

/* Create dir and its parents (mode 0777 & ~umask). PREF_OK or PREF_EIO. */
int fsutil_mkdirs(const char *dir);

/* Join dir and name into buf (size n). Returns PREF_OK or PREF_EINPUT when
 * the result does not fit. */
int fsutil_join(char *buf, size_t n, const char *dir, const char *name);

/* Read the whole regular file at path into *out (malloc'd, NUL-terminated,
 * owned by the caller; the file may itself hold NUL bytes) and its length
 * into *len (len may be NULL). Returns PREF_OK; PREF_EIO "PATH: cannot
 * open: ...", "PATH: not a regular file" or "PATH: read error: ...";
 * PREF_ENOMEM. On error *out is NULL. */
int fsutil_read_file(const char *path, char **out, size_t *len);

/* 1 when path exists (any type), else 0. */
int fsutil_exists(const char *path);

/* Open the user's input file path for reading ("rb") into *f. PREF_OK;
 * "PATH: cannot open: ..." as PREF_EINPUT when it does not exist (the
 * user named a wrong file), else PREF_EIO. The caller fcloses *f. */
int fsutil_open_input(const char *path, FILE **f);

/* All or nothing for a command's output directory. fsutil_stage_begin
 * creates a staging directory beside out ("OUT.partial.PID"; out's parent is
 * created as needed; out itself is not touched) into which the command
 * writes every output (s->dir), files and subdirectories. fsutil_stage_commit
 * then checks that each staged entry can replace its target (a file's
 * target is not a directory; a subdirectory's target is a directory or
 * absent), creates out, moves every staged entry onto it (a staged
 * subdirectory replaces the old one whole), removes from out the entries
 * named in owned (NULL-terminated, at most 128; may be NULL; a directory is
 * removed with what it holds) that this run did not write — so no stale
 * result of an earlier run is left beside the new ones — and removes the
 * staging directory. On an error before the moves, out is
 * unchanged. fsutil_stage_abort removes the staging directory and what it
 * holds, subdirectories included (safe after a failed begin and after a commit), and makes the last
 * error message name out where a writer named the staging directory. All return PREF_OK,
 * PREF_EIO or PREF_EINPUT (out exists and is not a directory), naming the
 * path. */
typedef struct fsutil_stage {
    char out[4096];
    char dir[4096 + 32];
} fsutil_stage;

int fsutil_stage_begin(fsutil_stage *s, const char *out);
int fsutil_stage_commit(fsutil_stage *s, const char *const *owned);
void fsutil_stage_abort(fsutil_stage *s);

#endif
