/* cli_report.h — `hetpref report DIR`: a fit's estimates (or a select
 * directory's model comparison) as a table to paste into a paper, on
 * stdout. Layout and escaping are report.h's; reading estimates.csv is
 * estread.h's. */
#ifndef HETPREF_CLI_REPORT_H
#define HETPREF_CLI_REPORT_H

/* Run `hetpref report`; return the exit status. */
int cli_report(int argc, char **argv);

#endif
