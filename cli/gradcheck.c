/* gradcheck.c: `naslc gradcheck FILE OP [--arg NAME=VALUE]... [--shape
 * N,C,H,W] [--seed S]`: an operation's gradients, built-in or plug-in,
 * against finite differences (runtime/models/opcheck.h). */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/parse.h"
#include "lang/diag.h"
#include "runtime/models/opcheck.h"

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
    double lo = p->has_range ? p->lo : -INFINITY, hi = p->has_range ? p->hi : INFINITY;
    int ok = 0;
    long n = 0;
    switch (p->type) {
      case GV_INT:
        ok = parse_long(v, lo > (double)LONG_MIN ? (long)lo : LONG_MIN, hi < (double)LONG_MAX ? (long)hi : LONG_MAX, &n) == 0;
        out->i = n;
        break;
      case GV_FLOAT: ok = parse_double(v, lo, hi, 0, &out->f) == 0; break;
      case GV_BOOL:
        ok = !strcmp(v, "true") || !strcmp(v, "false");
        out->i = !strcmp(v, "true");
        break;
      default:
        for (int k = 0; k < p->nsymbols; k++)
          if (!strcmp(p->symbols[k], v)) out->sym = p->symbols[k], ok = 1;
        break;
    }
    if (!ok) {
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

int cmd_gradcheck(cli *c) {
  int shape[4] = {2, 3, 8, 8};
  const char *st = cli_text(c, O_SHAPE);
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
  grammar *g = cli_compile_runnable(c, &status);
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
    int r = opcheck_run(op, args, shape, (uint64_t)cli_num(c, O_SEED, 1), &report, &err);
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
