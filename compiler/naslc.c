/* naslc.c: the command line. Every subcommand is a row of one table.
 *
 * Exit codes (documented in naslc(1)):
 *   0  success
 *   1  the .nasl file has errors (diagnostics on stderr)
 *   2  bad command line
 *   3  a file could not be read or written */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../runtime/arch.h"
#include "../runtime/rng.h"
#include "compile.h"
#include "print.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0.1.0"
#endif

enum { EXIT_OK = 0, EXIT_INVALID = 1, EXIT_USAGE = 2, EXIT_IO = 3 };

typedef struct cli {
  const char *command;   /* subcommand name */
  const char *file;      /* the .nasl file */
  const char *stdlib;    /* --stdlib */
  int json;              /* --json */
  int quiet;             /* --quiet */
  long long seed;        /* --seed */
  long long count;       /* -n */
  long long at;          /* --at */
  int sample_opts;       /* --seed, -n or --at was given */
} cli;

typedef int (*command_fn)(cli *c);

typedef struct command {
  const char *name;     /* as typed */
  command_fn run;       /* what it does */
  const char *options;  /* options it accepts, for usage */
  const char *summary;  /* one line of help */
} command;

static int cmd_check(cli *c);
static int cmd_tokens(cli *c);
static int cmd_sample(cli *c);

static const command commands[] = {
    {"check", cmd_check, "FILE [--quiet]", "check a .nasl file; exit 0 when it is valid"},
    {"tokens", cmd_tokens, "FILE [--json]", "list the controller's decisions and the size of the space"},
    {"sample", cmd_sample, "FILE [--seed N] [-n K] [--at SAMPLES]",
     "draw K architectures uniformly, one JSON record per line"},
};
#define NCOMMANDS ((int)(sizeof commands / sizeof commands[0]))

static void usage(FILE *f) {
  fprintf(f, "usage: naslc COMMAND FILE [OPTIONS]\n\ncommands:\n");
  for (int i = 0; i < NCOMMANDS; i++)
    fprintf(f, "  naslc %-7s %-38s %s\n", commands[i].name, commands[i].options, commands[i].summary);
  fprintf(f,
          "\noptions for every command:\n"
          "  --stdlib DIR   read the standard library from DIR (also $NASLC_STDLIB)\n"
          "  -h, --help     show this help;  --version  show the version\n"
          "\nexit status: 0 ok, 1 the file has errors, 2 bad command line, 3 a file cannot be read\n"
          "see naslc(1), nasl(5) and nasl-stdlib(7)\n");
}

static int bad_usage(const char *fmt, const char *arg) {
  fprintf(stderr, "naslc: ");
  fprintf(stderr, fmt, arg);
  fprintf(stderr, "\nrun 'naslc --help' for usage\n");
  return EXIT_USAGE;
}

static int parse_int(const char *opt, const char *text, long long lo, long long hi, long long *out) {
  char *end;
  errno = 0;
  long long v = strtoll(text, &end, 10);
  if (errno || end == text || *end || v < lo || v > hi) {
    fprintf(stderr, "naslc: %s expects an integer in %lld..%lld, not '%s'\nrun 'naslc --help' for usage\n", opt,
            lo, hi, text);
    return 0;
  }
  *out = v;
  return 1;
}

/* Compiles c->file; prints diagnostics; returns NULL and sets *status on failure. */
static grammar *compile(cli *c, int *status) {
  strbuf text;
  strbuf_init(&text);
  int err = strbuf_read_file(&text, c->file);
  if (err) {
    fprintf(stderr, "naslc: cannot read '%s': %s\n", c->file, strerror(err));
    strbuf_free(&text);
    *status = EXIT_IO;
    return NULL;
  }
  nasl_diag d;
  nasl_diag_init(&d, stderr);
  nasl_options opt = {c->stdlib, 0};
  grammar *g = nasl_compile_text(c->file, text.data, text.len, &opt, &d);
  strbuf_free(&text);
  if (!g || d.warnings) nasl_diag_summary(&d);
  nasl_diag_free(&d);
  *status = g ? EXIT_OK : EXIT_INVALID;
  return g;
}

static int cmd_check(cli *c) {
  int status;
  grammar *g = compile(c, &status);
  if (!g) return status;
  if (!c->quiet) {
    char size[64];
    grammar_size_text(g, size, sizeof size);
    printf("%s: ok: %s '%s', %d decision%s, %s architecture%s\n", c->file,
           g->space_kind == SPACE_CNN ? "space" : "cell", g->name, g->ndecisions, g->ndecisions == 1 ? "" : "s",
           size, strcmp(size, "1") ? "s" : "");
  }
  grammar_free(g);
  return EXIT_OK;
}

static int cmd_tokens(cli *c) {
  int status;
  grammar *g = compile(c, &status);
  if (!g) return status;
  strbuf out;
  strbuf_init(&out);
  if (c->json) {
    grammar_print_json(g, &out);
    strbuf_putc(&out, '\n');
  } else {
    grammar_print_tokens(g, &out);
  }
  fwrite(out.data, 1, out.len, stdout);
  strbuf_free(&out);
  grammar_free(g);
  return EXIT_OK;
}

static int cmd_sample(cli *c) {
  int status;
  grammar *g = compile(c, &status);
  if (!g) return status;
  rng r;
  rng_seed(&r, (uint64_t)c->seed);
  strbuf out;
  strbuf_init(&out);
  for (long long i = 0; i < c->count; i++) {
    arch a;
    if (!arch_generate(g, (long)c->at, arch_choose_uniform, &r, &a)) break;
    strbuf_clear(&out);
    arch_json(&a, &out);
    strbuf_putc(&out, '\n');
    fwrite(out.data, 1, out.len, stdout);
    arch_free(&a);
  }
  strbuf_free(&out);
  grammar_free(g);
  return EXIT_OK;
}

int main(int argc, char **argv) {
  cli c = {0};
  c.seed = 1;
  c.count = 1;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *next = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "-h") || !strcmp(a, "--help") || !strcmp(a, "help")) {
      usage(stdout);
      return EXIT_OK;
    } else if (!strcmp(a, "--version")) {
      printf("naslc %s\n", PACKAGE_VERSION);
      return EXIT_OK;
    } else if (!strcmp(a, "--json")) {
      c.json = 1;
    } else if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) {
      c.quiet = 1;
    } else if (!strcmp(a, "--stdlib") || !strcmp(a, "--seed") || !strcmp(a, "-n") || !strcmp(a, "--at")) {
      if (!next) return bad_usage("%s needs a value", a);
      i++;
      if (strcmp(a, "--stdlib")) c.sample_opts = 1;
      if (!strcmp(a, "--stdlib")) c.stdlib = next;
      else if (!strcmp(a, "--seed") && !parse_int(a, next, 0, LLONG_MAX, &c.seed)) return EXIT_USAGE;
      else if (!strcmp(a, "-n") && !parse_int(a, next, 0, 100000000, &c.count)) return EXIT_USAGE;
      else if (!strcmp(a, "--at") && !parse_int(a, next, 0, LONG_MAX, &c.at)) return EXIT_USAGE;
    } else if (a[0] == '-' && a[1]) {
      return bad_usage("unknown option '%s'", a);
    } else if (!c.command) {
      c.command = a;
    } else if (!c.file) {
      c.file = a;
    } else {
      return bad_usage("unexpected argument '%s'", a);
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
    return bad_usage("unknown command '%s'", c.command);
  }
  if ((c.json && cmd->run != cmd_tokens) ||
      (c.sample_opts && cmd->run != cmd_sample))
    return bad_usage("an option given does not apply to '%s'", cmd->name);
  if (!c.file) return bad_usage("'%s' needs a .nasl file", cmd->name);
  return cmd->run(&c);
}
