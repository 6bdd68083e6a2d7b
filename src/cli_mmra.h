/* cli_mmra.h — the `hetpref mmra` command: min–max regret
 * aggregation from a regret matrix, a value matrix, or trained policies
 * and their prompts' candidate pools. Thin like cli.c: it parses and checks
 * the flags, reads a matrix file or builds the game from policies
 * (mmra_game.h), solves it (mmra.h) and writes the result tables
 * (mmraout.h) and config.ini. */
#ifndef HETPREF_CLI_MMRA_H
#define HETPREF_CLI_MMRA_H

/* Run `hetpref mmra ...`: argv[0] is the program, argv[1] is "mmra", the
 * options start at argv[2] (as cli_main passes them). Returns the process
 * exit status: 0 success, 1 runtime failure, 2 usage or input error (then
 * nothing is written). Messages go to stderr as "hetpref: ...". */
int cli_mmra(int argc, char **argv);

#endif
