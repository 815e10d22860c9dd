/* compiler_lower_space.c: a CNN search space becomes the generation program.
 *
 * Stacks of layers are unrolled to their largest depth, so every decision has
 * a fixed dotted path (layer[3].conv2d.height) and the controller sees a fixed
 * set of positions; a stack whose depth varies marks its deeper layers with
 * min_depth. Inside a layer, operations, `maybe`, `either` and op choices
 * become GN_OP and GN_BRANCH nodes, and `inputs: anchor` an anchor decision. */
#include <stdio.h>
#include <string.h>

#include "compiler/internal.h"

#define MAX_LAYERS 1000

static const char *instance_name(compiler *c, scope *s, const char *base) {
  int n = 1;
  for (int i = 0; i < s->bases.n; i++) n += !strcmp(s->bases.items[i], base);
  const char *name = n == 1 ? arena_strdup(&c->g->mem, base)
                            : arena_printf(&c->g->mem, "%s_%d", base, n);
  ptrvec_push(&c->ast, &s->names, (void *)name);
  ptrvec_push(&c->ast, &s->bases, (void *)base);
  return name;
}

/* Labels of a choice: the given ones, else base names numbered on repeats
 * (relu, relu_2); every label must differ from every other. */
static int unique_labels(compiler *c, grammar_value *labels, const char **bases, const char **given,
                         const nasl_loc *locs, int n) {
  for (int i = 0; i < n; i++) {
    if (given[i]) {
      labels[i].sym = arena_strdup(&c->g->mem, given[i]);
      continue;
    }
    int same = 1;
    for (int k = 0; k < i; k++) same += !given[k] && !strcmp(bases[k], bases[i]);
    labels[i].sym = same == 1 ? arena_strdup(&c->g->mem, bases[i]) : arena_printf(&c->g->mem, "%s_%d", bases[i], same);
  }
  for (int i = 0; i < n; i++)
    for (int k = 0; k < i; k++)
      if (!strcmp(labels[i].sym, labels[k].sym)) {
        nasl_error(c->d, locs[i], "branch label '%s' is used twice; label the branches", labels[i].sym);
        return 0;
      }
  return 1;
}

grammar_slot compiler_slot_from_arg(compiler *c, const bound_arg *arg, const grammar_param *p,
                           const char *path, const char *head) {
  grammar_slot s = {-1, p->def};
  if (!arg->expr) return s;
  if (arg->expr->kind == EX_LIST) {
    grammar_value *vals;
    int n = compiler_check_choices(c, arg->expr, p, &vals);
    if (n == 0) return s;
    if (n == 1) {
      if (!c->quiet)
        nasl_warning(c->d, arg->expr->loc,
                     "a choice of one value is a fixed value; write it without brackets");
      s.fixed = vals[0];
      return s;
    }
    s.decision = compiler_decision_categorical(c, path, head, vals, n);
    return s;
  }
  if (arg->expr->kind == EX_RANGE && (p->type == GV_INT || p->type == GV_FLOAT)) {
    nasl_error(c->d, arg->expr->loc,
               "a range is not a value; to let the controller choose, write it as a choice: [lo..hi]");
    return s;
  }
  compiler_check_value(c, arg->expr, p, &s.fixed);
  return s;
}

static const grammar_value *bool_vocab(compiler *c) {
  grammar_value *v = arena_alloc(&c->g->mem, sizeof *v * 2);
  v[0].kind = v[1].kind = GV_BOOL;
  v[1].i = 1;
  return v;
}

static const char *call_name(const ast_expr *e) {
  return (e->kind == EX_CALL || e->kind == EX_IDENT) ? e->s : NULL;
}

grammar_node *compiler_lower_op_call(compiler *c, scope *s, const ast_expr *call, const char *inst,
                            int in_layer) {
  const char *name = call_name(call);
  if (!name) {
    nasl_error(c->d, call->loc, "expected an operation, found %s", ast_expr_describe(&c->ast, call));
    return NULL;
  }
  const grammar_opdecl *op = compiler_find_op(c, name, call->loc, 1);
  if (!op) return NULL;
  if (op->role == OP_ROLE_INTERNAL) {
    nasl_error(c->d, call->loc, "'%s' is an internal operation that the runtime inserts; it cannot be written in a space",
               op->name);
    return NULL;
  }
  if (in_layer && op->role != OP_ROLE_LAYER && op->role != OP_ROLE_ACTIVATION) {
    nasl_error(c->d, call->loc, "'%s' is %s %s operation; a layer holds layer and activation operations",
               op->name, grammar_role_article(op->role), grammar_role_names[op->role]);
    return NULL;
  }
  if (!inst) inst = instance_name(c, s, op->name);
  bound_arg *args = arena_alloc(&c->ast, sizeof *args * (size_t)(op->nparams + 1));
  const char *what = arena_printf(&c->ast, "'%s'", op->name);
  if (!compiler_bind_args(c, call, what, op->params, op->nparams, args)) return NULL;
  grammar_node *n = compiler_node_new(c, GN_OP);
  n->op = op;
  n->name = inst;
  n->args = arena_alloc(&c->g->mem, sizeof *n->args * (size_t)(op->nparams + 1));
  for (int i = 0; i < op->nparams; i++) {
    const grammar_param *p = &op->params[i];
    const char *path = arena_printf(&c->ast, "%s.%s.%s", s->prefix, inst, p->name);
    const char *head = arena_printf(&c->ast, "%s.%s", op->name, p->name);
    n->args[i] = compiler_slot_from_arg(c, &args[i], p, path, head);
  }
  return n;
}

static void lower_items(compiler *c, scope *s, const ptrvec *items, grammar_node *seq,
                        int *inputs_seen);

static grammar_node *seq_under_guard(compiler *c, scope *s, const ptrvec *items, int decision,
                                     int token) {
  int guard = c->guard, gtok = c->guard_token, top = s->top;
  c->guard = decision;
  c->guard_token = token;
  s->top = 0;
  grammar_node *seq = compiler_node_new(c, GN_SEQ);
  lower_items(c, s, items, seq, NULL);
  c->guard = guard;
  c->guard_token = gtok;
  s->top = top;
  return seq;
}

static grammar_value symbol_value(const char *sym) {
  grammar_value v = {GV_SYMBOL, 0, 0, sym};
  return v;
}

static const char *labels_head(compiler *c, const char *base, const grammar_value *v, int n) {
  strbuf b;
  strbuf_init(&b);
  strbuf_printf(&b, "%s(", base);
  for (int i = 0; i < n; i++) strbuf_printf(&b, "%s%s", i ? "|" : "", v[i].sym);
  strbuf_putc(&b, ')');
  const char *r = arena_strdup(&c->ast, b.data);
  strbuf_free(&b);
  return r;
}

static grammar_node *lower_either(compiler *c, scope *s, const ast_item *it, const char *inst) {
  int n = it->branches.n;
  grammar_value *labels = arena_alloc(&c->g->mem, sizeof *labels * (size_t)n);
  const char **bases = arena_alloc(&c->ast, sizeof(char *) * (size_t)n);
  const char **given = arena_alloc(&c->ast, sizeof(char *) * (size_t)n);
  nasl_loc *locs = arena_alloc(&c->ast, sizeof(nasl_loc) * (size_t)n);
  for (int i = 0; i < n; i++) {
    const ast_branch *b = it->branches.items[i];
    const ast_item *first = b->items.n ? b->items.items[0] : NULL;
    while (first && first->kind == IT_MAYBE) first = first->inner;
    /* an unlabelled branch is named after what it starts with */
    bases[i] = !first ? "empty" : first->kind == IT_OP ? call_name(first->call)
               : first->kind == IT_EITHER ? "either" : first->kind == IT_CHOICE ? "choice" : "setting";
    given[i] = b->label;
    locs[i] = b->loc;
    labels[i] = symbol_value(NULL);
  }
  if (!unique_labels(c, labels, bases, given, locs, n)) return NULL;
  if (!inst) inst = instance_name(c, s, "either");
  const char *path = arena_printf(&c->ast, "%s.%s", s->prefix, inst);
  grammar_node *br = compiler_node_new(c, GN_BRANCH);
  br->name = inst;
  br->decision = compiler_decision_categorical(c, path, labels_head(c, "either", labels, n), labels, n);
  for (int i = 0; i < n; i++) {
    const ast_branch *b = it->branches.items[i];
    compiler_node_add(c, br, seq_under_guard(c, s, &b->items, br->decision, i));
  }
  return br;
}

static grammar_node *lower_choice(compiler *c, scope *s, const ast_item *it, const char *inst) {
  const ast_expr *list = it->call;
  int n = list->items.n;
  if (n == 0) {
    nasl_error(c->d, list->loc, "an empty choice of operations; list at least two");
    return NULL;
  }
  grammar_value *labels = arena_alloc(&c->g->mem, sizeof *labels * (size_t)n);
  const char **bases = arena_alloc(&c->ast, sizeof(char *) * (size_t)n);
  const char **given = arena_alloc(&c->ast, sizeof(char *) * (size_t)n);
  nasl_loc *locs = arena_alloc(&c->ast, sizeof(nasl_loc) * (size_t)n);
  for (int i = 0; i < n; i++) {
    const ast_expr *e = list->items.items[i];
    if (!(bases[i] = call_name(e))) {
      nasl_error(c->d, e->loc, "a choice of operations lists operations, not %s",
                 ast_expr_describe(&c->ast, e));
      return NULL;
    }
    given[i] = NULL;
    locs[i] = e->loc;
    labels[i] = symbol_value(NULL);
  }
  if (!unique_labels(c, labels, bases, given, locs, n)) return NULL;
  if (n == 1 && !c->quiet)
    nasl_warning(c->d, list->loc, "a choice of one operation is a fixed operation; drop the brackets");
  if (!inst) inst = instance_name(c, s, "choice");
  grammar_node *br = compiler_node_new(c, GN_BRANCH);
  br->name = inst;
  if (n > 1) {
    const char *path = arena_printf(&c->ast, "%s.%s", s->prefix, inst);
    br->decision = compiler_decision_categorical(c, path, labels_head(c, "choice", labels, n), labels, n);
  }
  int guard = c->guard, gtok = c->guard_token;
  for (int i = 0; i < n; i++) {
    if (n > 1) {
      c->guard = br->decision;
      c->guard_token = i;
    }
    grammar_node *op = compiler_lower_op_call(c, s, list->items.items[i], NULL, 1);
    c->guard = guard;
    c->guard_token = gtok;
    if (!op) return NULL;
    grammar_node *seq = compiler_node_new(c, GN_SEQ);
    compiler_node_add(c, seq, op);
    compiler_node_add(c, br, seq);
  }
  if (n == 1) return br->children[0];
  return br;
}

static grammar_node *lower_inputs(compiler *c, scope *s, const ast_setting *st) {
  const ast_expr *v = st->value;
  grammar_node *n = compiler_node_new(c, GN_INPUTS);
  const char *name = call_name(v);
  if (name && !strcmp(name, "previous") && v->kind == EX_IDENT) {
    n->inputs = INPUTS_PREVIOUS;
    return n;
  }
  if (!name || strcmp(name, "anchor")) {
    nasl_error(c->d, v->loc, "'inputs' is 'previous', 'anchor' or 'anchor(window: K, previous: BOOL, block: BOOL)'");
    return NULL;
  }
  n->inputs = INPUTS_ANCHOR;
  static const grammar_param params[3] = {
      {"window", GV_INT, 1, 1, MAX_LAYERS, 0, NULL, 0, {GV_INT, 0, 0, NULL}, "latest layers to choose from"},
      {"previous", GV_BOOL, 0, 0, 0, 0, NULL, 0, {GV_BOOL, 0, 0, NULL}, "the layer before is always an input"},
      {"block", GV_BOOL, 0, 0, 0, 0, NULL, 0, {GV_BOOL, 0, 0, NULL}, "only layers of this block are candidates"}};
  bound_arg arg[3];
  if (!compiler_bind_args(c, v, "'anchor'", params, 3, arg)) return NULL;
  grammar_value val[3];
  for (int i = 0; i < 3; i++) {
    val[i] = params[i].def;
    if (arg[i].expr && !compiler_check_value(c, arg[i].expr, &params[i], &val[i])) return NULL;
  }
  n->window = (int)val[0].i;
  n->keep_previous = val[1].i != 0;
  int L = n->keep_previous && c->layer > 0 ? c->layer - 1 : c->layer; /* candidates: layers lowest..L-1 */
  int lowest = val[2].i && c->block_first < L ? c->block_first : val[2].i ? L : 0;
  int ncand = (n->window && n->window < L - lowest) ? n->window : L - lowest;
  if (ncand > 0)
    n->decision = compiler_decision_anchor(c, arena_printf(&c->ast, "%s.inputs", s->prefix), L - ncand, ncand);
  return n;
}

static void lower_items(compiler *c, scope *s, const ptrvec *items, grammar_node *seq,
                        int *inputs_seen) {
  for (int i = 0; i < items->n; i++) {
    const ast_item *it = items->items[i];
    grammar_node *n = NULL;
    switch (it->kind) {
      case IT_OP: n = compiler_lower_op_call(c, s, it->call, NULL, 1); break;
      case IT_EITHER: n = lower_either(c, s, it, NULL); break;
      case IT_CHOICE: n = lower_choice(c, s, it, NULL); break;
      case IT_MAYBE: {
        const ast_item *in = it->inner;
        if (in->kind == IT_MAYBE || in->kind == IT_SETTING) {
          nasl_error(c->d, in->loc, "'maybe' applies to an operation, a choice or an 'either'");
          break;
        }
        const char *base = in->kind == IT_OP ? call_name(in->call)
                           : in->kind == IT_EITHER ? "either" : "choice";
        if (in->kind == IT_OP && !compiler_find_op(c, base, in->call->loc, 1)) break;
        const char *inst = instance_name(c, s, base);
        const char *path = arena_printf(&c->ast, "%s.%s.use", s->prefix, inst);
        const char *head = arena_printf(&c->ast, "%s.use", base);
        grammar_node *br = compiler_node_new(c, GN_BRANCH);
        br->name = arena_printf(&c->g->mem, "%s.use", inst);
        br->decision = compiler_decision_categorical(c, path, head, bool_vocab(c), 2);
        compiler_node_add(c, br, compiler_node_new(c, GN_SEQ));
        int guard = c->guard, gtok = c->guard_token, top = s->top;
        c->guard = br->decision;
        c->guard_token = 1;
        s->top = 0;
        grammar_node *body = in->kind == IT_OP ? compiler_lower_op_call(c, s, in->call, inst, 1)
                             : in->kind == IT_EITHER ? lower_either(c, s, in, inst)
                                                     : lower_choice(c, s, in, inst);
        c->guard = guard;
        c->guard_token = gtok;
        s->top = top;
        if (!body) break;
        grammar_node *present = compiler_node_new(c, GN_SEQ);
        compiler_node_add(c, present, body);
        compiler_node_add(c, br, present);
        n = br;
        break;
      }
      case IT_SETTING: {
        const ast_setting *st = it->setting;
        if (strcmp(st->key, "inputs")) {
          static const char *const keys[] = {"inputs"};
          if (nasl_suggest(st->key, keys, 1))
            nasl_error(c->d, st->key_loc, "unknown layer setting '%s'; did you mean 'inputs'?", st->key);
          else
            nasl_error(c->d, st->key_loc, "unknown layer setting '%s'; a layer takes only 'inputs'", st->key);
          break;
        }
        if (c->layer < 0) {
          nasl_error(c->d, st->key_loc, "the head takes its input from the layers; 'inputs' belongs in a layer");
          break;
        }
        if (!s->top || !inputs_seen) {
          nasl_error(c->d, st->key_loc, "'inputs' belongs at the top level of a layer body");
          break;
        }
        if (*inputs_seen) {
          nasl_error(c->d, st->key_loc, "'inputs' is set twice in this layer");
          break;
        }
        *inputs_seen = 1;
        n = lower_inputs(c, s, st);
        break;
      }
    }
    if (n) compiler_node_add(c, seq, n);
  }
}

static grammar_node *lower_layer(compiler *c, const ast_block *b, int layer, int is_head) {
  scope s = {.prefix = is_head ? "head" : arena_printf(&c->ast, "layer[%d]", layer), .top = 1};
  grammar_node *n = compiler_node_new(c, GN_LAYER);
  n->layer = is_head ? -1 : layer;
  n->is_head = is_head;
  c->layer = is_head ? -1 : layer;
  grammar_node *body = compiler_node_new(c, GN_SEQ);
  int inputs_seen = 0;
  lower_items(c, &s, &b->items, body, is_head ? NULL : &inputs_seen);
  if (!is_head && !inputs_seen) {
    grammar_node *in = compiler_node_new(c, GN_INPUTS);
    in->inputs = INPUTS_PREVIOUS;
    grammar_node *seq = compiler_node_new(c, GN_SEQ);
    compiler_node_add(c, seq, in);
    for (int i = 0; i < body->nchildren; i++) compiler_node_add(c, seq, body->children[i]);
    body = seq;
  }
  compiler_node_add(c, n, body);
  c->layer = -1;
  return n;
}

static int int_expr(compiler *c, const ast_expr *e, const char *what, int lo, int hi, int *out) {
  double v;
  int is_int;
  if (!compiler_const_number(c, e, &v, &is_int) || !is_int) {
    nasl_error(c->d, e->loc, "%s is an integer", what);
    return 0;
  }
  if (v < lo || v > hi) {
    nasl_error(c->d, e->loc, "%s must be in %d..%d, not %.0f", what, lo, hi, v);
    return 0;
  }
  *out = (int)v;
  return 1;
}

/* The depths lo..hi as a decision's vocabulary. */
static grammar_value *depth_vocab(compiler *c, int lo, int hi) {
  int n = hi - lo + 1;
  grammar_value *v = arena_alloc(&c->g->mem, sizeof *v * (size_t)n);
  for (int i = 0; i < n; i++) {
    v[i].kind = GV_INT;
    v[i].i = lo + i;
    v[i].f = lo + i;
  }
  return v;
}

/* layers LO..HI [grow K every N]: a curriculum that grows the depth when
 * grow is given, else a depth the controller decides. */
static int stack_depth_range(compiler *c, const ast_block *b, grammar_node *st) {
  const ast_expr *e = b->count;
  int lo, hi;
  if (!int_expr(c, e->lhs, "the smallest depth", 1, MAX_LAYERS, &lo) ||
      !int_expr(c, e->rhs, "the largest depth", 1, MAX_LAYERS, &hi))
    return 0;
  if (lo > hi) {
    nasl_error(c->d, e->loc, "empty depth range %d..%d; the first bound is the smaller", lo, hi);
    return 0;
  }
  st->min_layers = lo;
  st->max_layers = hi;
  if (b->grow) {
    if (!int_expr(c, b->grow, "the growth per step", 1, MAX_LAYERS, &st->grow) ||
        !int_expr(c, b->every, "the samples between growth steps", 1, 1000000000, &st->every))
      return 0;
    st->depth_kind = lo == hi ? DEPTH_FIXED : DEPTH_CURRICULUM;
    if (lo == hi)
      nasl_warning(c->d, b->grow->loc, "the depth range %d..%d leaves no room to grow", lo, hi);
  } else if (lo == hi) {
    st->depth_kind = DEPTH_FIXED;
  } else {
    st->depth_kind = DEPTH_DECIDED;
    st->decision = compiler_decision_categorical(c, "depth", "depth", depth_vocab(c, lo, hi), hi - lo + 1);
  }
  return 1;
}

/* layers [D, ...]: a depth the controller decides among those listed */
static int stack_depth_choice(compiler *c, const ast_block *b, grammar_node *st) {
  static const grammar_param depth = {"layers", GV_INT, 1, 1, MAX_LAYERS, 0, NULL, 0,
                                      {GV_INT, 0, 0, NULL}, NULL};
  grammar_value *v;
  int n = compiler_check_choices(c, b->count, &depth, &v);
  if (!n) return 0;
  st->min_layers = MAX_LAYERS;
  for (int i = 0; i < n; i++) {
    if (v[i].i < st->min_layers) st->min_layers = (int)v[i].i;
    if (v[i].i > st->max_layers) st->max_layers = (int)v[i].i;
  }
  if (n == 1) {
    st->depth_kind = DEPTH_FIXED;
  } else {
    st->depth_kind = DEPTH_DECIDED;
    st->decision = compiler_decision_categorical(c, "depth", "depth", v, n);
  }
  if (b->grow) {
    nasl_error(c->d, b->grow->loc, "a curriculum needs a depth range: layers 6..15 grow 2 every 1600");
    return 0;
  }
  return 1;
}

/* layers D { items }: a fixed depth */
static int stack_depth_fixed(compiler *c, const ast_block *b, grammar_node *st) {
  int n;
  if (!int_expr(c, b->count, "the number of layers", 1, MAX_LAYERS, &n)) return 0;
  st->depth_kind = DEPTH_FIXED;
  st->min_layers = st->max_layers = n;
  if (b->grow) {
    nasl_error(c->d, b->grow->loc, "a curriculum needs a depth range: layers 6..15 grow 2 every 1600");
    return 0;
  }
  return 1;
}

/* The stack's layers, each lowered from the same body, unrolled to the
 * largest depth; layers past the smallest depth are marked with the depth
 * they need. */
static int unroll_stack(compiler *c, const ast_block *b, grammar_node *st, int first_layer) {
  int errors = c->d->errors;
  int variable = st->depth_kind != DEPTH_FIXED;
  c->block_first = first_layer;
  for (int k = 0; k < st->max_layers; k++) {
    c->min_depth = (variable && k >= st->min_layers) ? first_layer + k + 1 : 0; /* in layers of the space */
    compiler_node_add(c, st, lower_layer(c, b, first_layer + k, 0));
    c->quiet = 1;
    if (c->d->errors > errors) break; /* the same body would fail again */
  }
  c->quiet = 0;
  c->min_depth = 0;
  return c->d->errors == errors;
}

/* layers COUNT [grow K every N] { items } | layer { items } */
static grammar_node *lower_stack(compiler *c, const ast_block *b, int first_layer) {
  grammar_node *st = compiler_node_new(c, GN_STACK);
  st->first_layer = first_layer;
  int ok = 1;
  if (b->kind == BL_LAYER) {
    st->depth_kind = DEPTH_FIXED;
    st->min_layers = st->max_layers = 1;
  } else if (b->count->kind == EX_RANGE) {
    ok = stack_depth_range(c, b, st);
  } else if (b->count->kind == EX_LIST) {
    ok = stack_depth_choice(c, b, st);
  } else {
    ok = stack_depth_fixed(c, b, st);
  }
  if (!ok) return NULL;
  if (first_layer + st->max_layers > MAX_LAYERS) {
    nasl_error(c->d, b->loc, "a space has at most %d layers", MAX_LAYERS);
    return NULL;
  }
  return unroll_stack(c, b, st, first_layer) ? st : NULL;
}

static grammar_node *default_head(compiler *c) {
  grammar_node *n = compiler_node_new(c, GN_LAYER);
  n->layer = -1;
  n->is_head = 1;
  grammar_node *body = compiler_node_new(c, GN_SEQ);
  static const char *const ops[] = {"global_avgpool", "dense"};
  for (int i = 0; i < 2; i++) {
    const grammar_opdecl *op = compiler_find_op(c, ops[i], NASL_NOLOC, 0);
    if (!op) continue;
    grammar_node *o = compiler_node_new(c, GN_OP);
    o->op = op;
    o->name = op->name;
    o->args = arena_alloc(&c->g->mem, sizeof *o->args * (size_t)(op->nparams + 1));
    for (int k = 0; k < op->nparams; k++) o->args[k] = (grammar_slot){-1, op->params[k].def};
    compiler_node_add(c, body, o);
  }
  compiler_node_add(c, n, body);
  return n;
}

void compiler_lower_space(compiler *c, ast_decl *space) {
  grammar *g = c->g;
  g->space_kind = SPACE_CNN;
  g->program = compiler_node_new(c, GN_SEQ);
  int next_layer = 0, failed = 0;
  const ast_block *variable = NULL, *head = NULL;
  for (int i = 0; i < space->blocks.n; i++) {
    const ast_block *b = space->blocks.items[i];
    switch (b->kind) {
      case BL_LAYERS:
      case BL_LAYER: {
        if (variable) {
          nasl_error(c->d, b->loc, "only the last layers block may vary in depth");
          nasl_note(c->d, variable->loc, "this earlier block varies in depth");
          return;
        }
        grammar_node *st = lower_stack(c, b, next_layer);
        if (!st) { /* go on, to report the other blocks' errors too */
          next_layer++;
          failed = 1;
          break;
        }
        compiler_node_add(c, g->program, st);
        next_layer += st->max_layers;
        if (st->depth_kind != DEPTH_FIXED) {
          variable = b;
          g->variable_stack = st;
        }
        break;
      }
      case BL_HEAD:
        if (head) {
          nasl_error(c->d, b->loc, "a space has one head");
          nasl_note(c->d, head->loc, "the first head is here");
          return;
        }
        head = b;
        break;
      case BL_SETTING:
        nasl_error(c->d, b->loc, "unknown space setting '%s'; a space holds layers, layer and head blocks",
                   b->setting->key);
        return;
      default: {
        static const char *const names[] = {"", "", "", "tree", "inject", "dag", "a node equation"};
        nasl_error(c->d, b->loc, "%s belongs in a cell; a space holds layers, layer and head blocks",
                   b->kind == BL_NODE ? names[6] : arena_printf(&c->ast, "'%s'", names[b->kind]));
        return;
      }
    }
  }
  if (next_layer == 0) {
    nasl_error(c->d, space->name_loc, "space '%s' has no layers; add 'layers N { ... }'", space->name);
    return;
  }
  g->max_layers = next_layer;
  g->head = head ? lower_layer(c, head, -1, 1) : default_head(c);
  if (head && head->items.n == 0)
    nasl_warning(c->d, head->loc, "an empty head leaves the network without a classifier");
  if (failed) g->program = NULL;
}
