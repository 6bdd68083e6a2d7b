/* cli.h — the command-line interface: parses arguments, calls the
 * library, prints errors as "hetpref: message" and maps codes to exit status
 * (0 success, 1 runtime failure, 2 usage or input error, 130 interrupted).
 * Thin by design: no science here. */
#ifndef HETPREF_CLI_H
#define HETPREF_CLI_H

/* Run the command line; returns the process exit status. */
int cli_main(int argc, char **argv);

#endif
