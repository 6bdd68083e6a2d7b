/* test_estread.c — estimates.csv written by fitout_write reads back through
 * estread_read bit for bit (names from the data's feature names), and every
 * malformed file or mismatch with the data is PREF_EINPUT with
 * "FILE:LINE: field" (for a data mismatch: the line of type 1's row where
 * they first differ) and no estimates.
 * Temporary files go under a mkdtemp directory, removed at the end. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_test.h>

#include "data.h"
#include "err.h"
#include "estread.h"
#include "fitdiag.h"
#include "fitout.h"
#include "mix.h"
#include "strtab.h"

static char tmpdir[4096];

/* Two users, no answers, features named as given (names NULL: x1..xd). */
static data_set *named_data(size_t d, const char *const *names)
{
    data_set *ds = data_alloc(2, 0, 0, d, 0);
    if (!ds) return NULL;
    ds->user_q[1] = ds->user_q[2] = 0;
    ds->user_name[0] = 0;
    ds->user_name[1] = 1;
    if (names) {
        ds->features = strtab_alloc();
        uint32_t idx;
        for (size_t k = 0; k < d && ds->features; k++)
            strtab_intern(ds->features, names[k], strlen(names[k]), &idx);
    }
    return ds;
}

static char *path_of(const char *name)
{
    static char p[4200];
    snprintf(p, sizeof p, "%s/%s", tmpdir, name);
    return p;
}

static void write_text(const char *name, const char *text)
{
    FILE *f = fopen(path_of(name), "w");
    if (!f) return;
    fputs(text, f);
    fclose(f);
}

/* A K = 2, d = 2 fit with awkward numbers, written and read back. */
static void test_round_trip(void)
{
    const char *names[2] = {"price", "a,b \"quoted\""};
    data_set *ds = named_data(2, names);
    double eta[2] = {0.61803398874989485, 0.38196601125010515};
    double theta[4] = {1.2345678901234567, -3.3e-7, -0.4142135623730951, 2.718281828459045};
    double se_eta[2] = {0.0731, 0.0731}, se_theta[4] = {0.25, NAN, 0.125, 1e-3};
    double post[4] = {0.9, 0.1, 0.2, 0.8}, vcov[36];
    for (size_t j = 0; j < 36; j++) vcov[j] = 0.01 * (double)j;
    mix_fit f = {.K = 2, .d = 2, .n_users = 2, .eta = eta, .theta = theta,
                 .post = post, .se_eta = se_eta, .se_theta = se_theta,
                 .n_out = 6, .vcov = vcov};
    fitdiag dg;
    memset(&dg, 0, sizeof dg);
    dg.identified = -1;
    gsl_test_int(fitout_write(ds, &f, &dg, 0.95, tmpdir), PREF_OK, "fitout_write");
    estread_estimates *e = NULL;
    gsl_test_int(estread_read(path_of("estimates.csv"), ds, &e), PREF_OK,
                 "estread_read of a written file (%s)", pref_last_error());
    if (e) {
        gsl_test_int((int)e->K, 2, "K");
        gsl_test_int((int)e->d, 2, "d");
        gsl_test(memcmp(e->weight, eta, sizeof eta) != 0, "weights bit for bit");
        gsl_test(memcmp(e->theta, theta, sizeof theta) != 0, "theta bit for bit");
        gsl_test(strcmp(strtab_get(e->names, 1), names[1]) != 0,
                 "a name with a comma and quotes survives");
        gsl_test(e->row[4 * ESTREAD_NCOL + ESTREAD_SE] != 0.125, "se of theta_2[price]");
        gsl_test(!isnan(e->row[2 * ESTREAD_NCOL + ESTREAD_SE]), "NaN se read as NaN");
        gsl_test(!isnan(e->row[2 * ESTREAD_NCOL + ESTREAD_Z]), "z NaN beside it");
    }
    estread_free(e);
    gsl_test_int(estread_read(path_of("estimates.csv"), NULL, &e), PREF_OK,
                 "estread_read without data");
    estread_free(e);
    /* the same file against other data: d and names must match */
    data_set *d3 = named_data(3, NULL), *dx = named_data(2, NULL);
    e = (estread_estimates *)1;
    gsl_test_int(estread_read(path_of("estimates.csv"), d3, &e), PREF_EINPUT,
                 "d mismatch refused");
    gsl_test(e != NULL, "no estimates on error");
    /* type 1's rows: weight on line 2, theta[price] 3, theta[a,b..] 4 */
    gsl_test(!strstr(pref_last_error(), "estimates.csv:4: the estimates have 2 "
                     "features (theta[price]"),
             "d mismatch message (%s)", pref_last_error());
    gsl_test_int(estread_read(path_of("estimates.csv"), dx, &e), PREF_EINPUT,
                 "name mismatch refused");
    gsl_test(!strstr(pref_last_error(), "estimates.csv:3: feature 1 of the "
                     "estimates is 'price' but "
                     "the data's is 'x1'"), "name mismatch message (%s)",
             pref_last_error());
    data_free(d3);
    data_free(dx);
    data_free(ds);
}

/* One malformed file: PREF_EINPUT and a message holding want. */
static void bad(const char *what, const char *text, const char *want)
{
    write_text("bad.csv", text);
    estread_estimates *e = NULL;
    int st = estread_read(path_of("bad.csv"), NULL, &e);
    gsl_test_int(st, PREF_EINPUT, "%s: PREF_EINPUT", what);
    gsl_test(e != NULL, "%s: no estimates", what);
    gsl_test(!strstr(pref_last_error(), want), "%s: message has '%s' (got: %s)",
             what, want, pref_last_error());
    estread_free(e);
}

#define H "type,parameter,estimate,se,z,p,ci_low,ci_high\n"
static void test_malformed(void)
{
    bad("old wide header", "type,weight,theta1,se_weight,se_theta1\n1,1,0.5,0,0.1\n",
        "bad.csv:1: column 2 is 'weight', expected 'parameter': this is the "
        "wide form");
    bad("wide form without se", "type,weight,theta[price]\n1,1,0.5\n",
        "bad.csv:1: column 2 is 'weight', expected 'parameter': this is the "
        "wide form");
    bad("zero weight", H "1,weight,1,0,0,0,0,0\n1,theta[a],1,1,1,1,0,2\n"
        "2,weight,0,0,0,0,0,0\n2,theta[a],1,1,1,1,0,2\n",
        "bad.csv:4: the weight of type 2 is 0, not > 0");
    bad("no rows", H, "bad.csv:1: no estimates");
    {   /* "theta[a]\0x" was read as theta[a] */
        FILE *f = fopen(path_of("bad.csv"), "wb");
        static const char nul[] = H "1,weight,1,0,0,0,0,0\n1,theta[a]\0x,1,1,1,1,0,2\n";
        if (f) fwrite(nul, 1, sizeof nul - 1, f), fclose(f);
        estread_estimates *e = NULL;
        gsl_test_int(estread_read(path_of("bad.csv"), NULL, &e), PREF_EINPUT,
                     "NUL in a parameter: PREF_EINPUT");
        gsl_test(!strstr(pref_last_error(), "bad.csv:3: parameter holds a NUL byte"),
                 "NUL in a parameter: message (%s)", pref_last_error());
        estread_free(e);
    }
    bad("theta before weight", H "1,theta[x1],1,1,1,1,0,2\n",
        "bad.csv:2: parameter: 'theta[x1]', expected 'weight'");
    bad("type out of order", H "1,weight,0.5,0,NaN,NaN,1,1\n1,theta[x1],1,1,1,1,0,2\n"
        "3,weight,0.5,0,NaN,NaN,1,1\n", "bad.csv:4: type: '3', expected '2'");
    bad("other names in type 2", H "1,weight,0.5,0,0,0,0,0\n1,theta[x1],1,1,1,1,0,2\n"
        "2,weight,0.5,0,0,0,0,0\n2,theta[x2],1,1,1,1,0,2\n",
        "bad.csv:5: parameter: 'theta[x2]', expected 'theta[x1]'");
    bad("fewer coefficients in type 2", H "1,weight,0.5,0,0,0,0,0\n1,theta[a],1,1,1,1,0,2\n"
        "1,theta[b],1,1,1,1,0,2\n2,weight,0.5,0,0,0,0,0\n2,theta[a],1,1,1,1,0,2\n",
        "bad.csv:6: type 2 has 1 coefficients, type 1 has 2");
    bad("not a parameter", H "1,weight,1,0,0,0,0,0\n1,beta,1,1,1,1,0,2\n",
        "bad.csv:3: parameter: 'beta', expected 'weight' or 'theta[NAME]'");
    bad("repeated name", H "1,weight,1,0,0,0,0,0\n1,theta[a],1,1,1,1,0,2\n1,theta[a],1,1,1,1,0,2\n",
        "bad.csv:4: parameter: 'theta[a]' repeated");
    bad("NaN estimate", H "1,weight,1,0,0,0,0,0\n1,theta[a],NaN,1,1,1,0,2\n",
        "bad.csv:3: estimate: 'NaN' is not a finite number");
    bad("text se", H "1,weight,1,0,0,0,0,0\n1,theta[a],1,one,1,1,0,2\n",
        "bad.csv:3: se: 'one' is not a number");
    bad("weights not summing to 1", H "1,weight,0.5,0,0,0,0,0\n1,theta[a],1,1,1,1,0,2\n"
        "2,weight,0.4,0,0,0,0,0\n2,theta[a],1,1,1,1,0,2\n", "weights sum to 0.9");
    bad("short row", H "1,weight,1,0,0,0,0\n", "bad.csv:2: 7 fields, expected 8");
    bad("no features", H "1,weight,1,0,NaN,NaN,1,1\n", "no theta[NAME] rows");
    estread_estimates *e = NULL;
    gsl_test_int(estread_read(path_of("missing.csv"), NULL, &e), PREF_EINPUT,
                 "missing file: PREF_EINPUT");
}

int main(void)
{
    const char *t = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/test_estread.XXXXXX", t && *t ? t : "/tmp");
    if (!mkdtemp(tmpdir)) return 99;
    test_round_trip();
    test_malformed();
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmpdir);
    exit(gsl_test_summary());
}
