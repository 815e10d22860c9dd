/* arch.c: generating, replaying and decoding architectures (see arch.h). */
#include "grammar/arch.h"

#include "common/json.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct walker {
  const grammar *g;
  arch *a;
  long samples_seen;
  arch_choose_fn choose;
  void *ctx;
  int cap;
  int ok;
} walker;

static int *take_tokens(walker *w, int decision, int n) {
  if (w->a->ntokens + n > w->cap) {
    while (w->a->ntokens + n > w->cap) w->cap = w->cap ? 2 * w->cap : 64;
    w->a->tokens = xrealloc(w->a->tokens, sizeof(int) * (size_t)w->cap);
  }
  w->a->offset[decision] = w->a->ntokens;
  int *t = w->a->tokens + w->a->ntokens;
  w->a->ntokens += n;
  return t;
}

static int decide(walker *w, int id, const double *weights) {
  if (!w->ok) return 0;
  const grammar_decision *d = &w->g->decisions[id];
  int n = d->kind == GRAMMAR_ANCHOR ? d->ncandidates : 1;
  int *t = take_tokens(w, id, n);
  for (int i = 0; i < n; i++) t[i] = 0;
  if (!w->choose(w->ctx, d, weights, t)) {
    w->ok = 0;
    return 0;
  }
  int range = d->kind == GRAMMAR_CATEGORICAL ? d->vocab_len : d->kind == GRAMMAR_POINTER ? d->ncandidates : 2;
  for (int i = 0; i < n; i++)
    if (t[i] < 0 || t[i] >= range) {
      w->ok = 0;
      return 0;
    }
  return t[0];
}

static void slot(walker *w, const grammar_slot *s) {
  if (s->decision >= 0) decide(w, s->decision, NULL);
}

static void walk(walker *w, const grammar_node *n) {
  if (!w->ok) return;
  switch (n->kind) {
    case GN_SEQ:
    case GN_LAYER:
      for (int i = 0; i < n->nchildren; i++) walk(w, n->children[i]);
      break;
    case GN_BRANCH: {
      if (n->decision < 0) {
        walk(w, n->children[0]);
        break;
      }
      double *weights = xmalloc(sizeof(double) * (size_t)n->nchildren);
      for (int i = 0; i < n->nchildren; i++) weights[i] = n->children[i]->log10_size;
      int t = decide(w, n->decision, weights);
      free(weights);
      if (w->ok) walk(w, n->children[t]);
      break;
    }
    case GN_STACK: {
      int depth = n->max_layers;
      if (n->depth_kind == DEPTH_CURRICULUM) {
        depth = grammar_curriculum_depth(n, w->samples_seen);
      } else if (n->depth_kind == DEPTH_DECIDED) {
        const grammar_decision *d = &w->g->decisions[n->decision];
        double *weights = xmalloc(sizeof(double) * (size_t)d->vocab_len);
        for (int i = 0; i < d->vocab_len; i++) {
          weights[i] = 0;
          for (int k = 0; k < d->vocab[i].i; k++) weights[i] += n->children[k]->log10_size;
        }
        int t = decide(w, n->decision, weights);
        free(weights);
        if (!w->ok) break;
        depth = (int)d->vocab[t].i;
      }
      if (n == w->g->variable_stack || w->g->variable_stack == NULL) w->a->depth = n->first_layer + depth;
      for (int k = 0; k < depth; k++) walk(w, n->children[k]);
      break;
    }
    case GN_INPUTS:
      if (n->decision >= 0) decide(w, n->decision, NULL);
      break;
    case GN_OP:
      for (int i = 0; i < n->op->nparams; i++) slot(w, &n->args[i]);
      break;
    case GN_TREE:
      for (int k = 0; k < n->nnodes; k++) {
        slot(w, &n->combine[k]);
        slot(w, &n->activation[k]);
      }
      if (n->has_inject) {
        slot(w, &n->inject_combine);
        slot(w, &n->inject_activation);
        slot(w, &n->inject_at);
        slot(w, &n->memory_from);
      }
      break;
    case GN_FIXED_CELL: break;
    case GN_DAG: {
      int per = n->dag_pick ? 2 * n->dag_pick : n->dag_nodes;
      for (int i = n->dag_inputs; i < n->dag_nodes; i++) {
        if (!n->dag_pick) {
          for (int j = 0; j < i; j++) decide(w, n->dag_decisions[i * per + j], NULL);
        } else {
          for (int m = 0; m < n->dag_pick; m++) decide(w, n->dag_decisions[i * per + 2 * m], NULL);
          for (int m = 0; m < n->dag_pick; m++) decide(w, n->dag_decisions[i * per + 2 * m + 1], NULL);
        }
      }
      break;
    }
  }
}

int arch_generate(const grammar *g, long samples_seen, arch_choose_fn choose, void *ctx, arch *a) {
  memset(a, 0, sizeof *a);
  a->g = g;
  a->offset = xmalloc(sizeof(int) * (size_t)(g->ndecisions + 1));
  for (int i = 0; i < g->ndecisions; i++) a->offset[i] = -1;
  a->depth = g->max_layers;
  walker w = {g, a, samples_seen, choose, ctx, 0, 1};
  walk(&w, g->program);
  if (g->head) walk(&w, g->head);
  if (!w.ok) {
    arch_free(a);
    return 0;
  }
  return 1;
}

int arch_choose_uniform(void *rng_ctx, const grammar_decision *d, const double *w, int *tokens) {
  rng *r = rng_ctx;
  if (d->kind == GRAMMAR_ANCHOR) {
    for (int i = 0; i < d->ncandidates; i++) tokens[i] = (int)rng_below(r, 2);
    return 1;
  }
  int n = d->kind == GRAMMAR_CATEGORICAL ? d->vocab_len : d->ncandidates;
  if (!w) {
    tokens[0] = (int)rng_below(r, (uint64_t)n);
    return 1;
  }
  double m = w[0], total = 0;
  for (int i = 1; i < n; i++)
    if (w[i] > m) m = w[i];
  for (int i = 0; i < n; i++) total += pow(10.0, w[i] - m);
  double u = rng_uniform(r) * total;
  for (int i = 0; i < n; i++) {
    u -= pow(10.0, w[i] - m);
    if (u < 0) {
      tokens[0] = i;
      return 1;
    }
  }
  tokens[0] = n - 1;
  return 1;
}

typedef struct replay {
  const int *tokens;
  int n, pos;
  strbuf *err;
} replay;

static int choose_replay(void *ctx, const grammar_decision *d, const double *w, int *tokens) {
  (void)w;
  replay *r = ctx;
  int n = d->kind == GRAMMAR_ANCHOR ? d->ncandidates : 1;
  int range = d->kind == GRAMMAR_CATEGORICAL ? d->vocab_len : d->kind == GRAMMAR_POINTER ? d->ncandidates : 2;
  if (r->pos + n > r->n) {
    if (r->err) strbuf_printf(r->err, "the record has %d tokens, but decision %s needs more", r->n, d->path);
    return 0;
  }
  for (int i = 0; i < n; i++) {
    int t = r->tokens[r->pos + i];
    if (t < 0 || t >= range) {
      if (r->err) strbuf_printf(r->err, "token %d of %s is out of range 0..%d", t, d->path, range - 1);
      return 0;
    }
    tokens[i] = t;
  }
  r->pos += n;
  return 1;
}

int arch_from_tokens(const grammar *g, long samples_seen, const int *tokens, int ntokens, arch *a,
                     strbuf *err) {
  replay r = {tokens, ntokens, 0, err};
  if (!arch_generate(g, samples_seen, choose_replay, &r, a)) return 0;
  if (r.pos != ntokens) {
    if (err) strbuf_printf(err, "the record has %d tokens, but the grammar takes %d", ntokens, r.pos);
    arch_free(a);
    return 0;
  }
  return 1;
}

void arch_free(arch *a) {
  free(a->tokens);
  free(a->offset);
  memset(a, 0, sizeof *a);
}

int arch_token(const arch *a, int decision) {
  if (decision < 0 || decision >= a->g->ndecisions || a->offset[decision] < 0) return -1;
  return a->tokens[a->offset[decision]];
}

/* ---- decoding ---- */

static void put_value(strbuf *out, const grammar_value *v) {
  char buf[64];
  switch (v->kind) {
    case GV_INT: strbuf_printf(out, "%lld", (long long)v->i); break;
    case GV_FLOAT:
      if (isfinite(v->f)) strbuf_printf(out, "%.17g", v->f);
      else strbuf_puts(out, "null");
      break;
    case GV_BOOL: strbuf_puts(out, v->i ? "true" : "false"); break;
    case GV_SYMBOL:
    case GV_STRING:
      grammar_value_format(v, buf, sizeof buf);
      strbuf_json_string(out, v->sym ? v->sym : "");
      break;
  }
}

static const grammar_value *slot_value(const arch *a, const grammar_slot *s) {
  if (s->decision < 0) return &s->fixed;
  const grammar_decision *d = &a->g->decisions[s->decision];
  int t = arch_token(a, s->decision);
  return t >= 0 && t < d->vocab_len ? &d->vocab[t] : &s->fixed;
}

typedef struct decoder {
  const arch *a;
  strbuf *out;
  int first_op;
} decoder;

static void decode_ops(decoder *dc, const grammar_node *n) {
  const arch *a = dc->a;
  switch (n->kind) {
    case GN_SEQ:
      for (int i = 0; i < n->nchildren; i++) decode_ops(dc, n->children[i]);
      break;
    case GN_BRANCH: {
      int t = n->decision >= 0 ? arch_token(a, n->decision) : 0;
      if (t >= 0 && t < n->nchildren) decode_ops(dc, n->children[t]);
      break;
    }
    case GN_OP:
      strbuf_puts(dc->out, dc->first_op ? "{" : ",{");
      dc->first_op = 0;
      strbuf_puts(dc->out, "\"op\":");
      strbuf_json_string(dc->out, n->op->name);
      for (int i = 0; i < n->op->nparams; i++) {
        strbuf_putc(dc->out, ',');
        strbuf_json_string(dc->out, n->op->params[i].name);
        strbuf_putc(dc->out, ':');
        put_value(dc->out, slot_value(a, &n->args[i]));
      }
      strbuf_putc(dc->out, '}');
      break;
    default: break;
  }
}

static const grammar_node *find_inputs(const grammar_node *n) {
  if (n->kind == GN_INPUTS) return n;
  if (n->kind != GN_SEQ) return NULL;
  for (int i = 0; i < n->nchildren; i++) {
    const grammar_node *r = find_inputs(n->children[i]);
    if (r) return r;
  }
  return NULL;
}

static void decode_layer(const arch *a, const grammar_node *layer, strbuf *out) {
  strbuf_printf(out, "{\"layer\":%d,\"inputs\":[", layer->layer);
  const grammar_node *in = find_inputs(layer->children[0]);
  if (in && in->inputs == INPUTS_ANCHOR) {
    int first = 1;
    if (in->decision >= 0) {
      const grammar_decision *d = &a->g->decisions[in->decision];
      int off = a->offset[in->decision];
      for (int j = 0; j < d->ncandidates && off >= 0; j++)
        if (a->tokens[off + j]) {
          strbuf_printf(out, "%s%d", first ? "" : ",", d->first_candidate + j);
          first = 0;
        }
    }
    if (in->keep_previous && layer->layer > 0) strbuf_printf(out, "%s%d", first ? "" : ",", layer->layer - 1);
  } else if (layer->layer > 0) {
    strbuf_printf(out, "%d", layer->layer - 1);
  }
  strbuf_puts(out, "],\"ops\":[");
  decoder dc = {a, out, 1};
  decode_ops(&dc, layer->children[0]);
  strbuf_puts(out, "]}");
}

static void decode_stack(const arch *a, const grammar_node *st, int *first, strbuf *out) {
  int depth = st->max_layers;
  if (st == a->g->variable_stack) depth = a->depth - st->first_layer;
  for (int k = 0; k < depth; k++) {
    if (!*first) strbuf_putc(out, ',');
    *first = 0;
    decode_layer(a, st->children[k], out);
  }
}

static void decode_tree(const arch *a, const grammar_node *t, strbuf *out) {
  strbuf_printf(out, "\"cell\":{\"leaves\":%d,\"nodes\":[", t->leaves);
  for (int k = 0; k < t->nnodes; k++) {
    strbuf_printf(out, "%s{\"node\":%d,\"combine\":", k ? "," : "", k);
    put_value(out, slot_value(a, &t->combine[k]));
    strbuf_puts(out, ",\"activation\":");
    put_value(out, slot_value(a, &t->activation[k]));
    if (k >= t->leaves) {
      /* children of inner node k: level by level, pairs in order */
      int level_start = 0, width = t->leaves, prev_start = 0;
      while (k >= level_start + width) {
        prev_start = level_start;
        level_start += width;
        width /= 2;
      }
      int left = prev_start + 2 * (k - level_start);
      strbuf_printf(out, ",\"children\":[%d,%d]", left, left + 1);
    }
    strbuf_putc(out, '}');
  }
  strbuf_putc(out, ']');
  if (t->has_inject) {
    strbuf_puts(out, ",\"inject\":{\"combine\":");
    put_value(out, slot_value(a, &t->inject_combine));
    strbuf_puts(out, ",\"activation\":");
    put_value(out, slot_value(a, &t->inject_activation));
    strbuf_puts(out, ",\"at\":");
    put_value(out, slot_value(a, &t->inject_at));
    strbuf_puts(out, "},\"memory\":");
    put_value(out, slot_value(a, &t->memory_from));
  }
  strbuf_putc(out, '}');
}

static void term_json(const grammar_node *n, int t, strbuf *out, int depth) {
  const grammar_cell_term *term = &n->terms[t];
  switch (term->kind) {
    case CELL_X: strbuf_puts(out, "x"); break;
    case CELL_H: strbuf_puts(out, "h"); break;
    case CELL_C: strbuf_puts(out, "c"); break;
    case CELL_NODE: strbuf_puts(out, n->cell_node_names[term->node]); break;
    case CELL_APPLY:
      strbuf_printf(out, "%s(", term->op);
      term_json(n, term->arg[0], out, depth + 1);
      if (term->arg[1] >= 0) {
        strbuf_puts(out, ", ");
        term_json(n, term->arg[1], out, depth + 1);
      }
      strbuf_putc(out, ')');
      break;
  }
}

static void decode_fixed(const grammar_node *n, strbuf *out) {
  strbuf_puts(out, "\"cell\":{\"nodes\":[");
  for (int i = 0; i < n->ncell_nodes; i++) {
    strbuf b;
    strbuf_init(&b);
    term_json(n, n->cell_node_term[i], &b, 0);
    strbuf_printf(out, "%s{\"name\":", i ? "," : "");
    strbuf_json_string(out, n->cell_node_names[i]);
    strbuf_puts(out, ",\"value\":");
    strbuf_json_string(out, b.data);
    strbuf_putc(out, '}');
    strbuf_free(&b);
  }
  strbuf_puts(out, "],\"memory\":");
  if (n->memory_node >= 0) strbuf_json_string(out, n->cell_node_names[n->memory_node]);
  else strbuf_puts(out, "null");
  strbuf_puts(out, ",\"output\":");
  strbuf_json_string(out, n->cell_node_names[n->output_node]);
  strbuf_putc(out, '}');
}

static void decode_dag(const arch *a, const grammar_node *n, strbuf *out) {
  static const char *const outputs[] = {"last", "concat", "unused"};
  strbuf_printf(out, "\"cell\":{\"inputs\":%d,\"nodes\":%d,\"output\":\"%s\",\"edges\":[", n->dag_inputs,
                n->dag_nodes, outputs[n->dag_output]);
  int per = n->dag_pick ? 2 * n->dag_pick : n->dag_nodes, first = 1;
  for (int i = n->dag_inputs; i < n->dag_nodes; i++) {
    int count = n->dag_pick ? n->dag_pick : i;
    for (int m = 0; m < count; m++) {
      int from, op;
      if (n->dag_pick) {
        from = arch_token(a, n->dag_decisions[i * per + 2 * m]);
        op = arch_token(a, n->dag_decisions[i * per + 2 * m + 1]);
      } else {
        from = m;
        op = arch_token(a, n->dag_decisions[i * per + m]);
      }
      if (op < 0 || from < 0) continue;
      strbuf_printf(out, "%s{\"to\":%d,\"from\":%d,\"op\":", first ? "" : ",", i, from);
      const grammar_node *opn = n->children[op];
      strbuf_json_string(out, opn->op->name);
      for (int k = 0; k < opn->op->nparams; k++) { /* edge operations have fixed arguments */
        strbuf_putc(out, ',');
        strbuf_json_string(out, opn->op->params[k].name);
        strbuf_putc(out, ':');
        put_value(out, &opn->args[k].fixed);
      }
      strbuf_putc(out, '}');
      first = 0;
    }
  }
  strbuf_puts(out, "]}");
}

void arch_cell_string(const arch *a, strbuf *out) {
  const grammar_node *n = a->g->program;
  if (n->kind != GN_DAG || n->dag_pick) return;
  int per = n->dag_nodes;
  for (int i = n->dag_inputs; i < n->dag_nodes; i++) {
    if (i > n->dag_inputs) strbuf_putc(out, '+');
    strbuf_putc(out, '|');
    for (int j = 0; j < i; j++) {
      int op = arch_token(a, n->dag_decisions[i * per + j]);
      strbuf_printf(out, "%s~%d|", op >= 0 ? n->dag_ops[op] : "?", j);
    }
  }
}

void arch_json(const arch *a, strbuf *out) {
  static const char *const kinds[] = {"cnn", "tree_cell", "fixed_cell", "dag_cell"};
  const grammar *g = a->g;
  strbuf_puts(out, "{\"space\":");
  strbuf_json_string(out, g->name);
  strbuf_printf(out, ",\"kind\":\"%s\",\"tokens\":[", kinds[g->space_kind]);
  for (int i = 0; i < a->ntokens; i++) strbuf_printf(out, "%s%d", i ? "," : "", a->tokens[i]);
  strbuf_putc(out, ']');
  switch (g->space_kind) {
    case SPACE_CNN: {
      strbuf_printf(out, ",\"depth\":%d,\"layers\":[", a->depth);
      int first = 1;
      for (int i = 0; i < g->program->nchildren; i++) decode_stack(a, g->program->children[i], &first, out);
      strbuf_puts(out, "],\"head\":");
      decoder dc = {a, out, 1};
      strbuf_putc(out, '[');
      decode_ops(&dc, g->head->children[0]);
      strbuf_putc(out, ']');
      break;
    }
    case SPACE_TREE_CELL: strbuf_putc(out, ','); decode_tree(a, g->program, out); break;
    case SPACE_FIXED_CELL: strbuf_putc(out, ','); decode_fixed(g->program, out); break;
    case SPACE_DAG_CELL: {
      strbuf_putc(out, ',');
      decode_dag(a, g->program, out);
      strbuf b;
      strbuf_init(&b);
      arch_cell_string(a, &b);
      if (b.len) {
        strbuf_puts(out, ",\"string\":");
        strbuf_json_string(out, b.data);
      }
      strbuf_free(&b);
      break;
    }
  }
  strbuf_putc(out, '}');
}

/* ---- decoding into C structures ---- */

typedef struct op_list {
  arch_op *ops;
  int n, cap;
} op_list;

static void collect_ops(const arch *a, const grammar_node *n, op_list *l) {
  switch (n->kind) {
    case GN_SEQ:
      for (int i = 0; i < n->nchildren; i++) collect_ops(a, n->children[i], l);
      break;
    case GN_BRANCH: {
      int t = n->decision >= 0 ? arch_token(a, n->decision) : 0;
      if (t >= 0 && t < n->nchildren) collect_ops(a, n->children[t], l);
      break;
    }
    case GN_OP: {
      if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 8;
        l->ops = xrealloc(l->ops, sizeof(arch_op) * (size_t)l->cap);
      }
      grammar_value *args = xcalloc((size_t)n->op->nparams + 1, sizeof *args);
      for (int i = 0; i < n->op->nparams; i++) args[i] = *slot_value(a, &n->args[i]);
      l->ops[l->n++] = (arch_op){n->op, n->name, args};
      break;
    }
    default: break;
  }
}

static void decode_layer_c(const arch *a, const grammar_node *layer, arch_layer *out) {
  memset(out, 0, sizeof *out);
  out->index = layer->layer;
  op_list l = {0};
  collect_ops(a, layer->children[0], &l);
  out->ops = l.ops;
  out->nops = l.n;
  if (layer->is_head) return;
  const grammar_node *in = find_inputs(layer->children[0]);
  out->inputs = xcalloc((size_t)layer->layer + 1, sizeof(int));
  if (in && in->inputs == INPUTS_ANCHOR) {
    if (in->decision >= 0 && a->offset[in->decision] >= 0) {
      const grammar_decision *d = &a->g->decisions[in->decision];
      for (int j = 0; j < d->ncandidates; j++)
        if (a->tokens[a->offset[in->decision] + j]) out->inputs[out->ninputs++] = d->first_candidate + j;
    }
    if (in->keep_previous && layer->layer > 0) out->inputs[out->ninputs++] = layer->layer - 1;
  } else if (layer->layer > 0) {
    out->inputs[out->ninputs++] = layer->layer - 1;
  }
}

int arch_decode_cnn(const arch *a, arch_cnn *out) {
  memset(out, 0, sizeof *out);
  const grammar *g = a->g;
  if (g->space_kind != SPACE_CNN) return 0;
  out->nlayers = a->depth;
  out->layers = xcalloc((size_t)out->nlayers + 1, sizeof(arch_layer));
  int k = 0;
  for (int i = 0; i < g->program->nchildren; i++) {
    const grammar_node *st = g->program->children[i];
    int depth = st == g->variable_stack ? a->depth - st->first_layer : st->max_layers;
    for (int j = 0; j < depth && k < out->nlayers; j++) decode_layer_c(a, st->children[j], &out->layers[k++]);
  }
  out->nlayers = k;
  decode_layer_c(a, g->head, &out->head);
  return 1;
}

void arch_layer_free(arch_layer *l) {
  for (int i = 0; i < l->nops; i++) free((void *)l->ops[i].args);
  free(l->ops);
  free(l->inputs);
  free(l->share);
}

void arch_cnn_free(arch_cnn *c) {
  for (int i = 0; i < c->nlayers; i++) arch_layer_free(&c->layers[i]);
  free(c->layers);
  arch_layer_free(&c->head);
  memset(c, 0, sizeof *c);
}

void arch_json_file(strbuf *out, const char *file) {
  char buf[PATH_MAX];
  strbuf_puts(out, ",\"file\":");
  strbuf_json_string(out, realpath(file, buf) ? buf : file);
}

void arch_record_json(const arch *a, const char *file, strbuf *out) {
  arch_json(a, out);
  out->len--; /* reopen the object */
  arch_json_file(out, file);
  strbuf_putc(out, '}');
}

/* A JSON number that is an int. */
static int json_int(const json_value *v, int *out) {
  if (!v || v->kind != JSON_NUMBER || !(v->number >= INT_MIN && v->number <= INT_MAX) || v->number != (int)v->number)
    return 0;
  *out = (int)v->number;
  return 1;
}

int arch_from_record(const grammar *g, const char *text, size_t len, arch *a, strbuf *err) {
  arena mem;
  arena_init(&mem);
  int rc = -1;
  json_value *v = json_parse(&mem, text, len, err);
  const json_value *tokens = json_get(v, "tokens"), *depth = json_get(v, "depth");
  int *t = NULL, d;
  if (!v) goto out;
  if (!tokens || tokens->kind != JSON_ARRAY) {
    strbuf_puts(err, "no \"tokens\" list");
    goto out;
  }
  t = xcalloc((size_t)tokens->n + 1, sizeof(int));
  for (int i = 0; i < tokens->n; i++)
    if (!json_int(tokens->items[i], &t[i])) {
      strbuf_printf(err, "token %d is not an integer", i + 1);
      goto out;
    }
  /* a curriculum's depth is not a token: find the position that gives it */
  const grammar_node *stack = g->variable_stack;
  long at = stack && json_int(depth, &d) ? grammar_curriculum_position(stack, d - stack->first_layer) : 0;
  rc = arch_from_tokens(g, at, t, tokens->n, a, err) ? 1 : 0;
out:
  free(t);
  arena_free(&mem);
  return rc;
}
