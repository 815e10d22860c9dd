/* recipe.c: the train and search blocks become typed records.
 *
 * Each block is described by a table of keys (name, kind, range, where the
 * value goes); the built-in calls a value may be (sgd(...), lstm(...),
 * cifar10(...)) are described by grammar_param schemas, the same type that
 * operations use, so they are bound and checked by the same code. */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "compiler/internal.h"

#define P_INT(n, lo, hi, d, doc) {n, GV_INT, 1, lo, hi, 0, NULL, 0, {GV_INT, d, d, NULL}, doc}
#define P_FLOAT(n, lo, hi, d, doc) {n, GV_FLOAT, 1, lo, hi, 0, NULL, 0, {GV_FLOAT, 0, d, NULL}, doc}
#define P_BOOL(n, d, doc) {n, GV_BOOL, 0, 0, 0, 0, NULL, 0, {GV_BOOL, d, 0, NULL}, doc}
#define P_STR(n, d, doc) {n, GV_STRING, 0, 0, 0, 0, NULL, 0, {GV_STRING, 0, 0, d}, doc}
#define P_STR_REQ(n, doc) {n, GV_STRING, 0, 0, 0, 0, NULL, 1, {GV_STRING, 0, 0, NULL}, doc}

/* ---- built-in calls ---- */

typedef struct call_schema {
  const char *name;             /* the callee */
  int tag;                      /* what it means to the filler */
  int nparams;                  /* parameters */
  const grammar_param *params;
} call_schema;

static const grammar_param sgd_params[] = {
    P_FLOAT("lr", 0, 100, 0.1, "learning rate"),
    P_FLOAT("momentum", 0, 1, 0, "momentum"),
    P_BOOL("nesterov", 0, "Nesterov momentum"),
    P_FLOAT("weight_decay", 0, 1, 0, "L2 penalty added to the gradient")};
static const grammar_param adam_params[] = {
    P_FLOAT("lr", 0, 100, 1e-3, "learning rate"),
    P_FLOAT("beta1", 0, 1, 0.9, "first-moment decay"),
    P_FLOAT("beta2", 0, 1, 0.999, "second-moment decay"),
    P_FLOAT("eps", 0, 1, 1e-8, "denominator guard"),
    P_FLOAT("weight_decay", 0, 1, 0, "L2 penalty added to the gradient")};
static const call_schema optimizers[] = {
    {"sgd", OPTIM_SGD, 4, sgd_params}, {"adam", OPTIM_ADAM, 5, adam_params}};

static const grammar_param step_params[] = {
    P_INT("every", 1, 1000000, 10, "epochs between decays"),
    P_FLOAT("gamma", 0, 1, 0.1, "factor applied at each decay")};
static const grammar_param cosine_params[] = {P_FLOAT("min_lr", 0, 100, 0, "final learning rate")};
static const call_schema schedules[] = {
    {"constant", SCHED_CONSTANT, 0, NULL}, {"step", SCHED_STEP, 2, step_params},
    {"cosine", SCHED_COSINE, 1, cosine_params}};

static const grammar_param lstm_params[] = {
    P_INT("layers", 1, 8, 2, "LSTM layers"), P_INT("hidden", 1, 4096, 35, "hidden units per layer"),
    P_FLOAT("init", 0, 10, 0.08, "weights start uniform in [-init, init]")};
static const call_schema controllers[] = {{"lstm", 0, 3, lstm_params}};

static const grammar_param ema_params[] = {P_FLOAT("decay", 0, 1, 0.95, "weight of the old baseline")};
static const call_schema baselines[] = {{"ema", 0, 1, ema_params}};

static const grammar_param table_params[] = {P_STR_REQ("file", "CSV file of rewards"),
                                             P_STR_REQ("column", "column holding the reward"),
                                             P_STR("key", "ArchitectureString", "column holding the architecture strings")};
static const grammar_param shared_params[] = {
    P_INT("steps", 1, 1000000, 100, "shared-weight training steps per batch of samples"),
    P_INT("valid", 1, 1000000, 1000, "validation images that judge one architecture"),
    P_INT("rank", 0, 10000, 20, "architectures drawn at the end and ranked on the whole validation split")};
static const call_schema evaluators[] = {
    {"train", EVAL_TRAIN, 0, NULL}, {"table", EVAL_TABLE, 3, table_params}, {"shared", EVAL_SHARED, 3, shared_params}};

enum { L_FASHION, L_MNIST, L_CIFAR10, L_CIFAR100, L_TEXT, L_PTB, L_KJV };
/* IDX labels are bytes: at most 256 classes */
static const grammar_param fashion_params[] = {
    P_STR("dir", "/usr/share/datasets/fashion-mnist", "directory of the IDX files"),
    P_INT("classes", 2, 256, 10, "classes of the labels, 0..classes-1")};
static const grammar_param mnist_params[] = {P_STR("dir", "/usr/share/datasets/mnist", "directory of the IDX files"),
                                             P_INT("classes", 2, 256, 10, "classes of the labels, 0..classes-1")};
static const grammar_param cifar10_params[] = {P_STR("dir", "data/cifar-10-batches-bin", "directory of the batches")};
static const grammar_param cifar100_params[] = {P_STR("dir", "data/cifar-100-binary", "directory of train.bin, test.bin")};
static const grammar_param text_params[] = {
    P_STR_REQ("train", "training text"), P_STR("valid", "", "validation text (default: split from train)"),
    P_STR("test", "", "test text (default: split from train)"),
    P_INT("vocab", 2, 10000000, 10000, "most frequent words kept; the rest become <unk>")};
static const grammar_param ptb_params[] = {
    P_STR("dir", "data/ptb", "directory of ptb.train.txt, ptb.valid.txt, ptb.test.txt"),
    P_INT("vocab", 2, 10000000, 10000, "most frequent words kept")};
static const grammar_param kjv_params[] = {P_INT("vocab", 2, 10000000, 10000, "most frequent words kept")};
static const call_schema loaders[] = {
    {"fashion_mnist", L_FASHION, 2, fashion_params}, {"mnist", L_MNIST, 2, mnist_params},
    {"cifar10", L_CIFAR10, 1, cifar10_params},       {"cifar100", L_CIFAR100, 1, cifar100_params},
    {"text", L_TEXT, 4, text_params},                {"ptb", L_PTB, 2, ptb_params},
    {"kjv", L_KJV, 1, kjv_params}};

#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* Binds a call (or bare name) against one of the schemas; values[] gets one
 * entry per parameter. Returns the schema or NULL after reporting. */
static const call_schema *bind_call(compiler *c, const ast_expr *e, const char *key, const call_schema *schemas,
                                    int n, grammar_value *values) {
  const char *name = (e->kind == EX_CALL || e->kind == EX_IDENT) ? e->s : NULL;
  const call_schema *s = NULL;
  for (int i = 0; name && i < n; i++)
    if (!strcmp(schemas[i].name, name)) s = &schemas[i];
  if (!s) {
    const char *names[16];
    strbuf b;
    strbuf_init(&b);
    for (int i = 0; i < n; i++) {
      names[i] = schemas[i].name;
      strbuf_printf(&b, "%s%s(...)", i ? (i == n - 1 ? " or " : ", ") : "", names[i]);
    }
    const char *sg = name ? nasl_suggest(name, names, n) : NULL;
    if (sg) nasl_error(c->d, e->loc, "unknown %s '%s'; did you mean '%s'?", key, name, sg);
    else if (name) nasl_error(c->d, e->loc, "unknown %s '%s'; it is %s", key, name, b.data);
    else nasl_error(c->d, e->loc, "the %s is %s, not %s", key, b.data, ast_expr_describe(&c->ast, e));
    strbuf_free(&b);
    return NULL;
  }
  bound_arg args[8];
  const char *what = arena_printf(&c->ast, "'%s'", s->name);
  if (!compiler_bind_args(c, e, what, s->params, s->nparams, args)) return NULL;
  for (int i = 0; i < s->nparams; i++) {
    values[i] = s->params[i].def;
    if (args[i].expr && !compiler_check_value(c, args[i].expr, &s->params[i], &values[i])) return NULL;
  }
  return s;
}

static int fill_optimizer(compiler *c, const ast_expr *e, grammar_optimizer *o) {
  grammar_value v[8];
  const call_schema *s = bind_call(c, e, "optimizer", optimizers, COUNT(optimizers), v);
  if (!s) return 0;
  memset(o, 0, sizeof *o);
  o->kind = (grammar_optimizer_kind)s->tag;
  o->lr = v[0].f;
  if (o->kind == OPTIM_SGD) {
    o->momentum = v[1].f;
    o->nesterov = (int)v[2].i;
    o->weight_decay = v[3].f;
    if (o->nesterov && o->momentum == 0)
      nasl_warning(c->d, e->loc, "Nesterov momentum with momentum 0 is plain SGD");
  } else {
    o->beta1 = v[1].f;
    o->beta2 = v[2].f;
    o->eps = v[3].f;
    o->weight_decay = v[4].f;
  }
  if (o->lr <= 0) {
    nasl_error(c->d, e->loc, "the learning rate must be positive");
    return 0;
  }
  return 1;
}

static int fill_dataset(compiler *c, const ast_expr *e, const char *name, grammar_dataset *ds) {
  grammar_value v[8];
  const call_schema *s = bind_call(c, e, "dataset loader", loaders, COUNT(loaders), v);
  if (!s) return 0;
  memset(ds, 0, sizeof *ds);
  ds->name = arena_strdup(&c->g->mem, name ? name : s->name);
  ds->loader = s->name;
  switch (s->tag) {
    case L_FASHION: case L_MNIST: case L_CIFAR10: case L_CIFAR100: case L_PTB:
      ds->dir = arena_strdup(&c->g->mem, compiler_resolve_path(c, e->loc, v[0].sym));
      if (s->tag == L_PTB) ds->vocab = (int)v[1].i;
      if (s->tag == L_FASHION || s->tag == L_MNIST) ds->classes = (int)v[1].i;
      if (s->tag == L_CIFAR10 || s->tag == L_CIFAR100) ds->classes = s->tag == L_CIFAR10 ? 10 : 100;
      break;
    case L_TEXT:
      ds->train = arena_strdup(&c->g->mem, compiler_resolve_path(c, e->loc, v[0].sym));
      ds->valid = v[1].sym[0] ? arena_strdup(&c->g->mem, compiler_resolve_path(c, e->loc, v[1].sym)) : NULL;
      ds->test = v[2].sym[0] ? arena_strdup(&c->g->mem, compiler_resolve_path(c, e->loc, v[2].sym)) : NULL;
      ds->vocab = (int)v[3].i;
      break;
    case L_KJV: ds->vocab = (int)v[0].i; break;
  }
  return 1;
}

/* A dataset by declared name, or a loader written in place. */
static int fill_data(compiler *c, const ast_expr *e, grammar_dataset *ds) {
  if (e->kind == EX_IDENT) {
    for (int i = 0; i < c->datasets.n; i++) {
      ast_decl *d = c->datasets.items[i];
      if (!strcmp(d->name, e->s)) return fill_dataset(c, d->value, d->name, ds);
    }
    for (int i = 0; i < COUNT(loaders); i++)
      if (!strcmp(loaders[i].name, e->s)) return fill_dataset(c, e, NULL, ds);
    const char **names = arena_alloc(&c->ast, sizeof(char *) * (size_t)(c->datasets.n + COUNT(loaders)));
    int nn = 0;
    for (int i = 0; i < c->datasets.n; i++) names[nn++] = ((ast_decl *)c->datasets.items[i])->name;
    for (int i = 0; i < COUNT(loaders); i++) names[nn++] = loaders[i].name;
    const char *sg = nasl_suggest(e->s, names, nn);
    if (sg) nasl_error(c->d, e->loc, "unknown dataset '%s'; did you mean '%s'?", e->s, sg);
    else nasl_error(c->d, e->loc, "unknown dataset '%s'; declare it with 'dataset %s = fashion_mnist()' or name a loader", e->s, e->s);
    return 0;
  }
  return fill_dataset(c, e, NULL, ds);
}

/* ---- the reward formula ---- */

static grammar_reward *reward_node(compiler *c, grammar_reward_kind kind) {
  grammar_reward *r = arena_alloc(&c->g->mem, sizeof *r);
  r->kind = kind;
  return r;
}

static const char *const series_names[] = {"valid_accuracy", "valid_loss", "valid_perplexity"};
static const char *const scalar_names[] = {"params", "flops", "table"};
static const char *const reduce_names[] = {"max", "min", "mean", "last"};

static grammar_reward *lower_reward(compiler *c, const ast_expr *e, int depth) {
  if (depth > 100) {
    nasl_error(c->d, e->loc, "the reward formula nests too deeply");
    return NULL;
  }
  grammar_reward *r;
  switch (e->kind) {
    case EX_INT:
    case EX_FLOAT:
      r = reward_node(c, RW_NUMBER);
      r->number = e->kind == EX_INT ? (double)e->i : e->f;
      return r;
    case EX_NEG:
      r = reward_node(c, RW_NEG);
      return (r->lhs = lower_reward(c, e->lhs, depth + 1)) ? r : NULL;
    case EX_BINOP:
      r = reward_node(c, RW_BINARY);
      r->op = e->op;
      r->lhs = lower_reward(c, e->lhs, depth + 1);
      r->rhs = lower_reward(c, e->rhs, depth + 1);
      return r->lhs && r->rhs ? r : NULL;
    case EX_IDENT:
      for (int i = 0; i < 3; i++)
        if (!strcmp(e->s, scalar_names[i])) {
          r = reward_node(c, RW_SCALAR);
          r->scalar = (grammar_scalar)i;
          return r;
        }
      for (int i = 0; i < 3; i++)
        if (!strcmp(e->s, series_names[i])) {
          nasl_error(c->d, e->loc,
                     "'%s' is a series with one value per epoch; reduce it, e.g. max(%s, last: 5)", e->s, e->s);
          return NULL;
        }
      {
        const char *all[] = {"valid_accuracy", "valid_loss", "valid_perplexity", "params", "flops", "table"};
        const char *sg = nasl_suggest(e->s, all, 6);
        if (sg) nasl_error(c->d, e->loc, "unknown name '%s' in the reward; did you mean '%s'?", e->s, sg);
        else nasl_error(c->d, e->loc, "unknown name '%s' in the reward; see nasl(5), REWARD", e->s);
      }
      return NULL;
    case EX_CALL: {
      int fn = -1;
      for (int i = 0; i < 4; i++)
        if (!strcmp(e->s, reduce_names[i])) fn = i;
      if (fn < 0) {
        const char *sg = nasl_suggest(e->s, reduce_names, 4);
        if (sg) nasl_error(c->d, e->loc, "unknown function '%s' in the reward; did you mean '%s'?", e->s, sg);
        else nasl_error(c->d, e->loc, "unknown function '%s' in the reward; the functions are max, min, mean and last", e->s);
        return NULL;
      }
      static const grammar_param params[] = {
          {"series", GV_SYMBOL, 0, 0, 0, 3, (const char **)series_names, 1, {GV_SYMBOL, 0, 0, NULL}, NULL},
          P_INT("last", 1, 1000000, 0, "epochs at the end to reduce over")};
      bound_arg args[2];
      const char *what = arena_printf(&c->ast, "'%s'", e->s);
      if (!compiler_bind_args(c, e, what, params, fn == REDUCE_LAST ? 1 : 2, args)) return NULL;
      grammar_value series, last = {GV_INT, 0, 0, NULL};
      if (!compiler_check_value(c, args[0].expr, &params[0], &series)) return NULL;
      if (fn != REDUCE_LAST && args[1].expr && !compiler_check_value(c, args[1].expr, &params[1], &last)) return NULL;
      r = reward_node(c, RW_REDUCE);
      r->reduce = (grammar_reduce)fn;
      r->last = fn == REDUCE_LAST ? 1 : (int)last.i;
      for (int i = 0; i < 3; i++)
        if (!strcmp(series.sym, series_names[i])) r->series = (grammar_series)i;
      return r;
    }
    default:
      nasl_error(c->d, e->loc, "the reward is a formula of numbers, reductions and + - * / ^, not %s",
                 ast_expr_describe(&c->ast, e));
      return NULL;
  }
}

/* ---- blocks ---- */

typedef enum key_kind {
  K_INT, K_FLOAT, K_BOOL, K_SEED, K_DATA, K_OPTIMIZER, K_SCHEDULE, K_CONTROLLER, K_BASELINE, K_REWARD, K_EVALUATOR
} key_kind;

typedef struct recipe_key {
  const char *key;    /* setting name */
  key_kind kind;      /* how the value is read */
  double lo, hi;      /* range of numbers */
  size_t offset;      /* where it goes in the record */
} recipe_key;

#define T(f) offsetof(grammar_train, f)
/* the keys of a training recipe, shared by the train and final blocks */
#define TRAIN_KEYS                                                                                      \
  {"data", K_DATA, 0, 0, T(data)}, {"valid", K_INT, 0, 1e8, T(valid)}, {"subset", K_INT, 0, 1e9, T(subset)}, \
      {"test", K_INT, 0, 1e9, T(test)}, {"epochs", K_INT, 1, 1e6, T(epochs)},                            \
      {"batch", K_INT, 1, 65536, T(batch)}, {"optimizer", K_OPTIMIZER, 0, 0, T(optimizer)},              \
      {"schedule", K_SCHEDULE, 0, 0, T(schedule)}, {"clip", K_FLOAT, 0, 1e9, T(clip)},                    \
      {"crop", K_INT, 0, 64, T(crop)}, {"flip", K_BOOL, 0, 0, T(flip)}, {"bptt", K_INT, 1, 10000, T(bptt)}, \
      {"hidden", K_INT, 1, 65536, T(hidden)}, {"layers", K_INT, 1, 16, T(layers)},                        \
      {"embedding", K_INT, 0, 65536, T(embed)}, {"dropout", K_FLOAT, 0, 0.99, T(dropout)},                 \
      {"clip_state", K_FLOAT, 0, 1e9, T(clip_state)},                                                    \
      {"channels", K_INT, 1, 1024, T(channels)}, {"cells", K_INT, 1, 32, T(cells)},                       \
      {"seed", K_SEED, 0, 0, T(seed)}
static const recipe_key train_keys[] = {TRAIN_KEYS};
/* final { ... }: the train keys, and how many architectures to retrain */
static const recipe_key final_keys[] = {{"top", K_INT, 1, 20, T(top)}, /* SEARCH_FINAL_MAX */ TRAIN_KEYS};
#undef TRAIN_KEYS
#undef T
#define S(f) offsetof(grammar_search, f)
static const recipe_key search_keys[] = {
    {"controller", K_CONTROLLER, 0, 0, 0},
    {"optimizer", K_OPTIMIZER, 0, 0, S(optimizer)},
    {"baseline", K_BASELINE, 0, 0, S(baseline_decay)},
    {"batch", K_INT, 1, 100000, S(batch)},
    {"samples", K_INT, 1, 1e9, S(samples)},
    {"minutes", K_FLOAT, 0, 1e7, S(minutes)},
    {"reward", K_REWARD, 0, 0, S(reward)},
    {"temperature", K_FLOAT, 1e-3, 1e3, S(temperature)},
    {"tanh_constant", K_FLOAT, 0, 1e3, S(tanh_constant)},
    {"entropy", K_FLOAT, 0, 1e3, S(entropy)},
    {"seed", K_SEED, 0, 0, S(seed)},
    {"evaluator", K_EVALUATOR, 0, 0, 0},
};
#undef S

/* A key the block's table does not have: the nearest key if one is close,
 * else the whole list, since a recipe's keys are few enough to read. */
static void report_unknown_setting(compiler *c, const ast_setting *s, const char *what, const recipe_key *keys,
                                   int nkeys) {
  const char *names[32];
  strbuf b;
  strbuf_init(&b);
  for (int j = 0; j < nkeys; j++) {
    names[j] = keys[j].key;
    strbuf_printf(&b, "%s%s", j ? ", " : "", keys[j].key);
  }
  const char *sg = nasl_suggest(s->key, names, nkeys);
  if (sg) nasl_error(c->d, s->key_loc, "unknown %s setting '%s'; did you mean '%s'?", what, s->key, sg);
  else nasl_error(c->d, s->key_loc, "unknown %s setting '%s'; the settings are %s", what, s->key, b.data);
  strbuf_free(&b);
}

static const recipe_key *key_named(const recipe_key *keys, int nkeys, const char *name) {
  const recipe_key *k = NULL;
  for (int j = 0; j < nkeys; j++)
    if (!strcmp(keys[j].key, name)) k = &keys[j];
  return k;
}

static int set_before(const ast_decl *block, int i) {
  const ast_setting *s = block->settings.items[i];
  for (int j = 0; j < i; j++)
    if (!strcmp(((ast_setting *)block->settings.items[j])->key, s->key)) return 1;
  return 0;
}

/* key: number | true | false, in the range the key's table entry gives */
static void fill_number(compiler *c, const ast_expr *value, const recipe_key *k, void *at) {
  grammar_param p = {k->key, GV_INT, 1, k->lo, k->hi, 0, NULL, 0, {GV_INT, 0, 0, NULL}, NULL};
  grammar_value v;
  switch (k->kind) {
    case K_FLOAT:
      p.type = GV_FLOAT;
      if (compiler_check_value(c, value, &p, &v)) *(double *)at = v.f;
      break;
    case K_BOOL:
      p.type = GV_BOOL;
      if (compiler_check_value(c, value, &p, &v)) *(int *)at = (int)v.i;
      break;
    case K_SEED: /* up to 2^53 - 1: compiler_check_value reads numbers as doubles */
      p.lo = 0;
      p.hi = 9007199254740991.0;
      if (compiler_check_value(c, value, &p, &v)) *(int64_t *)at = v.i;
      break;
    default:
      if (compiler_check_value(c, value, &p, &v)) *(int *)at = (int)v.i;
      break;
  }
}

/* schedule: constant | step(every, gamma) | cosine(min_lr) */
static void fill_schedule(compiler *c, const ast_expr *value, grammar_schedule *sch) {
  grammar_value sv[4];
  const call_schema *sc = bind_call(c, value, "schedule", schedules, COUNT(schedules), sv);
  if (!sc) return;
  memset(sch, 0, sizeof *sch);
  sch->kind = (grammar_schedule_kind)sc->tag;
  if (sch->kind == SCHED_STEP) {
    sch->every = (int)sv[0].i;
    sch->gamma = sv[1].f;
  } else if (sch->kind == SCHED_COSINE) {
    sch->min_lr = sv[0].f;
  }
}

/* controller: lstm(layers, hidden, init) */
static void fill_controller(compiler *c, const ast_expr *value, grammar_search *se) {
  grammar_value cv[4];
  if (!bind_call(c, value, "controller", controllers, COUNT(controllers), cv)) return;
  se->controller_layers = (int)cv[0].i;
  se->controller_hidden = (int)cv[1].i;
  se->controller_init = cv[2].f;
}

/* reward: formula; its text is kept for the log and the report */
static void fill_reward(compiler *c, const ast_expr *value, grammar_search *se) {
  se->reward = lower_reward(c, value, 0);
  const nasl_source *src = nasl_diag_source(c->d, value->loc.file);
  if (src)
    se->reward_text =
        arena_strndup(&c->g->mem, src->text + value->loc.start, (size_t)(value->loc.end - value->loc.start));
}

/* evaluator: train | table(file, column, key) | shared(steps, valid, rank) */
static void fill_evaluator(compiler *c, const ast_expr *value, grammar_search *se) {
  grammar_value ev[4];
  const call_schema *sc = bind_call(c, value, "evaluator", evaluators, COUNT(evaluators), ev);
  if (!sc) return;
  se->evaluator = (grammar_evaluator)sc->tag;
  if (se->evaluator == EVAL_TABLE) {
    se->table_file = arena_strdup(&c->g->mem, compiler_resolve_path(c, value->loc, ev[0].sym));
    se->table_column = ev[1].sym;
    se->table_key = ev[2].sym;
  } else if (se->evaluator == EVAL_SHARED) {
    se->shared_steps = (int)ev[0].i;
    se->shared_valid = (int)ev[1].i;
    se->shared_rank = (int)ev[2].i;
  }
}

/* setting -> name : expr, in a train or search block; record is the block's
 * record, and the key's table entry says where in it the value goes. */
static void fill_setting(compiler *c, const ast_setting *s, const recipe_key *k, void *record) {
  void *at = (char *)record + k->offset;
  switch (k->kind) {
    case K_INT:
    case K_FLOAT:
    case K_BOOL:
    case K_SEED: fill_number(c, s->value, k, at); break;
    case K_DATA: fill_data(c, s->value, at); break;
    case K_OPTIMIZER: fill_optimizer(c, s->value, at); break;
    case K_SCHEDULE: fill_schedule(c, s->value, at); break;
    case K_CONTROLLER: fill_controller(c, s->value, record); break;
    case K_BASELINE: {
      grammar_value bv[2];
      if (bind_call(c, s->value, "baseline", baselines, COUNT(baselines), bv)) *(double *)at = bv[0].f;
      break;
    }
    case K_REWARD: fill_reward(c, s->value, record); break;
    case K_EVALUATOR: fill_evaluator(c, s->value, record); break;
  }
}

/* train { settings } | search NAME { settings }: each setting checked
 * against the block's table; unknown and repeated keys are reported and
 * skipped so the rest of the block is still checked. */
static void fill_block(compiler *c, const ast_decl *block, const char *what, const recipe_key *keys, int nkeys,
                       void *record) {
  for (int i = 0; i < block->settings.n; i++) {
    const ast_setting *s = block->settings.items[i];
    const recipe_key *k = key_named(keys, nkeys, s->key);
    if (!k) report_unknown_setting(c, s, what, keys, nkeys);
    else if (set_before(block, i)) nasl_error(c->d, s->key_loc, "'%s' is set twice", s->key);
    else fill_setting(c, s, k, record);
  }
}

/* The image reward: the cube of the best validation accuracy of the last
 * five epochs, as in the paper. */
static void default_accuracy_reward(compiler *c, grammar_search *s) {
  grammar_reward *acc = reward_node(c, RW_REDUCE);
  acc->series = SERIES_VALID_ACCURACY;
  acc->reduce = REDUCE_MAX;
  acc->last = 5;
  grammar_reward *three = reward_node(c, RW_NUMBER);
  three->number = 3;
  grammar_reward *r = reward_node(c, RW_BINARY);
  r->op = '^';
  r->lhs = acc;
  r->rhs = three;
  s->reward = r;
  s->reward_text = "max(valid_accuracy, last: 5) ^ 3";
}

/* The language-model reward: c / perplexity^2 with c = 80, as in the paper. */
static void default_perplexity_reward(compiler *c, grammar_search *s) {
  grammar_reward *ppl = reward_node(c, RW_REDUCE);
  ppl->series = SERIES_VALID_PERPLEXITY;
  ppl->reduce = REDUCE_MIN;
  grammar_reward *two = reward_node(c, RW_NUMBER), *sq = reward_node(c, RW_BINARY);
  two->number = 2;
  sq->op = '^';
  sq->lhs = ppl;
  sq->rhs = two;
  grammar_reward *eighty = reward_node(c, RW_NUMBER), *r = reward_node(c, RW_BINARY);
  eighty->number = 80;
  r->op = '/';
  r->lhs = eighty;
  r->rhs = sq;
  s->reward = r;
  s->reward_text = "80 / min(valid_perplexity) ^ 2";
}

static const ast_setting *setting_of(const ast_decl *block, const char *key) {
  for (int i = 0; block && i < block->settings.n; i++) {
    const ast_setting *st = block->settings.items[i];
    if (!strcmp(st->key, key)) return st;
  }
  return NULL;
}

/* A training recipe t whose settings are each valid but cannot work
 * together; block is the train or final block that wrote it (or NULL), and
 * messages point at the setting written there, else at the block. */
static void check_recipe(compiler *c, const ast_decl *block, const grammar_train *t) {
  const grammar *g = c->g;
  const ast_setting *st;
  /* settings that only one kind of child reads */
  static const char *const lm_only[] = {"bptt", "hidden", "layers", "embedding", "dropout", "clip_state"};
  static const char *const image_only[] = {"valid", "crop", "flip"};
  static const char *const dag_only[] = {"channels", "cells"};
  static const char *const kinds[] = {"CNN", "recurrent-cell", "recurrent-cell", "DAG-cell"};
  int cell = grammar_is_lm(g);
  int nkeys = cell ? (int)(sizeof image_only / sizeof *image_only) : (int)(sizeof lm_only / sizeof *lm_only);
  for (int i = 0; i < nkeys; i++) {
    const char *key = cell ? image_only[i] : lm_only[i];
    if ((st = setting_of(block, key)))
      nasl_error(c->d, st->key_loc, "'%s' applies to %s; '%s' is a %s space", key,
                 cell ? "image classifiers (CNN and DAG-cell spaces)" : "language models (recurrent-cell spaces)",
                 g->name, kinds[g->space_kind]);
  }
  for (int i = 0; i < 2 && g->space_kind != SPACE_DAG_CELL; i++)
    if ((st = setting_of(block, dag_only[i])))
      nasl_error(c->d, st->key_loc, "'%s' applies to the networks of DAG-cell spaces; '%s' is a %s space", dag_only[i],
                 g->name, kinds[g->space_kind]);
  if (cell && t->data.loader && strcmp(t->data.loader, "text") && strcmp(t->data.loader, "ptb") &&
      strcmp(t->data.loader, "kjv") && (st = setting_of(block, "data")))
    nasl_error(c->d, st->value->loc, "'%s' is a recurrent-cell space: it trains a language model on text (text, ptb or kjv), not on %s",
               g->name, t->data.loader);
  /* the values in force, written or default (or, for the final block, the
   * train block's: those were checked there) */
  if (block && block == c->final && !setting_of(block, "valid") && !setting_of(block, "subset") &&
      !setting_of(block, "batch"))
    return;
  if (t->subset > 0 && t->valid >= t->subset) {
    st = setting_of(block, "valid");
    if (!st) st = setting_of(block, "subset");
    nasl_error(c->d, st ? st->value->loc : block->loc,
               "'valid' holds out %d examples of a subset of %d, leaving none to train on", t->valid, t->subset);
  } else if (t->subset > 0 && t->batch > t->subset - t->valid) {
    st = setting_of(block, "batch");
    if (!st) st = setting_of(block, "subset");
    nasl_error(c->d, st ? st->value->loc : block->loc, "a batch of %d is larger than the %d training examples",
               t->batch, t->subset - t->valid);
  }
}

/* Settings that are each valid but cannot work together. */
static void check_consistency(compiler *c) {
  const grammar *g = c->g;
  const ast_setting *st;
  check_recipe(c, c->train, &g->train);
  if (c->final) check_recipe(c, c->final, &g->final);
  if (!c->search) return;
  const grammar_search *s = &g->search;
  if (s->batch > s->samples && s->strategy == STRATEGY_REINFORCE) {
    st = setting_of(c->search, "batch");
    if (!st) st = setting_of(c->search, "samples");
    nasl_error(c->d, st ? st->value->loc : c->search->loc,
               "a policy update takes %d architectures, but the search draws only %d", s->batch, s->samples);
  }
  if (s->strategy == STRATEGY_RANDOM) {
    static const char *const unused[] = {"controller", "optimizer", "baseline", "temperature", "tanh_constant",
                                         "entropy", "batch"};
    for (int i = 0; i < (int)(sizeof unused / sizeof *unused); i++) {
      if (s->evaluator == EVAL_SHARED && !strcmp(unused[i], "batch")) continue; /* it spaces the shared rounds */
      if ((st = setting_of(c->search, unused[i])))
        nasl_warning(c->d, st->key_loc, "random search has no controller; '%s' is ignored", unused[i]);
    }
  }
  const grammar_node *v = g->variable_stack;
  if (v && v->depth_kind == DEPTH_CURRICULUM && s->samples <= v->every)
    nasl_warning(c->d, c->search->loc,
                 "the depth never grows: the search draws %d architectures and the first growth comes after %d",
                 s->samples, v->every);
}

/* The train recipe before the train block. */
static void default_train(grammar_train *t, int cell) {
  /* the paper's CIFAR-10 recipe scaled to one machine */
  t->valid = cell ? 0 : 5000;
  t->epochs = 10;
  t->batch = cell ? 20 : 64;
  t->optimizer = (grammar_optimizer){OPTIM_SGD, cell ? 1.0 : 0.1, cell ? 0 : 0.9, !cell, cell ? 0 : 1e-4, 0, 0, 0};
  t->schedule.kind = SCHED_CONSTANT;
  t->clip = cell ? 5 : 0;
  t->bptt = 35;
  t->hidden = 200;
  t->layers = 2;
  t->embed = 0;
  t->dropout = cell ? 0.2 : 0;
  t->channels = 16;
  t->cells = 2;
  t->seed = 1;
}

/* dataset NAME = expr: the recipe trains on the one declared, else on the
 * usual data of the space's kind; every declaration is checked, used or not,
 * so a mistake in a spare one does not wait for the day it is used. */
static void fill_datasets(compiler *c, grammar_train *t, int cell) {
  if (c->datasets.n == 1) {
    ast_decl *d = c->datasets.items[0];
    fill_dataset(c, d->value, d->name, &t->data);
  } else {
    ast_expr e = {.kind = EX_IDENT, .loc = NASL_NOLOC, .s = cell ? "kjv" : "fashion_mnist"};
    fill_dataset(c, &e, NULL, &t->data);
  }
  for (int i = 0; i < c->datasets.n; i++) {
    ast_decl *d = c->datasets.items[i];
    grammar_dataset tmp;
    for (int j = 0; j < i; j++)
      if (!strcmp(((ast_decl *)c->datasets.items[j])->name, d->name)) {
        nasl_error(c->d, d->name_loc, "dataset '%s' is declared twice", d->name);
        nasl_note(c->d, ((ast_decl *)c->datasets.items[j])->name_loc, "the first declaration is here");
      }
    if (c->datasets.n > 1) fill_dataset(c, d->value, d->name, &tmp);
  }
}

/* The search recipe before the search block. */
static void default_search(compiler *c, grammar_search *s, int cell) {
  s->strategy = STRATEGY_REINFORCE;
  s->controller_layers = 2;
  s->controller_hidden = 35;
  s->controller_init = 0.08;
  s->optimizer = (grammar_optimizer){OPTIM_ADAM, 6e-4, 0, 0, 0, 0.9, 0.999, 1e-8};
  s->baseline_decay = 0.95;
  s->batch = 8;
  s->samples = 12800;
  s->temperature = 1;
  s->seed = 1;
  s->evaluator = EVAL_TRAIN;
  if (cell) default_perplexity_reward(c, s);
  else default_accuracy_reward(c, s);
}

/* search NAME { ... }: the strategy NAME */
static void fill_strategy(compiler *c, grammar_search *s) {
  static const char *const strategies[] = {"reinforce", "random"};
  const char *name = c->search->name;
  if (!strcmp(name, "reinforce")) s->strategy = STRATEGY_REINFORCE;
  else if (!strcmp(name, "random")) s->strategy = STRATEGY_RANDOM;
  else {
    const char *sg = nasl_suggest(name, strategies, 2);
    if (sg) nasl_error(c->d, c->search->name_loc, "unknown search strategy '%s'; did you mean '%s'?", name, sg);
    else nasl_error(c->d, c->search->name_loc, "unknown search strategy '%s'; it is reinforce or random", name);
  }
}

/* Does the reward formula read the table's column anywhere? */
static int reward_reads_table(const grammar_reward *reward) {
  int uses_table = 0;
  const grammar_reward *stack[64];
  int n = 0;
  if (reward) stack[n++] = reward;
  while (n) {
    const grammar_reward *r = stack[--n];
    if (r->kind == RW_SCALAR && r->scalar == SCALAR_TABLE) uses_table = 1;
    if (r->lhs && n < 63) stack[n++] = r->lhs;
    if (r->rhs && n < 63) stack[n++] = r->rhs;
  }
  return uses_table;
}

/* train { settings } and search NAME { settings }, written over the
 * defaults; settings that only fail together are checked once each block
 * is clean on its own. */
void compiler_fill_recipes(compiler *c) {
  grammar *g = c->g;
  int cell = grammar_is_lm(g); /* DAG-cell networks classify images, as CNN children do */
  default_train(&g->train, cell);
  fill_datasets(c, &g->train, cell);
  if (c->train) {
    g->has_train = 1;
    fill_block(c, c->train, "train", train_keys, COUNT(train_keys), &g->train);
  }
  g->final = g->train; /* the final block changes what it names */
  g->final.top = 1;
  if (c->final) {
    g->has_final = 1;
    fill_block(c, c->final, "final", final_keys, COUNT(final_keys), &g->final);
  }
  grammar_search *s = &g->search;
  default_search(c, s, cell);
  if (c->search) {
    g->has_search = 1;
    fill_strategy(c, s);
    fill_block(c, c->search, "search", search_keys, COUNT(search_keys), s);
    if (s->evaluator == EVAL_TABLE && !reward_reads_table(s->reward))
      nasl_warning(c->d, c->search->loc, "the table evaluator gives no training history; use 'reward: table'");
  }
  if (c->d->errors == 0) check_consistency(c);
}
