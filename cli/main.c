/* main.c: naslc's command line. Every subcommand and every option is a row
 * of a table; a command lists the options it accepts, and main() checks the
 * line against the tables before the command's function (cli/<command>.c)
 * runs. Exit statuses: cli/cli.h and naslc(1). */
#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/dist.h"
#include "common/parse.h"
#include "lang/diag.h"
#include "nn/parallel.h"

/* ---- options ---- */

typedef struct option {
  const char *name;   /* long form */
  const char *alias;  /* short form, or NULL */
  int bit;            /* O_* */
  int value;          /* takes a value */
  long long lo, hi;   /* integer values: range (lo > hi: a string) */
} option;

static const option options[] = {
    {"--json", NULL, O_JSON, 0, 0, 0},          {"--quiet", "-q", O_QUIET, 0, 0, 0},
    {"--seed", NULL, O_SEED, 1, 0, LLONG_MAX},  {"-n", NULL, O_COUNT, 1, 0, 100000000},
    {"--at", NULL, O_AT, 1, 0, LONG_MAX},       {"--arch", NULL, O_ARCH, 1, 1, 0},
    {"--epochs", NULL, O_EPOCHS, 1, 1, 1000000}, {"--save", NULL, O_SAVE, 1, 1, 0},
    {"--threads", NULL, O_THREADS, 1, 1, 64},   {"--weights", NULL, O_WEIGHTS, 1, 1, 0},
    {"--dot", NULL, O_DOT, 0, 0, 0},            {"--stdlib", NULL, O_STDLIB, 1, 1, 0},
    {"--subset", NULL, O_SUBSET, 1, 1, 1000000000},
    {"--dir", NULL, O_DIR, 1, 1, 0},            {"--resume", NULL, O_RESUME, 1, 1, 0},
    {"--samples", NULL, O_SAMPLES, 1, 1, 1000000000},
    {"--valid", NULL, O_VALID, 1, 0, 100000000},  {"--test", NULL, O_TEST, 1, 1, 1000000000},
    {"--arg", NULL, O_ARG, 1, 1, 0},            {"--shape", NULL, O_SHAPE, 1, 1, 0},
    {"--final", NULL, O_FINAL, 0, 0, 0},        {"--timeout", NULL, O_TIMEOUT, 1, 1, 100000000},
    {"--async", NULL, O_ASYNCMODE, 0, 0, 0},
};
#define NOPTIONS ((int)(sizeof options / sizeof options[0]))
static_assert(NOPTIONS <= CLI_MAX_OPTIONS, "cli.text and cli.num hold one value per option");

long long cli_num(const cli *c, int bit, long long def) {
  for (int i = 0; i < NOPTIONS; i++)
    if (options[i].bit == bit) return (c->given & bit) ? c->num[i] : def;
  return def;
}

const char *cli_text(const cli *c, int bit) {
  for (int i = 0; i < NOPTIONS; i++)
    if (options[i].bit == bit) return (c->given & bit) ? c->text[i] : NULL;
  return NULL;
}

int cli_threads(const cli *c) { return nn_threads_default((int)cli_num(c, O_THREADS, 0)); }

/* ---- commands ---- */

typedef int (*command_fn)(cli *c);

typedef struct command {
  const char *name;     /* as typed */
  command_fn run;       /* what it does */
  int accepts;          /* O_* bits it takes (besides --stdlib) */
  const char *usage;    /* its arguments, for --help */
  const char *summary;  /* one line of help */
} command;

static const command commands[] = {
    {"check", cmd_check, O_QUIET, "FILE [--quiet]", "check a .nasl file; exit 0 when it is valid"},
    {"tokens", cmd_tokens, O_JSON, "FILE [--json]", "list the controller's decisions and the size of the space"},
    {"sample", cmd_sample, O_SEED | O_COUNT | O_AT, "FILE [--seed N] [-n K] [--at SAMPLES]",
     "draw K architectures uniformly, one JSON record per line"},
    {"train", cmd_train, O_ARCH | O_EPOCHS | O_SUBSET | O_VALID | O_TEST | O_SAVE | O_THREADS | O_QUIET | O_FINAL,
     "FILE [--arch A.json] [--final] [--epochs N] [--subset N] [--valid N] [--test N] [--save DIR] [--threads N] [--quiet]",
     "train one architecture on the data (--final: with the final recipe; --epochs ... override it)"},
    {"eval", cmd_eval, O_ARCH | O_WEIGHTS | O_THREADS | O_FINAL, "FILE [--arch A.json] [--final] --weights W [--threads N]",
     "test accuracy (or perplexity) of saved weights (--final: of a model of the final stage)"},
    {"show", cmd_show, O_ARCH | O_DOT | O_FINAL, "RECORD.json [--dot] [--final] | FILE [--arch A.json] [--dot] [--final]",
     "layers, shapes, parameters and FLOPs of an architecture, or a Graphviz drawing"},
    {"run", cmd_run, O_DIR | O_RESUME | O_SAMPLES | O_SEED | O_THREADS | O_QUIET | O_TIMEOUT | O_ASYNCMODE,
     "FILE [--dir DIR] [--samples N] [--seed N] [--threads N] [--quiet] [--async] [--timeout S] | FILE --resume DIR",
     "search: sample, evaluate and learn (the search recipe); Ctrl-C stops after saving;\n"
     "         under mpirun -n N: rank 0 searches, N-1 workers evaluate (--async: update as results come;\n"
     "         --timeout: seconds a child may take)"},
    {"report", cmd_report, O_QUIET, "DIR", "summary of a run and a plot of its rewards (DIR/report.svg)"},
    {"gradcheck", cmd_gradcheck, O_ARG | O_SHAPE | O_SEED, "FILE OP [--arg NAME=VALUE]... [--shape N,C,H,W] [--seed S]",
     "check an operation's gradients (built-in or plug-in) against finite differences"},
};
#define NCOMMANDS ((int)(sizeof commands / sizeof commands[0]))

static void usage(FILE *f) {
  fprintf(f, "usage: naslc COMMAND FILE [OPTIONS]\n\ncommands:\n");
  for (int i = 0; i < NCOMMANDS; i++)
    fprintf(f, "  naslc %-9s %s\n         %s\n", commands[i].name, commands[i].usage, commands[i].summary);
  fprintf(f,
          "\noptions for every command:\n"
          "  --stdlib DIR   read the standard library from DIR (also $NASLC_STDLIB)\n"
          "  -h, --help     show this help;  --version  show the version\n"
          "threads: --threads N, else $NASLC_THREADS, else every core\n"
          "\nexit status: 0 ok, 1 the file has errors, 2 bad command line, 3 a file cannot be read,\n"
          "4 the architecture cannot be built, training failed, or a gradient check failed,\n"
          "5 out of memory, 6 a run stopped by a signal (resume it),\n"
          "7 a worker of a distributed run is not ready or did not answer\n"
          "see naslc(1), nasl(5) and nasl-stdlib(7)\n");
}

int cli_bad_usage(const char *fmt, const char *arg) {
  fprintf(stderr, "naslc: ");
  fprintf(stderr, fmt, arg);
  fprintf(stderr, "\nrun 'naslc --help' for usage\n");
  return EXIT_USAGE;
}

/* The threaded OpenBLAS starts a thread per core when it is loaded, before
 * main. naslc runs its own threads and gives OpenBLAS one, so those threads
 * only wait; but under an address-space limit (ulimit -v) one of them can
 * spin forever in its buffer allocation and the process never exits. The
 * library reads OPENBLAS_NUM_THREADS at load, so naslc starts itself again
 * with it set to 1. If that cannot be done it goes on as it is. */
static void blas_threads_off(char **argv) {
  const char *v = getenv("OPENBLAS_NUM_THREADS");
  if (nn_blas_load_threads() <= 1 || (v && !strcmp(v, "1"))) return;
  if (setenv("OPENBLAS_NUM_THREADS", "1", 1) != 0) return;
  char self[4096]; /* the binary by its own name, so that ps and pgrep still show naslc */
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n > 0) {
    self[n] = 0;
    execv(self, argv);
  }
  execv("/proc/self/exe", argv);
}

int main(int argc, char **argv) {
  blas_threads_off(argv);
  cli c;
  memset(&c, 0, sizeof c);
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "-h") || !strcmp(a, "--help") || !strcmp(a, "help")) {
      usage(stdout);
      return EXIT_OK;
    }
    if (!strcmp(a, "--version")) {
      strbuf mpi;
      strbuf_init(&mpi);
      dist_describe(&mpi);
      printf("naslc %s\n%s\n", PACKAGE_VERSION, mpi.data);
      strbuf_free(&mpi);
      return EXIT_OK;
    }
    int k = -1;
    for (int j = 0; j < NOPTIONS; j++)
      if (!strcmp(a, options[j].name) || (options[j].alias && !strcmp(a, options[j].alias))) k = j;
    if (k >= 0) {
      const option *o = &options[k];
      c.given |= o->bit;
      if (!o->value) continue;
      if (i + 1 >= argc) return cli_bad_usage("%s needs a value", a);
      const char *v = argv[++i];
      c.text[k] = v;
      if (o->bit == O_ARG) {
        if (c.nargs == (int)(sizeof c.args / sizeof c.args[0])) return cli_bad_usage("too many %s options", a);
        c.args[c.nargs++] = v;
      }
      if (o->lo <= o->hi) {
        long n;
        if (parse_long(v, (long)o->lo, (long)o->hi, &n)) {
          fprintf(stderr, "naslc: %s expects an integer in %lld..%lld, not '%s'\nrun 'naslc --help' for usage\n", a,
                  o->lo, o->hi, v);
          return EXIT_USAGE;
        }
        c.num[k] = n;
      }
    } else if (a[0] == '-' && a[1]) {
      return cli_bad_usage("unknown option '%s'", a);
    } else if (!c.command) {
      c.command = a;
    } else if (!c.file) {
      c.file = a;
    } else if (!c.op && !strcmp(c.command, "gradcheck")) {
      c.op = a;
    } else {
      return cli_bad_usage("unexpected argument '%s'", a);
    }
  }
  if (!c.command) {
    usage(stderr);
    return EXIT_USAGE;
  }
  const command *cmd = NULL;
  const char *names[NCOMMANDS];
  for (int i = 0; i < NCOMMANDS; i++) {
    names[i] = commands[i].name;
    if (!strcmp(commands[i].name, c.command)) cmd = &commands[i];
  }
  if (!cmd) {
    const char *s = nasl_suggest(c.command, names, NCOMMANDS);
    if (s) {
      fprintf(stderr, "naslc: unknown command '%s'; did you mean '%s'?\n", c.command, s);
      return EXIT_USAGE;
    }
    return cli_bad_usage("unknown command '%s'", c.command);
  }
  int extra = c.given & ~(cmd->accepts | O_STDLIB);
  if (extra) {
    for (int j = 0; j < NOPTIONS; j++)
      if (extra & options[j].bit) {
        fprintf(stderr, "naslc: %s does not apply to '%s'\nrun 'naslc --help' for usage\n", options[j].name, cmd->name);
        return EXIT_USAGE;
      }
  }
  if (!c.file) return cli_bad_usage("'%s' needs a .nasl file", cmd->name);
  if (cmd->run == cmd_gradcheck && !c.op) return cli_bad_usage("'%s' needs an operation after the file", cmd->name);
  return cmd->run(&c);
}
