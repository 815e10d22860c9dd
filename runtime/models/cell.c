/* cell.c: flattening tree and fixed cells into cell programs, and running one
 * time step of a program on the tape (see cell.h for the rules). */
#include "runtime/models/cell.h"

#include <assert.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/arena.h"

static const struct {
  const char *name;     /* operation name in the stdlib */
  cell_step_kind kind;  /* the step it becomes */
  int arity;            /* 1: activation, 2: combine */
} cell_ops[] = {
    {"add", CS_ADD, 2},          {"mul", CS_MUL, 2},         {"identity", CS_IDENTITY, 1},
    {"tanh", CS_TANH, 1},        {"sigmoid", CS_SIGMOID, 1}, {"relu", CS_RELU, 1},
};
#define NCELL_OPS ((int)(sizeof cell_ops / sizeof cell_ops[0]))

static const char *const step_names[] = {"x", "h", "c", "add", "mul", "identity", "tanh", "sigmoid", "relu", "extern"};
static_assert(sizeof step_names / sizeof step_names[0] == CS_EXTERN + 1, "one name per cell_step_kind");

const char *cell_step_name(const cell_step *s) {
  return s->kind == CS_EXTERN ? nn_extern_name(s->ext) : step_names[s->kind];
}

typedef struct builder {
  cell_program *p;
  int cap;
  strbuf *err;
  const grammar *g;              /* the cell's grammar: its extern ops */
} builder;

static int push(builder *b, cell_step_kind kind, int x, int y, int proj) {
  cell_program *p = b->p;
  if (p->nsteps == b->cap) {
    b->cap = b->cap ? 2 * b->cap : 32;
    p->steps = xrealloc(p->steps, sizeof(cell_step) * (size_t)b->cap);
  }
  p->steps[p->nsteps] = (cell_step){kind, x, y, proj, NULL, NULL};
  if (kind == CS_C) p->reads_c = 1;
  return p->nsteps++;
}

/* A plug-in activation as a cell step: element-wise (no shape function),
 * no weights, its parameters at their defaults (a cell names an activation
 * without arguments). CS_EXTERN with b->ext set, or -1 after a message. */
static int extern_kind(builder *b, const grammar_opdecl *op) {
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
  if (!nn_extern_load(op, b->err)) return -1;
  return CS_EXTERN;
}

/* An activation step: kind from op_kind of the operation named name. */
static int push_act(builder *b, int kind, const char *name, int x) {
  int s = push(b, (cell_step_kind)kind, x, -1, -1);
  if (kind != CS_EXTERN) return s;
  for (int i = 0; i < b->g->nops; i++)
    if (!strcmp(b->g->ops[i].name, name)) {
      const grammar_opdecl *op = &b->g->ops[i];
      cell_step *st = &b->p->steps[s];
      st->ext = nn_extern_load(op, b->err); /* loaded by op_kind: from the cache */
      st->args = xcalloc((size_t)op->nparams + 1, sizeof(grammar_value));
      for (int k = 0; k < op->nparams; k++) st->args[k] = op->params[k].def;
    }
  return s;
}

/* The step kind of operation name with the given arity, or -1 after a message. */
static int op_kind(builder *b, const char *name, int arity) {
  for (int i = 0; i < NCELL_OPS; i++)
    if (!strcmp(cell_ops[i].name, name)) {
      if (cell_ops[i].arity != arity) break;
      return (int)cell_ops[i].kind;
    }
  for (int i = 0; arity == 1 && i < b->g->nops; i++)
    if (!strcmp(b->g->ops[i].name, name) && b->g->ops[i].ext && b->g->ops[i].role == OP_ROLE_ACTIVATION)
      return extern_kind(b, &b->g->ops[i]);
  strbuf_printf(b->err,
                "operation '%s' cannot run in a recurrent cell: cells combine with add or mul and activate with "
                "identity, tanh, sigmoid or relu",
                name);
  return -1;
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
  int n = t->nnodes, at = -1, mem = -1, inj_comb = -1, inj_act = -1;
  const char *ia = NULL;
  int *out = xmalloc(sizeof(int) * (size_t)n), *pre = xmalloc(sizeof(int) * (size_t)n), rc = -1;
  if (t->has_inject) {
    const char *ic = slot_symbol(b, a, &t->inject_combine, "inject.combine");
    ia = ic ? slot_symbol(b, a, &t->inject_activation, "inject.activation") : NULL;
    if (!ia || (inj_comb = op_kind(b, ic, 2)) < 0 || (inj_act = op_kind(b, ia, 1)) < 0) goto done;
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
    int comb, act;
    if (!as || (comb = op_kind(b, cs, 2)) < 0 || (act = op_kind(b, as, 1)) < 0) goto done;
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
    pre[k] = push(b, (cell_step_kind)comb, l, r, -1);
    out[k] = act == CS_IDENTITY ? pre[k] : push_act(b, act, as, pre[k]);
    if (k == at) {
      int c = push(b, CS_C, -1, -1, -1);
      int m = push(b, (cell_step_kind)inj_comb, out[k], c, -1);
      out[k] = inj_act == CS_IDENTITY ? m : push_act(b, inj_act, ia, m);
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
      int arity = t->arg[1] >= 0 ? 2 : 1, kind = op_kind(b, t->op, arity);
      if (kind < 0) return -1;
      int x = build_term(b, n, t->arg[0], step_of), y = arity == 2 ? build_term(b, n, t->arg[1], step_of) : -1;
      if (x < 0 || (arity == 2 && y < 0)) return -1;
      s = kind == CS_IDENTITY ? x : arity == 1 ? push_act(b, kind, t->op, x) : push(b, (cell_step_kind)kind, x, y, -1);
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
  for (int i = 0; i < p->nsteps; i++) free(p->steps[i].args);
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
      case CS_ADD: v[i] = nn_add(ctx, v[s->a], v[s->b]); break;
      case CS_MUL: v[i] = nn_mul(ctx, v[s->a], v[s->b]); break;
      case CS_IDENTITY: v[i] = v[s->a]; break;
      case CS_TANH: v[i] = nn_tanh(ctx, v[s->a]); break;
      case CS_SIGMOID: v[i] = nn_sigmoid(ctx, v[s->a]); break;
      case CS_RELU: v[i] = nn_relu(ctx, v[s->a]); break;
      case CS_EXTERN:
        v[i] = v[s->a] ? nn_extern_forward(ctx, s->ext, s->args, v[s->a], v[s->a]->ndim, v[s->a]->ne, NULL, 0) : NULL;
        break;
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
    else if (s->kind == CS_ADD || s->kind == CS_MUL) strbuf_printf(out, "%s(s%d, s%d)", step_names[s->kind], s->a, s->b);
    else strbuf_printf(out, "%s(s%d)", cell_step_name(s), s->a);
    if (i == p->output) strbuf_puts(out, "   -> h_t");
    if (i == p->memory) strbuf_puts(out, "   -> c_t");
    strbuf_putc(out, '\n');
  }
}
