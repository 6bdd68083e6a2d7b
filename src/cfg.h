/* cfg.h — configuration: one struct generated from cfg.def, read from INI
 * files (iniread.h).
 *
 * cfg_init sets every default; cfg_load parses an INI file onto it (unknown
 * section or key, a key given twice, a malformed or out-of-range value is
 * PREF_EINPUT with "FILE:LINE: ..."); cfg_set applies one section.key=value
 * (command-line --set, sweep values, reproduce --full overrides);
 * cfg_check validates relations between keys (eta sums to 1, shapes match d
 * and K, ...), naming the line where the offending key was set; cfg_write
 * dumps the resolved config, every key spelled out, so it can be fed back.
 *
 * [provenance] holds version, command and input (repeatable) as written
 * by prov.h; cfg only checks that each is given once (input: its shape).
 *
 * The sections [sweep] and [full] also take entries "section.key = value"
 * (in [sweep] the value is a '|'-separated list); they are checked against
 * the table when read and stored verbatim in cfg.sweep / cfg.full.
 *
 * A cfg is a plain value: copy it with memcpy or assignment, never free it.
 * What is not of fixed size — the numbers of a list, the text of a [sweep]
 * or [full] entry — is interned: immutable, shared by equal values and kept
 * until the process exits (memory grows with the distinct values parsed,
 * not with the copies), so lists have no length limit beyond the keys'
 * checks and sizeof(cfg) is a few kilobytes.
 * Not here: what the keys mean to the simulator (sim.c) or sweeps (sweep.c). */
#ifndef HETPREF_CFG_H
#define HETPREF_CFG_H

#include <stddef.h>
#include <stdio.h>

#include "bounds.h"

#define CFG_EXTRA_MAX 32

/* A list of numbers in rows (rows separated by ';', all of equal length). */
typedef struct cfg_list {
    size_t n;    /* numbers in all */
    size_t rows; /* n / rows numbers per row */
    const double *v; /* n numbers, row-major: immutable and interned */
} cfg_list;

/* A dynamic "section.key = value" entry of [sweep] or [full]. */
typedef struct cfg_entry {
    int key;     /* index into the table (CFG_KEY_...) */
    int line;    /* line in the file, 0 when not from a file */
    const char *value; /* as written: immutable and interned */
} cfg_entry;

/* The [provenance] section (prov.h): who made an output directory. Only
 * stored and written back here; prov.c fills and checks it. */
typedef struct cfg_prov {
    const char *version;  /* program version, or NULL when absent */
    const char *command;  /* the command line (shell words), or NULL */
    int command_line;     /* line of command in the file, 0 otherwise */
    size_t n_inputs;
    const char *input[CFG_EXTRA_MAX]; /* "SIZE SHA256 PATH" each */
} cfg_prov;

typedef struct cfg_extra {
    size_t n;
    cfg_entry e[CFG_EXTRA_MAX];
} cfg_extra;

#define CFG_T_INT long
#define CFG_T_REAL double
#define CFG_T_ENUM cfg_value
#define CFG_T_LIST cfg_list
#define CFG_DIM_INT
#define CFG_DIM_REAL
#define CFG_DIM_ENUM
#define CFG_DIM_LIST

enum {
#define CFG(s, k, t, def, lo, hi, ch, help) CFG_KEY_##s##_##k,
#define CFGV(s, k, v)
#include "cfg.def"
#undef CFGV
#undef CFG
    CFG_NKEYS
};

/* The values of every ENUM key, one constant per CFGV row of cfg.def:
 * CFG_section_key_value (e.g. CFG_design_answer_topk). An ENUM field of the
 * struct holds one of its key's constants. */
typedef enum cfg_value {
#define CFG(s, k, t, def, lo, hi, ch, help)
#define CFGV(s, k, v) CFG_##s##_##k##_##v,
#include "cfg.def"
#undef CFGV
#undef CFG
    CFG_NVALUES
} cfg_value;

typedef struct cfg {
#define CFG(s, k, t, def, lo, hi, ch, help) CFG_T_##t s##_##k CFG_DIM_##t;
#define CFGV(s, k, v)
#include "cfg.def"
#undef CFGV
#undef CFG
    int line[CFG_NKEYS];  /* where each key was set; 0 = default/command line */
    char file[1024];      /* the config file's name ("" when none) */
    cfg_extra sweep;      /* [sweep] section.key = v1 | v2 | ... */
    cfg_extra full;       /* [full] section.key = value */
    cfg_prov prov;        /* [provenance] (all strings interned) */
} cfg;

/* Every default, no file. */
void cfg_init(cfg *c);

/* Parse path onto c (normally right after cfg_init), then cfg_check.
 * Returns PREF_OK, PREF_EINPUT (message "FILE:LINE: ...") or PREF_EIO. */
int cfg_load(cfg *c, const char *path);

/* Set one key from text. origin/line name the source for messages (origin
 * may be NULL: "command line"). Returns PREF_OK or PREF_EINPUT. */
int cfg_set(cfg *c, const char *section, const char *key, const char *value,
            const char *origin, int line);

/* Same with "section.key". */
int cfg_set_dotted(cfg *c, const char *dotted, const char *value,
                   const char *origin, int line);

/* Index of "section.key" in the table, or -1. */
int cfg_find(const char *dotted);

/* "section.key" of table entry i (static storage). */
const char *cfg_key_name(int i);

/* The text of an ENUM value, as written in config files (static storage;
 * "?" for a value out of range). */
const char *cfg_value_name(cfg_value v);

/* The current value of key i as text, in the config.ini format. */
void cfg_format(const cfg *c, int i, char *buf, size_t n);

/* Whether key i defines the simulated data: 1 for the keys of [run] (the
 * master seed), [population], [compare], [design], [identify] (the random
 * query designs drawn) and [calibration] (the designs and answers
 * simulated), and for emdpo.test_users (the held-out users simulated for
 * evaluation); 0 for the keys that only say how the data are analysed or
 * run: [fit], [emdpo] (but test_users), [mmra], [sweep]. -1 for a key of a
 * section the table in cfg.c does not classify (a new section: tests/
 * test_cfg.c fails until it is added; treat -1 as data-defining). Sweeps
 * seed a task's data from the data-defining keys alone (sweep.h). */
int cfg_key_defines_data(int i);

/* "section.key = value" lines of every data-defining key of c (those with
 * cfg_key_defines_data != 0), in table order: the canonical text of what
 * defines c's data. Malloc'd (free it); NULL when out of memory. */
char *cfg_data_text(const cfg *c);

/* Cross-key validation. Returns PREF_OK or PREF_EINPUT naming file:line. */
int cfg_check(const cfg *c);

/* Record the message "FILE:LINE: [section] key: why" about key (a
 * CFG_KEY_... index; "FILE: " when the key kept its default, "config: "
 * without a file), why formatted from fmt, with file:line as the source
 * origin (err.h), and return PREF_EINPUT. For checks of keys outside
 * cfg_check (commands, experiments); call it through CFG_ERROR. */
int cfg_error_at(const char *file, int line, const cfg *c, int key,
                 const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Return cfg_error_at(here, c, key, ...) from the calling function, like
 * PREF_ERROR. */
#define CFG_ERROR(c, key, ...) \
    return cfg_error_at(__FILE__, __LINE__, (c), (key), __VA_ARGS__)

/* Write the resolved configuration (every key, [sweep] and [full] entries,
 * and [provenance] when c->prov.command is set) with a header comment
 * naming the program version. PREF_OK or PREF_EIO. */
int cfg_write(const cfg *c, FILE *f);

/* The same with only the keys for which keep(key index, ctx) is non-zero
 * (a section none of whose keys is kept is left out, [sweep] entries with
 * it); keep NULL keeps every key. What is left out takes its default when
 * the file is loaded back. */
int cfg_write_keys(const cfg *c, FILE *f, int (*keep)(int key, void *ctx),
                   void *ctx);

/* Intern the NUL-terminated text s (see above): the stored copy, or NULL
 * when out of memory. For the strings of c->prov. */
const char *cfg_intern_text(const char *s);

/* Write config.ini into dir atomically. */
int cfg_write_file(const cfg *c, const char *dir);

/* Print every key, its default and help (for --help). */
void cfg_help(FILE *f);

/* Effective candidates per query and ranked answers per query. */
long cfg_m(const cfg *c);
long cfg_r(const cfg *c);

#endif
