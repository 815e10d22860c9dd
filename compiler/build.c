/* build.c: the pieces of a grammar under construction: program nodes,
 * decisions in program order, the controller heads they share, and the size
 * of the space. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/internal.h"

grammar_node *compiler_node_new(compiler *c, grammar_node_kind kind) {
  grammar_node *n = arena_alloc(&c->g->mem, sizeof *n);
  n->kind = kind;
  n->decision = -1;
  n->memory_node = -1;
  return n;
}

void compiler_node_add(compiler *c, grammar_node *parent, grammar_node *child) {
  grammar_node **more = arena_alloc(&c->g->mem, sizeof *more * (size_t)(parent->nchildren + 1));
  if (parent->nchildren) memcpy(more, parent->children, sizeof *more * (size_t)parent->nchildren);
  more[parent->nchildren++] = child;
  parent->children = more;
}

/* The head shared by decisions of this name, kind and vocabulary. */
static int find_head(compiler *c, const char *name, grammar_decision_kind kind,
                     const grammar_value *vocab, int n) {
  int same_name = 0;
  for (int i = 0; i < c->heads.n; i++) {
    grammar_head *h = c->heads.items[i];
    const char *hash = strchr(h->name, '#');
    size_t len = hash ? (size_t)(hash - h->name) : strlen(h->name);
    if (strlen(name) != len || strncmp(h->name, name, len)) continue;
    same_name++;
    if (h->kind != kind || h->vocab_len != n) continue;
    int eq = 1;
    for (int k = 0; k < n && eq; k++) eq = compiler_values_equal(&h->vocab[k], &vocab[k]);
    if (eq) return i;
  }
  grammar_head *h = arena_alloc(&c->g->mem, sizeof *h);
  h->name = same_name ? arena_printf(&c->g->mem, "%s#%d", name, same_name + 1)
                      : arena_strdup(&c->g->mem, name);
  h->kind = kind;
  h->vocab_len = n;
  h->vocab = vocab;
  ptrvec_push(&c->ast, &c->heads, h);
  return c->heads.n - 1;
}

static grammar_decision *decision_new(compiler *c, const char *path, grammar_decision_kind kind) {
  grammar_decision *d = arena_alloc(&c->g->mem, sizeof *d);
  d->id = c->decisions.n;
  d->path = arena_strdup(&c->g->mem, path);
  d->kind = kind;
  d->layer = c->layer;
  d->guard = c->guard;
  d->guard_token = c->guard_token;
  d->min_depth = c->min_depth;
  ptrvec_push(&c->ast, &c->decisions, d);
  return d;
}

int compiler_decision_categorical(compiler *c, const char *path, const char *head,
                         const grammar_value *vocab, int n) {
  grammar_decision *d = decision_new(c, path, GRAMMAR_CATEGORICAL);
  d->head = find_head(c, head, GRAMMAR_CATEGORICAL, vocab, n);
  d->vocab = ((grammar_head *)c->heads.items[d->head])->vocab;
  d->vocab_len = n;
  return d->id;
}

int compiler_decision_anchor(compiler *c, const char *path, int first, int ncand) {
  grammar_decision *d = decision_new(c, path, GRAMMAR_ANCHOR);
  d->head = find_head(c, "inputs", GRAMMAR_ANCHOR, NULL, 0);
  d->first_candidate = first;
  d->ncandidates = ncand;
  return d->id;
}

int compiler_decision_pointer(compiler *c, const char *path, const char *head, int first, int ncand) {
  grammar_decision *d = decision_new(c, path, GRAMMAR_POINTER);
  d->head = find_head(c, head, GRAMMAR_POINTER, NULL, 0);
  d->first_candidate = first;
  d->ncandidates = ncand;
  return d->id;
}

void compiler_finish_grammar(compiler *c) {
  grammar *g = c->g;
  g->ndecisions = c->decisions.n;
  g->decisions = arena_alloc(&g->mem, sizeof *g->decisions * (size_t)(g->ndecisions + 1));
  for (int i = 0; i < g->ndecisions; i++) g->decisions[i] = *(grammar_decision *)c->decisions.items[i];
  g->nheads = c->heads.n;
  g->heads = arena_alloc(&g->mem, sizeof *g->heads * (size_t)(g->nheads + 1));
  for (int i = 0; i < g->nheads; i++) g->heads[i] = *(grammar_head *)c->heads.items[i];
  g->nops = c->nops;
  g->ops = c->ops;
}

/* ---- sizes: exact in 128 bits while they fit, log10 always ---- */

typedef struct count {
  double lg;             /* log10 of the count (-inf for zero) */
  unsigned __int128 v;   /* the count, when !big */
  int big;               /* it does not fit 128 bits */
} count;

static count count_of(double n) {
  count r = {log10(n), (unsigned __int128)n, 0};
  return r;
}

static count count_mul(count a, count b) {
  count r = {a.lg + b.lg, 0, a.big || b.big};
  if (!r.big) {
    if (a.v && b.v > ((unsigned __int128)-1) / a.v) r.big = 1;
    else r.v = a.v * b.v;
  }
  return r;
}

static double log10_add(double a, double b) {
  if (isinf(a) && a < 0) return b;
  if (isinf(b) && b < 0) return a;
  double m = a > b ? a : b;
  return m + log10(pow(10.0, a - m) + pow(10.0, b - m));
}

static count count_add(count a, count b) {
  count r = {log10_add(a.lg, b.lg), 0, a.big || b.big};
  if (!r.big) {
    r.v = a.v + b.v;
    if (r.v < a.v) r.big = 1;
  }
  return r;
}

static count slot_count(const grammar *g, const grammar_slot *s) {
  if (s->decision < 0) return count_of(1);
  const grammar_decision *d = &g->decisions[s->decision];
  return count_of(d->kind == GRAMMAR_CATEGORICAL ? d->vocab_len : d->ncandidates);
}

static count decision_count(const grammar *g, int id) {
  const grammar_decision *d = &g->decisions[id];
  if (d->kind == GRAMMAR_CATEGORICAL) return count_of(d->vocab_len);
  if (d->kind == GRAMMAR_POINTER) return count_of(d->ncandidates);
  count two = count_of(2), r = count_of(1);
  for (int i = 0; i < d->ncandidates; i++) r = count_mul(r, two);
  return r;
}

static count node_size(grammar *g, grammar_node *n) {
  count r = count_of(1);
  switch (n->kind) {
    case GN_SEQ:
    case GN_LAYER:
      for (int i = 0; i < n->nchildren; i++) r = count_mul(r, node_size(g, n->children[i]));
      break;
    case GN_BRANCH:
      r = count_of(0);
      r.lg = -INFINITY;
      for (int i = 0; i < n->nchildren; i++) r = count_add(r, node_size(g, n->children[i]));
      break;
    case GN_STACK: {
      count *prefix = xmalloc(sizeof(count) * (size_t)(n->nchildren + 1));
      prefix[0] = count_of(1);
      for (int i = 0; i < n->nchildren; i++)
        prefix[i + 1] = count_mul(prefix[i], node_size(g, n->children[i]));
      int depths[4096];
      int nd = grammar_stack_depths(g, n, depths, 4096);
      r = count_of(0);
      r.lg = -INFINITY;
      for (int i = 0; i < nd; i++) r = count_add(r, prefix[depths[i]]);
      free(prefix);
      break;
    }
    case GN_INPUTS:
      if (n->decision >= 0) r = decision_count(g, n->decision);
      break;
    case GN_OP:
      for (int i = 0; i < n->op->nparams; i++) r = count_mul(r, slot_count(g, &n->args[i]));
      break;
    case GN_TREE:
      for (int i = 0; i < n->nnodes; i++)
        r = count_mul(r, count_mul(slot_count(g, &n->combine[i]), slot_count(g, &n->activation[i])));
      if (n->has_inject) {
        r = count_mul(r, slot_count(g, &n->inject_combine));
        r = count_mul(r, slot_count(g, &n->inject_activation));
        r = count_mul(r, slot_count(g, &n->inject_at));
        r = count_mul(r, slot_count(g, &n->memory_from));
      }
      break;
    case GN_FIXED_CELL: break;
    case GN_DAG: {
      int per = n->dag_pick ? 2 * n->dag_pick : n->dag_nodes;
      for (int i = n->dag_inputs; i < n->dag_nodes; i++)
        for (int j = 0; j < per; j++) {
          int id = n->dag_decisions[i * per + j];
          if (id >= 0) r = count_mul(r, decision_count(g, id));
        }
      break;
    }
  }
  n->log10_size = r.lg;
  return r;
}

static const char *u128_text(arena *a, unsigned __int128 v) {
  char buf[64];
  int i = 63;
  buf[i] = 0;
  do {
    buf[--i] = (char)('0' + (int)(v % 10));
    v /= 10;
  } while (v);
  return arena_strdup(a, buf + i);
}

void compiler_compute_sizes(compiler *c) {
  grammar *g = c->g;
  count r = node_size(g, g->program);
  if (g->head) r = count_mul(r, node_size(g, g->head));
  g->log10_size = r.lg;
  g->size_exact = r.big ? NULL : u128_text(&g->mem, r.v);
}
