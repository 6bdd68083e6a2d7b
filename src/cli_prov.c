/* cli_prov.c — config.ini with provenance, and reruns from it (see
 * cli_prov.h). */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

#include "cli_prov.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cliutil.h"
#include "err.h"
#include "fsutil.h"
#include "prov.h"

int cli_write_config(const cfg *c, int argc, char **argv,
                     const char *const *inputs, size_t n_inputs,
                     int (*keep)(int key, void *ctx), void *ctx,
                     const char *dir)
{
    return cli_write_config_notes(c, argc, argv, inputs, n_inputs, keep, ctx,
                                  NULL, NULL, dir);
}

int cli_write_config_notes(const cfg *c, int argc, char **argv,
                           const char *const *inputs, size_t n_inputs,
                           int (*keep)(int key, void *ctx), void *ctx,
                           void (*notes)(FILE *f, const void *nctx),
                           const void *nctx, const char *dir)
{
    cfg *w = malloc(sizeof *w);
    if (!w) PREF_ERROR(PREF_ENOMEM, "out of memory");
    *w = *c;
    char path[4096];
    int st = prov_record(w, argc, argv, inputs, n_inputs);
    if (!st) st = fsutil_join(path, sizeof path, dir, "config.ini");
    fsutil_file o;
    if (!st) st = fsutil_open(&o, path);
    if (!st) {
        if (notes) notes(o.f, nctx);
        st = cfg_write_keys(w, o.f, keep, ctx);
        if (st) fsutil_abort(&o);
        else st = fsutil_commit(&o);
    }
    free(w);
    return st;
}

/* --config FILE and -o OUT of argv; 1 when --config is there, 0 when not,
 * or 2 after a usage error. */
static int rerun_args(const char *cmd, int argc, char **argv,
                      const char **config, const char **out)
{
    *config = *out = NULL;
    for (int i = 2; i < argc; i++) {
        int missing = 0;
        const char *v;
        if ((v = cli_opt_value(argc, argv, &i, "--config", &missing))) *config = v;
        else if (!missing && (v = cli_opt_value(argc, argv, &i, "-o", &missing)))
            *out = v;
        if (missing) return cli_usage_error(cmd, "%s needs a value", argv[i]);
    }
    if (!*config) return 0;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--config") || !strcmp(argv[i], "-o")) {
            i++;
            continue;
        }
        if (strncmp(argv[i], "--config=", 9) && strncmp(argv[i], "-o=", 3))
            return cli_usage_error(cmd, "--config reruns the recorded command: "
                                   "only -o may be given with it (got '%s')",
                                   argv[i]);
    }
    return 1;
}

int cli_rerun(const char *cmd, int argc, char **argv,
              int (*run)(int argc, char **argv))
{
    const char *config, *out;
    int r = rerun_args(cmd, argc, argv, &config, &out);
    if (r != 1) return r == 0 ? -1 : r;
    cfg *c = malloc(sizeof *c);
    if (!c) return cli_fail(pref_set_error(PREF_ENOMEM, "out of memory"));
    cfg_init(c);
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", config);
    char *slash = strrchr(dir, '/');
    if (slash) *slash = '\0';
    else snprintf(dir, sizeof dir, ".");
    int nw = 0;
    char **w = NULL;
    int st = cfg_load(c, config);
    if (!st) st = prov_argv(c, config, &nw, &w);
    if (!st && strcmp(w[1], cmd) != 0)
        st = pref_set_error(PREF_EINPUT, "%s records `hetpref %s ...`, not a "
                            "%s: rerun it with hetpref %s --config", config,
                            w[1], cmd, w[1]);
    if (!st && c->prov.version && strcmp(c->prov.version, PACKAGE_VERSION))
        fprintf(stderr, "hetpref: warning: %s was written by hetpref %s, this is "
                "%s: the outputs may differ\n", config, c->prov.version,
                PACKAGE_VERSION);
    if (!st) st = prov_verify(c, config);
    char **args = st ? NULL : malloc((size_t)(nw + 3) * sizeof *args);
    if (!st && !args) st = pref_set_error(PREF_ENOMEM, "out of memory");
    int rc = 0;
    if (!st) {
        memcpy(args, w, (size_t)nw * sizeof *args);
        args[nw] = "-o";
        args[nw + 1] = (char *)(out ? out : dir);
        args[nw + 2] = NULL;
        rc = run(nw + 2, args);
    }
    free(args);
    free(w);
    free(c);
    return st ? cli_fail(st) : rc;
}
