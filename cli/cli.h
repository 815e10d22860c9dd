/* cli.h: what the command files of naslc share: the parsed command line, the
 * exit statuses, and the steps most commands start with (compile the file,
 * load its plug-ins, find the architecture to work on).
 *
 * The command line is a table of options (cli/main.c); each command is one
 * file, cli/<command>.c, holding one function `cmd_<command>` that reads the
 * options it accepts, calls the libraries below it and prints. Commands
 * print their own messages; the statuses below are naslc(1)'s EXIT STATUS. */
#ifndef NASLC_CLI_H
#define NASLC_CLI_H

#include <stdio.h>

#include "common/arena.h"
#include "grammar/arch.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0.1.0"
#endif

/* Exit statuses (naslc(1), EXIT STATUS). */
enum {
  EXIT_OK = 0,      /* success */
  EXIT_INVALID = 1, /* the .nasl file has errors (diagnostics on stderr) */
  EXIT_USAGE = 2,   /* bad command line */
  EXIT_IO = 3,      /* a file could not be read or written (data, records, weights, run directory) */
  EXIT_TRAIN = 4,   /* the architecture cannot be built, training failed, or a gradient check failed */
  EXIT_NOMEM = NASL_EXIT_NOMEM, /* out of memory (common/arena.h reports it and exits) */
  EXIT_STOPPED = 6, /* run: stopped by a signal (Ctrl-C, SIGTERM, SIGHUP) after checkpointing; --resume continues */
  EXIT_WORKER = 7   /* run under mpirun: a worker is not ready, or did not answer in --timeout seconds */
};

/* Options, one bit each; a command lists those it accepts. */
enum {
  O_JSON = 1 << 0, O_QUIET = 1 << 1, O_SEED = 1 << 2, O_COUNT = 1 << 3, O_AT = 1 << 4, O_ARCH = 1 << 5,
  O_EPOCHS = 1 << 6, O_SAVE = 1 << 7, O_THREADS = 1 << 8, O_WEIGHTS = 1 << 9, O_DOT = 1 << 10, O_STDLIB = 1 << 11,
  O_SUBSET = 1 << 12, O_DIR = 1 << 13, O_RESUME = 1 << 14, O_SAMPLES = 1 << 15,
  O_VALID = 1 << 16, O_TEST = 1 << 17, O_ARG = 1 << 18, O_SHAPE = 1 << 19, O_FINAL = 1 << 20,
  O_TIMEOUT = 1 << 21, O_ASYNCMODE = 1 << 22
};

#define CLI_MAX_OPTIONS 32

typedef struct cli {
  const char *command;   /* subcommand name */
  const char *file;      /* the .nasl file (or the record, for show; the directory, for report) */
  const char *op;        /* gradcheck: the operation */
  int nargs;             /* gradcheck: --arg values given */
  const char *args[32];  /* gradcheck: each "name=value" */
  int given;             /* O_* bits of the options given */
  const char *text[CLI_MAX_OPTIONS];  /* string values, by option index */
  long long num[CLI_MAX_OPTIONS];     /* integer values, by option index */
} cli;

/* The value of an option given on the command line, or def (NULL) when it
 * was not given (cli/main.c). */
long long cli_num(const cli *c, int bit, long long def);
const char *cli_text(const cli *c, int bit);
/* Prints "naslc: " fmt (with arg) and the pointer to --help; EXIT_USAGE. */
int cli_bad_usage(const char *fmt, const char *arg);
/* The worker threads: --threads, else $NASLC_THREADS, else every core. */
int cli_threads(const cli *c);

/* ---- steps shared by the commands (cli/inputs.c) ---- */

/* Compiles path against the stdlib (--stdlib, else the default); prints the
 * diagnostics. NULL with *status set (EXIT_IO, EXIT_INVALID) on failure. The
 * caller frees the grammar with grammar_free. */
grammar *cli_compile_path(const char *path, const char *stdlib, int *status);
/* cli_compile_path of the command's file. */
grammar *cli_compile(const cli *c, int *status);
/* A file the runtime will execute: compiled, and the library of every extern
 * op it declares opened, so that a missing library or symbol stops the
 * command before any work (EXIT_INVALID). With --final, the final recipe
 * takes the train recipe's place (EXIT_USAGE when the file has no final
 * block). */
grammar *cli_compile_runnable(const cli *c, int *status);
/* Reads the first record of path (a file of `naslc sample` lines) into *a
 * for grammar g; 0, or -1 after printing why with *status set (EXIT_IO). */
int cli_load_record(const char *path, const grammar *g, arch *a, int *status);
/* The architecture to work on: --arch, or the only one of a space without
 * decisions; 0, or -1 after printing why with *status set. */
int cli_arch(const cli *c, const grammar *g, arch *a, int *status);

/* ---- the commands, one file each ---- */

int cmd_check(cli *c);     /* cli/check.c */
int cmd_tokens(cli *c);    /* cli/tokens.c */
int cmd_sample(cli *c);    /* cli/sample.c */
int cmd_train(cli *c);     /* cli/train.c */
int cmd_eval(cli *c);      /* cli/eval.c */
int cmd_show(cli *c);      /* cli/show.c */
int cmd_run(cli *c);       /* cli/run.c */
int cmd_report(cli *c);    /* cli/report.c */
int cmd_gradcheck(cli *c); /* cli/gradcheck.c */

#endif
