/* declare.c: operation declarations, argument binding and value checks.
 *
 * Operations come from `op` and `extern op` declarations (the stdlib's .nasl
 * files and the user's). Their parameters use the same grammar_param schema
 * as the built-in calls of recipes (sgd(...), lstm(...)), so one binder and
 * one value checker serve both. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "compiler/internal.h"

#define NROLES (OP_ROLE_INTERNAL + 1)

int compiler_values_equal(const grammar_value *a, const grammar_value *b) {
  if (a->kind != b->kind) return 0;
  switch (a->kind) {
    case GV_INT:
    case GV_BOOL: return a->i == b->i;
    case GV_FLOAT: return a->f == b->f;
    case GV_SYMBOL:
    case GV_STRING: return !strcmp(a->sym, b->sym);
  }
  return 0;
}

int compiler_const_number(compiler *c, const ast_expr *e, double *out, int *is_int) {
  double l, r;
  int li, ri;
  switch (e->kind) {
    case EX_INT: *out = (double)e->i; *is_int = 1; return 1;
    case EX_FLOAT: *out = e->f; *is_int = 0; return 1;
    case EX_NEG:
      if (!compiler_const_number(c, e->lhs, &l, &li)) return 0;
      *out = -l;
      *is_int = li;
      return 1;
    case EX_BINOP:
      if (!compiler_const_number(c, e->lhs, &l, &li) || !compiler_const_number(c, e->rhs, &r, &ri)) return 0;
      *is_int = li && ri && e->op != '/' && e->op != '^';
      switch (e->op) {
        case '+': *out = l + r; break;
        case '-': *out = l - r; break;
        case '*': *out = l * r; break;
        case '/':
          if (r == 0) {
            nasl_error(c->d, e->loc, "division by zero");
            return 0;
          }
          *out = l / r;
          break;
        default: *out = pow(l, r); break;
      }
      if (!isfinite(*out)) {
        nasl_error(c->d, e->loc, "this arithmetic overflows");
        return 0;
      }
      return 1;
    default: return 0;
  }
}

static const char *type_name(grammar_value_kind k) {
  switch (k) {
    case GV_INT: return "an integer";
    case GV_FLOAT: return "a number";
    case GV_BOOL: return "true or false";
    case GV_SYMBOL: return "a name";
    case GV_STRING: return "a string";
  }
  return "a value";
}

static void range_text(const grammar_param *p, char *buf, int n) {
  if (p->type == GV_INT) snprintf(buf, (size_t)n, "%.0f..%.0f", p->lo, p->hi);
  else snprintf(buf, (size_t)n, "%g..%g", p->lo, p->hi);
}

int compiler_check_value(compiler *c, const ast_expr *e, const grammar_param *p, grammar_value *out) {
  memset(out, 0, sizeof *out);
  out->kind = p->type;
  double v;
  int is_int;
  switch (p->type) {
    case GV_INT:
    case GV_FLOAT:
      if (!compiler_const_number(c, e, &v, &is_int)) {
        if (e->kind == EX_INT || e->kind == EX_FLOAT || e->kind == EX_NEG || e->kind == EX_BINOP)
          return 0; /* already reported */
        nasl_error(c->d, e->loc, "'%s' expects %s, not %s", p->name, type_name(p->type),
                   ast_expr_describe(&c->ast, e));
        return 0;
      }
      if (p->type == GV_INT) {
        if (!is_int && (v != floor(v) || fabs(v) > 9e15)) {
          nasl_error(c->d, e->loc, "'%s' expects an integer, not %g", p->name, v);
          return 0;
        }
        if (fabs(v) > 9e15) { /* a literal past what a double holds exactly (and int64_t at 2^63) */
          nasl_error(c->d, e->loc, "'%s': the integer is too large (at most 9e15 either way)", p->name);
          return 0;
        }
        out->i = (int64_t)v;
        out->f = v;
      } else {
        out->f = v;
      }
      if (p->has_range && (v < p->lo || v > p->hi)) {
        char r[64];
        range_text(p, r, sizeof r);
        nasl_error(c->d, e->loc, "'%s' must be in %s, not %g", p->name, r, v);
        return 0;
      }
      return 1;
    case GV_BOOL:
      if (e->kind != EX_BOOL) {
        nasl_error(c->d, e->loc, "'%s' expects true or false, not %s", p->name,
                   ast_expr_describe(&c->ast, e));
        return 0;
      }
      out->i = e->i;
      return 1;
    case GV_STRING:
      if (e->kind != EX_STRING) {
        nasl_error(c->d, e->loc, "'%s' expects a string in double quotes, not %s", p->name,
                   ast_expr_describe(&c->ast, e));
        return 0;
      }
      out->sym = arena_strdup(&c->g->mem, e->s); /* the AST goes away, the grammar stays */
      return 1;
    case GV_SYMBOL:
      if (e->kind == EX_IDENT) {
        for (int i = 0; i < p->nsymbols; i++)
          if (!strcmp(p->symbols[i], e->s)) {
            out->sym = p->symbols[i];
            return 1;
          }
        const char *s = nasl_suggest(e->s, p->symbols, p->nsymbols);
        strbuf b;
        strbuf_init(&b);
        for (int i = 0; i < p->nsymbols; i++)
          strbuf_printf(&b, "%s%s", i ? ", " : "", p->symbols[i]);
        if (s)
          nasl_error(c->d, e->loc, "'%s' cannot be '%s'; did you mean '%s'?", p->name, e->s, s);
        else
          nasl_error(c->d, e->loc, "'%s' cannot be '%s'; it is one of %s", p->name, e->s, b.data);
        strbuf_free(&b);
        return 0;
      }
      nasl_error(c->d, e->loc, "'%s' expects a name, not %s", p->name,
                 ast_expr_describe(&c->ast, e));
      return 0;
  }
  return 0;
}

#define MAX_CHOICES 4096

/* The values of a choice as they are gathered, each once. */
typedef struct choice_values {
  grammar_value *vals;  /* in the grammar's arena */
  int n, cap;
} choice_values;

/* What became of one element of a choice. */
typedef enum choice_outcome {
  CHOICE_ADDED,   /* its values are in */
  CHOICE_REFUSED, /* reported; the other elements are still checked */
  CHOICE_FULL     /* reported: the choice is over MAX_CHOICES, checking stops */
} choice_outcome;

/* A value already in the choice is refused: two equal tokens would split
 * one option's probability between them. */
static choice_outcome add_choice_value(compiler *c, const ast_expr *list, const ast_expr *e,
                                       const grammar_param *p, choice_values *cv,
                                       const grammar_value *v) {
  for (int j = 0; j < cv->n; j++)
    if (compiler_values_equal(&cv->vals[j], v)) {
      char buf[64];
      grammar_value_format(v, buf, sizeof buf);
      nasl_error(c->d, e->loc, "%s appears twice in the choice for '%s'", buf, p->name);
      return CHOICE_REFUSED;
    }
  if (cv->n == MAX_CHOICES) {
    nasl_error(c->d, list->loc, "a choice has at most %d values", MAX_CHOICES);
    return CHOICE_FULL;
  }
  if (cv->n == cv->cap) {
    cv->cap *= 2;
    if (cv->cap > MAX_CHOICES) cv->cap = MAX_CHOICES;
    grammar_value *more = arena_alloc(&c->g->mem, sizeof *more * (size_t)cv->cap);
    memcpy(more, cv->vals, sizeof *cv->vals * (size_t)cv->n);
    cv->vals = more;
  }
  cv->vals[cv->n++] = *v;
  return CHOICE_ADDED;
}

/* expr -> expr .. expr, in a choice: integer bounds, the smaller first, no
 * more values than a choice holds. Returns how many values, or 0 after
 * reporting; *lo gets the first. */
static int choice_range_size(compiler *c, const ast_expr *e, const grammar_param *p, double *lo) {
  double hi = 0;
  int lo_int, hi_int;
  if (p->type != GV_INT) {
    nasl_error(c->d, e->loc, "a range in a choice needs integer values; '%s' takes %s",
               p->name, type_name(p->type));
    return 0;
  }
  if (!compiler_const_number(c, e->lhs, lo, &lo_int) || !compiler_const_number(c, e->rhs, &hi, &hi_int) ||
      !lo_int || !hi_int) {
    nasl_error(c->d, e->loc, "a range in a choice is written lo..hi with integers");
    return 0;
  }
  if (hi < *lo) {
    nasl_error(c->d, e->loc, "empty range %.0f..%.0f; the first bound is the smaller", *lo, hi);
    return 0;
  }
  if (hi - *lo + 1 > MAX_CHOICES) {
    nasl_error(c->d, e->loc, "this range has %.0f values; a choice has at most %d",
               hi - *lo + 1, MAX_CHOICES);
    return 0;
  }
  return (int)(hi - *lo + 1);
}

/* lo..hi as an element of a choice: each integer in turn. A range that
 * leaves the parameter's range is reported once, at the first value
 * outside it, not once per value. */
static choice_outcome add_choice_range(compiler *c, const ast_expr *list, const ast_expr *e,
                                       const grammar_param *p, choice_values *cv) {
  double lo = 0;
  int count = choice_range_size(c, e, p, &lo);
  if (!count) return CHOICE_REFUSED;
  choice_outcome result = CHOICE_ADDED;
  for (int k = 0; k < count; k++) {
    grammar_value v;
    memset(&v, 0, sizeof v);
    v.kind = GV_INT;
    v.i = (int64_t)lo + k;
    v.f = (double)v.i;
    if (p->has_range && (v.f < p->lo || v.f > p->hi)) {
      char r[64];
      range_text(p, r, sizeof r);
      nasl_error(c->d, e->loc, "'%s' must be in %s, and this range reaches %lld", p->name, r,
                 (long long)v.i);
      return CHOICE_REFUSED;
    }
    choice_outcome added = add_choice_value(c, list, e, p, cv, &v);
    if (added == CHOICE_FULL) return CHOICE_FULL;
    if (added == CHOICE_REFUSED) result = CHOICE_REFUSED;
  }
  return result;
}

/* A single value as an element of a choice: a literal of the parameter's type. */
static choice_outcome add_choice_literal(compiler *c, const ast_expr *list, const ast_expr *e,
                                         const grammar_param *p, choice_values *cv) {
  grammar_value v;
  if (e->kind == EX_LIST) {
    nasl_error(c->d, e->loc, "a choice cannot contain a list");
    return CHOICE_REFUSED;
  }
  if (!compiler_check_value(c, e, p, &v)) return CHOICE_REFUSED;
  return add_choice_value(c, list, e, p, cv, &v);
}

/* expr -> [ exprs ] as the values a decision chooses from: every element is
 * checked before giving up, so one run reports all the bad ones. */
int compiler_check_choices(compiler *c, const ast_expr *list, const grammar_param *p,
                  grammar_value **out) {
  if (list->items.n == 0) {
    nasl_error(c->d, list->loc, "an empty choice for '%s'; list at least one value", p->name);
    return 0;
  }
  choice_values cv = {NULL, 0, list->items.n + 16};
  cv.vals = arena_alloc(&c->g->mem, sizeof *cv.vals * (size_t)cv.cap);
  int ok = 1;
  for (int i = 0; i < list->items.n; i++) {
    const ast_expr *e = list->items.items[i];
    choice_outcome added = e->kind == EX_RANGE ? add_choice_range(c, list, e, p, &cv)
                                               : add_choice_literal(c, list, e, p, &cv);
    if (added == CHOICE_FULL) return 0;
    if (added == CHOICE_REFUSED) ok = 0;
  }
  if (!ok) return 0;
  *out = cv.vals;
  return cv.n;
}

int compiler_bind_args(compiler *c, const ast_expr *call, const char *what,
              const grammar_param *params, int nparams, bound_arg *out) {
  for (int i = 0; i < nparams; i++) {
    out[i].expr = NULL;
    out[i].loc = call->loc;
  }
  if (call->kind != EX_CALL) goto required;
  int ok = 1, positional = 0, named_seen = 0;
  for (int i = 0; i < call->args.n; i++) {
    ast_arg *a = call->args.items[i];
    int idx = -1;
    if (!a->name) {
      if (named_seen) {
        nasl_error(c->d, a->name_loc, "a positional argument after a named one; name it");
        ok = 0;
        continue;
      }
      if (positional >= nparams) {
        if (nparams == 0)
          nasl_error(c->d, a->name_loc, "%s takes no arguments", what);
        else
          nasl_error(c->d, a->name_loc, "%s takes at most %d argument%s", what, nparams,
                     nparams == 1 ? "" : "s");
        ok = 0;
        continue;
      }
      idx = positional++;
    } else {
      named_seen = 1;
      for (int k = 0; k < nparams; k++)
        if (!strcmp(params[k].name, a->name)) idx = k;
      if (idx < 0) {
        const char *names[64];
        int nn = nparams < 64 ? nparams : 64;
        for (int k = 0; k < nn; k++) names[k] = params[k].name;
        const char *s = nasl_suggest(a->name, names, nn);
        if (s)
          nasl_error(c->d, a->name_loc, "%s has no parameter '%s'; did you mean '%s'?", what,
                     a->name, s);
        else if (nparams == 0)
          nasl_error(c->d, a->name_loc, "%s has no parameters", what);
        else {
          strbuf b;
          strbuf_init(&b);
          for (int k = 0; k < nparams; k++) strbuf_printf(&b, "%s%s", k ? ", " : "", params[k].name);
          nasl_error(c->d, a->name_loc, "%s has no parameter '%s'; its parameters are %s", what,
                     a->name, b.data);
          strbuf_free(&b);
        }
        ok = 0;
        continue;
      }
    }
    if (out[idx].expr) {
      nasl_error(c->d, a->name_loc, "'%s' is given twice", params[idx].name);
      ok = 0;
      continue;
    }
    out[idx].expr = a->value;
    out[idx].loc = a->name_loc;
  }
  if (!ok) return 0;
required:
  for (int i = 0; i < nparams; i++)
    if (params[i].required && !out[i].expr) {
      nasl_error(c->d, call->loc, "%s needs a value for '%s'", what, params[i].name);
      return 0;
    }
  return 1;
}

const grammar_opdecl *compiler_find_op(compiler *c, const char *name, nasl_loc loc, int report) {
  for (int i = 0; i < c->nops; i++)
    if (!strcmp(c->ops[i].name, name)) return &c->ops[i];
  if (!report) return NULL;
  const char **names = arena_alloc(&c->ast, sizeof(char *) * (size_t)(c->nops + 1));
  for (int i = 0; i < c->nops; i++) names[i] = c->ops[i].name;
  const char *s = nasl_suggest(name, names, c->nops);
  if (s) nasl_error(c->d, loc, "unknown operation '%s'; did you mean '%s'?", name, s);
  else if (c->nops == 0)
    nasl_error(c->d, loc, "unknown operation '%s' (no operations are declared: is the stdlib missing?)", name);
  else nasl_error(c->d, loc, "unknown operation '%s'; see nasl-stdlib(7) for the operations", name);
  return NULL;
}

int compiler_op_index(compiler *c, const grammar_opdecl *op) { return (int)(op - c->ops); }

static int declare_param(compiler *c, const ast_param *ap, grammar_param *p) {
  memset(p, 0, sizeof *p);
  p->name = arena_strdup(&c->g->mem, ap->name);
  p->doc = ap->doc ? arena_strdup(&c->g->mem, ap->doc) : NULL;
  if (!ap->type) {
    p->type = GV_SYMBOL;
    p->nsymbols = ap->symbols.n;
    p->symbols = arena_alloc(&c->g->mem, sizeof(char *) * (size_t)ap->symbols.n);
    for (int i = 0; i < ap->symbols.n; i++) {
      const ast_expr *s = ap->symbols.items[i];
      for (int j = 0; j < i; j++)
        if (!strcmp(p->symbols[j], s->s)) {
          nasl_error(c->d, s->loc, "'%s' appears twice in the symbol set", s->s);
          return 0;
        }
      p->symbols[i] = arena_strdup(&c->g->mem, s->s);
    }
  } else {
    static const char *const types[] = {"int", "float", "bool", "string"};
    static const grammar_value_kind kinds[] = {GV_INT, GV_FLOAT, GV_BOOL, GV_STRING};
    int t = -1;
    for (int i = 0; i < 4; i++)
      if (!strcmp(ap->type, types[i])) t = i;
    if (t < 0) {
      const char *s = nasl_suggest(ap->type, types, 4);
      if (s) nasl_error(c->d, ap->type_loc, "unknown type '%s'; did you mean '%s'?", ap->type, s);
      else nasl_error(c->d, ap->type_loc, "unknown type '%s'; use int, float, bool, string or {a, b}", ap->type);
      return 0;
    }
    p->type = kinds[t];
  }
  if (ap->range) {
    double lo, hi;
    int li, hi_i;
    if (p->type != GV_INT && p->type != GV_FLOAT) {
      nasl_error(c->d, ap->range->loc, "only int and float parameters take a range");
      return 0;
    }
    if (ap->range->kind != EX_RANGE || !compiler_const_number(c, ap->range->lhs, &lo, &li) ||
        !compiler_const_number(c, ap->range->rhs, &hi, &hi_i)) {
      nasl_error(c->d, ap->range->loc, "a parameter range is written 'in lo..hi' with numbers");
      return 0;
    }
    if (lo > hi) {
      nasl_error(c->d, ap->range->loc, "empty range %g..%g; the first bound is the smaller", lo, hi);
      return 0;
    }
    p->has_range = 1;
    p->lo = lo;
    p->hi = hi;
  }
  if (ap->def) {
    if (!compiler_check_value(c, ap->def, p, &p->def)) return 0;
  } else {
    p->required = 1;
  }
  return 1;
}

static const char *extern_string(compiler *c, ast_setting *s) {
  if (s->value->kind != EX_STRING) {
    nasl_error(c->d, s->value->loc, "'%s' expects a string in double quotes", s->key);
    return NULL;
  }
  return s->value->s;
}

static grammar_extern *declare_extern(compiler *c, ast_decl *d) {
  grammar_extern *x = arena_alloc(&c->g->mem, sizeof *x);
  static const char *const keys[] = {"library", "forward", "backward", "shape"};
  int ok = 1;
  for (int i = 0; i < d->settings.n; i++) {
    ast_setting *s = d->settings.items[i];
    const char *v = NULL;
    if (!strcmp(s->key, "shape") && s->value->kind == EX_IDENT) {
      if (strcmp(s->value->s, "same")) {
        nasl_error(c->d, s->value->loc, "'shape' is 'same' or the name of a shape function in quotes");
        ok = 0;
      }
      x->shape = NULL;
      continue;
    }
    int k = -1;
    for (int j = 0; j < 4; j++)
      if (!strcmp(s->key, keys[j])) k = j;
    if (k < 0) {
      const char *sg = nasl_suggest(s->key, keys, 4);
      if (sg) nasl_error(c->d, s->key_loc, "unknown extern setting '%s'; did you mean '%s'?", s->key, sg);
      else nasl_error(c->d, s->key_loc, "unknown extern setting '%s'; the settings are library, forward, backward and shape", s->key);
      ok = 0;
      continue;
    }
    if (!(v = extern_string(c, s))) {
      ok = 0;
      continue;
    }
    if (!v[0]) {
      nasl_error(c->d, s->value->loc, "'%s' cannot be empty", s->key);
      ok = 0;
      continue;
    }
    v = arena_strdup(&c->g->mem, k == 0 ? compiler_resolve_path(c, s->value->loc, v) : v);
    if (k == 0) x->library = v;
    else if (k == 1) x->forward = v;
    else if (k == 2) x->backward = v;
    else x->shape = v;
  }
  if (ok && !x->library) {
    nasl_error(c->d, d->loc, "extern op '%s' needs 'library: \"path/to/lib.so\"'", d->name);
    ok = 0;
  }
  if (ok && !x->forward) {
    nasl_error(c->d, d->loc, "extern op '%s' needs 'forward: \"symbol\"'", d->name);
    ok = 0;
  }
  const nasl_source *src = nasl_diag_source(c->d, d->loc.file);
  if (src) {
    int line, col;
    char buf[1024];
    nasl_source_linecol(src, d->loc.start, &line, &col);
    snprintf(buf, sizeof buf, "%s:%d:%d", src->path, line, col);
    x->where = arena_strdup(&c->g->mem, buf);
  } else {
    x->where = "<input>";
  }
  return ok ? x : NULL;
}

/* op NAME ... : ROLE  (without extern): the runtime must run it as declared.
 * Returns 0 after reporting a mismatch with the operation registry. */
static int check_builtin(compiler *c, const ast_decl *d, const grammar_opdecl *op) {
  if (!c->check_builtin) return 1;
  char why[256] = "";
  int r = c->check_builtin(op, why, sizeof why);
  if (r < 0) {
    nasl_error(c->d, d->name_loc, "operation '%s' does not match naslc's implementation: %s", op->name, why);
    return 0;
  }
  if (r > 0 && d->name_loc.file >= 0 && d->name_loc.file < c->stdlib_sources) {
    nasl_error(c->d, d->name_loc, "the standard library declares '%s' but naslc has no implementation of it; "
               "add its entry to the operation registry (nasl-stdlib(7), ADDING AN OPERATION)", op->name);
    return 0;
  }
  return 1;
}

void compiler_declare_ops(compiler *c) {
  c->cap_ops = c->op_decls.n + 1;
  c->ops = arena_alloc(&c->g->mem, sizeof *c->ops * (size_t)c->cap_ops);
  ptrvec accepted = {0};
  for (int i = 0; i < c->op_decls.n; i++) {
    ast_decl *d = c->op_decls.items[i];
    int ok = 1;
    for (int j = 0; j < c->nops; j++)
      if (!strcmp(c->ops[j].name, d->name)) {
        ast_decl *first = accepted.items[j];
        nasl_error(c->d, d->name_loc, "operation '%s' is declared twice", d->name);
        nasl_note(c->d, first->name_loc, "the first declaration is here");
        ok = 0;
      }
    int role = -1;
    for (int r = 0; r < NROLES; r++)
      if (!strcmp(d->role, grammar_role_names[r])) role = r;
    if (role < 0) {
      const char *s = nasl_suggest(d->role, grammar_role_names, NROLES);
      if (s) nasl_error(c->d, d->role_loc, "unknown role '%s'; did you mean '%s'?", d->role, s);
      else nasl_error(c->d, d->role_loc, "unknown role '%s'; an operation is a layer, activation, combine, edge or internal", d->role);
      ok = 0;
    }
    grammar_param *params = arena_alloc(&c->g->mem, sizeof *params * (size_t)(d->params.n + 1));
    for (int k = 0; k < d->params.n; k++) {
      ast_param *ap = d->params.items[k];
      for (int j = 0; j < k; j++)
        if (!strcmp(((ast_param *)d->params.items[j])->name, ap->name)) {
          nasl_error(c->d, ap->loc, "parameter '%s' appears twice", ap->name);
          ok = 0;
        }
      if (!declare_param(c, ap, &params[k])) ok = 0;
    }
    if ((role == OP_ROLE_ACTIVATION || role == OP_ROLE_COMBINE) && d->params.n > 0 && d->is_extern == 0) {
      /* allowed: e.g. a leaky relu slope */
    }
    const grammar_extern *ext = NULL;
    if (d->is_extern) {
      if (!(ext = declare_extern(c, d))) ok = 0;
      /* the runtime calls a plug-in with one input map: a combine or an
         edge would need another calling convention */
      if (role >= 0 && role != OP_ROLE_LAYER && role != OP_ROLE_ACTIVATION) {
        nasl_error(c->d, d->role_loc, "an extern op is a layer or an activation; a plug-in cannot be %s %s",
                   grammar_role_article((grammar_op_role)role), grammar_role_names[role]);
        ok = 0;
      }
    } else if (d->settings.n) {
      ast_setting *s = d->settings.items[0];
      nasl_error(c->d, s->key_loc, "only an extern op takes a { ... } block of settings");
      ok = 0;
    }
    if (!ok) continue;
    grammar_opdecl *op = &c->ops[c->nops];
    op->name = arena_strdup(&c->g->mem, d->name);
    op->role = (grammar_op_role)role;
    op->nparams = d->params.n;
    op->params = params;
    op->doc = d->str ? arena_strdup(&c->g->mem, d->str) : NULL;
    op->ext = ext;
    if (!ext && !check_builtin(c, d, op)) continue;
    c->nops++;
    ptrvec_push(&c->ast, &accepted, d);
  }
}
