/* cli_identify.h — the `hetpref identify` command (identification tables
 * of a configured population) and `hetpref describe` (a data file's sizes
 * and answer kinds). No science here. */
#ifndef HETPREF_CLI_IDENTIFY_H
#define HETPREF_CLI_IDENTIFY_H

/* Run `hetpref identify` / `hetpref describe`; return the exit status. */
int cli_identify(int argc, char **argv);
int cli_describe(int argc, char **argv);

#endif
