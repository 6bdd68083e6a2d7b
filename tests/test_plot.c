/* test_plot.c — tests for plot.c (script building, escaping, relative paths,
 * rendering through gnuplot, missing-gnuplot and failing-script paths).
 *
 * Everything happens in a fresh mkdtemp directory under $TMPDIR (or /tmp),
 * removed at the end. The checks that need no gnuplot run first (they point
 * HETPREF_GNUPLOT at a missing file, at `false` and at `true`); then, if the
 * real gnuplot cannot be run at all, the program exits 77 (automake "skip")
 * provided everything before passed. Not tested here: the pixels of the
 * image (the PNG is checked for its signature and size only). */
#include "plot.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <gsl/gsl_test.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "err.h"

static char root[4096];

/* ---- small helpers -------------------------------------------------- */

static void path_of(char *buf, size_t n, const char *rel)
{
    snprintf(buf, n, "%s/%s", root, rel);
}

static void make_dir(const char *rel)
{
    char p[4200];
    path_of(p, sizeof p, rel);
    if (mkdir(p, 0777) != 0 && errno != EEXIST) {
        perror(p);
        exit(1);
    }
}

static void write_text(const char *rel, const char *text)
{
    char p[4200];
    path_of(p, sizeof p, rel);
    FILE *f = fopen(p, "w");
    if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
        perror(p);
        exit(1);
    }
}

/* Whole file in a malloc'd string, NULL when it cannot be read. */
static char *read_text(const char *rel)
{
    char p[4200];
    path_of(p, sizeof p, rel);
    FILE *f = fopen(p, "rb");
    if (!f) return NULL;
    size_t cap = 4096, len = 0;
    char *b = malloc(cap);
    size_t k;
    while (b && (k = fread(b + len, 1, cap - len - 1, f)) > 0) {
        len += k;
        if (cap - len < 2) {
            char *nb = realloc(b, cap * 2);
            if (!nb) {
                free(b);
                b = NULL;
            }
            b = nb;
            cap *= 2;
        }
    }
    fclose(f);
    if (b) b[len] = '\0';
    return b;
}

static long file_size(const char *rel)
{
    char p[4200];
    struct stat st;
    path_of(p, sizeof p, rel);
    return stat(p, &st) == 0 ? (long)st.st_size : -1;
}

/* The body section of a rendered .gp (without its final newline), malloc'd;
 * "" when the markers are missing. */
static char *body_of(const char *gp_rel)
{
    static const char begin[] = "# ---- begin body ----\n";
    static const char end[] = "\n# ---- end body ----";
    char *t = read_text(gp_rel);
    if (!t) return strdup("(unreadable)");
    char *b = strstr(t, begin), *e = b ? strstr(b, end) : NULL;
    char *r;
    if (!b || !e) {
        r = strdup("");
    } else {
        b += sizeof begin - 1;
        if (e < b) e = b; /* empty body: markers are adjacent */
        r = strndup(b, (size_t)(e - b));
    }
    free(t);
    return r;
}

static size_t count_entries(const char *rel)
{
    char p[4200];
    path_of(p, sizeof p, rel);
    DIR *d = opendir(p);
    size_t n = 0;
    if (!d) return 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
    closedir(d);
    return n;
}

static void remove_tree(const char *p)
{
    struct stat st;
    if (lstat(p, &st) != 0) return;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(p);
        if (d) {
            struct dirent *e;
            while ((e = readdir(d))) {
                if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                    continue;
                char c[4200];
                snprintf(c, sizeof c, "%s/%s", p, e->d_name);
                remove_tree(c);
            }
            closedir(d);
        }
        rmdir(p);
    } else {
        unlink(p);
    }
}

/* Redirect fd 2 into root/REL until stderr_restore. */
static int saved_stderr = -1;
static void stderr_to(const char *rel)
{
    char p[4200];
    path_of(p, sizeof p, rel);
    fflush(stderr);
    saved_stderr = dup(2);
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0666);
    if (saved_stderr < 0 || fd < 0) {
        perror(p);
        exit(1);
    }
    dup2(fd, 2);
    close(fd);
}
static void stderr_restore(void)
{
    fflush(stderr);
    dup2(saved_stderr, 2);
    close(saved_stderr);
    saved_stderr = -1;
}

static size_t count_substr(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; p && (p = strstr(p, needle)); p++) n++;
    return n;
}

/* ---- checks without gnuplot ------------------------------------------ */

static void test_names(void)
{
    static const char *const good[] = {"a", "fig1_scaling-em", "X9"};
    static const char *const bad[] = {"",    "a b",  "a/b", "../x",
                                      "a.b", "a'b",  "é",   "a\n"};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        plot_script *s = plot_script_alloc(good[i], 640, 480);
        gsl_test(s == NULL, "plot_script_alloc accepts name '%s'", good[i]);
        plot_script_free(s);
    }
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        plot_script *s = plot_script_alloc(bad[i], 640, 480);
        gsl_test(s != NULL, "plot_script_alloc rejects name #%zu", i);
        plot_script_free(s);
    }
    char longname[200];
    memset(longname, 'n', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    plot_script *s = plot_script_alloc(longname, 640, 480);
    gsl_test(s != NULL, "plot_script_alloc rejects a 199-character name");
    plot_script_free(s);
    s = plot_script_alloc(NULL, 640, 480);
    gsl_test(s != NULL, "plot_script_alloc rejects NULL name");
    s = plot_script_alloc("ok", 0, 480);
    gsl_test(s != NULL, "plot_script_alloc rejects width 0");
    s = plot_script_alloc("ok", 640, -3);
    gsl_test(s != NULL, "plot_script_alloc rejects negative height");
    plot_script_free(NULL); /* must be a no-op */
}

/* Fixture: a new script holding body (none when NULL). A failed call is a
 * failed check and ends the run: every check after it needs the script. */
static plot_script *script_with(const char *name, int width, int height,
                                const char *body)
{
    plot_script *s = plot_script_alloc(name, width, height);
    gsl_test(s == NULL, "fixture: plot_script_alloc(\"%s\")", name);
    if (!s) exit(1);
    if (body)
        gsl_test_int(plot_printf(s, "%s", body), PREF_OK,
                     "fixture: plot_printf into \"%s\"", name);
    return s;
}

/* Runs with HETPREF_GNUPLOT pointing at a missing executable. */
static void test_quoting(void)
{
    make_dir("quote");
    plot_script *s = script_with("quote", 640, 480, NULL);
    int rendered = -1, st = PREF_OK;
    gsl_test_int(plot_printf(s, "print "), PREF_OK, "plot_printf");
    gsl_test_int(plot_quoted(s, "it's \"x\"\n"), PREF_OK, "plot_quoted");
    st |= plot_printf(s, "\nprint ");
    st |= plot_quoted(s, "a\tb\x01" "c\x7f" "d \xc3\xa9 {}''");
    st |= plot_printf(s, "\nprint ");
    st |= plot_quoted(s, "");
    st |= plot_printf(s, "\nprint %d%%, %.3g", 42, 2.385);
    gsl_test_int(st, PREF_OK, "plot_printf and plot_quoted: every call succeeds");
    char dir[4200];
    path_of(dir, sizeof dir, "quote");
    gsl_test_int(plot_render(s, dir, &rendered), PREF_OK,
                 "render with missing gnuplot returns PREF_OK");
    gsl_test_int(rendered, 0, "render with missing gnuplot: rendered == 0");
    char *body = body_of("quote/quote.gp");
    /* Expected text written by hand from the rules in plot.h: quotes doubled,
     * bytes < 0x20 and 0x7f become spaces, UTF-8 bytes kept. */
    gsl_test_str(body,
                 "print 'it''s \"x\" '\n"
                 "print 'a b c d \xc3\xa9 {}'''''\n"
                 "print ''\n"
                 "print 42%, 2.38",
                 "plot_quoted escaping and plot_printf formatting");
    free(body);
    plot_script_free(s);
}

static void test_paths(void)
{
    make_dir("a");
    make_dir("a/b");
    make_dir("a/c");
    make_dir("a/c/d");
    write_text("a/b/data.csv", "x,y\n1,2\n");
    write_text("a/b/it's.csv", "x,y\n1,2\n");
    char a[4200], ab[4200], ac[4200], acd[4200], data[4200], quote[4200],
        odd[4200], link[4200], missing[4200];
    path_of(a, sizeof a, "a");
    path_of(ab, sizeof ab, "a/b");
    path_of(ac, sizeof ac, "a/c");
    path_of(acd, sizeof acd, "a/c/d");
    path_of(data, sizeof data, "a/b/data.csv");
    path_of(quote, sizeof quote, "a/b/it's.csv");
    path_of(odd, sizeof odd, "a/c/..//b/.");
    path_of(link, sizeof link, "link");
    path_of(missing, sizeof missing, "a/missing.csv");
    if (symlink(ab, link) != 0) perror("symlink");

    plot_script *s = script_with("paths", 640, 480, NULL);
    int st = PREF_OK;
    st |= plot_path(s, a, data);     /* nested */
    st |= plot_printf(s, "\n");
    st |= plot_path(s, ac, data);    /* sibling */
    st |= plot_printf(s, "\n");
    st |= plot_path(s, acd, data);   /* cousin, two levels up */
    st |= plot_printf(s, "\n");
    st |= plot_path(s, ab, data);    /* same directory */
    st |= plot_printf(s, "\n");
    st |= plot_path(s, odd, data);   /* non-canonical directory */
    st |= plot_printf(s, "\n");
    st |= plot_path(s, link, data);  /* directory through a symlink */
    st |= plot_printf(s, "\n");
    st |= plot_path(s, ab, a);       /* the parent itself */
    st |= plot_printf(s, "\n");
    st |= plot_path(s, a, a);        /* the directory itself */
    st |= plot_printf(s, "\n");
    st |= plot_path(s, ac, quote);   /* needs escaping */
    st |= plot_printf(s, "\n");
    /* Relative arguments are resolved against the current directory. */
    char cwd[4096];
    if (!getcwd(cwd, sizeof cwd) || chdir(root) != 0) {
        perror("chdir");
        exit(1);
    }
    st |= plot_path(s, "a/c", "a/b/data.csv");
    st |= plot_printf(s, "\n");
    st |= plot_path(s, "", "a/b/data.csv"); /* "" means "." */
    if (chdir(cwd) != 0) {
        perror("chdir");
        exit(1);
    }
    gsl_test_int(st, PREF_OK, "plot_path (and plot_printf) succeed on existing paths");
    gsl_test_int(plot_path(s, a, missing), PREF_EIO,
                 "plot_path on a missing file gives PREF_EIO");
    gsl_test(strstr(pref_last_error(), "missing.csv") == NULL,
             "plot_path error names the file (%s)", pref_last_error());
    gsl_test_int(plot_path(s, missing, data), PREF_EIO,
                 "plot_path on a missing directory gives PREF_EIO");

    int rendered = -1;
    gsl_test_int(plot_render(s, a, &rendered), PREF_OK, "render paths script");
    char *body = body_of("a/paths.gp");
    /* Expected relative paths worked out by hand from the tree above. */
    gsl_test_str(body,
                 "'b/data.csv'\n"
                 "'../b/data.csv'\n"
                 "'../../b/data.csv'\n"
                 "'data.csv'\n"
                 "'data.csv'\n"
                 "'data.csv'\n"
                 "'..'\n"
                 "'.'\n"
                 "'../b/it''s.csv'\n"
                 "'../b/data.csv'\n"
                 "'a/b/data.csv'",
                 "plot_path relative paths (failed calls append nothing)");
    free(body);
    plot_script_free(s);
}

/* Runs with HETPREF_GNUPLOT pointing at a missing executable. */
static void test_missing(void)
{
    make_dir("missing");
    char dir[4200];
    path_of(dir, sizeof dir, "missing");
    plot_script *s = script_with("nogp", 400, 300, "plot sin(x)\n");
    for (int k = 0; k < 2; k++) {
        int rendered = -1;
        gsl_test_int(plot_render(s, dir, &rendered), PREF_OK,
                     "missing gnuplot: PREF_OK (call %d)", k);
        gsl_test_int(rendered, 0, "missing gnuplot: rendered 0 (call %d)", k);
    }
    gsl_test_int(plot_render(s, dir, NULL), PREF_OK,
                 "missing gnuplot: rendered may be NULL");
    gsl_test(file_size("missing/nogp.gp") <= 0, "missing gnuplot: .gp written");
    gsl_test(file_size("missing/nogp.png") >= 0, "missing gnuplot: no png");
    gsl_test(file_size("missing/nogp.svg") >= 0, "missing gnuplot: no svg");
    gsl_test_int((int)count_entries("missing"), 1,
                 "missing gnuplot: only the .gp, no temporary left");

    /* An existing file that is not executable, and a directory: the same. */
    char notexe[4200];
    path_of(notexe, sizeof notexe, "missing/nogp.gp");
    setenv("HETPREF_GNUPLOT", notexe, 1);
    int rendered = -1;
    gsl_test_int(plot_render(s, dir, &rendered), PREF_OK,
                 "non-executable HETPREF_GNUPLOT: PREF_OK");
    gsl_test_int(rendered, 0, "non-executable HETPREF_GNUPLOT: rendered 0");
    setenv("HETPREF_GNUPLOT", dir, 1);
    gsl_test_int(plot_render(s, dir, &rendered), PREF_OK,
                 "directory as HETPREF_GNUPLOT: PREF_OK");
    setenv("HETPREF_GNUPLOT", "/nonexistent/gnuplot", 1);
    plot_script_free(s);
}

/* Exit-status handling with stand-ins found on PATH: `false` fails, `true`
 * succeeds without reading its stdin (so our write may meet EPIPE; the
 * process must survive it). */
static void test_status(void)
{
    make_dir("status");
    char dir[4200];
    path_of(dir, sizeof dir, "status");
    plot_script *s = script_with("st", 400, 300, "plot sin(x)\n");
    int rendered = -1;
    setenv("HETPREF_GNUPLOT", "false", 1);
    gsl_test_int(plot_render(s, dir, &rendered), PREF_EIO,
                 "stand-in exiting 1 gives PREF_EIO");
    gsl_test_int(rendered, 0, "stand-in exiting 1: rendered 0");
    gsl_test(strstr(pref_last_error(), "exit status 1") == NULL,
             "failure message gives the exit status (%s)", pref_last_error());
    setenv("HETPREF_GNUPLOT", "true", 1);
    for (int k = 0; k < 20; k++) {
        rendered = -1;
        int st = plot_render(s, dir, &rendered);
        if (st != PREF_OK || rendered != 1) {
            gsl_test(1, "stand-in exiting 0 at once (try %d): %d %d", k, st,
                     rendered);
            break;
        }
    }
    gsl_test(0, "stand-in exiting 0 without reading stdin: no SIGPIPE death");
    setenv("HETPREF_GNUPLOT", "/nonexistent/gnuplot", 1);

    char nodir[4200];
    path_of(nodir, sizeof nodir, "status/no/such/dir");
    gsl_test_int(plot_render(s, nodir, &rendered), PREF_EIO,
                 "render into a missing directory gives PREF_EIO");
    plot_script_free(s);
}

static void test_growth(void)
{
    make_dir("grow");
    char dir[4200];
    path_of(dir, sizeof dir, "grow");
    plot_script *s = script_with("grow", 400, 300, NULL);
    size_t expect = 0;
    int st = PREF_OK;
    for (int i = 0; i < 5000; i++) {
        st |= plot_printf(s, "# line %04d of a long body, padding padding\n", i);
        expect += strlen("# line 0000 of a long body, padding padding\n");
    }
    gsl_test_int(st, PREF_OK, "5000 plot_printf calls succeed");
    int rendered;
    gsl_test_int(plot_render(s, dir, &rendered), PREF_OK, "render long body");
    char *body = body_of("grow/grow.gp");
    gsl_test_int((int)strlen(body), (int)expect - 1,
                 "long body survives buffer growth intact");
    gsl_test(strcmp(body + strlen(body) - 7, "padding") != 0,
             "long body ends with its last line");
    free(body);
    plot_script_free(s);
}

/* ---- checks with the real gnuplot ------------------------------------ */

static const char *gnuplot_exe(const char *orig)
{
    return (orig && orig[0]) ? orig : "gnuplot";
}

/* 1 when gnuplot renders a trivial script. */
static int gnuplot_works(void)
{
    make_dir("probe");
    char dir[4200];
    path_of(dir, sizeof dir, "probe");
    plot_script *s = script_with("probe", 100, 100, "plot x\n");
    int rendered = 0;
    int st = plot_render(s, dir, &rendered);
    plot_script_free(s);
    return st == PREF_OK && rendered == 1;
}

static void test_render(const char *exe)
{
    make_dir("data");
    make_dir("plots");
    /* Made-up timings with asymmetric intervals spanning 4 decades. */
    write_text("data/run.csv",
               "n,seconds,lo,hi\n"
               "10,0.00213,0.00187,0.00251\n"
               "31,0.0118,0.0102,0.0139\n"
               "100,0.0731,0.0655,0.0842\n"
               "316,0.583,0.512,0.671\n"
               "1000,4.385,3.92,5.03\n"
               "3162,38.21,33.7,44.9\n");
    char dir[4200], csv[4200];
    path_of(dir, sizeof dir, "plots");
    path_of(csv, sizeof csv, "data/run.csv");
    plot_script *s = script_with("scaling", 900, 420, NULL);
    int st = PREF_OK;
    st |= plot_printf(s, "set multiplot layout 1,2 title ");
    st |= plot_quoted(s, "Scaling: it's {fine} \"quoted\" }");
    st |= plot_printf(s, "\nset logscale xy\n"
                         "set xlabel 'items n'\nset ylabel 'seconds'\n"
                         "set key top left\nplot ");
    st |= plot_path(s, dir, csv);
    st |= plot_printf(s, " skip 1 using 1:2:3:4 with yerrorbars lt 1 title ");
    st |= plot_quoted(s, "EM (95% CI)");
    st |= plot_printf(s, ", \\\n     '' skip 1 using 1:2 with lines lt 1 "
                         "notitle, \\\n     '' skip 1 using 1:($2*2.5):"
                         "($3*2.5):($4*2.5) with yerrorlines lt 2 title 'LP'"
                         "\n");
    st |= plot_printf(s, "unset logscale\n"
                         "set xlabel 'items n'\nset ylabel 'CI width / "
                         "seconds'\nplot ");
    st |= plot_path(s, dir, csv);
    st |= plot_printf(s, " skip 1 using 1:(($4-$3)/$2) with linespoints lt 3 "
                         "title 'relative width', \\\n"
                         "     for [k=4:8] '' skip 1 using 1:(($4-$3)/$2*k/"
                         "4.0) with linespoints lt k title sprintf('lt %%d', "
                         "k)\nunset multiplot\n");
    gsl_test_int(st, PREF_OK, "building the render script");
    int rendered = -1;
    pref_clear_error();
    st = plot_render(s, dir, &rendered);
    gsl_test_int(st, PREF_OK, "render multiplot/log/errorbars (%s)",
                 pref_last_error());
    gsl_test_int(rendered, 1, "render: rendered == 1");
    gsl_test(file_size("plots/scaling.gp") <= 0, "render: .gp written");
    gsl_test(file_size("plots/scaling.png") < 1000, "render: png non-empty");
    gsl_test(file_size("plots/scaling.svg") < 1000, "render: svg non-empty");
    gsl_test_int((int)count_entries("plots"), 3,
                 "render: exactly .gp, .png, .svg in DIR");
    char *png = read_text("plots/scaling.png");
    gsl_test(!png || memcmp(png, "\x89PNG\r\n\x1a\n", 8) != 0,
             "render: png has the PNG signature");
    free(png);
    char *svg = read_text("plots/scaling.svg");
    gsl_test(!svg || !strstr(svg, "<svg") || !strstr(svg, "</svg>"),
             "render: svg is a complete SVG document");
    gsl_test(!svg || !strstr(svg, "Scaling: it's {fine}"),
             "render: quoted title reaches the svg unchanged");
    free(svg);

    /* The script redraws by hand: cd DIR && gnuplot NAME.gp. */
    char p[4200];
    path_of(p, sizeof p, "plots/scaling.png");
    unlink(p);
    path_of(p, sizeof p, "plots/scaling.svg");
    unlink(p);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        int null = open("/dev/null", O_RDONLY);
        if (null >= 0) dup2(null, 0);
        if (chdir(dir) == 0)
            execlp(exe, exe, "scaling.gp", (char *)NULL);
        _exit(127);
    }
    int ws = -1;
    if (pid > 0)
        while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
            ;
    gsl_test(pid < 0 || !WIFEXITED(ws) || WEXITSTATUS(ws) != 0,
             "cd DIR && gnuplot NAME.gp exits 0");
    gsl_test(file_size("plots/scaling.png") < 1000,
             "cd DIR && gnuplot NAME.gp redraws the png");
    gsl_test(file_size("plots/scaling.svg") < 1000,
             "cd DIR && gnuplot NAME.gp redraws the svg");
    plot_script_free(s);
}

static void test_syntax_error(void)
{
    make_dir("bad");
    char dir[4200];
    path_of(dir, sizeof dir, "bad");
    plot_script *s = script_with("bad", 400, 300, "plot sin(x) with no_such_style\n");
    int rendered = -1;
    stderr_to("bad-stderr.txt");
    int st = plot_render(s, dir, &rendered);
    stderr_restore();
    gsl_test_int(st, PREF_EIO, "gnuplot syntax error gives PREF_EIO");
    gsl_test_int(rendered, 0, "gnuplot syntax error: rendered 0");
    gsl_test(strstr(pref_last_error(), "bad.gp") == NULL,
             "syntax error message names the script (%s)", pref_last_error());
    char *err = read_text("bad-stderr.txt");
    gsl_test(!err || strlen(err) == 0,
             "gnuplot's own error message is passed through to stderr");
    free(err);
    gsl_test(file_size("bad/bad.gp") <= 0, "syntax error: .gp still written");
    /* gnuplot opens its output before it meets the error: without the
     * temporary-then-rename rule this left a 0-byte bad.png. */
    gsl_test(file_size("bad/bad.png") >= 0, "syntax error: no png left");
    gsl_test(file_size("bad/bad.svg") >= 0, "syntax error: no svg left");
    gsl_test_int((int)count_entries("bad"), 1,
                 "syntax error: only the .gp, no temporary left");
    plot_script_free(s);
}

/* 1 when the files rel1 and rel2 exist and hold the same bytes. */
static int same_bytes(const char *rel1, const char *rel2)
{
    long n1 = file_size(rel1), n2 = file_size(rel2);
    if (n1 < 0 || n1 != n2) return 0;
    char p1[4200], p2[4200];
    path_of(p1, sizeof p1, rel1);
    path_of(p2, sizeof p2, rel2);
    FILE *f1 = fopen(p1, "rb"), *f2 = fopen(p2, "rb");
    int same = f1 && f2;
    while (same) {
        int c1 = getc(f1), c2 = getc(f2);
        same = c1 == c2;
        if (c1 == EOF) break;
    }
    if (f1) fclose(f1);
    if (f2) fclose(f2);
    return same;
}

/* Deferred renders: queued until plot_defer_end, drawn by one gnuplot into
 * the same bytes as a render of their own; a failing script is redrawn
 * alone and named, the good ones still appear, and no script sees the
 * variables of the one before it. */
static void test_deferred(void)
{
    static const char *const good =
        "set multiplot layout 1,2\nplot sin(x) title 'a'\n"
        "plot cos(x) title 'b'\nunset multiplot\n";
    make_dir("now");
    make_dir("later");
    char now[4200], later[4200];
    path_of(now, sizeof now, "now");
    path_of(later, sizeof later, "later");
    plot_script *g = script_with("good", 500, 300, good);
    int rendered = -1;
    gsl_test_int(plot_render(g, now, &rendered), PREF_OK, "deferred: reference render");

    plot_defer_begin();
    rendered = -1;
    gsl_test_int(plot_render(g, later, &rendered), PREF_OK, "deferred: queue one");
    gsl_test_int(rendered, 0, "deferred: queued, rendered = 0");
    gsl_test(file_size("later/good.gp") <= 0, "deferred: the .gp is written at once");
    gsl_test(file_size("later/good.png") >= 0, "deferred: no png before the end");
    /* A script that defines a variable, then one that uses it without
     * defining it: alone the second fails, and so it must in the batch. */
    plot_script *def = script_with("def", 400, 300,
                                   "hp_test_v = 2\nset multiplot layout 1,2\n"
                                   "plot hp_test_v * x\nplot x\nunset multiplot\n");
    plot_script *use = script_with("use", 400, 300, "plot hp_test_v * x\n");
    gsl_test_int(plot_render(def, later, NULL), PREF_OK, "deferred: queue two");
    size_t drawn = 99;
    gsl_test_int(plot_defer_end(&drawn), PREF_OK, "deferred: two good scripts (%s)",
                 pref_last_error());
    gsl_test_int((int)drawn, 2, "deferred: drawn = 2");
    gsl_test(!same_bytes("now/good.png", "later/good.png"),
             "deferred: the same png bytes as a render of its own");
    gsl_test(!same_bytes("now/good.svg", "later/good.svg"),
             "deferred: the same svg bytes as a render of its own");
    gsl_test(file_size("later/def.png") < 1000, "deferred: second png drawn");
    gsl_test_int((int)count_entries("later"), 6,
                 "deferred: .gp, .png, .svg of each, no temporary");

    make_dir("mixed");
    char mixed[4200];
    path_of(mixed, sizeof mixed, "mixed");
    plot_defer_begin();
    gsl_test_int(plot_render(def, mixed, NULL), PREF_OK, "deferred: queue def");
    gsl_test_int(plot_render(use, mixed, NULL), PREF_OK, "deferred: queue use");
    gsl_test_int(plot_render(g, mixed, NULL), PREF_OK, "deferred: queue good");
    stderr_to("mixed-stderr.txt");
    pref_clear_error();
    int st = plot_defer_end(&drawn);
    stderr_restore();
    gsl_test_int(st, PREF_EIO, "deferred: a failing script gives PREF_EIO");
    gsl_test(strstr(pref_last_error(), "use.gp") == NULL,
             "deferred: the error names the failing script (%s)", pref_last_error());
    gsl_test_int((int)drawn, 2, "deferred: the two good scripts drawn");
    gsl_test(file_size("mixed/def.png") < 1000 || file_size("mixed/good.png") < 1000,
             "deferred: the good pngs appear despite the failure");
    gsl_test(file_size("mixed/use.png") >= 0, "deferred: no png of the failing one");
    gsl_test_int((int)count_entries("mixed"), 7,
                 "deferred: 3 scripts, 2 x 2 images, no temporary");

    /* A queued script whose directory is gone by the end: the batch cannot
     * run, so each is drawn alone; the other still appears. */
    make_dir("gone");
    make_dir("stays");
    char gone[4200], stays[4200];
    path_of(gone, sizeof gone, "gone");
    path_of(stays, sizeof stays, "stays");
    plot_defer_begin();
    gsl_test_int(plot_render(g, gone, NULL), PREF_OK, "deferred: queue into gone");
    gsl_test_int(plot_render(g, stays, NULL), PREF_OK, "deferred: queue into stays");
    remove_tree(gone);
    stderr_to("gone-stderr.txt");
    st = plot_defer_end(&drawn);
    stderr_restore();
    gsl_test_int(st, PREF_EIO, "deferred: a directory gone gives PREF_EIO");
    gsl_test(strstr(pref_last_error(), "gone") == NULL,
             "deferred: the error names the directory (%s)", pref_last_error());
    gsl_test_int((int)drawn, 1, "deferred: the other script drawn");
    gsl_test(file_size("stays/good.png") < 1000, "deferred: its png appears");

    /* The deferral has ended: a render draws at once again. */
    stderr_to("after-stderr.txt");
    gsl_test_int(plot_render(use, now, NULL), PREF_EIO,
                 "deferred: after the end, a render runs gnuplot at once");
    stderr_restore();
    plot_script_free(g);
    plot_script_free(def);
    plot_script_free(use);
}

int main(void)
{
    const char *tmp = getenv("TMPDIR");
    if (!tmp || !tmp[0]) tmp = "/tmp";
    snprintf(root, sizeof root, "%s/test_plot.XXXXXX", tmp);
    if (!mkdtemp(root)) {
        perror(root);
        return 1;
    }
    /* The lowest free descriptor, to detect descriptors leaked by renders. */
    int fd_probe = open("/dev/null", O_RDONLY);
    if (fd_probe >= 0) close(fd_probe);
    const char *orig_env = getenv("HETPREF_GNUPLOT");
    char *orig = orig_env ? strdup(orig_env) : NULL;

    /* Part 1: no gnuplot needed. */
    test_names();
    setenv("HETPREF_GNUPLOT", "/nonexistent/gnuplot", 1);
    stderr_to("missing-stderr.txt");
    test_quoting();
    test_paths();
    test_missing();
    test_status();
    test_growth();
    stderr_restore();
    char *warn = read_text("missing-stderr.txt");
    gsl_test_int((int)count_substr(warn, "hetpref: warning: gnuplot not found"),
                 1, "exactly one missing-gnuplot warning per process");
    gsl_test(!warn || !strstr(warn, "HETPREF_GNUPLOT=/nonexistent/gnuplot"),
             "warning names the executable tried");
    free(warn);

    /* Part 2: the real gnuplot. */
    if (orig) setenv("HETPREF_GNUPLOT", orig, 1);
    else unsetenv("HETPREF_GNUPLOT");
    int status;
    if (!gnuplot_works()) {
        fprintf(stderr, "test_plot: gnuplot (%s) cannot run here; skipping "
                        "render checks\n", gnuplot_exe(orig));
        status = gsl_test_summary();
        if (status == 0) status = 77;
    } else {
        test_render(gnuplot_exe(orig));
        test_syntax_error();
        test_deferred();
        int fd_after = open("/dev/null", O_RDONLY);
        if (fd_after >= 0) close(fd_after);
        gsl_test_int(fd_after, fd_probe, "no file descriptor leaked");
        status = gsl_test_summary();
    }
    remove_tree(root);
    free(orig);
    exit(status);
}
