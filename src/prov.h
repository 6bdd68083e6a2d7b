/* prov.h — provenance of an output directory: the command line that made
 * it, its input files (size and SHA-256) and the program version, kept in
 * the [provenance] section of its config.ini (cfg.h stores and writes it),
 * and what a rerun from that file needs: the check that the inputs are
 * unchanged and the recorded command as an argument vector.
 *
 * The command is recorded as shell words after "hetpref" (single-quoted
 * where needed), without -o DIR, --threads N and --config FILE: where the
 * results go and how many threads compute them do not change them (the
 * commands are thread-count invariant), so a rerun into another directory
 * writes the same config.ini. Nor with sweep's --shard I/N, --resume,
 * --force, --slurm N, --sbatch ARGS and --submit: every shard, resumed
 * run and Slurm task of one sweep records the same command. An input is recorded with the path
 * as given on the command line; a rerun resolves it from the current
 * directory, like the original run.
 * Not here: which files a command reads (its caller says). */
#ifndef HETPREF_PROV_H
#define HETPREF_PROV_H

#include <stddef.h>

#include "cfg.h"

/* Fill c->prov from argv[0..argc) (argv[0] the program, argv[1] the
 * command) and the n_inputs files inputs (NULL entries are skipped), each
 * hashed now. PREF_OK; PREF_EINPUT when an argument or a path holds a
 * control character (it could not be written on one line) or a file cannot
 * be opened; PREF_EIO; PREF_ENOMEM. */
int prov_record(cfg *c, int argc, char **argv, const char *const *inputs,
                size_t n_inputs);

/* Check that every input recorded in c->prov still has its size and
 * SHA-256. config names the file for messages. PREF_OK, or PREF_EINPUT
 * naming the file and both hashes (or saying it is missing). */
int prov_verify(const cfg *c, const char *config);

/* The recorded command of c as an argument vector: (*argv)[0] is
 * "hetpref", (*argv)[1] the command; *argc words, (*argv)[*argc] NULL. One
 * malloc'd block: free(*argv). PREF_EINPUT when c has no command or it is
 * not made of well-formed words; PREF_ENOMEM. */
int prov_argv(const cfg *c, const char *config, int *argc, char ***argv);

/* 1 when the config.ini texts a and b are the same outside their
 * [provenance] sections (the section comes last, as cfg_write puts it),
 * else 0: the same configuration, perhaps from another command line (a
 * sweep's resume, shards and merge compare configurations so). */
int prov_same_config(const char *a, const char *b);

#endif
