/* cli_fit.h — the `hetpref fit` command: parses its flags into the
 * [fit]/[emdpo]/[npmle] config keys, reads the data, runs the chosen model
 * and writes its output directory whole (fsutil stage). No science here. */
#ifndef HETPREF_CLI_FIT_H
#define HETPREF_CLI_FIT_H

/* Run `hetpref fit` (argv[1] == "fit"); returns the exit status. */
int cli_fit(int argc, char **argv);

#endif
