/* cell.c: flattening tree and fixed cells into cell programs, and running one
 * time step of a program on the tape (see cell.h for the rules). */
#include "runtime/models/cell.h"

#include <assert.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/arena.h"

static const char *const step_names[] = {"x", "h", "c"};
static_assert(sizeof step_names / sizeof step_names[0] == CS_OP, "one name per input kind of cell_step_kind");

const char *cell_step_name(const cell_step *s) {
  if (s->kind == CS_OP) return s->node.op->name;
  return (unsigned)s->kind < CS_OP ? step_names[s->kind] : "?";
}

typedef struct builder {
  cell_program *p;
  int cap;
  strbuf *err;
  const grammar *g;              /* the cell's grammar: its declared operations */
} builder;

static int push(builder *b, cell_step_kind kind, int x, int y, int proj) {
  cell_program *p = b->p;
  if (p->nsteps == b->cap) {
    b->cap = b->cap ? 2 * b->cap : 32;
    p->steps = xrealloc(p->steps, sizeof(cell_step) * (size_t)b->cap);
  }
  memset(&p->steps[p->nsteps], 0, sizeof(cell_step));
  p->steps[p->nsteps].kind = kind;
  p->steps[p->nsteps].a = x;
  p->steps[p->nsteps].b = y;
  p->steps[p->nsteps].proj = proj;
  if (kind == CS_C) p->reads_c = 1;
  return p->nsteps++;
}

/* A plug-in activation as a cell step: element-wise (no shape function), no
 * weights, its parameters at their defaults (a cell names an activation
 * without arguments). 0, or -1 after a message. */
static int check_extern(builder *b, const grammar_opdecl *op) {
  if (op->ext->shape) {
    strbuf_printf(b->err, "%s: error: extern op '%s' has a shape function; a recurrent cell runs only plug-in "
                  "activations declared with 'shape: same'", op->ext->where ? op->ext->where : "<input>", op->name);
    return -1;
  }
  for (int i = 0; i < op->nparams; i++)
    if (op->params[i].required) {
      strbuf_printf(b->err, "%s: error: extern op '%s' needs a value for '%s'; in a recurrent cell an operation "
                    "runs with its parameters' defaults", op->ext->where ? op->ext->where : "<input>", op->name,
                    op->params[i].name);
      return -1;
    }
  return 0;
}

/* What may run in a cell: the registry's combines and activations that have
 * a forward function. */
static int runs_in_cells(const stdlib_op *op, int arity) {
  return op->forward && stdlib_arity(op) == arity &&
         (op->role == OP_ROLE_COMBINE || op->role == OP_ROLE_ACTIVATION);
}

/* "cells combine with add or mul and activate with identity, tanh, ...",
 * from the registry. */
static void cell_ops_text(strbuf *out) {
  for (int arity = 2; arity >= 1; arity--) {
    int n = 0, k = 0;
    for (int i = 0; i < stdlib_registry_count; i++) n += runs_in_cells(stdlib_registry[i], arity);
    strbuf_puts(out, arity == 2 ? "cells combine with " : " and activate with ");
    for (int i = 0; i < stdlib_registry_count; i++) {
      if (!runs_in_cells(stdlib_registry[i], arity)) continue;
      strbuf_printf(out, "%s%s", k == 0 ? "" : k == n - 1 ? " or " : ", ", stdlib_registry[i]->name);
      k++;
    }
  }
}

/* The declaration and registry entry of the operation name with the given
 * arity into *n (its args: the defaults, owned by the program), or -1 after
 * a message. */
static int find_op(builder *b, const char *name, int arity, stdlib_node *n) {
  const grammar_opdecl *decl = NULL;
  for (int i = 0; i < b->g->nops; i++)
    if (!strcmp(b->g->ops[i].name, name)) decl = &b->g->ops[i];
  if (decl && decl->ext && decl->role == OP_ROLE_ACTIVATION && arity == 1 && check_extern(b, decl)) return -1;
  strbuf why;
  strbuf_init(&why);
  const stdlib_op *op = decl ? stdlib_find_decl(decl, &why) : NULL;
  if (decl && decl->ext && !op) { /* a plug-in that cannot be loaded: its own message */
    strbuf_puts(b->err, why.data);
    strbuf_free(&why);
    return -1;
  }
  strbuf_free(&why);
  if (!op || !runs_in_cells(op, arity)) {
    strbuf_printf(b->err, "operation '%s' cannot run in a recurrent cell: ", name);
    cell_ops_text(b->err);
    return -1;
  }
  memset(n, 0, sizeof *n);
  n->op = op;
  n->decl = decl;
  n->inst = decl->name;
  grammar_value *args = xcalloc((size_t)decl->nparams + 1, sizeof(grammar_value));
  for (int k = 0; k < decl->nparams; k++) args[k] = decl->params[k].def;
  cell_program *p = b->p;
  p->args = xrealloc(p->args, sizeof(grammar_value *) * (size_t)(p->nargs + 1));
  p->args[p->nargs++] = args;
  n->args = args;
  return 0;
}

/* identity adds no step: the value itself is the result */
static int is_identity(const stdlib_node *n) { return n->op == &stdlib_op_identity; }

/* A step applying n to x (and y, for a combine), or x itself for identity. */
static int push_op(builder *b, const stdlib_node *n, int x, int y) {
  if (is_identity(n)) return x;
  int s = push(b, CS_OP, x, y, -1);
  b->p->steps[s].node = *n;
  return s;
}

static const grammar_value *slot_value(const arch *a, const grammar_slot *s) {
  if (s->decision < 0) return &s->fixed;
  const grammar_decision *d = &a->g->decisions[s->decision];
  int t = arch_token(a, s->decision);
  return t >= 0 && t < d->vocab_len ? &d->vocab[t] : NULL;
}

static const char *slot_symbol(builder *b, const arch *a, const grammar_slot *s, const char *what) {
  const grammar_value *v = slot_value(a, s);
  if (!v || (v->kind != GV_SYMBOL && v->kind != GV_STRING)) {
    strbuf_printf(b->err, "the architecture has no %s", what);
    return NULL;
  }
  return v->sym;
}

static int slot_int(builder *b, const arch *a, const grammar_slot *s, const char *what, int n) {
  const grammar_value *v = slot_value(a, s);
  if (!v || v->kind != GV_INT || v->i < 0 || v->i >= n) {
    strbuf_printf(b->err, "the architecture has no valid %s (a node number below %d)", what, n);
    return -1;
  }
  return (int)v->i;
}

/* tree -> leaves 0..L-1, then each level, root last (grammar.h) */
static int build_tree(builder *b, const arch *a, const grammar_node *t) {
  int n = t->nnodes, at = -1, mem = -1;
  stdlib_node inj_comb, inj_act;
  int *out = xmalloc(sizeof(int) * (size_t)n), *pre = xmalloc(sizeof(int) * (size_t)n), rc = -1;
  if (t->has_inject) {
    const char *ic = slot_symbol(b, a, &t->inject_combine, "inject.combine");
    const char *ia = ic ? slot_symbol(b, a, &t->inject_activation, "inject.activation") : NULL;
    if (!ia || find_op(b, ic, 2, &inj_comb) || find_op(b, ia, 1, &inj_act)) goto done;
    if ((at = slot_int(b, a, &t->inject_at, "inject.at", n)) < 0) goto done;
    if ((mem = slot_int(b, a, &t->memory_from, "memory.from", n)) < 0) goto done;
  }
  int level_start = 0, width = t->leaves, prev_start = 0;
  for (int k = 0; k < n; k++) {
    char what[64];
    snprintf(what, sizeof what, "node[%d].combine", k);
    const char *cs = slot_symbol(b, a, &t->combine[k], what);
    snprintf(what, sizeof what, "node[%d].activation", k);
    const char *as = cs ? slot_symbol(b, a, &t->activation[k], what) : NULL;
    stdlib_node comb, act;
    if (!as || find_op(b, cs, 2, &comb) || find_op(b, as, 1, &act)) goto done;
    if (k >= level_start + width) { /* the next level: half as wide */
      prev_start = level_start;
      level_start += width;
      width /= 2;
    }
    int l, r;
    if (k < t->leaves) {
      l = push(b, CS_X, -1, -1, b->p->nx++);
      r = push(b, CS_H, -1, -1, b->p->nh++);
    } else {
      int left = prev_start + 2 * (k - level_start);
      l = out[left];
      r = out[left + 1];
    }
    pre[k] = push_op(b, &comb, l, r);
    out[k] = push_op(b, &act, pre[k], -1);
    if (k == at) {
      int c = push(b, CS_C, -1, -1, -1);
      int m = push_op(b, &inj_comb, out[k], c);
      out[k] = push_op(b, &inj_act, m, -1);
    }
  }
  b->p->output = out[n - 1];
  b->p->memory = mem >= 0 ? pre[mem] : -1;
  rc = 0;
done:
  free(out);
  free(pre);
  return rc;
}

static int build_term(builder *b, const grammar_node *n, int term, int *step_of) {
  if (step_of[term] >= 0) return step_of[term];
  const grammar_cell_term *t = &n->terms[term];
  int s = -1;
  switch (t->kind) {
    case CELL_X: s = push(b, CS_X, -1, -1, b->p->nx++); break;
    case CELL_H: s = push(b, CS_H, -1, -1, b->p->nh++); break;
    case CELL_C: s = push(b, CS_C, -1, -1, -1); break;
    case CELL_NODE: s = build_term(b, n, n->cell_node_term[t->node], step_of); break;
    case CELL_APPLY: {
      int arity = t->arg[1] >= 0 ? 2 : 1;
      stdlib_node op;
      if (find_op(b, t->op, arity, &op)) return -1;
      int x = build_term(b, n, t->arg[0], step_of), y = arity == 2 ? build_term(b, n, t->arg[1], step_of) : -1;
      if (x < 0 || (arity == 2 && y < 0)) return -1;
      s = push_op(b, &op, x, y);
      break;
    }
  }
  return step_of[term] = s;
}

static int build_fixed(builder *b, const grammar_node *n) {
  int *step_of = xmalloc(sizeof(int) * (size_t)(n->nterms > 0 ? n->nterms : 1)), rc = -1;
  for (int i = 0; i < n->nterms; i++) step_of[i] = -1;
  for (int i = 0; i < n->ncell_nodes; i++) /* every named node, in order, so unused ones still run */
    if (build_term(b, n, n->cell_node_term[i], step_of) < 0) goto done;
  b->p->output = step_of[n->cell_node_term[n->output_node]];
  b->p->memory = n->memory_node >= 0 ? step_of[n->cell_node_term[n->memory_node]] : -1;
  rc = 0;
done:
  free(step_of);
  return rc;
}

int cell_program_build(const arch *a, cell_program *p, strbuf *err) {
  memset(p, 0, sizeof *p);
  p->memory = -1;
  builder b = {p, 0, err, a->g};
  int rc;
  switch (a->g->space_kind) {
    case SPACE_TREE_CELL: rc = build_tree(&b, a, a->g->program); break;
    case SPACE_FIXED_CELL: rc = build_fixed(&b, a->g->program); break;
    default:
      strbuf_printf(err, "'%s' is not a recurrent cell space (tree or fixed cell)", a->g->name);
      rc = -1;
  }
  if (rc == 0 && p->nx == 0 && p->nh == 0) {
    strbuf_printf(err, "the cell reads neither x nor h");
    rc = -1;
  }
  if (rc == 0 && p->reads_c && p->memory < 0) {
    strbuf_printf(err, "the cell reads c but gives no memory: name its memory node with 'memory: NODE'");
    rc = -1;
  }
  if (rc) cell_program_free(p);
  return rc;
}

void cell_program_free(cell_program *p) {
  for (int i = 0; i < p->nargs; i++) free(p->args[i]);
  free(p->args);
  free(p->steps);
  memset(p, 0, sizeof *p);
  p->memory = -1;
}

tensor *cell_forward(nn_ctx *ctx, const cell_program *p, tensor *const *px, tensor *const *ph, tensor *c_prev,
                     tensor **c_next) {
  tensor **v = arena_alloc(&ctx->mem, sizeof(tensor *) * (size_t)p->nsteps);
  for (int i = 0; i < p->nsteps; i++) {
    const cell_step *s = &p->steps[i];
    switch (s->kind) {
      case CS_X: v[i] = px[s->proj]; break;
      case CS_H: v[i] = ph[s->proj]; break;
      case CS_C: v[i] = c_prev ? c_prev : nn_fail(ctx, "the cell reads c but no memory was given"); break;
      case CS_OP: {
        tensor *in[2] = {v[s->a], s->b >= 0 ? v[s->b] : NULL};
        v[i] = stdlib_forward(ctx, &s->node, in);
        break;
      }
    }
    if (!v[i]) return NULL;
  }
  if (c_next) *c_next = p->memory >= 0 ? v[p->memory] : NULL;
  return v[p->output];
}

void cell_program_text(const cell_program *p, strbuf *out) {
  for (int i = 0; i < p->nsteps; i++) {
    const cell_step *s = &p->steps[i];
    strbuf_printf(out, "  s%d = ", i);
    if (s->kind == CS_X || s->kind == CS_H) strbuf_printf(out, "W_%s%d %s%s", step_names[s->kind], s->proj,
                                                          step_names[s->kind], s->kind == CS_X ? " + b" : "");
    else if (s->kind == CS_C) strbuf_puts(out, "c_{t-1}");
    else if (s->b >= 0) strbuf_printf(out, "%s(s%d, s%d)", cell_step_name(s), s->a, s->b);
    else strbuf_printf(out, "%s(s%d)", cell_step_name(s), s->a);
    if (i == p->output) strbuf_puts(out, "   -> h_t");
    if (i == p->memory) strbuf_puts(out, "   -> c_t");
    strbuf_putc(out, '\n');
  }
}
