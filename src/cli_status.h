/* cli_status.h — `hetpref status DIR`: progress of a local sweep, of a
 * `sweep --slurm N` run (tasks done per shard, merged or not) and of a
 * `reproduce --slurm N` run (per experiment: finished, and tasks done per
 * shard). Read-only. Not here: writing or submitting the scripts
 * (cli_slurm.c), the journal format (sweep.c). */
#ifndef HETPREF_CLI_STATUS_H
#define HETPREF_CLI_STATUS_H

/* `hetpref status DIR`. Returns an exit status (0, or 2 when DIR is not a
 * sweep or reproduce directory). */
int cli_status(int argc, char **argv);

#endif
