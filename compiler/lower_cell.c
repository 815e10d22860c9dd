/* compiler_lower_cell.c: recurrent and DAG cells become the generation program.
 *
 * Three shapes of cell:
 *   tree(leaves: L) { ... } [inject { ... }]  the NAS-RNN search space
 *   name = expr ... memory: m; output: o     a fixed cell written as equations
 *   dag { ... }                              ENAS/DARTS/NAS-Bench-201 cells */
#include <stdio.h>
#include <string.h>

#include "compiler/internal.h"


static const ast_setting *find_setting(const ptrvec *settings, const char *key) {
  for (int i = 0; i < settings->n; i++) {
    const ast_setting *s = settings->items[i];
    if (!strcmp(s->key, key)) return s;
  }
  return NULL;
}

/* Reports settings not in keys[]; 0 if any. */
static int known_settings(compiler *c, const ptrvec *settings, const char *what,
                          const char *const *keys, int nkeys) {
  int ok = 1;
  for (int i = 0; i < settings->n; i++) {
    const ast_setting *s = settings->items[i];
    int k = -1;
    for (int j = 0; j < nkeys; j++)
      if (!strcmp(s->key, keys[j])) k = j;
    for (int j = 0; j < i && k >= 0; j++)
      if (!strcmp(((ast_setting *)settings->items[j])->key, s->key)) {
        nasl_error(c->d, s->key_loc, "'%s' is set twice", s->key);
        ok = 0;
        k = -2;
      }
    if (k == -1) {
      const char *sg = nasl_suggest(s->key, keys, nkeys);
      strbuf b;
      strbuf_init(&b);
      for (int j = 0; j < nkeys; j++) strbuf_printf(&b, "%s%s", j ? ", " : "", keys[j]);
      if (sg) nasl_error(c->d, s->key_loc, "unknown %s setting '%s'; did you mean '%s'?", what, s->key, sg);
      else nasl_error(c->d, s->key_loc, "unknown %s setting '%s'; the settings are %s", what, s->key, b.data);
      strbuf_free(&b);
      ok = 0;
    }
  }
  return ok;
}

/* An operation name of the given role, or a list of them -> vocabulary. */
static int op_vocab(compiler *c, const ast_setting *s, grammar_op_role role, const char *const *defaults,
                    int ndefaults, grammar_value **out) {
  int n = s ? (s->value->kind == EX_LIST ? s->value->items.n : 1) : ndefaults;
  if (n == 0) {
    nasl_error(c->d, s->value->loc, "an empty choice for '%s'; list at least one operation", s->key);
    return 0;
  }
  grammar_value *v = arena_alloc(&c->g->mem, sizeof *v * (size_t)n);
  for (int i = 0; i < n; i++) {
    const char *name;
    nasl_loc loc = NASL_NOLOC;
    if (s) {
      const ast_expr *e = s->value->kind == EX_LIST ? s->value->items.items[i] : s->value;
      loc = e->loc;
      if (e->kind != EX_IDENT) {
        nasl_error(c->d, e->loc, "'%s' lists %s operations by name, not %s", s->key, grammar_role_names[role],
                   ast_expr_describe(&c->ast, e));
        return 0;
      }
      name = e->s;
    } else {
      name = defaults[i];
    }
    const grammar_opdecl *op = compiler_find_op(c, name, loc, s != NULL);
    if (!op) return s ? 0 : (nasl_error(c->d, NASL_NOLOC, "the stdlib lacks '%s'", name), 0);
    if (op->role != role) {
      nasl_error(c->d, loc, "'%s' is %s %s operation; '%s' takes %s operations", name, grammar_role_article(op->role),
                 grammar_role_names[op->role], s->key, grammar_role_names[role]);
      return 0;
    }
    for (int k = 0; k < op->nparams; k++)
      if (op->params[k].required) {
        nasl_error(c->d, loc, "'%s' needs arguments and cannot be used in a cell tree", name);
        return 0;
      }
    v[i] = (grammar_value){GV_SYMBOL, 0, 0, op->name};
    for (int k = 0; k < i; k++)
      if (v[k].sym == op->name) {
        nasl_error(c->d, loc, "'%s' appears twice in the choice", name);
        return 0;
      }
  }
  *out = v;
  return n;
}

static grammar_slot vocab_slot(compiler *c, grammar_value *v, int n, const char *path,
                               const char *head) {
  grammar_slot s = {-1, v[0]};
  if (n > 1) s.decision = compiler_decision_categorical(c, path, head, v, n);
  return s;
}

static const char *const default_combine[] = {"add", "mul"};
static const char *const default_activation[] = {"identity", "tanh", "sigmoid", "relu"};

static int node_choice(compiler *c, const ast_setting *s, int nnodes, const char *path,
                       const char *head, grammar_slot *out) {
  grammar_param p = {s ? s->key : "at", GV_INT, 1, 0, nnodes - 1, 0, NULL, 0, {GV_INT, 0, 0, NULL}, NULL};
  grammar_value *v;
  int n;
  if (!s) {
    n = nnodes;
    v = arena_alloc(&c->g->mem, sizeof *v * (size_t)n);
    for (int i = 0; i < n; i++) v[i] = (grammar_value){GV_INT, i, i, NULL};
  } else if (s->value->kind == EX_LIST) {
    if (!(n = compiler_check_choices(c, s->value, &p, &v))) return 0;
  } else {
    v = arena_alloc(&c->g->mem, sizeof *v);
    if (!compiler_check_value(c, s->value, &p, v)) return 0;
    n = 1;
  }
  *out = vocab_slot(c, v, n, path, head);
  return 1;
}

static void lower_tree(compiler *c, const ast_block *tree, const ast_block *inject) {
  static const char *const tree_keys[] = {"combine", "activation"};
  static const char *const inject_keys[] = {"combine", "activation", "at", "memory"};
  static const grammar_param leaves_param = {"leaves", GV_INT, 1, 2, 16, 0, NULL, 1, {GV_INT, 0, 0, NULL},
                                             "leaves of the tree"};
  ast_expr call = {.kind = EX_CALL, .loc = tree->loc, .s = "tree", .args = tree->args};
  bound_arg leaves_arg;
  grammar_value leaves;
  if (!compiler_bind_args(c, &call, "'tree'", &leaves_param, 1, &leaves_arg)) return;
  if (!compiler_check_value(c, leaves_arg.expr, &leaves_param, &leaves)) return;
  int L = (int)leaves.i;
  if (L & (L - 1)) {
    nasl_error(c->d, leaves_arg.expr->loc, "a tree has 2, 4, 8 or 16 leaves, not %d", L);
    return;
  }
  if (!known_settings(c, &tree->settings, "tree", tree_keys, 2)) return;
  if (inject && !known_settings(c, &inject->settings, "inject", inject_keys, 4)) return;
  grammar_value *comb, *act;
  int ncomb = op_vocab(c, find_setting(&tree->settings, "combine"), OP_ROLE_COMBINE, default_combine, 2, &comb);
  int nact = op_vocab(c, find_setting(&tree->settings, "activation"), OP_ROLE_ACTIVATION, default_activation, 4, &act);
  if (!ncomb || !nact) return;
  grammar_node *t = compiler_node_new(c, GN_TREE);
  t->leaves = L;
  t->nnodes = 2 * L - 1;
  t->combine = arena_alloc(&c->g->mem, sizeof(grammar_slot) * (size_t)t->nnodes);
  t->activation = arena_alloc(&c->g->mem, sizeof(grammar_slot) * (size_t)t->nnodes);
  for (int k = 0; k < t->nnodes; k++) {
    t->combine[k] = vocab_slot(c, comb, ncomb, arena_printf(&c->ast, "node[%d].combine", k), "node.combine");
    t->activation[k] = vocab_slot(c, act, nact, arena_printf(&c->ast, "node[%d].activation", k), "node.activation");
  }
  if (inject) {
    t->has_inject = 1;
    grammar_value *ic, *ia;
    int nic = op_vocab(c, find_setting(&inject->settings, "combine"), OP_ROLE_COMBINE, default_combine, 2, &ic);
    int nia = op_vocab(c, find_setting(&inject->settings, "activation"), OP_ROLE_ACTIVATION, default_activation, 4, &ia);
    if (!nic || !nia) return;
    t->inject_combine = vocab_slot(c, ic, nic, "inject.combine", "inject.combine");
    t->inject_activation = vocab_slot(c, ia, nia, "inject.activation", "inject.activation");
    if (!node_choice(c, find_setting(&inject->settings, "at"), t->nnodes, "inject.at", "inject.at", &t->inject_at) ||
        !node_choice(c, find_setting(&inject->settings, "memory"), t->nnodes, "memory.from", "memory.from",
                     &t->memory_from))
      return;
  }
  c->g->space_kind = SPACE_TREE_CELL;
  c->g->program = t;
}

/* ---- fixed cells ---- */

typedef struct fixed_cell {
  ptrvec names;        /* node names (const char*) */
  ptrvec name_locs;    /* nasl_loc* */
  int *node_term;      /* term of each node */
  grammar_cell_term *terms;
  int nterms, cap;
} fixed_cell;

static int add_term(compiler *c, fixed_cell *f, grammar_cell_term t) {
  if (f->nterms == f->cap) {
    f->cap = f->cap ? 2 * f->cap : 16;
    grammar_cell_term *more = arena_alloc(&c->g->mem, sizeof *more * (size_t)f->cap);
    if (f->nterms) memcpy(more, f->terms, sizeof *more * (size_t)f->nterms);
    f->terms = more;
  }
  f->terms[f->nterms] = t;
  return f->nterms++;
}

static int term_of(compiler *c, fixed_cell *f, const ast_expr *e, int depth) {
  if (depth > 200) {
    nasl_error(c->d, e->loc, "this equation nests too deeply");
    return -1;
  }
  if (e->kind == EX_IDENT) {
    if (!strcmp(e->s, "x")) return add_term(c, f, (grammar_cell_term){CELL_X, NULL, {0, 0}, 0});
    if (!strcmp(e->s, "h")) return add_term(c, f, (grammar_cell_term){CELL_H, NULL, {0, 0}, 0});
    if (!strcmp(e->s, "c")) return add_term(c, f, (grammar_cell_term){CELL_C, NULL, {0, 0}, 0});
    for (int i = 0; i < f->names.n; i++)
      if (!strcmp(f->names.items[i], e->s))
        return add_term(c, f, (grammar_cell_term){CELL_NODE, NULL, {0, 0}, i});
    const char **cands = arena_alloc(&c->ast, sizeof(char *) * (size_t)(f->names.n + 3));
    int n = 0;
    cands[n++] = "x";
    cands[n++] = "h";
    cands[n++] = "c";
    for (int i = 0; i < f->names.n; i++) cands[n++] = f->names.items[i];
    const char *s = nasl_suggest(e->s, cands, n);
    if (s && strlen(e->s) > 1)
      nasl_error(c->d, e->loc, "unknown name '%s' in a cell equation; did you mean '%s'?", e->s, s);
    else
      nasl_error(c->d, e->loc, "unknown name '%s' in a cell equation; use x, h, c or an earlier node", e->s);
    return -1;
  }
  if (e->kind != EX_CALL) {
    nasl_error(c->d, e->loc, "a cell equation is built from x, h, c, earlier nodes and operations, not %s",
               ast_expr_describe(&c->ast, e));
    return -1;
  }
  const grammar_opdecl *op = compiler_find_op(c, e->s, e->loc, 1);
  if (!op) return -1;
  int arity = op->role == OP_ROLE_ACTIVATION ? 1 : op->role == OP_ROLE_COMBINE ? 2 : 0;
  if (!arity) {
    nasl_error(c->d, e->loc, "'%s' is %s %s operation; cell equations use activation and combine operations",
               op->name, grammar_role_article(op->role), grammar_role_names[op->role]);
    return -1;
  }
  for (int k = 0; k < op->nparams; k++)
    if (op->params[k].required) {
      nasl_error(c->d, e->loc, "'%s' needs a value for '%s' and cannot be used in a cell equation", op->name,
                 op->params[k].name);
      return -1;
    }
  if (e->args.n != arity) {
    nasl_error(c->d, e->loc, "'%s' takes %d argument%s here, not %d", op->name, arity, arity == 1 ? "" : "s",
               e->args.n);
    return -1;
  }
  grammar_cell_term t = {CELL_APPLY, op->name, {-1, -1}, 0};
  for (int i = 0; i < arity; i++) {
    const ast_arg *a = e->args.items[i];
    if (a->name) {
      nasl_error(c->d, a->name_loc, "arguments in a cell equation are not named");
      return -1;
    }
    if ((t.arg[i] = term_of(c, f, a->value, depth + 1)) < 0) return -1;
  }
  return add_term(c, f, t);
}

static int node_named(compiler *c, fixed_cell *f, const ast_setting *s) {
  if (s->value->kind != EX_IDENT) {
    nasl_error(c->d, s->value->loc, "'%s' names a node of the cell", s->key);
    return -2;
  }
  for (int i = 0; i < f->names.n; i++)
    if (!strcmp(f->names.items[i], s->value->s)) return i;
  const char *sg = nasl_suggest(s->value->s, (const char *const *)f->names.items, f->names.n);
  if (sg) nasl_error(c->d, s->value->loc, "no node named '%s'; did you mean '%s'?", s->value->s, sg);
  else nasl_error(c->d, s->value->loc, "no node named '%s'", s->value->s);
  return -2;
}

static void lower_fixed(compiler *c, const ast_decl *cell) {
  fixed_cell f = {0};
  f.node_term = arena_alloc(&c->g->mem, sizeof(int) * (size_t)(cell->blocks.n + 1));
  const ast_setting *memory = NULL, *output = NULL;
  int ok = 1;
  for (int i = 0; i < cell->blocks.n; i++) {
    const ast_block *b = cell->blocks.items[i];
    if (b->kind == BL_SETTING) {
      const ast_setting *s = b->setting;
      static const char *const keys[] = {"memory", "output"};
      ptrvec one = {0};
      ptrvec_push(&c->ast, &one, (void *)s);
      if (!known_settings(c, &one, "cell", keys, 2)) ok = 0;
      else if (!strcmp(s->key, "memory")) {
        if (memory) nasl_error(c->d, s->key_loc, "'memory' is set twice"), ok = 0;
        memory = s;
      } else {
        if (output) nasl_error(c->d, s->key_loc, "'output' is set twice"), ok = 0;
        output = s;
      }
      continue;
    }
    if (!strcmp(b->name, "x") || !strcmp(b->name, "h") || !strcmp(b->name, "c")) {
      nasl_error(c->d, b->loc, "'%s' is the cell's input and cannot be redefined", b->name);
      ok = 0;
      continue;
    }
    for (int k = 0; k < f.names.n; k++)
      if (!strcmp(f.names.items[k], b->name)) {
        nasl_error(c->d, b->loc, "node '%s' is defined twice", b->name);
        nasl_note(c->d, *(nasl_loc *)f.name_locs.items[k], "the first definition is here");
        ok = 0;
      }
    int t = term_of(c, &f, b->value, 0);
    if (t < 0) {
      ok = 0;
      continue;
    }
    f.node_term[f.names.n] = t;
    nasl_loc *l = arena_alloc(&c->ast, sizeof *l);
    *l = b->loc;
    ptrvec_push(&c->ast, &f.name_locs, l);
    ptrvec_push(&c->ast, &f.names, arena_strdup(&c->g->mem, b->name));
  }
  if (!ok) return;
  if (f.names.n == 0) {
    nasl_error(c->d, cell->name_loc, "cell '%s' defines no nodes", cell->name);
    return;
  }
  grammar_node *n = compiler_node_new(c, GN_FIXED_CELL);
  n->terms = f.terms;
  n->nterms = f.nterms;
  n->ncell_nodes = f.names.n;
  const char **names = arena_alloc(&c->g->mem, sizeof(char *) * (size_t)f.names.n);
  memcpy(names, f.names.items, sizeof(char *) * (size_t)f.names.n); /* the vector lives in the AST arena */
  n->cell_node_names = names;
  n->cell_node_term = f.node_term;
  n->output_node = f.names.n - 1;
  if (memory && (n->memory_node = node_named(c, &f, memory)) < -1) return;
  if (output && (n->output_node = node_named(c, &f, output)) < 0) return;
  int uses_c = 0;
  for (int i = 0; i < f.nterms; i++) uses_c |= f.terms[i].kind == CELL_C;
  if (uses_c && !memory)
    nasl_warning(c->d, cell->name_loc, "cell '%s' reads c but sets no 'memory'; c will always be zero", cell->name);
  c->g->space_kind = SPACE_FIXED_CELL;
  c->g->program = n;
}

/* ---- DAG cells ---- */

static int int_setting(compiler *c, const ptrvec *settings, const char *key, int lo, int hi, int def,
                       int *out) {
  const ast_setting *s = find_setting(settings, key);
  grammar_param p = {key, GV_INT, 1, lo, hi, 0, NULL, 0, {GV_INT, def, def, NULL}, NULL};
  grammar_value v = p.def;
  if (s && !compiler_check_value(c, s->value, &p, &v)) return 0;
  *out = (int)v.i;
  return 1;
}

/* edges: all | K -- every earlier node feeds each node, or each node picks K */
static int dag_edges(compiler *c, const ast_block *dag, grammar_node *n) {
  const ast_setting *edges = find_setting(&dag->settings, "edges");
  if (!edges) return 1;
  if (edges->value->kind == EX_IDENT && !strcmp(edges->value->s, "all")) {
    n->dag_pick = 0;
    return 1;
  }
  grammar_param p = {"edges", GV_INT, 1, 1, 8, 0, NULL, 0, {GV_INT, 0, 0, NULL}, NULL};
  grammar_value v;
  if (edges->value->kind == EX_IDENT) {
    nasl_error(c->d, edges->value->loc, "'edges' is 'all' or the number of inputs each node picks");
    return 0;
  }
  if (!compiler_check_value(c, edges->value, &p, &v)) return 0;
  n->dag_pick = (int)v.i;
  return 1;
}

/* output: last | concat | unused */
static int dag_output(compiler *c, const ast_block *dag, grammar_node *n) {
  const ast_setting *out = find_setting(&dag->settings, "output");
  if (!out) return 1;
  static const char *const outs[] = {"last", "concat", "unused"};
  grammar_param p = {"output", GV_SYMBOL, 0, 0, 0, 3, (const char **)outs, 0, {GV_SYMBOL, 0, 0, NULL}, NULL};
  grammar_value v;
  if (!compiler_check_value(c, out->value, &p, &v)) return 0;
  n->dag_output = !strcmp(v.sym, "last") ? DAG_OUTPUT_LAST : !strcmp(v.sym, "concat") ? DAG_OUTPUT_CONCAT
                                                                                       : DAG_OUTPUT_UNUSED;
  return 1;
}

/* inputs: I; nodes: N; edges: ...; output: ... -- the cell's shape */
static int dag_shape(compiler *c, const ast_block *dag, grammar_node *n) {
  if (!int_setting(c, &dag->settings, "inputs", 1, 8, 1, &n->dag_inputs)) return 0;
  if (!find_setting(&dag->settings, "nodes")) {
    nasl_error(c->d, dag->loc, "a dag needs 'nodes: N' (all nodes, inputs included)");
    return 0;
  }
  if (!int_setting(c, &dag->settings, "nodes", n->dag_inputs + 1, 64, 4, &n->dag_nodes)) return 0;
  return dag_edges(c, dag, n) && dag_output(c, dag, n);
}

/* Is op the same operation, with the same arguments, as one of the first
 * `before` edge operations already added to n? */
static int edge_op_listed(const grammar_node *n, const grammar_node *op, int before) {
  for (int k = 0; k < before; k++) {
    const grammar_node *prev = n->children[k];
    int same = prev->op == op->op;
    for (int a = 0; same && a < op->op->nparams; a++) same = compiler_values_equal(&prev->args[a].fixed, &op->args[a].fixed);
    if (same) return 1;
  }
  return 0;
}

/* One element of ops: [...], the i-th: an operation with fixed arguments
 * that takes one input, since an edge carries one. */
static int add_edge_op(compiler *c, scope *sc, const ast_expr *e, grammar_node *n, int i, grammar_value *vocab) {
  if (e->kind == EX_CALL)
    for (int k = 0; k < e->args.n; k++)
      if (((ast_arg *)e->args.items[k])->value->kind == EX_LIST) {
        nasl_error(c->d, ((ast_arg *)e->args.items[k])->value->loc,
                   "arguments of an edge operation are fixed; list each variant as its own operation");
        return 0;
      }
  grammar_node *op = compiler_lower_op_call(c, sc, e, NULL, 0);
  if (!op) return 0;
  if (edge_op_listed(n, op, i)) {
    nasl_error(c->d, e->loc, "this edge operation is listed twice");
    return 0;
  }
  if (op->op->role == OP_ROLE_COMBINE) {
    nasl_error(c->d, e->loc, "'%s' combines two inputs and cannot sit on an edge", op->op->name);
    return 0;
  }
  compiler_node_add(c, n, op);
  n->dag_ops[i] = op->name;
  vocab[i] = (grammar_value){GV_SYMBOL, 0, 0, op->name};
  return 1;
}

/* ops: op | [op, ...] -- the operations an edge chooses from, as n's
 * children; returns their names as a decision vocabulary, NULL after
 * reporting. */
static grammar_value *dag_edge_ops(compiler *c, const ast_block *dag, grammar_node *n) {
  const ast_setting *ops = find_setting(&dag->settings, "ops");
  if (!ops) {
    nasl_error(c->d, dag->loc, "a dag needs 'ops: [...]', the operations an edge chooses from");
    return NULL;
  }
  ptrvec one = {0};
  const ptrvec *list = &ops->value->items;
  if (ops->value->kind != EX_LIST) {
    ptrvec_push(&c->ast, &one, ops->value);
    list = &one;
  }
  if (list->n == 0) {
    nasl_error(c->d, ops->value->loc, "an empty choice of edge operations");
    return NULL;
  }
  n->dag_nops = list->n;
  n->dag_ops = arena_alloc(&c->g->mem, sizeof(char *) * (size_t)list->n);
  grammar_value *vocab = arena_alloc(&c->g->mem, sizeof *vocab * (size_t)list->n);
  scope sc = {.prefix = "dag"};
  for (int i = 0; i < list->n; i++)
    if (!add_edge_op(c, &sc, list->items[i], n, i, vocab)) return NULL;
  return vocab;
}

/* The decisions of every node after the inputs: with edges: all, an
 * operation for the edge from each earlier node; with edges: K, for each
 * of K picks an earlier node and an operation. */
static void dag_decisions(compiler *c, grammar_node *n, const grammar_value *vocab) {
  int per = n->dag_pick ? 2 * n->dag_pick : n->dag_nodes;
  n->dag_decisions = arena_alloc(&c->g->mem, sizeof(int) * (size_t)(per * n->dag_nodes));
  for (int i = 0; i < per * n->dag_nodes; i++) n->dag_decisions[i] = -1;
  for (int i = n->dag_inputs; i < n->dag_nodes; i++) {
    c->layer = i; /* the node the decisions belong to: the controller's attention keys on it */
    if (!n->dag_pick) {
      for (int j = 0; j < i; j++)
        n->dag_decisions[i * per + j] =
            compiler_decision_categorical(c, arena_printf(&c->ast, "node[%d].edge[%d]", i, j), "edge", vocab, n->dag_nops);
    } else {
      for (int m = 0; m < n->dag_pick; m++)
        n->dag_decisions[i * per + 2 * m] =
            compiler_decision_pointer(c, arena_printf(&c->ast, "node[%d].input[%d]", i, m), "input", 0, i);
      for (int m = 0; m < n->dag_pick; m++)
        n->dag_decisions[i * per + 2 * m + 1] =
            compiler_decision_categorical(c, arena_printf(&c->ast, "node[%d].op[%d]", i, m), "op", vocab, n->dag_nops);
    }
  }
  c->layer = -1;
}

/* block -> dag { settings }: an ENAS, DARTS or NAS-Bench-201 cell */
static void lower_dag(compiler *c, const ast_block *dag) {
  static const char *const keys[] = {"inputs", "nodes", "edges", "ops", "output"};
  if (!known_settings(c, &dag->settings, "dag", keys, 5)) return;
  grammar_node *n = compiler_node_new(c, GN_DAG);
  if (!dag_shape(c, dag, n)) return;
  grammar_value *vocab = dag_edge_ops(c, dag, n);
  if (!vocab) return;
  dag_decisions(c, n, vocab);
  c->g->space_kind = SPACE_DAG_CELL;
  c->g->program = n;
}

void compiler_lower_cell(compiler *c, ast_decl *cell) {
  const ast_block *tree = NULL, *inject = NULL, *dag = NULL, *node = NULL;
  for (int i = 0; i < cell->blocks.n; i++) {
    const ast_block *b = cell->blocks.items[i];
    const ast_block **slot = NULL;
    const char *what = NULL;
    switch (b->kind) {
      case BL_TREE: slot = &tree; what = "tree"; break;
      case BL_INJECT: slot = &inject; what = "inject"; break;
      case BL_DAG: slot = &dag; what = "dag"; break;
      case BL_NODE: if (!node) node = b; continue;
      case BL_SETTING: continue;
      default:
        nasl_error(c->d, b->loc, "'%s' blocks belong in a space; a cell holds tree, inject, dag or node equations",
                   b->kind == BL_HEAD ? "head" : b->kind == BL_LAYER ? "layer" : "layers");
        return;
    }
    if (*slot) {
      nasl_error(c->d, b->loc, "a cell has one '%s' block", what);
      nasl_note(c->d, (*slot)->loc, "the first one is here");
      return;
    }
    *slot = b;
  }
  int shapes = !!tree + !!dag + !!node;
  if (shapes > 1) {
    const ast_block *second = dag && (tree || node) ? dag : node;
    nasl_error(c->d, second->loc, "a cell is a searched tree, a dag, or fixed equations, not several");
    return;
  }
  if (inject && !tree) {
    nasl_error(c->d, inject->loc, "'inject' belongs with a 'tree' block");
    return;
  }
  if (tree || dag) {
    for (int i = 0; i < cell->blocks.n; i++) {
      const ast_block *b = cell->blocks.items[i];
      if (b->kind == BL_SETTING) {
        nasl_error(c->d, b->loc, "'%s' is a setting of fixed cells; a %s cell keeps its settings inside its block",
                   b->setting->key, tree ? "tree" : "dag");
        return;
      }
    }
  }
  if (tree) lower_tree(c, tree, inject);
  else if (dag) lower_dag(c, dag);
  else if (node) lower_fixed(c, cell);
  else nasl_error(c->d, cell->name_loc, "cell '%s' is empty; give it a tree, a dag or node equations", cell->name);
}
