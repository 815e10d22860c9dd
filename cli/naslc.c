/* naslc.c: the command line. Every subcommand and every option is a row of a
 * table; a command lists the options it accepts.
 *
 * Exit codes (documented in naslc(1)):
 *   0  success
 *   1  the .nasl file has errors (diagnostics on stderr)
 *   2  bad command line
 *   3  a file could not be read or written (data, records, weights)
 *   4  the architecture cannot be built, training failed, or gradcheck failed */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fsutil.h"
#include "common/json.h"
#include "grammar/arch.h"
#include "runtime/data/corpus.h"
#include "stdlib/extern.h"
#include "runtime/models/opcheck.h"
#include "runtime/train/lm_train.h"
#include "nn/parallel.h"
#include "common/rng.h"
#include "runtime/search/search.h"
#include "runtime/train/train.h"
#include "compiler/compile.h"
#include "compiler/print.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0.1.0"
#endif

enum { EXIT_OK = 0, EXIT_INVALID = 1, EXIT_USAGE = 2, EXIT_IO = 3, EXIT_TRAIN = 4 };

/* ---- options ---- */

enum {
  O_JSON = 1 << 0, O_QUIET = 1 << 1, O_SEED = 1 << 2, O_COUNT = 1 << 3, O_AT = 1 << 4, O_ARCH = 1 << 5,
  O_EPOCHS = 1 << 6, O_SAVE = 1 << 7, O_THREADS = 1 << 8, O_WEIGHTS = 1 << 9, O_DOT = 1 << 10, O_STDLIB = 1 << 11,
  O_SUBSET = 1 << 12, O_DIR = 1 << 13, O_RESUME = 1 << 14, O_SAMPLES = 1 << 15,
  O_VALID = 1 << 16, O_TEST = 1 << 17, O_ARG = 1 << 18, O_SHAPE = 1 << 19
};

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
};
#define NOPTIONS ((int)(sizeof options / sizeof options[0]))

typedef struct cli {
  const char *command;   /* subcommand name */
  const char *file;      /* the .nasl file (or the record, for show) */
  const char *op;        /* gradcheck: the operation */
  int nargs;             /* gradcheck: --arg values given */
  const char *args[32];  /* gradcheck: each "name=value" */
  int given;             /* O_* bits of the options given */
  const char *text[32];  /* string values, by option index */
  long long num[32];     /* integer values, by option index */
} cli;

static long long opt_num(const cli *c, int bit, long long def) {
  for (int i = 0; i < NOPTIONS; i++)
    if (options[i].bit == bit) return (c->given & bit) ? c->num[i] : def;
  return def;
}

static const char *opt_text(const cli *c, int bit) {
  for (int i = 0; i < NOPTIONS; i++)
    if (options[i].bit == bit) return (c->given & bit) ? c->text[i] : NULL;
  return NULL;
}

/* ---- commands ---- */

typedef int (*command_fn)(cli *c);

typedef struct command {
  const char *name;     /* as typed */
  command_fn run;       /* what it does */
  int accepts;          /* O_* bits it takes (besides --stdlib) */
  const char *usage;    /* its arguments, for --help */
  const char *summary;  /* one line of help */
} command;

static int cmd_check(cli *c);
static int cmd_tokens(cli *c);
static int cmd_sample(cli *c);
static int cmd_train(cli *c);
static int cmd_eval(cli *c);
static int cmd_show(cli *c);
static int cmd_run(cli *c);
static int cmd_report(cli *c);
static int cmd_gradcheck(cli *c);

static const command commands[] = {
    {"check", cmd_check, O_QUIET, "FILE [--quiet]", "check a .nasl file; exit 0 when it is valid"},
    {"tokens", cmd_tokens, O_JSON, "FILE [--json]", "list the controller's decisions and the size of the space"},
    {"sample", cmd_sample, O_SEED | O_COUNT | O_AT, "FILE [--seed N] [-n K] [--at SAMPLES]",
     "draw K architectures uniformly, one JSON record per line"},
    {"train", cmd_train, O_ARCH | O_EPOCHS | O_SUBSET | O_VALID | O_TEST | O_SAVE | O_THREADS | O_QUIET,
     "FILE [--arch A.json] [--epochs N] [--subset N] [--valid N] [--test N] [--save DIR] [--threads N] [--quiet]",
     "train one architecture on the data (--epochs, --subset, --valid, --test override the recipe)"},
    {"eval", cmd_eval, O_ARCH | O_WEIGHTS | O_THREADS, "FILE [--arch A.json] --weights W [--threads N]",
     "test accuracy (or perplexity) of saved weights"},
    {"show", cmd_show, O_ARCH | O_DOT, "RECORD.json [--dot] | FILE [--arch A.json] [--dot]",
     "layers, shapes, parameters and FLOPs of an architecture, or a Graphviz drawing"},
    {"run", cmd_run, O_DIR | O_RESUME | O_SAMPLES | O_SEED | O_THREADS | O_QUIET,
     "FILE [--dir DIR] [--samples N] [--seed N] [--threads N] [--quiet] | FILE --resume DIR",
     "search: sample, evaluate and learn (the search recipe); Ctrl-C stops after saving"},
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
          "4 the architecture cannot be built, training failed, or a gradient check failed\n"
          "see naslc(1), nasl(5) and nasl-stdlib(7)\n");
}

static int bad_usage(const char *fmt, const char *arg) {
  fprintf(stderr, "naslc: ");
  fprintf(stderr, fmt, arg);
  fprintf(stderr, "\nrun 'naslc --help' for usage\n");
  return EXIT_USAGE;
}

/* Compiles path; prints diagnostics; NULL and *status set on failure. */
static grammar *compile_path(const char *path, const char *stdlib, int *status) {
  strbuf text;
  strbuf_init(&text);
  int err = strbuf_read_file(&text, path);
  if (err) {
    fprintf(stderr, "naslc: cannot read '%s': %s\n", path, strerror(err));
    strbuf_free(&text);
    *status = EXIT_IO;
    return NULL;
  }
  nasl_diag d;
  nasl_diag_init(&d, stderr);
  nasl_options opt = {stdlib, 0};
  grammar *g = nasl_compile_text(path, text.data, text.len, &opt, &d);
  strbuf_free(&text);
  if (!g || d.warnings) nasl_diag_summary(&d);
  nasl_diag_free(&d);
  *status = g ? EXIT_OK : EXIT_INVALID;
  return g;
}

static grammar *compile(cli *c, int *status) { return compile_path(c->file, opt_text(c, O_STDLIB), status); }

/* Opens the library of every extern op g declares, so that a missing
 * library or symbol stops the command before any work: 0, or -1 with the
 * message printed and *status set (the file has errors). */
static int load_plugins(const grammar *g, int *status) {
  strbuf err;
  strbuf_init(&err);
  int rc = nn_extern_load_all(g, &err);
  if (rc) {
    fprintf(stderr, "%s\n", err.data);
    *status = EXIT_INVALID;
  }
  strbuf_free(&err);
  return rc;
}

/* A file that the runtime will execute: compiled, and its plug-ins loaded. */
static grammar *compile_runnable(cli *c, int *status) {
  grammar *g = compile(c, status);
  if (g && load_plugins(g, status)) {
    grammar_free(g);
    return NULL;
  }
  return g;
}

static int cmd_check(cli *c) {
  int status;
  grammar *g = compile_runnable(c, &status);
  if (!g) return status;
  if (!(c->given & O_QUIET)) {
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
  if (c->given & O_JSON) {
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

/* The record of an architecture, with the space's file so that a record alone
 * is enough for `naslc show`. */
static void record_json(const arch *a, const char *file, strbuf *out) {
  arch_json(a, out);
  char buf[PATH_MAX];
  const char *abs = realpath(file, buf) ? buf : file;
  out->len--; /* reopen the object */
  strbuf_puts(out, ",\"file\":");
  strbuf_json_string(out, abs);
  strbuf_putc(out, '}');
}

static int cmd_sample(cli *c) {
  int status;
  grammar *g = compile(c, &status);
  if (!g) return status;
  rng r;
  rng_seed(&r, (uint64_t)opt_num(c, O_SEED, 1));
  strbuf out;
  strbuf_init(&out);
  long long count = opt_num(c, O_COUNT, 1);
  for (long long i = 0; i < count; i++) {
    arch a;
    if (!arch_generate(g, (long)opt_num(c, O_AT, 0), arch_choose_uniform, &r, &a)) break;
    strbuf_clear(&out);
    record_json(&a, c->file, &out);
    strbuf_putc(&out, '\n');
    fwrite(out.data, 1, out.len, stdout);
    arch_free(&a);
  }
  strbuf_free(&out);
  grammar_free(g);
  return EXIT_OK;
}

/* ---- architecture records ---- */

/* Reads the first record of path into *a (for grammar g). */
static int load_record(const char *path, const grammar *g, arch *a, int *status) {
  strbuf text, err;
  strbuf_init(&text);
  strbuf_init(&err);
  int e = strbuf_read_file(&text, path);
  int rc = -1;
  arena mem;
  arena_init(&mem);
  if (e) {
    fprintf(stderr, "naslc: cannot read '%s': %s\n", path, strerror(e));
    *status = EXIT_IO;
    goto out;
  }
  size_t len = text.len;
  char *nl = memchr(text.data, '\n', text.len);
  if (nl) len = (size_t)(nl - text.data); /* a file of several records: the first */
  json_value *v = json_parse(&mem, text.data, len, &err);
  const json_value *tokens = json_get(v, "tokens"), *depth = json_get(v, "depth");
  if (!v || !tokens || tokens->kind != JSON_ARRAY) {
    fprintf(stderr, "naslc: '%s' is not an architecture record (%s); records come from 'naslc sample'\n", path,
            err.len ? err.data : "no \"tokens\" list");
    *status = EXIT_IO;
    goto out;
  }
  int *t = xcalloc((size_t)tokens->n + 1, sizeof(int));
  for (int i = 0; i < tokens->n; i++) t[i] = (int)tokens->items[i]->number;
  /* a curriculum's depth is not a token: find the position that gives it */
  const grammar_node *v_stack = g->variable_stack;
  long at = v_stack && depth && depth->kind == JSON_NUMBER
                ? grammar_curriculum_position(v_stack, (int)depth->number - v_stack->first_layer)
                : 0;
  if (!arch_from_tokens(g, at, t, tokens->n, a, &err)) {
    fprintf(stderr, "naslc: '%s' does not fit space '%s': %s\n", path, g->name, err.data);
    *status = EXIT_IO;
  } else {
    rc = 0;
  }
  free(t);
out:
  arena_free(&mem);
  strbuf_free(&text);
  strbuf_free(&err);
  return rc;
}

/* The architecture to train: --arch, or the only one of a space without decisions. */
static int arch_for(cli *c, const grammar *g, arch *a, int *status) {
  const char *path = opt_text(c, O_ARCH);
  if (path) return load_record(path, g, a, status);
  if (g->ndecisions > 0) {
    fprintf(stderr, "naslc: space '%s' has %d decisions; name an architecture with --arch A.json "
                    "(a record from 'naslc sample')\n", g->name, g->ndecisions);
    *status = EXIT_USAGE;
    return -1;
  }
  rng r;
  rng_seed(&r, 1);
  arch_generate(g, 0, arch_choose_uniform, &r, a);
  return 0;
}

static void json_series(strbuf *b, const char *name, const double *v, int n) {
  strbuf_printf(b, "\"%s\":[", name);
  for (int i = 0; i < n; i++) {
    if (i) strbuf_putc(b, ',');
    strbuf_json_number(b, "%.6f", v[i]);
  }
  strbuf_putc(b, ']');
}

static int save_run(const char *dir, const arch *a, const char *file, const nn_params *params,
                    const train_report *rep, strbuf *err) {
  if (fs_mkdirs(dir)) {
    strbuf_printf(err, "cannot create '%s': %s", dir, strerror(errno));
    return -1;
  }
  char path[PATH_MAX];
  strbuf rec, hist;
  strbuf_init(&rec);
  strbuf_init(&hist);
  record_json(a, file, &rec);
  strbuf_putc(&rec, '\n');
  snprintf(path, sizeof path, "%s/arch.json", dir);
  int rc = fs_write_atomic(path, rec.data, rec.len, err);
  strbuf_printf(&hist, "{\"epochs\":%d,", rep->epochs);
  if (rep->valid_perplexity) { /* a language model */
    json_series(&hist, "valid_perplexity", rep->valid_perplexity, rep->epochs);
    strbuf_puts(&hist, ",\"test_perplexity\":");
    strbuf_json_number(&hist, "%.6f", rep->test_perplexity);
    strbuf_printf(&hist, ",\"words_per_second\":%.1f", rep->rate);
  } else {
    json_series(&hist, "valid_accuracy", rep->valid_accuracy, rep->epochs);
    strbuf_putc(&hist, ',');
    json_series(&hist, "valid_loss", rep->valid_loss, rep->epochs);
    strbuf_puts(&hist, ",\"test_accuracy\":");
    strbuf_json_number(&hist, "%.6f", rep->test_accuracy);
    strbuf_puts(&hist, ",\"test_loss\":");
    strbuf_json_number(&hist, "%.6f", rep->test_loss);
  }
  strbuf_printf(&hist, ",\"params\":%lld,\"flops\":%lld,\"seconds\":%.1f", (long long)rep->params,
                (long long)rep->flops, rep->seconds);
  if (rep->reward_ok) {
    strbuf_puts(&hist, ",\"reward\":");
    strbuf_json_number(&hist, "%.6f", rep->reward);
  }
  strbuf_puts(&hist, "}\n");
  snprintf(path, sizeof path, "%s/history.json", dir);
  if (!rc) rc = fs_write_atomic(path, hist.data, hist.len, err);
  snprintf(path, sizeof path, "%s/weights.safetensors", dir);
  rec.data[rec.len - 1] = 0;
  const char *keys[] = {"naslc.arch", "naslc.version"}, *vals[] = {rec.data, PACKAGE_VERSION};
  if (!rc) rc = nn_params_save(params, path, keys, vals, 2, err);
  strbuf_free(&rec);
  strbuf_free(&hist);
  return rc;
}

/* ---- language models (recurrent-cell spaces) ---- */

static int load_corpus(const grammar *g, int quiet, corpus *cp, lm_data *d, strbuf *err) {
  if (!quiet) fprintf(stderr, "loading %s (%s)\n", g->train.data.name, g->train.data.loader);
  if (corpus_load(&g->train.data, g->train.subset, cp, err)) return -1;
  *d = (lm_data){cp->train, cp->valid, cp->test, cp->ntrain, cp->nvalid, cp->ntest, cp->nwords};
  if (!quiet)
    fprintf(stderr, "%lld training, %lld validation, %lld test words; vocabulary %d\n", (long long)cp->ntrain,
            (long long)cp->nvalid, (long long)cp->ntest, cp->nwords);
  return 0;
}

static int train_lm(cli *c, grammar *g, const arch *a) {
  int quiet = (c->given & O_QUIET) != 0, status = EXIT_OK;
  int threads = nn_threads_default((int)opt_num(c, O_THREADS, 0));
  if (c->given & O_SUBSET) g->train.subset = (int)opt_num(c, O_SUBSET, 0);
  strbuf err;
  strbuf_init(&err);
  corpus cp;
  lm_data d;
  if (load_corpus(g, quiet, &cp, &d, &err)) {
    fprintf(stderr, "naslc: %s\n", err.data);
    strbuf_free(&err);
    return EXIT_IO;
  }
  train_opts o = {(int)opt_num(c, O_EPOCHS, 0), threads, quiet, isatty(2), 0, 0};
  lm m;
  train_report rep;
  if (lm_train_child(g, a, &d, &o, &m, &rep, &err)) {
    fprintf(stderr, "naslc: %s\n", err.data);
    status = EXIT_TRAIN;
  } else {
    printf("parameters %lld, forward FLOPs per word %lld\n", (long long)rep.params, (long long)rep.flops);
    double best = INFINITY;
    for (int i = 0; i < rep.epochs; i++) best = rep.valid_perplexity[i] < best ? rep.valid_perplexity[i] : best;
    printf("valid perplexity %.2f (best %.2f), test perplexity %.2f, %.0f words/s, %.1f s\n",
           rep.epochs ? rep.valid_perplexity[rep.epochs - 1] : NAN, best, rep.test_perplexity, rep.rate,
           rep.seconds);
    if (rep.reward_ok) printf("reward %.6f (%s)\n", rep.reward, g->search.reward_text);
    const char *dir = opt_text(c, O_SAVE);
    if (dir && save_run(dir, a, c->file, &m.params, &rep, &err)) {
      fprintf(stderr, "naslc: %s\n", err.data);
      status = EXIT_IO;
    } else if (dir && !quiet) {
      fprintf(stderr, "saved %s/arch.json, %s/weights.safetensors and %s/history.json\n", dir, dir, dir);
    }
    lm_free(&m);
  }
  train_report_free(&rep);
  corpus_free(&cp);
  strbuf_free(&err);
  return status;
}

static int cmd_train(cli *c) {
  int status;
  grammar *g = compile_runnable(c, &status);
  if (!g) return status;
  arch a;
  if (g->space_kind == SPACE_DAG_CELL) {
    fprintf(stderr, "naslc: '%s' is a DAG cell space; training DAG-cell children is not implemented "
                    "(search it with evaluator: table(...))\n", g->name);
    grammar_free(g);
    return EXIT_USAGE;
  }
  if (search_is_lm(g)) {
    if (c->given & (O_VALID | O_TEST)) {
      grammar_free(g);
      return bad_usage("%s: --valid and --test count images; a language model uses the corpus's own splits",
                       "train");
    }
    if (arch_for(c, g, &a, &status) == 0) {
      status = train_lm(c, g, &a);
      arch_free(&a);
    }
    grammar_free(g);
    return status;
  }
  if (arch_for(c, g, &a, &status)) {
    grammar_free(g);
    return status;
  }
  strbuf err;
  strbuf_init(&err);
  int threads = nn_threads_default((int)opt_num(c, O_THREADS, 0));
  int quiet = (c->given & O_QUIET) != 0;
  if (c->given & O_SUBSET) g->train.subset = (int)opt_num(c, O_SUBSET, 0);
  if (c->given & O_VALID) g->train.valid = (int)opt_num(c, O_VALID, 0);
  if (c->given & O_TEST) g->train.test = (int)opt_num(c, O_TEST, 0);
  train_data d;
  if (!quiet) fprintf(stderr, "loading %s (%s)\n", g->train.data.name, g->train.data.dir ? g->train.data.dir : "");
  if (train_data_load(&g->train, &d, &err)) {
    fprintf(stderr, "naslc: %s\n", err.data);
    status = EXIT_IO;
    goto done;
  }
  if (!quiet)
    fprintf(stderr, "%d training, %d validation, %d test images of %dx%dx%d, %d classes; %d threads\n", d.train.n,
            d.valid.n, d.test.n, d.shape.c, d.shape.h, d.shape.w, d.classes, threads);
  train_opts o = {(int)opt_num(c, O_EPOCHS, 0), threads, quiet, isatty(2), 0, 0};
  child ch;
  train_report rep;
  if (train_child(g, &a, &d, &o, &ch, &rep, &err)) {
    fprintf(stderr, "naslc: %s\n", err.data);
    status = EXIT_TRAIN;
  } else {
    printf("parameters %lld, forward FLOPs per image %lld\n", (long long)rep.params, (long long)rep.flops);
    double best = 0;
    for (int i = 0; i < rep.epochs; i++) best = rep.valid_accuracy[i] > best ? rep.valid_accuracy[i] : best;
    printf("valid accuracy %.4f (best %.4f), test accuracy %.4f, %.1f s\n",
           rep.epochs ? rep.valid_accuracy[rep.epochs - 1] : 0, best, rep.test_accuracy, rep.seconds);
    if (rep.reward_ok) printf("reward %.6f (%s)\n", rep.reward, g->search.reward_text);
    const char *dir = opt_text(c, O_SAVE);
    if (dir && save_run(dir, &a, c->file, &ch.params, &rep, &err)) {
      fprintf(stderr, "naslc: %s\n", err.data);
      status = EXIT_IO;
    } else if (dir && !quiet) {
      fprintf(stderr, "saved %s/arch.json, %s/weights.safetensors and %s/history.json\n", dir, dir, dir);
    }
    child_free(&ch);
    train_report_free(&rep);
  }
  train_data_free(&d);
done:
  arch_free(&a);
  strbuf_free(&err);
  grammar_free(g);
  return status;
}

static int cmd_eval(cli *c) {
  if (!(c->given & O_WEIGHTS)) return bad_usage("%s needs --weights W (and --arch A.json unless the space has no decisions)", "eval");
  int status;
  grammar *g = compile_runnable(c, &status);
  if (!g) return status;
  arch a;
  if (arch_for(c, g, &a, &status)) {
    grammar_free(g);
    return status;
  }
  strbuf err;
  strbuf_init(&err);
  int threads = nn_threads_default((int)opt_num(c, O_THREADS, 0));
  train_data d;
  child ch;
  rng r;
  rng_seed(&r, 1);
  if (search_is_lm(g)) {
    corpus cp;
    lm_data ld;
    lm m;
    double ppl;
    if (load_corpus(g, 1, &cp, &ld, &err)) {
      fprintf(stderr, "naslc: %s\n", err.data);
      status = EXIT_IO;
    } else {
      if (lm_build(&m, &a, &g->train, ld.vocab, &r, &err)) {
        fprintf(stderr, "naslc: %s\n", err.data);
        status = EXIT_TRAIN;
      } else {
        if (nn_params_load(&m.params, opt_text(c, O_WEIGHTS), &err)) {
          fprintf(stderr, "naslc: %s\n", err.data);
          status = EXIT_IO;
        } else if (lm_evaluate(&m, ld.test, ld.ntest, g->train.batch, g->train.bptt, threads, &ppl, &err)) {
          fprintf(stderr, "naslc: %s\n", err.data);
          status = EXIT_TRAIN;
        } else {
          printf("test perplexity %.4f (%lld words)\n", ppl, (long long)ld.ntest);
        }
        lm_free(&m);
      }
      corpus_free(&cp);
    }
  } else if (train_data_load(&g->train, &d, &err)) {
    fprintf(stderr, "naslc: %s\n", err.data);
    status = EXIT_IO;
  } else {
    if (child_build(&ch, &a, d.shape, d.classes, &r, &err)) {
      fprintf(stderr, "naslc: %s\n", err.data);
      status = EXIT_TRAIN;
    } else {
      double acc, loss;
      if (nn_params_load(&ch.params, opt_text(c, O_WEIGHTS), &err)) {
        fprintf(stderr, "naslc: %s\n", err.data);
        status = EXIT_IO;
      } else if (evaluate(&ch, &d.test, 256, threads, &acc, &loss, &err)) {
        fprintf(stderr, "naslc: %s\n", err.data);
        status = EXIT_TRAIN;
      } else {
        printf("test accuracy %.4f, test loss %.4f (%d images)\n", acc, loss, d.test.n);
      }
      child_free(&ch);
    }
    train_data_free(&d);
  }
  arch_free(&a);
  strbuf_free(&err);
  grammar_free(g);
  return status;
}

/* Short labels for drawings: "conv 3x5, 36" rather than every argument. */
static void op_label(const arch_op *o, strbuf *out) {
  const char *n = o->op->name;
  const grammar_value *v = o->args;
  if (!strcmp(n, "conv2d")) {
    strbuf_printf(out, "conv %lldx%lld, %lld", (long long)v[0].i, (long long)v[1].i, (long long)v[2].i);
    if (v[3].i > 1) strbuf_printf(out, " /%lld", (long long)v[3].i);
  } else if (!strcmp(n, "maxpool") || !strcmp(n, "avgpool")) {
    strbuf_printf(out, "%s %lldx%lld /%lld", n, (long long)v[0].i, (long long)v[0].i, (long long)v[1].i);
  } else if (!strcmp(n, "dropout")) {
    strbuf_printf(out, "dropout %g", v[0].f);
  } else if (!strcmp(n, "dense")) {
    strbuf_printf(out, "dense %lld", (long long)v[0].i);
  } else {
    strbuf_puts(out, n);
  }
}

static void dot(const child *ch, strbuf *out) {
  strbuf_puts(out, "digraph architecture {\n  rankdir=TB;\n  node [shape=box, style=rounded, fontname=\"Helvetica\"];\n");
  strbuf_printf(out, "  image [shape=ellipse, label=\"image\\n%dx%dx%d\"];\n", ch->input.c, ch->input.h, ch->input.w);
  for (int i = 0; i < ch->cnn.nlayers; i++) {
    const arch_layer *l = &ch->cnn.layers[i];
    strbuf_printf(out, "  L%d [label=\"layer %d", i, i);
    for (int k = 0; k < l->nops; k++) {
      strbuf_puts(out, "\\n");
      op_label(&l->ops[k], out);
    }
    strbuf_puts(out, "\"];\n");
    if (!l->ninputs) strbuf_printf(out, "  image -> L%d;\n", i);
    for (int k = 0; k < l->ninputs; k++) /* the chain solid, skip connections dashed */
      strbuf_printf(out, "  L%d -> L%d%s;\n", l->inputs[k], i, l->inputs[k] == i - 1 ? "" : " [style=dashed]");
  }
  strbuf_puts(out, "  head [shape=box, style=\"rounded,filled\", fillcolor=\"#eeeeee\", label=\"head");
  for (int k = 0; k < ch->cnn.head.nops; k++) {
    strbuf_puts(out, "\\n");
    op_label(&ch->cnn.head.ops[k], out);
  }
  strbuf_puts(out, "\"];\n");
  for (int i = 0; i < ch->cnn.nlayers; i++)
    if (!ch->used[i]) strbuf_printf(out, "  L%d -> head;\n", i);
  strbuf_puts(out, "}\n");
}

/* The cell program as a graph: inputs at the top, h_t and c_t marked. */
static void dot_cell(const lm *m, strbuf *out) {
  static const char *const names[] = {"x", "h", "c", "add", "mul", "identity", "tanh", "sigmoid", "relu"};
  const cell_program *p = &m->cell;
  strbuf_puts(out, "digraph cell {\n  rankdir=BT;\n  node [shape=box, style=rounded, fontname=\"Helvetica\"];\n");
  for (int i = 0; i < p->nsteps; i++) {
    const cell_step *st = &p->steps[i];
    if (st->kind == CS_X) strbuf_printf(out, "  s%d [shape=ellipse, label=\"W%d x_t\"];\n", i, st->proj);
    else if (st->kind == CS_H) strbuf_printf(out, "  s%d [shape=ellipse, label=\"U%d h_t-1\"];\n", i, st->proj);
    else if (st->kind == CS_C) strbuf_printf(out, "  s%d [shape=ellipse, label=\"c_t-1\"];\n", i);
    else strbuf_printf(out, "  s%d [label=\"%s\"];\n", i, names[st->kind]);
    if (st->kind >= CS_ADD) strbuf_printf(out, "  s%d -> s%d;\n", st->a, i);
    if (st->kind == CS_ADD || st->kind == CS_MUL) strbuf_printf(out, "  s%d -> s%d;\n", st->b, i);
  }
  strbuf_puts(out, "  h_t [shape=plaintext];\n");
  strbuf_printf(out, "  s%d -> h_t;\n", p->output);
  if (p->memory >= 0) strbuf_printf(out, "  c_t [shape=plaintext];\n  s%d -> c_t [style=dashed];\n", p->memory);
  strbuf_puts(out, "}\n");
}

static int show_lm(cli *c, const grammar *g, const arch *a) {
  rng r;
  rng_seed(&r, 1);
  lm m;
  strbuf err, out;
  strbuf_init(&err);
  strbuf_init(&out);
  int status = EXIT_OK;
  if (lm_build(&m, a, &g->train, g->train.data.vocab > 1 ? g->train.data.vocab : 10000, &r, &err)) {
    fprintf(stderr, "naslc: this cell cannot be built: %s\n", err.data);
    status = EXIT_TRAIN;
  } else {
    if (c->given & O_DOT) dot_cell(&m, &out);
    else lm_summary(&m, &out);
    fwrite(out.data, 1, out.len, stdout);
    lm_free(&m);
  }
  strbuf_free(&err);
  strbuf_free(&out);
  return status;
}

static int cmd_show(cli *c) {
  const char *space = c->file, *record = opt_text(c, O_ARCH);
  arena mem;
  arena_init(&mem);
  int status = EXIT_OK;
  size_t flen = strlen(c->file);
  int is_nasl = flen > 5 && !strcmp(c->file + flen - 5, ".nasl");
  if (!record && !is_nasl) { /* a record alone names its space */
    record = c->file;
    strbuf text, err;
    strbuf_init(&text);
    strbuf_init(&err);
    int e = strbuf_read_file(&text, record);
    char *nl = e ? NULL : memchr(text.data, '\n', text.len);
    json_value *v = e ? NULL : json_parse(&mem, text.data, nl ? (size_t)(nl - text.data) : text.len, &err);
    const json_value *f = json_get(v, "file");
    if (e) fprintf(stderr, "naslc: cannot read '%s': %s\n", record, strerror(e));
    else if (!f || f->kind != JSON_STRING)
      fprintf(stderr, "naslc: '%s' is not an architecture record naming its space; use 'naslc show FILE --arch %s'\n",
              record, record);
    else space = arena_strdup(&mem, f->string);
    strbuf_free(&text);
    strbuf_free(&err);
    if (e || !f || f->kind != JSON_STRING) {
      arena_free(&mem);
      return EXIT_IO;
    }
  }
  grammar *g = compile_path(space, opt_text(c, O_STDLIB), &status);
  arch a;
  if (g && search_is_lm(g)) {
    if ((record ? load_record(record, g, &a, &status) : arch_for(c, g, &a, &status)) == 0) {
      status = show_lm(c, g, &a);
      arch_free(&a);
    }
  } else if (g && g->space_kind != SPACE_CNN) {
    fprintf(stderr, "naslc: show draws CNN architectures and recurrent cells; '%s' is a DAG cell space\n", g->name);
    status = EXIT_USAGE;
  } else if (g && (record ? load_record(record, g, &a, &status) : arch_for(c, g, &a, &status)) == 0) {
    child_shape in;
    int classes;
    strbuf err, out;
    strbuf_init(&err);
    strbuf_init(&out);
    train_data_shape(&g->train.data, &in, &classes);
    rng r;
    rng_seed(&r, 1);
    child ch;
    if (child_build(&ch, &a, in, classes, &r, &err)) {
      fprintf(stderr, "naslc: this architecture cannot be built: %s\n", err.data);
      status = EXIT_TRAIN;
    } else {
      if (c->given & O_DOT) dot(&ch, &out);
      else child_summary(&ch, &out);
      fwrite(out.data, 1, out.len, stdout);
      child_free(&ch);
    }
    strbuf_free(&err);
    strbuf_free(&out);
    arch_free(&a);
  }
  grammar_free(g);
  arena_free(&mem);
  return status;
}

int main(int argc, char **argv) {
  cli c;
  memset(&c, 0, sizeof c);
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "-h") || !strcmp(a, "--help") || !strcmp(a, "help")) {
      usage(stdout);
      return EXIT_OK;
    }
    if (!strcmp(a, "--version")) {
      printf("naslc %s\n", PACKAGE_VERSION);
      return EXIT_OK;
    }
    int k = -1;
    for (int j = 0; j < NOPTIONS; j++)
      if (!strcmp(a, options[j].name) || (options[j].alias && !strcmp(a, options[j].alias))) k = j;
    if (k >= 0) {
      const option *o = &options[k];
      c.given |= o->bit;
      if (!o->value) continue;
      if (i + 1 >= argc) return bad_usage("%s needs a value", a);
      const char *v = argv[++i];
      c.text[k] = v;
      if (o->bit == O_ARG) {
        if (c.nargs == (int)(sizeof c.args / sizeof c.args[0])) return bad_usage("too many %s options", a);
        c.args[c.nargs++] = v;
      }
      if (o->lo <= o->hi) {
        char *end;
        errno = 0;
        long long n = strtoll(v, &end, 10);
        if (errno || end == v || *end || n < o->lo || n > o->hi) {
          fprintf(stderr, "naslc: %s expects an integer in %lld..%lld, not '%s'\nrun 'naslc --help' for usage\n", a,
                  o->lo, o->hi, v);
          return EXIT_USAGE;
        }
        c.num[k] = n;
      }
    } else if (a[0] == '-' && a[1]) {
      return bad_usage("unknown option '%s'", a);
    } else if (!c.command) {
      c.command = a;
    } else if (!c.file) {
      c.file = a;
    } else if (!c.op && !strcmp(c.command, "gradcheck")) {
      c.op = a;
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
  int extra = c.given & ~(cmd->accepts | O_STDLIB);
  if (extra) {
    for (int j = 0; j < NOPTIONS; j++)
      if (extra & options[j].bit) {
        fprintf(stderr, "naslc: %s does not apply to '%s'\nrun 'naslc --help' for usage\n", options[j].name, cmd->name);
        return EXIT_USAGE;
      }
  }
  if (!c.file) return bad_usage("'%s' needs a .nasl file", cmd->name);
  if (cmd->run == cmd_gradcheck && !c.op) return bad_usage("'%s' needs an operation after the file", cmd->name);
  return cmd->run(&c);
}

/* ---- the search ---- */

#include <signal.h>
#include <math.h>

#include "runtime/train/reward.h"
#include "runtime/search/search.h"

typedef struct evaluator {
  const grammar *g;
  train_data data;          /* EVAL_TRAIN, CNN spaces */
  corpus text;              /* EVAL_TRAIN, cell spaces */
  lm_data words;            /* its token streams */
  train_opts opts;
  search_table *table;      /* EVAL_TABLE */
} evaluator;

static int eval_train(void *p, const arch *a, const char *key, search_result *res, strbuf *err) {
  (void)key;
  evaluator *e = p;
  child ch;
  train_report rep;
  strbuf why;
  strbuf_init(&why);
  if (train_child(e->g, a, &e->data, &e->opts, &ch, &rep, &why)) {
    res->ok = 0; /* this child cannot be built or trained: it gets the failure reward */
    snprintf(res->note, sizeof res->note, "%s", why.data);
    strbuf_free(&why);
    (void)err;
    return 0;
  }
  res->ok = rep.reward_ok;
  res->reward = rep.reward_ok ? rep.reward : SEARCH_FAILED_REWARD;
  if (res->ok && res->reward > res->best_before) { /* the test set is for new bests only: it costs a full pass */
    double loss;
    if (evaluate(&ch, &e->data.test, 256, e->opts.threads, &rep.test_accuracy, &loss, &why)) {
      snprintf(res->note, sizeof res->note, "%s", why.data);
      rep.test_accuracy = NAN;
    }
  } else {
    rep.test_accuracy = NAN;
  }
  if (!rep.reward_ok) snprintf(res->note, sizeof res->note, "the reward could not be evaluated");
  res->seconds = rep.seconds;
  res->params = rep.params;
  res->flops = rep.flops;
  res->test_accuracy = rep.test_accuracy;
  res->epochs = rep.epochs < 64 ? rep.epochs : 64;
  for (int i = 0; i < res->epochs; i++) res->valid_accuracy[i] = rep.valid_accuracy[i];
  child_free(&ch);
  train_report_free(&rep);
  strbuf_free(&why);
  return 0;
}

static int eval_lm(void *p, const arch *a, const char *key, search_result *res, strbuf *err) {
  (void)key;
  (void)err;
  evaluator *e = p;
  lm m;
  train_report rep;
  strbuf why;
  strbuf_init(&why);
  if (lm_train_child(e->g, a, &e->words, &e->opts, &m, &rep, &why)) {
    res->ok = 0; /* this cell cannot be built or trained: it gets the failure reward */
    snprintf(res->note, sizeof res->note, "%s", why.data);
    train_report_free(&rep);
    strbuf_free(&why);
    return 0;
  }
  res->ok = rep.reward_ok;
  res->reward = rep.reward_ok ? rep.reward : SEARCH_FAILED_REWARD;
  if (res->ok && res->reward > res->best_before) { /* the test set for new bests only */
    const grammar_train *t = &e->g->train;
    if (lm_evaluate(&m, e->words.test, e->words.ntest, t->batch, t->bptt, e->opts.threads, &rep.test_perplexity,
                    &why)) {
      snprintf(res->note, sizeof res->note, "%s", why.data);
      rep.test_perplexity = NAN;
    }
  } else {
    rep.test_perplexity = NAN;
  }
  if (!rep.reward_ok) snprintf(res->note, sizeof res->note, "the reward could not be evaluated");
  res->seconds = rep.seconds;
  res->params = rep.params;
  res->flops = rep.flops;
  res->test_accuracy = rep.test_perplexity; /* the log calls it test_perplexity */
  res->epochs = rep.epochs < 64 ? rep.epochs : 64;
  for (int i = 0; i < res->epochs; i++) res->valid_accuracy[i] = rep.valid_perplexity[i];
  lm_free(&m);
  train_report_free(&rep);
  strbuf_free(&why);
  return 0;
}

static int eval_table(void *p, const arch *a, const char *key, search_result *res, strbuf *err) {
  (void)a;
  evaluator *e = p;
  double v = search_table_lookup(e->table, key);
  if (isnan(v)) {
    res->ok = 0;
    snprintf(res->note, sizeof res->note, "'%.200s' is not in the table", key);
    return 0;
  }
  reward_inputs in = {0, NULL, NULL, NULL, 0, 0, v};
  res->reward = reward_eval(e->g->search.reward, &in, &res->ok, err);
  if (!res->ok) return -1; /* the formula needs what a table does not have */
  return 0;
}

static volatile int stop_requested;
static void on_interrupt(int sig) {
  (void)sig;
  stop_requested = 1;
}

static int cmd_run(cli *c) {
  if ((c->given & O_DIR) && (c->given & O_RESUME)) return bad_usage("%s: give --dir or --resume, not both", "run");
  int status;
  grammar *g = compile_runnable(c, &status);
  if (!g) return status;
  if (c->given & O_SEED) g->search.seed = opt_num(c, O_SEED, 1);
  const grammar_search *s = &g->search;
  evaluator e;
  memset(&e, 0, sizeof e);
  e.g = g;
  strbuf err;
  strbuf_init(&err);
  int quiet = (c->given & O_QUIET) != 0;
  int threads = nn_threads_default((int)opt_num(c, O_THREADS, 0));
  search_eval_fn fn;
  if (s->evaluator == EVAL_TABLE) {
    if (search_table_load(s->table_file, s->table_key, s->table_column, &e.table, &err)) {
      fprintf(stderr, "naslc: %s\n", err.data);
      grammar_free(g);
      strbuf_free(&err);
      return EXIT_IO;
    }
    fn = eval_table;
  } else {
    if (g->space_kind == SPACE_DAG_CELL) {
      fprintf(stderr, "naslc: training DAG-cell children is not implemented; search '%s' with evaluator: table(...)\n",
              g->name);
      grammar_free(g);
      strbuf_free(&err);
      return EXIT_USAGE;
    }
    int failed;
    if (search_is_lm(g)) {
      failed = load_corpus(g, quiet, &e.text, &e.words, &err);
    } else {
      if (!quiet) fprintf(stderr, "loading %s\n", g->train.data.name);
      failed = train_data_load(&g->train, &e.data, &err);
    }
    if (failed) {
      fprintf(stderr, "naslc: %s\n", err.data);
      grammar_free(g);
      strbuf_free(&err);
      return EXIT_IO;
    }
    e.opts = (train_opts){0, threads, 1, 0, 0, 1};
    fn = search_is_lm(g) ? eval_lm : eval_train;
  }
  char dir[4096];
  if (c->given & O_RESUME) snprintf(dir, sizeof dir, "%s", opt_text(c, O_RESUME));
  else if (c->given & O_DIR) snprintf(dir, sizeof dir, "%s", opt_text(c, O_DIR));
  else snprintf(dir, sizeof dir, "runs/%s", g->name);
  char logp[4200];
  snprintf(logp, sizeof logp, "%s/log.jsonl", dir);
  struct stat lst;
  if (!(c->given & O_RESUME) && stat(logp, &lst) == 0 && lst.st_size > 0) {
    fprintf(stderr, "naslc: '%s' already holds a run; resume it with --resume %s or choose another --dir\n", dir, dir);
    train_data_free(&e.data);
    if (e.words.train) corpus_free(&e.text);
    search_table_free(e.table);
    grammar_free(g);
    strbuf_free(&err);
    return EXIT_USAGE;
  }
  search_opts o = {dir, (c->given & O_RESUME) != 0, quiet, (long)opt_num(c, O_SAMPLES, 0), 0, c->file, &stop_requested,
                   NULL, NULL};
  if (g->ndecisions == 0 && !(c->given & O_SAMPLES)) o.samples = 1; /* one architecture: train it once */
  signal(SIGINT, on_interrupt);
  signal(SIGTERM, on_interrupt);
  if (!quiet)
    fprintf(stderr, "%s search of '%s' (%s architectures), run directory %s\n",
            s->strategy == STRATEGY_REINFORCE ? "REINFORCE" : "random", g->name,
            g->size_exact ? g->size_exact : "many", dir);
  search_summary sum;
  if (search_run(g, &o, fn, &e, &sum, &err)) {
    fprintf(stderr, "naslc: %s\n", err.data);
    status = strstr(err.data, "reward") ? EXIT_TRAIN : EXIT_IO; /* the formula, else files and directories */
  } else {
    if (sum.stopped) fprintf(stderr, "stopped at sample %ld; continue with: naslc run %s --resume %s\n", sum.samples,
                             c->file, dir);
    printf("samples %ld, children evaluated %ld, repeats %ld\n", sum.samples, sum.evaluated, sum.hits);
    printf("best reward %.6f: %s\n", sum.best_reward, sum.best_key);
    if (!isnan(sum.best_test))
      printf("best architecture's test %s %.4f\n", search_is_lm(g) ? "perplexity" : "accuracy", sum.best_test);
    printf("best architecture: %s/best.json (naslc show %s/best.json)\n", dir, dir);
    printf("run directory %s (naslc report %s)\n", dir, dir);
  }
  train_data_free(&e.data);
  if (e.words.train) corpus_free(&e.text);
  search_table_free(e.table);
  grammar_free(g);
  strbuf_free(&err);
  return status;
}

/* ---- report ---- */

typedef struct entry {
  long sample;
  double reward;
  const char *key;
  int hit;
} entry;

static int by_reward(const void *a, const void *b) {
  double x = ((const entry *)a)->reward, y = ((const entry *)b)->reward;
  return x < y ? 1 : x > y ? -1 : 0;
}

static int cmd_report(cli *c) {
  const char *dir = c->file;
  char path[4096];
  snprintf(path, sizeof path, "%s/log.jsonl", dir);
  strbuf text;
  strbuf_init(&text);
  int e = strbuf_read_file(&text, path);
  if (e) {
    fprintf(stderr, "naslc: cannot read '%s': %s (is '%s' a run directory?)\n", path, strerror(e), dir);
    strbuf_free(&text);
    return EXIT_IO;
  }
  arena mem;
  arena_init(&mem);
  entry *es = NULL;
  long n = 0, cap = 0;
  size_t pos = 0;
  while (pos < text.len) {
    char *nl = memchr(text.data + pos, '\n', text.len - pos);
    size_t end = nl ? (size_t)(nl - text.data) : text.len;
    json_value *v = json_parse(&mem, text.data + pos, end - pos, NULL);
    const json_value *s = json_get(v, "sample"), *r = json_get(v, "reward"), *k = json_get(v, "key");
    if (v && s && r && k && k->kind == JSON_STRING) {
      if (n == cap) es = xrealloc(es, sizeof(entry) * (size_t)(cap = cap ? 2 * cap : 256));
      es[n++] = (entry){(long)s->number, r->number, k->string, 0};
    } else if (!(c->given & O_QUIET)) {
      fprintf(stderr, "naslc: %s: the line at byte %zu is damaged and left out\n", path, pos);
    }
    pos = end + 1;
  }
  if (n == 0) {
    fprintf(stderr, "naslc: '%s' holds no evaluated architecture yet\n", path);
    free(es);
    arena_free(&mem);
    strbuf_free(&text);
    return EXIT_IO;
  }
  /* in sample order: reward, moving average over 20, best so far */
  double *ma = xcalloc((size_t)n, sizeof(double)), *best = xcalloc((size_t)n, sizeof(double));
  double lo = es[0].reward, hi = es[0].reward, sum = 0, run_best = -INFINITY;
  long best_sample = 0;
  for (long i = 0; i < n; i++) {
    sum += es[i].reward;
    if (i >= 20) sum -= es[i - 20].reward;
    ma[i] = sum / (double)(i < 20 ? i + 1 : 20);
    if (es[i].reward > run_best) {
      run_best = es[i].reward;
      best_sample = es[i].sample;
    }
    best[i] = run_best;
    lo = es[i].reward < lo ? es[i].reward : lo;
    hi = es[i].reward > hi ? es[i].reward : hi;
  }
  double first = 0, last = 0;
  long q = n / 4 ? n / 4 : 1;
  for (long i = 0; i < q; i++) {
    first += es[i].reward / q;
    last += es[n - 1 - i].reward / q;
  }
  printf("%s: %ld architectures evaluated\n", dir, n);
  printf("mean reward: first quarter %.4f, last quarter %.4f\n", first, last);
  printf("best reward %.6f (sample %ld)\n", run_best, best_sample);
  char svg[4096];
  snprintf(svg, sizeof svg, "%s/report.svg", dir);
  FILE *f = fopen(svg, "w");
  if (f) {
    double W = 720, H = 360, L = 60, B = 40, span = hi > lo ? hi - lo : 1;
#define XP(i) (L + (W - L - 20) * (n > 1 ? (double)(i) / (double)(n - 1) : 0.5))
#define YP(v) (H - B - (H - B - 20) * (((v) - lo) / span))
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" font-family=\"sans-serif\" font-size=\"12\">\n", W, H);
    fprintf(f, "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n");
    fprintf(f, "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"black\"/>\n", L, H - B, W - 20, H - B);
    fprintf(f, "<line x1=\"%.0f\" y1=\"20\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"black\"/>\n", L, L, H - B);
    fprintf(f, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\">sample</text>\n", (W + L) / 2, H - 8);
    fprintf(f, "<text x=\"8\" y=\"%.0f\">%.3g</text><text x=\"8\" y=\"24\">%.3g</text>\n", H - B, lo, hi);
    fprintf(f, "<text x=\"%.0f\" y=\"%.0f\">0</text><text x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\">%ld</text>\n", L, H - B + 14,
            W - 20, H - B + 14, n);
    for (long i = 0; i < n; i++)
      fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"1.6\" fill=\"#888\"/>\n", XP(i), YP(es[i].reward));
    const double *lines[2] = {ma, best};
    const char *colours[2] = {"#1f77b4", "#d62728"};
    for (int k = 0; k < 2; k++) {
      fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"", colours[k]);
      for (long i = 0; i < n; i++) fprintf(f, "%.1f,%.1f ", XP(i), YP(lines[k][i]));
      fprintf(f, "\"/>\n");
    }
    fprintf(f, "<text x=\"%.0f\" y=\"36\" fill=\"#1f77b4\">moving average (20)</text>\n", L + 10);
    fprintf(f, "<text x=\"%.0f\" y=\"52\" fill=\"#d62728\">best so far</text>\n", L + 10);
    fprintf(f, "<text x=\"%.0f\" y=\"68\" fill=\"#888\">reward of each sample</text>\n</svg>\n", L + 10);
    fclose(f);
    printf("plot: %s\n", svg);
  }
  qsort(es, (size_t)n, sizeof *es, by_reward);
  printf("top architectures:\n");
  for (long i = 0; i < n && i < 5; i++) printf("  %.6f  sample %ld  %s\n", es[i].reward, es[i].sample, es[i].key);
  free(ma);
  free(best);
  free(es);
  arena_free(&mem);
  strbuf_free(&text);
  return f ? EXIT_OK : EXIT_IO;
}

/* ---- gradcheck ---- */

/* Parses one --arg NAME=VALUE into the value of its parameter; 0, or -1
 * after printing why (a bad command line). */
static int gradcheck_arg(const grammar_opdecl *op, const char *text, grammar_value *args, int *given) {
  const char *eq = strchr(text, '=');
  if (!eq || eq == text) {
    fprintf(stderr, "naslc: --arg expects NAME=VALUE, not '%s'\n", text);
    return -1;
  }
  size_t len = (size_t)(eq - text);
  const char *v = eq + 1;
  for (int i = 0; i < op->nparams; i++) {
    const grammar_param *p = &op->params[i];
    if (strlen(p->name) != len || strncmp(p->name, text, len)) continue;
    grammar_value *out = &args[i];
    out->kind = p->type;
    char *end;
    errno = 0;
    switch (p->type) {
      case GV_INT: out->i = strtoll(v, &end, 10); break;
      case GV_FLOAT: out->f = strtod(v, &end); break;
      case GV_BOOL:
        end = (char *)v + strlen(v);
        if (!strcmp(v, "true")) out->i = 1;
        else if (!strcmp(v, "false")) out->i = 0;
        else end = (char *)v;
        break;
      default:
        end = (char *)v;
        for (int k = 0; k < p->nsymbols; k++)
          if (!strcmp(p->symbols[k], v)) out->sym = p->symbols[k], end = (char *)v + strlen(v);
        break;
    }
    double num = p->type == GV_FLOAT ? out->f : (double)out->i;
    int in_range = !p->has_range || (num >= p->lo && num <= p->hi);
    if (errno || end == v || *end || !in_range || (p->type == GV_FLOAT && !isfinite(out->f))) {
      const char *what = p->type == GV_INT ? "an integer" : p->type == GV_FLOAT ? "a number" : p->type == GV_BOOL ? "true or false" : "one of its symbols";
      if (p->has_range && p->type != GV_BOOL)
        fprintf(stderr, "naslc: parameter '%s' of '%s' expects %s in %g..%g, not '%s'\n", p->name, op->name, what, p->lo,
                p->hi, v);
      else
        fprintf(stderr, "naslc: parameter '%s' of '%s' expects %s, not '%s'\n", p->name, op->name, what, v);
      return -1;
    }
    given[i] = 1;
    return 0;
  }
  fprintf(stderr, "naslc: operation '%s' has no parameter '%.*s'\n", op->name, (int)len, text);
  return -1;
}

static int cmd_gradcheck(cli *c) {
  int shape[4] = {2, 3, 8, 8};
  const char *st = opt_text(c, O_SHAPE);
  if (st) {
    const char *p = st;
    for (int i = 0; i < 4; i++) {
      char *end;
      errno = 0;
      long v = strtol(p, &end, 10);
      if (errno || end == p || v < 1 || v > 4096 || (i < 3 ? *end != ',' : *end != 0)) {
        fprintf(stderr, "naslc: --shape expects N,C,H,W, four integers in 1..4096, not '%s'\nrun 'naslc --help' for usage\n", st);
        return EXIT_USAGE;
      }
      shape[i] = (int)v;
      p = end + 1;
    }
    if ((int64_t)shape[0] * shape[1] * shape[2] * shape[3] > ((int64_t)1 << 24)) {
      fprintf(stderr, "naslc: --shape %s has more than 2^24 values; a finite-difference check of it would "
                      "take days\nrun 'naslc --help' for usage\n", st);
      return EXIT_USAGE;
    }
  }
  int status;
  grammar *g = compile_runnable(c, &status);
  if (!g) return status;
  const grammar_opdecl *op = NULL;
  const char **names = xcalloc((size_t)g->nops + 1, sizeof(char *));
  for (int i = 0; i < g->nops; i++) {
    names[i] = g->ops[i].name;
    if (!strcmp(g->ops[i].name, c->op)) op = &g->ops[i];
  }
  if (!op) {
    const char *s = nasl_suggest(c->op, names, g->nops);
    if (s) fprintf(stderr, "naslc: '%s' declares no operation '%s'; did you mean '%s'?\n", c->file, c->op, s);
    else fprintf(stderr, "naslc: '%s' declares no operation '%s'\n", c->file, c->op);
    free(names);
    grammar_free(g);
    return EXIT_USAGE;
  }
  free(names);
  grammar_value *args = xcalloc((size_t)op->nparams + 1, sizeof *args);
  int *given = xcalloc((size_t)op->nparams + 1, sizeof(int));
  int rc = EXIT_OK;
  for (int i = 0; i < c->nargs && rc == EXIT_OK; i++)
    if (gradcheck_arg(op, c->args[i], args, given)) rc = EXIT_USAGE;
  for (int i = 0; i < op->nparams && rc == EXIT_OK; i++) {
    if (given[i]) continue;
    if (op->params[i].required) {
      fprintf(stderr, "naslc: operation '%s' needs --arg %s=VALUE\n", op->name, op->params[i].name);
      rc = EXIT_USAGE;
    }
    args[i] = op->params[i].def;
  }
  if (rc == EXIT_OK) {
    strbuf report, err;
    strbuf_init(&report);
    strbuf_init(&err);
    int r = opcheck_run(op, args, shape, (uint64_t)opt_num(c, O_SEED, 1), &report, &err);
    fputs(report.data ? report.data : "", stdout);
    if (r < 0) fprintf(stderr, "naslc: gradcheck of '%s' cannot run: %s\n", op->name, err.data);
    rc = r == 0 ? EXIT_OK : EXIT_TRAIN;
    strbuf_free(&report);
    strbuf_free(&err);
  }
  free(args);
  free(given);
  grammar_free(g);
  return rc;
}
