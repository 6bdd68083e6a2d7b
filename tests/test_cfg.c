/* test_cfg.c — configuration table: defaults, parsing, every class of bad
 * config (message names file, line and key), dump round trip, sweep entries. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_test.h>

#include "cfg.h"
#include "err.h"
#include "sweep.h"
#include "tasks.h"

static char dir[256];

static const char *write_tmp(const char *name, const char *text)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
    return path;
}

static cfg C, C2;

/* Load text; expect PREF_EINPUT and a message containing "FILE:LINE:" and
 * the fragment. */
static void expect_bad(const char *text, int line, const char *fragment)
{
    const char *path = write_tmp("bad.ini", text);
    cfg_init(&C);
    int st = cfg_load(&C, path);
    char want[600];
    if (line > 0) snprintf(want, sizeof want, "%s:%d: ", path, line);
    else snprintf(want, sizeof want, "%s", path);
    const char *msg = pref_last_error();
    gsl_test_int(st, PREF_EINPUT, "bad config rejected: %s", fragment);
    gsl_test(strstr(msg, want) != msg, "message '%s' starts with '%s'", msg, want);
    gsl_test(!strstr(msg, fragment), "message '%s' mentions '%s'", msg, fragment);
}

/* Lists have no fixed capacity: a K x d theta of 4 x 700 = 2800 numbers
 * (the old table held 1024) sets, checks and dumps; equal lists share one
 * interned copy; a copy of a cfg is a plain memcpy that stays valid after
 * the original changes. */
static void test_long_lists(void)
{
    static cfg A, B;
    cfg_init(&A);
    size_t K = 4, d = 700, cap = K * d * 24 + 64;
    char *text = malloc(cap), *eta = "0.1, 0.2, 0.3, 0.4";
    size_t used = 0;
    for (size_t i = 0; i < K * d; i++)
        used += (size_t)snprintf(text + used, cap - used, "%s%.3f",
                                 i == 0 ? "" : (i % d == 0 ? "; " : ", "),
                                 0.001 * (double)(i % 997) - 0.4);
    char dstr[16];
    snprintf(dstr, sizeof dstr, "%zu", d);
    gsl_test_int(cfg_set_dotted(&A, "design.d", dstr, NULL, 0), PREF_OK, "d = 700");
    gsl_test_int(cfg_set_dotted(&A, "population.kind", "latent_class", NULL, 0),
                 PREF_OK, "latent_class");
    gsl_test_int(cfg_set_dotted(&A, "population.types", "4", NULL, 0), PREF_OK, "K = 4");
    gsl_test_int(cfg_set_dotted(&A, "population.eta", eta, NULL, 0), PREF_OK, "eta");
    gsl_test_int(cfg_set_dotted(&A, "population.b", "0.5", NULL, 0), PREF_OK, "b");
    gsl_test_int(cfg_set_dotted(&A, "population.theta", text, NULL, 0), PREF_OK,
                 "a 2800-number theta sets (%s)", pref_last_error());
    gsl_test_int((int)A.population_theta.n, (int)(K * d), "theta has K d numbers");
    gsl_test_int((int)A.population_theta.rows, (int)K, "theta has K rows");
    gsl_test_abs(A.population_theta.v[d + 3], 0.001 * (double)((d + 3) % 997) - 0.4,
                 1e-15, "theta[1][3] read back");
    gsl_test_int(cfg_check(&A), PREF_OK, "the long config checks (%s)",
                 pref_last_error());
    memcpy(&B, &A, sizeof A);
    gsl_test_int(cfg_set_dotted(&A, "population.eta", "0.25, 0.25, 0.25, 0.25",
                                NULL, 0), PREF_OK, "eta reset");
    gsl_test_abs(B.population_eta.v[3], 0.4, 0, "the copy keeps its own eta");
    gsl_test_int(cfg_set_dotted(&A, "compare.eta", eta, NULL, 0), PREF_OK, "compare.eta");
    gsl_test(A.compare_eta.v != B.population_eta.v, "equal lists are interned once");
    char *dump = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&dump, &n);
    gsl_test_int(cfg_write(&A, f), PREF_OK, "the long config dumps");
    fclose(f);
    const char *line = strstr(dump, "\ntheta = ");
    size_t semis = 0, commas = 0;
    for (const char *q = line; q && *q && (q == line || *q != '\n'); q++) {
        semis += *q == ';';
        commas += *q == ',';
    }
    gsl_test(!line || semis != K - 1 || commas != K * d - K,
             "dump holds theta whole (%zu ';', %zu ',')", semis, commas);
    gsl_test(sizeof(cfg) > 16384, "sizeof(cfg) = %zu bytes: a small value",
             sizeof(cfg));
    free(dump);
    free(text);
}

/* A string of n numbers "v, v, ..." in rows of per numbers (malloc'd). */
static char *number_list(size_t n, size_t per)
{
    char *t = malloc(n * 24 + 1);
    size_t used = 0;
    for (size_t i = 0; i < n; i++)
        used += (size_t)sprintf(t + used, "%s%.9f", i == 0 ? "" : (i % per ? ", " : "; "),
                                0.012345678 * (double)(i % 89) - 0.5);
    return t;
}

/* Lines of any length: a 10 KB comment stays a comment (its tail is no key),
 * a 14 KB list value parses whole, the line numbers after them are right,
 * and the dump of what loads loads back and dumps to the same bytes. */
static void test_long_lines(void)
{
    size_t d = 600, K = 2;
    char *theta = number_list(K * d, d), *bvec = number_list(d, d);
    size_t cap = 40000 + strlen(theta) + strlen(bvec);
    char *text = malloc(cap);
    char *comment = malloc(10241);
    memset(comment, 'x', 10240);
    comment[10240] = '\0';
    int n = snprintf(text, cap, "[run]\n;%s seed = 99\nseed = 7\n[design]\nd = %zu\n"
                     "[population]\nkind = latent_class\ntheta = %s\nb = %s\n"
                     "[sweep]\ntask = lcl\n", comment, d, theta, bvec);
    for (int v = 0; v < 600; v++) n += snprintf(text + n, cap - (size_t)n, "%s%d",
                                                v ? " | " : "design.users = ", 10 + v);
    snprintf(text + n, cap - (size_t)n, "\n");
    const char *path = write_tmp("long.ini", text);
    cfg_init(&C);
    gsl_test_int(cfg_load(&C, path), PREF_OK, "a config with 10 KB lines loads (%s)",
                 pref_last_error());
    gsl_test_int((int)C.run_seed, 7, "the tail of a long comment is no key");
    gsl_test_int((int)C.population_theta.n, (int)(K * d), "a 14 KB theta parses whole");
    gsl_test_int(C.line[CFG_KEY_population_theta], 8, "line numbers after long lines");
    char *dump = NULL, *dump2 = NULL;
    size_t nd = 0, nd2 = 0;
    FILE *f = open_memstream(&dump, &nd);
    cfg_write(&C, f);
    fclose(f);
    const char *back = write_tmp("long_dump.ini", dump);
    cfg_init(&C2);
    gsl_test_int(cfg_load(&C2, back), PREF_OK, "the dump loads back (%s)",
                 pref_last_error());
    f = open_memstream(&dump2, &nd2);
    cfg_write(&C2, f);
    fclose(f);
    gsl_test(nd != nd2 || memcmp(dump, dump2, nd) != 0,
             "the dump of the dump is the same bytes (%zu, %zu)", nd, nd2);
    char *big = number_list(K * d, d);
    gsl_test_int(cfg_set_dotted(&C2, "population.theta", big, NULL, 0), PREF_OK,
                 "a 14 KB --set value (%s)", pref_last_error());
    free(big);
    free(dump);
    free(dump2);
    free(comment);
    free(text);
    free(theta);
    free(bvec);
}

/* Which keys define the data: every key is classified; the estimator
 * sections are not data, emdpo.test_users is; the data text moves with a
 * data key only. */
static void test_data_keys(void)
{
    for (int i = 0; i < CFG_NKEYS; i++)
        gsl_test(cfg_key_defines_data(i) < 0, "%s: classified as data or not "
                 "(add its section to section_role in cfg.c)", cfg_key_name(i));
    static const struct {
        const char *key;
        int data;
    } want[] = {{"run.seed", 1},          {"population.kind", 1},
                {"compare.b", 1},         {"design.users", 1},
                {"design.answer", 1},     {"identify.designs", 1},
                {"calibration.answers", 1}, {"emdpo.test_users", 1},
                {"fit.types", 0},         {"fit.max_iter", 0},
                {"emdpo.lr", 0},          {"emdpo.init", 0},
                {"mmra.solver", 0},       {"sweep.replicates", 0}};
    for (size_t j = 0; j < sizeof want / sizeof want[0]; j++)
        gsl_test_int(cfg_key_defines_data(cfg_find(want[j].key)), want[j].data,
                     "%s defines the data", want[j].key);
    static cfg A;
    cfg_init(&A);
    char *t0 = cfg_data_text(&A);
    cfg_set_dotted(&A, "fit.types", "4", NULL, 0);
    cfg_set_dotted(&A, "emdpo.lr", "0.5", NULL, 0);
    char *t1 = cfg_data_text(&A);
    cfg_set_dotted(&A, "design.users", "77", NULL, 0);
    char *t2 = cfg_data_text(&A);
    gsl_test(!t0 || !t1 || !t2, "data text allocated");
    if (t0 && t1 && t2) {
        gsl_test(strcmp(t0, t1) != 0, "estimator keys leave the data text");
        gsl_test(strcmp(t1, t2) == 0, "design.users changes the data text");
        gsl_test(!strstr(t2, "design.users = 77\n"), "data text holds users");
        gsl_test(strstr(t2, "fit.") != NULL, "data text holds no [fit] key");
    }
    free(t0);
    free(t1);
    free(t2);
}

/* Data seeds of a plan: cells differing only in fit.types share them (per
 * replicate), cells differing in design.users and replicates do not; task
 * seeds are all distinct. */
static void test_data_seeds(void)
{
    const char *path = write_tmp("crn.ini",
        "[run]\nseed = 99\n[sweep]\ntask = lcl\nreplicates = 2\n"
        "design.users = 100 | 200\nfit.types = 1 | 2\n");
    cfg_init(&C);
    gsl_test_int(cfg_load(&C, path), PREF_OK, "crn config loads (%s)",
                 pref_last_error());
    sweep_plan *p = NULL;
    gsl_test_int(sweep_plan_build(&C, tasks_table(), &p), PREF_OK,
                 "crn plan builds (%s)", pref_last_error());
    if (!p) return;
    /* cells: (100, 1), (100, 2), (200, 1), (200, 2) */
    for (size_t r = 0; r < 2; r++) {
        gsl_test(sweep_plan_data_seed(p, 0, r) != sweep_plan_data_seed(p, 1, r),
                 "replicate %zu: fit.types alone keeps the data seed", r);
        gsl_test(sweep_plan_data_seed(p, 2, r) != sweep_plan_data_seed(p, 3, r),
                 "replicate %zu: fit.types alone keeps the data seed (200)", r);
        gsl_test(sweep_plan_data_seed(p, 0, r) == sweep_plan_data_seed(p, 2, r),
                 "replicate %zu: design.users changes the data seed", r);
    }
    gsl_test(sweep_plan_data_seed(p, 0, 0) == sweep_plan_data_seed(p, 0, 1),
             "replicates have their own data seeds");
    for (size_t a = 0; a < 8; a++)
        for (size_t b = a + 1; b < 8; b++)
            gsl_test(sweep_plan_seed(p, a / 2, a % 2) ==
                         sweep_plan_seed(p, b / 2, b % 2),
                     "tasks %zu and %zu have distinct task seeds", a, b);
    sweep_plan_free(p);
}

/* SHA-256 of "abc" (FIPS 180-2 B.1), a well-formed digest for the tests. */
#define SHA_ABC "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

/* [provenance] entries that cfg_load refuses, each with its line. */
static void test_bad_provenance(void)
{
    static const struct { const char *text, *frag; } bad[] = {
        {"[provenance]\ninput = 12 abc x.csv\n", "prov1.ini:2: [provenance] input"},
        {"[provenance]\ninput = 12 " SHA_ABC "\n", "prov2.ini:2: [provenance] input"},
        {"[provenance]\ncommand = a\ncommand = b\n", "prov3.ini:3: [provenance] command: given twice"},
        {"[provenance]\nwho = me\n", "prov4.ini:2: unknown key 'who'"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        char name[32];
        snprintf(name, sizeof name, "prov%zu.ini", k + 1);
        cfg c;
        cfg_init(&c);
        int st = cfg_load(&c, write_tmp(name, bad[k].text));
        gsl_test_int(st, PREF_EINPUT, "bad provenance %zu refused", k + 1);
        gsl_test(!strstr(pref_last_error(), bad[k].frag),
                 "bad provenance %zu: message '%s'", k + 1, pref_last_error());
    }
}

int main(void)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/test_cfg.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) return 1;
    test_long_lists();
    test_long_lines();
    test_data_keys();
    test_data_seeds();

    cfg_init(&C);
    gsl_test_int(cfg_check(&C), PREF_OK, "defaults pass the checks");
    gsl_test_int((int)C.design_d, 2, "default d");
    gsl_test_str(cfg_value_name(C.population_kind), "polarised", "default population");
    gsl_test_int((int)cfg_m(&C), 3, "default m");

    const char *good = write_tmp("good.ini",
        "; comment\n[run]\nseed = 77\n\n[population]\nkind = latent_class\n"
        "types = 3\neta = 0.2, 0.3, 0.5\ntheta = 1,2; 3,4; -5, 6.5\n"
        "[design]\nanswer = full\nm = 4\n[sweep]\nreplicates = 3\n"
        "design.m = 3 | 5\npopulation.eta = 0.2,0.3,0.5 | 0.6, 0.2, 0.2\n"
        "[provenance]\nversion = 9.9\ncommand = hetpref fit --data 'a b.csv'\n"
        "input = 12 " SHA_ABC " a b.csv\n");
    cfg_init(&C);
    gsl_test_int(cfg_load(&C, good), PREF_OK, "good config loads (%s)",
                 pref_last_error());
    gsl_test_int((int)C.run_seed, 77, "seed read");
    gsl_test_int((int)C.population_theta.rows, 3, "theta rows");
    gsl_test_rel(C.population_theta.v[5], 6.5, 1e-15, "theta last value");
    gsl_test_int((int)cfg_r(&C), 3, "full ranking of 4: r = 3");
    gsl_test_int(C.line[CFG_KEY_population_eta], 8, "line of eta recorded");
    gsl_test_int((int)C.sweep.n, 2, "two swept keys");
    gsl_test_int((int)C.prov.n_inputs, 1, "one provenance input");
    gsl_test(!C.prov.command || strcmp(C.prov.command, "hetpref fit --data 'a b.csv'"),
             "provenance command read as written");
    test_bad_provenance();

    /* Dump -> load -> dump is identical. */
    FILE *f = fopen(write_tmp("dump1.ini", ""), "w");
    gsl_test_int(cfg_write(&C, f), PREF_OK, "cfg_write");
    fclose(f);
    char p1[512], p2[512];
    snprintf(p1, sizeof p1, "%s/dump1.ini", dir);
    cfg_init(&C2);
    gsl_test_int(cfg_load(&C2, p1), PREF_OK, "dump reloads (%s)", pref_last_error());
    snprintf(p2, sizeof p2, "%s/dump2.ini", dir);
    f = fopen(p2, "w");
    gsl_test_int(cfg_write(&C2, f), PREF_OK, "cfg_write of the reloaded dump");
    fclose(f);
    char b1[65536], b2[65536];
    f = fopen(p1, "r");
    size_t n1 = fread(b1, 1, sizeof b1, f);
    fclose(f);
    f = fopen(p2, "r");
    size_t n2 = fread(b2, 1, sizeof b2, f);
    fclose(f);
    gsl_test(n1 != n2 || memcmp(b1, b2, n1) != 0, "dump round trip is identical");

    /* Sweep plan: 2 x 2 cells, 3 replicates; first key varies slowest. */
    sweep_plan *plan = NULL;
    gsl_test_int(sweep_plan_build(&C, tasks_table(), &plan), PREF_OK, "plan builds (%s)",
                 pref_last_error());
    if (plan) {
        gsl_test_int((int)sweep_plan_cells(plan), 4, "cells");
        gsl_test_int((int)sweep_plan_tasks(plan), 12, "tasks");
        gsl_test_str(sweep_plan_value(plan, 1, 0), "3", "cell 1 key 0");
        gsl_test_str(sweep_plan_value(plan, 2, 0), "5", "cell 2 key 0");
        gsl_test_str(sweep_plan_value(plan, 1, 1), "0.6, 0.2, 0.2", "cell 1 key 1");
        gsl_test_int(sweep_plan_cell_cfg(plan, &C, 3, &C2), PREF_OK, "cell cfg");
        gsl_test_int((int)C2.design_m, 5, "cell 3 has m = 5");
        gsl_test_rel(C2.population_eta.v[0], 0.6, 1e-15, "cell 3 eta");
        sweep_plan_free(plan);
    }

    /* --set style overrides. */
    cfg_init(&C);
    gsl_test_int(cfg_set_dotted(&C, "design.users", "123", NULL, 0), PREF_OK,
                 "set users");
    gsl_test_int((int)C.design_users, 123, "users set");
    gsl_test_int(cfg_set_dotted(&C, "design.userz", "1", NULL, 0), PREF_EINPUT,
                 "unknown dotted key refused");
    gsl_test_int(cfg_set_dotted(&C, "design.users", "12x", NULL, 0), PREF_EINPUT,
                 "bad value refused");
    gsl_test_int((int)C.design_users, 123, "failed set leaves the value");

    /* Every class of bad config. */
    expect_bad("[design]\nd = 2\nfoo = 1\n", 3, "unknown key 'foo' in [design]");
    expect_bad("[desing]\nd = 2\n", 2, "unknown section [desing]");
    expect_bad("[design]\nd = two\n", 2, "not an integer");
    expect_bad("[design]\nd = 2.5\n", 2, "not an integer");
    expect_bad("[design]\nm = 1\n", 2, "outside");
    expect_bad("[design]\nusers = 0\n", 2, "outside");
    expect_bad("[design]\nfeature_scale = nan\n", 2, "not a finite number");
    expect_bad("[design]\nfeature_scale = -1\n", 2, "outside");
    expect_bad("[design]\nanswer = triple\n", 2, "is not one of pair|top1|topk|full");
    expect_bad("[design]\nd = 2\nd = 3\n", 3, "given twice");
    expect_bad("[population]\nkind = latent_class\neta = 0.5, 0.4\n", 3,
               "sums to");
    expect_bad("[population]\nkind = latent_class\ntypes = 0\n", 3, "outside");
    expect_bad("[population]\nkind = latent_class\ntypes = 3\n", 3, "eta");
    expect_bad("[population]\nkind = latent_class\ntheta = 1, 2; 3\n", 3,
               "row 2 has 1 numbers");
    expect_bad("[population]\nkind = latent_class\ntheta = 1, 2, 3; 3, 4, 5\n", 3,
               "design.d = 2");
    expect_bad("[population]\neta = 0.5, , 0.5\n", 2, "empty number");
    expect_bad("[population]\nkind = polarised\nb = 1, 2, 3\n", 3, "design.d = 2");
    expect_bad("[population]\nkind = gaussian\ncov = 1, 2; 3, 4\n", 3,
               "not symmetric");
    expect_bad("[design]\nanswer = topk\nm = 3\nr = 3\n", 4, "must be below m");
    expect_bad("[design]\nm = 5\nprompts = 2\npool = 4\n", 4, "smaller than m");
    expect_bad("[sweep]\ndesign.dd = 1 | 2\n", 2, "unknown key 'design.dd'");
    expect_bad("[sweep]\ndesign.d = 1 | x\n", 2, "not an integer");
    expect_bad("[sweep]\ndesign.d = 1 | \n", 2, "empty value");
    expect_bad("[sweep]\nrun.seed = 1 | 2\n", 2, "cannot be swept");
    expect_bad("[full]\ndesign.users = -5\n", 2, "outside");
    expect_bad("[design]\nthis line is not ini\n", 2, "syntax error");

    /* A sweep cell that breaks a cross-key check names the [sweep] line. */
    const char *bad_cell = write_tmp("cell.ini",
        "[design]\nanswer = topk\nm = 4\nr = 2\n[sweep]\ndesign.m = 4 | 2\n");
    cfg_init(&C);
    gsl_test_int(cfg_load(&C, bad_cell), PREF_OK, "cell config loads");
    int st = sweep_plan_build(&C, tasks_table(), &plan);
    gsl_test_int(st, PREF_EINPUT, "bad cell rejected");
    gsl_test(!strstr(pref_last_error(), "cell.ini:6:"),
             "bad cell message names the sweep line: %s", pref_last_error());

    /* Missing file is an input error. */
    cfg_init(&C);
    gsl_test_int(cfg_load(&C, "/nonexistent/x.ini"), PREF_EINPUT, "missing file");

    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) return 1;
    exit(gsl_test_summary());
}
