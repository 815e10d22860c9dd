/* extern.c: loading plug-in operations and calling them (see extern.h and
 * include/naslc/op.h for the calling convention). */
#include "stdlib/extern.h"

#include <dlfcn.h>
#include <ffi.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/utf8.h"

#define MAX_PARAMS 16

/* One libffi call description: fixed leading arguments, the parameters,
 * the message buffer. */
typedef struct ext_cif {
  ffi_cif cif;                          /* what ffi_call needs */
  ffi_type *types[8 + MAX_PARAMS + 1];  /* the argument types cif points into */
  void *fn;                             /* the symbol, or NULL when not declared */
  int nfixed;                           /* leading arguments */
} ext_cif;

struct nn_extern {
  char *name, *where, *library, *fsym, *bsym, *ssym; /* copies: the grammar may go away */
  grammar_op_role role;                              /* layer or activation */
  int nparams;                                       /* declared parameters */
  grammar_value_kind types[MAX_PARAMS];              /* their types */
  ext_cif shape, forward, backward;                  /* the three functions */
  nn_extern *next;                                   /* the cache's list */
  stdlib_op entry;                                   /* its registry entry (registry.h) */
};

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static nn_extern *cache;

static int same_str(const char *a, const char *b) { return a == b || (a && b && !strcmp(a, b)); }

static char *dup_or_null(const char *s) {
  if (!s) return NULL;
  size_t n = strlen(s) + 1;
  return memcpy(xmalloc(n), s, n);
}

static ffi_type *param_type(grammar_value_kind k) {
  switch (k) {
    case GV_INT: return &ffi_type_sint64;
    case GV_FLOAT: return &ffi_type_double;
    case GV_BOOL: return &ffi_type_sint;
    default: return &ffi_type_pointer;
  }
}

/* fixed: the leading arguments, as 'p' (pointer) or 'i' (int). */
static int prep(nn_extern *x, ext_cif *c, void *fn, const char *fixed) {
  c->fn = fn;
  if (!fn) return 0;
  int n = 0;
  for (const char *f = fixed; *f; f++) c->types[n++] = *f == 'p' ? &ffi_type_pointer : &ffi_type_sint;
  c->nfixed = n;
  for (int i = 0; i < x->nparams; i++) c->types[n++] = param_type(x->types[i]);
  c->types[n++] = &ffi_type_pointer;
  return ffi_prep_cif(&c->cif, FFI_DEFAULT_ABI, (unsigned)n, &ffi_type_sint, c->types) == FFI_OK ? 0 : -1;
}

static void *symbol(void *lib, const nn_extern *x, const char *sym, strbuf *err) {
  if (!sym) return NULL;
  dlerror();
  void *p = dlsym(lib, sym);
  if (!p) strbuf_printf(err, "%s: error: extern op '%s': '%s' has no symbol '%s'", x->where, x->name, x->library, sym);
  return p;
}

static void extern_free(nn_extern *x) {
  free(x->name), free(x->where), free(x->library), free(x->fsym), free(x->bsym), free(x->ssym);
  free(x);
}

static int extern_resolve(stdlib_node *n, stdlib_shape *s, stdlib_build *b, strbuf *err);
static tensor *extern_forward(nn_ctx *ctx, const stdlib_node *n, tensor *const *in);
static const nn_op extern_kernels[] = {NN_EXTERN, NN_RESHAPE, NN_LEAF};

const nn_extern *nn_extern_load(const grammar_opdecl *op, strbuf *err) {
  const grammar_extern *e = op->ext;
  const char *where = e->where ? e->where : "<input>";
  pthread_mutex_lock(&cache_lock);
  for (nn_extern *x = cache; x; x = x->next)
    if (!strcmp(x->name, op->name) && same_str(x->where, where) && same_str(x->library, e->library) &&
        same_str(x->fsym, e->forward) && same_str(x->bsym, e->backward) && same_str(x->ssym, e->shape) &&
        x->nparams == op->nparams) {
      int same = 1;
      for (int i = 0; i < op->nparams; i++) same &= x->types[i] == op->params[i].type;
      if (same) {
        pthread_mutex_unlock(&cache_lock);
        return x;
      }
    }
  nn_extern *x = xcalloc(1, sizeof *x);
  x->name = dup_or_null(op->name);
  x->where = dup_or_null(where);
  x->library = dup_or_null(e->library);
  x->fsym = dup_or_null(e->forward);
  x->bsym = dup_or_null(e->backward);
  x->ssym = dup_or_null(e->shape);
  x->role = op->role;
  x->nparams = op->nparams;
  if (op->nparams > MAX_PARAMS) {
    strbuf_printf(err, "%s: error: extern op '%s' has %d parameters; a plug-in takes at most %d", where, op->name,
                  op->nparams, MAX_PARAMS);
    goto fail;
  }
  for (int i = 0; i < op->nparams; i++) x->types[i] = op->params[i].type;
  if (op->role != OP_ROLE_LAYER && op->role != OP_ROLE_ACTIVATION) {
    strbuf_printf(err, "%s: error: extern op '%s' must be a layer or an activation", where, op->name);
    goto fail;
  }
  /* a name without a slash would send dlopen searching the system's
     library path; the declaration means the file beside the .nasl file */
  char path[4096];
  snprintf(path, sizeof path, "%s%s", strchr(e->library, '/') ? "" : "./", e->library);
  dlerror();
  void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    const char *why = dlerror();
    strbuf_printf(err, "%s: error: extern op '%s': cannot load '%s': %s", where, op->name, path,
                  why ? why : "unknown reason");
    goto fail;
  }
  void *f = symbol(lib, x, e->forward, err), *b = NULL, *s = NULL;
  if (!f || (e->backward && !(b = symbol(lib, x, e->backward, err))) || (e->shape && !(s = symbol(lib, x, e->shape, err))))
    goto fail; /* the handle stays open: dlclose could unload what another declaration uses */
  if (prep(x, &x->shape, s, "pppp") || prep(x, &x->forward, f, "pppi") || prep(x, &x->backward, b, "ppppppi")) {
    strbuf_printf(err, "%s: error: extern op '%s': libffi cannot describe the call", where, op->name);
    goto fail;
  }
  x->entry = (stdlib_op){x->name, x->role, NULL, extern_kernels, extern_resolve, extern_forward, NULL, NULL, x};
  x->next = cache;
  cache = x;
  pthread_mutex_unlock(&cache_lock);
  return x;
fail:
  pthread_mutex_unlock(&cache_lock);
  extern_free(x);
  return NULL;
}

int nn_extern_load_all(const grammar *g, strbuf *err) {
  for (int i = 0; i < g->nops; i++)
    if (g->ops[i].ext && !nn_extern_load(&g->ops[i], err)) return -1;
  return 0;
}

const char *nn_extern_name(const nn_extern *x) { return x->name; }
const char *nn_extern_where(const nn_extern *x) { return x->where; }

/* The storage of one call's arguments. */
typedef struct ext_args {
  void *values[8 + MAX_PARAMS + 1];  /* ffi_call's argument list: pointers to the fields below */
  void *ptrs[8];                     /* the leading pointer arguments */
  int ints[8];                       /* the leading int arguments */
  int64_t i64[MAX_PARAMS];           /* int parameters */
  double f64[MAX_PARAMS];            /* float parameters */
  int b32[MAX_PARAMS];               /* bool parameters */
  const char *str[MAX_PARAMS];       /* symbol parameters */
  char *msg;                         /* the message buffer */
} ext_args;

/* Calls c with the fixed arguments (pointers p, then ints) already in a,
 * the parameters from args, and a message buffer; returns the plug-in's
 * code, its message in msg. */
static int call(const nn_extern *x, const ext_cif *c, ext_args *a, const grammar_value *args, char *msg) {
  int n = c->nfixed;
  for (int i = 0; i < x->nparams; i++) {
    const grammar_value *v = &args[i];
    switch (x->types[i]) {
      case GV_INT: a->i64[i] = v->i; a->values[n++] = &a->i64[i]; break;
      case GV_FLOAT: a->f64[i] = v->kind == GV_INT ? (double)v->i : v->f; a->values[n++] = &a->f64[i]; break;
      case GV_BOOL: a->b32[i] = v->i != 0; a->values[n++] = &a->b32[i]; break;
      default: a->str[i] = v->sym ? v->sym : ""; a->values[n++] = &a->str[i]; break;
    }
  }
  char raw[NASLC_MSG_LEN];
  raw[0] = 0;
  a->msg = raw;
  a->values[n++] = &a->msg;
  ffi_arg rc = 0;
  ffi_call((ffi_cif *)&c->cif, FFI_FN(c->fn), &rc, a->values);
  raw[NASLC_MSG_LEN - 1] = 0;
  /* the plug-in's words reach a terminal: escape sequences are shown, not run */
  utf8_printable(msg, NASLC_MSG_LEN, raw[0] ? raw : "no reason given");
  return (int)rc;
}

static void view(naslc_tensor *v, float *data, int ndim, const int *ne) {
  memset(v, 0, sizeof *v);
  v->data = data;
  v->ndim = ndim;
  for (int i = 0; i < ndim; i++) v->size[i] = ne[i];
}

static void shape_text(char *buf, size_t n, int ndim, const int64_t *ne) {
  size_t k = (size_t)snprintf(buf, n, "[");
  for (int i = 0; i < ndim && k < n; i++) k += (size_t)snprintf(buf + k, n - k, "%s%lld", i ? ", " : "", (long long)ne[i]);
  if (k < n) snprintf(buf + k, n - k, "]");
}

/* A shape is sensible when it has 1..NASLC_MAX_DIMS dimensions of sizes in
 * 1..INT_MAX whose product over dimensions first.. stays within 2^30 (the
 * product is checked before each multiplication, so it cannot overflow). */
#define SENSIBLE_MAX ((int64_t)1 << 30)
static int sensible(int ndim, const int64_t *ne, int first) {
  if (ndim < 1 || ndim > NASLC_MAX_DIMS) return 0;
  int64_t total = 1;
  for (int i = 0; i < ndim; i++) {
    if (ne[i] < 1 || ne[i] > INT_MAX) return 0;
    if (i < first) continue;
    if (total > SENSIBLE_MAX / ne[i]) return 0;
    total *= ne[i];
  }
  return 1;
}

int nn_extern_shape(const nn_extern *x, const grammar_value *args, int ndim, const int *in, int *out_ndim,
                    int *out_ne, naslc_weight *w, int *nw, strbuf *err) {
  naslc_tensor vin, vout;
  view(&vin, NULL, ndim, in);
  *nw = 0;
  if (!x->shape.fn) {
    *out_ndim = ndim;
    for (int i = 0; i < ndim; i++) out_ne[i] = in[i];
    return 0;
  }
  memset(&vout, 0, sizeof vout);
  memset(w, 0, sizeof *w * NASLC_MAX_WEIGHTS);
  int cap = NASLC_MAX_WEIGHTS;
  char msg[NASLC_MSG_LEN], ins[96], outs[96];
  ext_args a;
  a.ptrs[0] = &vin, a.ptrs[1] = &vout, a.ptrs[2] = w, a.ptrs[3] = &cap;
  for (int i = 0; i < 4; i++) a.values[i] = &a.ptrs[i];
  shape_text(ins, sizeof ins, vin.ndim, vin.size);
  if (call(x, &x->shape, &a, args, msg)) {
    strbuf_printf(err, "%s: error: extern op '%s': shape function '%s' failed for input %s: %s", x->where, x->name,
                  x->ssym, ins, msg);
    return -1;
  }
  int on = vout.ndim < 0 ? 0 : vout.ndim > NASLC_MAX_DIMS ? NASLC_MAX_DIMS : vout.ndim;
  shape_text(outs, sizeof outs, on, vout.size);
  if (!sensible(vout.ndim, vout.size, 1) || vout.size[0] != vin.size[0]) {
    strbuf_printf(err,
                  "%s: error: extern op '%s': shape function '%s' gave output %s (%d dimensions) for input %s; "
                  "an output has 1 to %d dimensions, each at least 1, the first the batch size %lld, "
                  "and at most 2^30 values per example",
                  x->where, x->name, x->ssym, outs, vout.ndim, ins, NASLC_MAX_DIMS, (long long)vin.size[0]);
    return -1;
  }
  if (x->role == OP_ROLE_ACTIVATION) {
    int same = vout.ndim == vin.ndim;
    for (int i = 0; same && i < vin.ndim; i++) same = vout.size[i] == vin.size[i];
    if (!same) {
      strbuf_printf(err, "%s: error: extern op '%s' is an activation but its shape function turns %s into %s; "
                    "declare it a layer", x->where, x->name, ins, outs);
      return -1;
    }
  }
  if (cap < 0 || cap > NASLC_MAX_WEIGHTS) {
    strbuf_printf(err, "%s: error: extern op '%s': shape function '%s' declared %d weights; at most %d", x->where,
                  x->name, x->ssym, cap, NASLC_MAX_WEIGHTS);
    return -1;
  }
  for (int k = 0; k < cap; k++) {
    naslc_weight *wk = &w[k];
    wk->name[NASLC_NAME_LEN - 1] = 0;
    int ok = wk->name[0] != 0;
    for (const char *p = wk->name; *p; p++)
      ok &= (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_';
    for (int j = 0; j < k; j++) ok &= strcmp(w[j].name, wk->name) != 0;
    if (!ok) {
      strbuf_printf(err, "%s: error: extern op '%s': weight %d is named '%s'; a weight name is made of a-z, 0-9 "
                    "and _, and unique in its operation", x->where, x->name, k, wk->name);
      return -1;
    }
    char ws[96];
    int wn = wk->ndim < 0 ? 0 : wk->ndim > NASLC_MAX_DIMS ? NASLC_MAX_DIMS : wk->ndim;
    shape_text(ws, sizeof ws, wn, wk->size);
    if (!sensible(wk->ndim, wk->size, 0)) {
      strbuf_printf(err, "%s: error: extern op '%s': weight '%s' has shape %s; a weight has 1 to %d dimensions, "
                    "each at least 1, and at most 2^30 values", x->where, x->name, wk->name, ws, NASLC_MAX_DIMS);
      return -1;
    }
    if ((unsigned)wk->init > NASLC_INIT_GLOROT) {
      strbuf_printf(err, "%s: error: extern op '%s': weight '%s' has an unknown initialiser %d", x->where, x->name,
                    wk->name, (int)wk->init);
      return -1;
    }
  }
  *nw = cap;
  *out_ndim = vout.ndim;
  for (int i = 0; i < vout.ndim; i++) out_ne[i] = (int)vout.size[i];
  return 0;
}

/* What backward needs besides the sources. */
typedef struct ext_state {
  const nn_extern *x;            /* the plug-in */
  const grammar_value *args;     /* its arguments (borrowed) */
  int nw;                        /* weights */
  tensor *w[NASLC_MAX_WEIGHTS];  /* all of them, also those past the source slots */
} ext_state;

tensor *nn_extern_forward(nn_ctx *ctx, const nn_extern *x, const grammar_value *args, tensor *in, int out_ndim,
                          const int *out_ne, tensor *const *w, int nw) {
  if (!in) return NULL;
  int ne[NN_MAX_DIMS];
  for (int i = 0; i < out_ndim; i++) ne[i] = out_ne[i];
  ne[0] = in->ne[0];
  tensor *src[NN_MAX_SRC] = {in};
  int nsrc = 1;
  for (int k = 0; k < nw && nsrc < NN_MAX_SRC; k++) src[nsrc++] = w[k];
  tensor *y = nn_op_output(ctx, NN_EXTERN, out_ndim, ne, src, nsrc);
  if (!y) return NULL;
  for (int k = NN_MAX_SRC - 1; k < nw && !y->requires_grad; k++) /* weights past the source slots */
    if (w[k]->requires_grad) {
      y->requires_grad = 1;
      if (ctx->record) ptrvec_push(&ctx->mem, &ctx->tape, y);
    }
  ext_state *st = arena_alloc(&ctx->mem, sizeof *st);
  st->x = x, st->args = args, st->nw = nw;
  for (int k = 0; k < nw; k++) st->w[k] = w[k];
  y->aux = st;
  if (y->requires_grad && ctx->record && !x->backward.fn)
    return nn_fail(ctx, "%s: extern op '%s' declares no backward function, so it cannot be trained", x->where,
                   x->name);
  naslc_tensor vin, vout, vw[NASLC_MAX_WEIGHTS];
  view(&vin, in->data, in->ndim, in->ne);
  view(&vout, y->data, y->ndim, y->ne);
  for (int k = 0; k < nw; k++) view(&vw[k], w[k]->data, w[k]->ndim, w[k]->ne);
  memset(y->data, 0, sizeof(float) * (size_t)y->n); /* a plug-in that skips elements leaves zeros, not garbage */
  ext_args a;
  a.ptrs[0] = &vin, a.ptrs[1] = &vout, a.ptrs[2] = vw;
  for (int i = 0; i < 3; i++) a.values[i] = &a.ptrs[i];
  a.ints[0] = nw;
  a.values[3] = &a.ints[0];
  char msg[NASLC_MSG_LEN];
  if (call(x, &x->forward, &a, args, msg))
    return nn_fail(ctx, "%s: extern op '%s': forward function '%s' failed: %s", x->where, x->name, x->fsym, msg);
  return y;
}

void nn_extern_backward(nn_ctx *ctx, tensor *out) {
  ext_state *st = out->aux;
  const nn_extern *x = st->x;
  tensor *in = out->src[0];
  naslc_tensor vin, vout, vdout, vdin, vw[NASLC_MAX_WEIGHTS], vdw[NASLC_MAX_WEIGHTS];
  view(&vin, in->data, in->ndim, in->ne);
  view(&vout, out->data, out->ndim, out->ne);
  view(&vdout, out->grad, out->ndim, out->ne);
  /* gradients nobody wants go to scratch space, so the plug-in can always add */
  view(&vdin, in->requires_grad ? nn_grad(ctx, in) : arena_alloc(&ctx->mem, sizeof(float) * (size_t)in->n),
       in->ndim, in->ne);
  for (int k = 0; k < st->nw; k++) {
    tensor *w = st->w[k];
    view(&vw[k], w->data, w->ndim, w->ne);
    view(&vdw[k], w->requires_grad ? nn_grad(ctx, w) : arena_alloc(&ctx->mem, sizeof(float) * (size_t)w->n), w->ndim,
         w->ne);
  }
  ext_args a;
  a.ptrs[0] = &vin, a.ptrs[1] = &vout, a.ptrs[2] = &vdout, a.ptrs[3] = &vdin, a.ptrs[4] = vw, a.ptrs[5] = vdw;
  for (int i = 0; i < 6; i++) a.values[i] = &a.ptrs[i];
  a.ints[0] = st->nw;
  a.values[6] = &a.ints[0];
  char msg[NASLC_MSG_LEN];
  if (call(x, &x->backward, &a, st->args, msg))
    nn_fail(ctx, "%s: extern op '%s': backward function '%s' failed: %s", x->where, x->name, x->bsym, msg);
}

/* ---- the registry entry of a loaded plug-in ---- */

const stdlib_op *stdlib_extern_entry(const grammar_opdecl *decl, strbuf *err) {
  const nn_extern *x = nn_extern_load(decl, err);
  return x ? &x->entry : NULL;
}

/* The shape function says what comes out for one example and which weights
 * to make (named and initialised as the plug-in asks). */
static int extern_resolve(stdlib_node *n, stdlib_shape *s, stdlib_build *b, strbuf *err) {
  const nn_extern *x = n->op->ext;
  int in[4] = {1, s->c, s->h, s->w};
  naslc_weight w[NASLC_MAX_WEIGHTS];
  int nw;
  if (nn_extern_shape(x, n->args, 4, in, &n->out_ndim, n->out_ne, w, &nw, err)) return -1;
  if (n->out_ndim != 4 && n->out_ndim != 2) {
    strbuf_printf(err, "%s: error: extern op '%s' gives a %d-dimensional output; in a CNN a layer gives a map "
                  "[N, C, H, W] or features [N, K]", x->where, x->name, n->out_ndim);
    return -1;
  }
  for (int k = 0; k < nw; k++) {
    int ne[4];
    int64_t count = 1;
    for (int i = 0; i < w[k].ndim; i++) count *= ne[i] = (int)w[k].size[i];
    b->nparams += count;
    tensor *t = stdlib_weight(n, b, w[k].name, w[k].ndim, ne);
    if (!t) continue;
    int fan_in = w[k].fan_in > 0 && w[k].fan_in < INT32_MAX ? (int)w[k].fan_in : (int)(count / ne[0]);
    int fan_out = w[k].fan_out > 0 && w[k].fan_out < INT32_MAX ? (int)w[k].fan_out : ne[0];
    switch (w[k].init) {
      case NASLC_INIT_ZERO: break;
      case NASLC_INIT_ONE: nn_init_const(t, 1); break;
      case NASLC_INIT_HE: nn_init_he(t, b->rng, fan_in); break;
      case NASLC_INIT_GLOROT: nn_init_glorot(t, b->rng, fan_in, fan_out); break;
    }
  }
  int64_t elems = 1;
  for (int i = 1; i < n->out_ndim; i++) elems *= n->out_ne[i];
  b->flops += elems;
  s->c = n->out_ne[1];
  s->h = n->out_ndim == 4 ? n->out_ne[2] : 1;
  s->w = n->out_ndim == 4 ? n->out_ne[3] : 1;
  return 0;
}

/* In a network the output has the shape the shape function gave (features
 * come out as a 1x1 map, as after dense); in a recurrent cell, where nothing
 * was resolved, a `shape: same` activation keeps its input's shape. */
static tensor *extern_forward(nn_ctx *ctx, const stdlib_node *n, tensor *const *in) {
  tensor *x = in[0];
  if (!x) return NULL;
  if (n->out_ndim == 0) return nn_extern_forward(ctx, n->op->ext, n->args, x, x->ndim, x->ne, NULL, 0);
  tensor *y = nn_extern_forward(ctx, n->op->ext, n->args, x, n->out_ndim, n->out_ne, (tensor *const *)n->w, n->nw);
  if (!y || y->ndim == 4) return y;
  int ne[4] = {y->ne[0], y->ne[1], 1, 1};
  return nn_reshape(ctx, y, 4, ne);
}
