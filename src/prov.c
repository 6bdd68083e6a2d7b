/* prov.c — provenance records and the checks of a rerun (see prov.h). */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

#include "prov.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "sha256.h"

#define PROV_LINE_MAX 8192

static int prov_has_control(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f) return 1;
    return 0;
}

/* Append word w to buf (n bytes used of cap) shell-quoted when needed. */
static int prov_put_word(char *buf, size_t *n, size_t cap, const char *w)
{
    int plain = w[0] != '\0' &&
                strspn(w, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                          "0123456789_./=:,+@%-") == strlen(w);
    size_t need = *n + 4 * strlen(w) + 4;
    if (need > cap)
        PREF_ERROR(PREF_EINPUT, "the command line is too long to record "
                   "(over %d bytes)", PROV_LINE_MAX);
    char *o = buf + *n;
    if (*n) *o++ = ' ';
    if (!plain) *o++ = '\'';
    for (const char *p = w; *p; p++) {
        if (*p == '\'' && !plain) {
            memcpy(o, "'\\''", 4);
            o += 4;
        } else {
            *o++ = *p;
        }
    }
    if (!plain) *o++ = '\'';
    *o = '\0';
    *n = (size_t)(o - buf);
    return PREF_OK;
}

/* Options that say where, how fast or in which pieces a command runs, not
 * what it computes; value: 1 when a value follows (as the next word or
 * after '='). Only sweep has the last six. */
static const struct {
    const char *name;
    int value;
} prov_skip[] = {{"-o", 1},      {"--config", 1}, {"--threads", 1},
                 {"--shard", 1}, {"--resume", 0}, {"--force", 0},
                 {"--slurm", 1}, {"--sbatch", 1}, {"--submit", 0}};

static int prov_skipped(const char *w, int *with_value)
{
    for (size_t k = 0; k < sizeof prov_skip / sizeof *prov_skip; k++) {
        size_t n = strlen(prov_skip[k].name);
        if (!strncmp(w, prov_skip[k].name, n) && (w[n] == '\0' || w[n] == '=')) {
            *with_value = prov_skip[k].value && w[n] == '\0';
            return 1;
        }
    }
    return 0;
}

/* The command words of argv without the options of prov_skip. */
static int prov_command(int argc, char **argv, char *buf, size_t cap)
{
    size_t n = 0;
    buf[0] = '\0';
    PREF_TRY(prov_put_word(buf, &n, cap, "hetpref"));
    for (int i = 1; i < argc; i++) {
        const char *w = argv[i];
        int next = 0;
        if (prov_skipped(w, &next)) {
            i += next;
            continue;
        }
        if (prov_has_control(w))
            PREF_ERROR(PREF_EINPUT, "cannot record the command line: argument "
                       "%d holds a control character", i);
        PREF_TRY(prov_put_word(buf, &n, cap, w));
    }
    return PREF_OK;
}

int prov_record(cfg *c, int argc, char **argv, const char *const *inputs,
                size_t n_inputs)
{
    char *buf = malloc(PROV_LINE_MAX);
    if (!buf) PREF_ERROR(PREF_ENOMEM, "out of memory");
    cfg_prov pv = {.version = cfg_intern_text(PACKAGE_VERSION)};
    int st = prov_command(argc, argv, buf, PROV_LINE_MAX);
    if (!st && !(pv.command = cfg_intern_text(buf)))
        st = pref_set_error(PREF_ENOMEM, "out of memory");
    for (size_t k = 0; !st && k < n_inputs; k++) {
        if (!inputs[k]) continue;
        char hex[65];
        uint64_t size;
        if (prov_has_control(inputs[k]) || pv.n_inputs == CFG_EXTRA_MAX)
            st = pref_set_error(PREF_EINPUT, "%s: cannot record this input "
                                "(a control character, or too many inputs)",
                                inputs[k]);
        if (!st) st = sha256_file(inputs[k], hex, &size);
        if (!st) snprintf(buf, PROV_LINE_MAX, "%" PRIu64 " %s %s", size, hex,
                          inputs[k]);
        if (!st && !(pv.input[pv.n_inputs++] = cfg_intern_text(buf)))
            st = pref_set_error(PREF_ENOMEM, "out of memory");
    }
    free(buf);
    if (!st) c->prov = pv;
    return st;
}

int prov_verify(const cfg *c, const char *config)
{
    for (size_t k = 0; k < c->prov.n_inputs; k++) {
        const char *rec = c->prov.input[k];
        uint64_t size = strtoull(rec, NULL, 10), now_size;
        const char *hash = strchr(rec, ' ') + 1, *path = hash + 65;
        char now[65];
        int st = sha256_file(path, now, &now_size);
        if (st == PREF_EINPUT)
            PREF_ERROR(PREF_EINPUT, "%s: input recorded in %s is missing (run "
                       "from the directory of the original run?)", path, config);
        if (st) return st;
        if (strncmp(now, hash, 64) != 0 || now_size != size)
            PREF_ERROR(PREF_EINPUT, "%s: changed since %s was written: SHA-256 "
                       "%.64s (%" PRIu64 " bytes) recorded, %s (%" PRIu64
                       " bytes) now", path, config, hash, size, now, now_size);
    }
    return PREF_OK;
}

/* Split the words of s (as prov_put_word writes them: plain, '...', and
 * \' between quoted parts) into out, NUL-separated, pointers in w. Returns
 * the word count, or -1 for an unterminated quote. */
static int prov_split(const char *s, char *out, char **w)
{
    int n = 0;
    while (*s) {
        while (*s == ' ') s++;
        if (!*s) break;
        w[n++] = out;
        while (*s && *s != ' ') {
            if (*s == '\'') {
                const char *e = strchr(s + 1, '\'');
                if (!e) return -1;
                memcpy(out, s + 1, (size_t)(e - s - 1));
                out += e - s - 1;
                s = e + 1;
            } else if (*s == '\\' && s[1]) {
                *out++ = s[1];
                s += 2;
            } else {
                *out++ = *s++;
            }
        }
        *out++ = '\0';
    }
    w[n] = NULL;
    return n;
}

int prov_argv(const cfg *c, const char *config, int *argc, char ***argv)
{
    const char *cmd = c->prov.command;
    if (!cmd)
        PREF_ERROR(PREF_EINPUT, "%s: no [provenance] command to rerun (not "
                   "written by a run of this version?)", config);
    size_t len = strlen(cmd), nw = len / 2 + 2;
    char **w = malloc(nw * sizeof *w + len + 1);
    if (!w) PREF_ERROR(PREF_ENOMEM, "out of memory");
    int n = prov_split(cmd, (char *)(w + nw), w);
    if (n < 2 || strcmp(w[0], "hetpref") != 0) {
        free(w);
        PREF_ERROR(PREF_EINPUT, "%s:%d: [provenance] command: expected "
                   "'hetpref COMMAND ...' in shell words", config,
                   c->prov.command_line);
    }
    *argc = n;
    *argv = w;
    return PREF_OK;
}

/* The length of the part of config text before its [provenance] section. */
static size_t prov_keys_len(const char *text)
{
    const char *p = strstr(text, "\n[provenance]\n");
    return p ? (size_t)(p - text) : strlen(text);
}

int prov_same_config(const char *a, const char *b)
{
    size_t n = prov_keys_len(a);
    return n == prov_keys_len(b) && memcmp(a, b, n) == 0;
}
