/* shared.c: the store of shared weights and how a child maps into it (see
 * shared.h). */
#include "runtime/models/shared.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/parse.h"
#include "common/utf8.h"
#include "nn/safetensors.h"

#define SHARED_MAX_VALUES ((int64_t)1 << 31) /* per entry */

void shared_init(shared_weights *s, int moments) {
  memset(s, 0, sizeof *s);
  arena_init(&s->keys);
  strmap_init(&s->index, &s->keys);
  s->moments = moments;
}

void shared_free(shared_weights *s) {
  for (int i = 0; i < s->n; i++) {
    free(s->e[i].w);
    free(s->e[i].m);
    free(s->e[i].v);
  }
  free(s->e);
  strmap_free(&s->index);
  arena_free(&s->keys);
  memset(s, 0, sizeof *s);
}

int64_t shared_count(const shared_weights *s) {
  int64_t n = 0;
  for (int i = 0; i < s->n; i++) n += (int64_t)s->e[i].a * s->e[i].b * s->e[i].kh * s->e[i].kw;
  return n;
}

void shared_map_free(shared_map *map) {
  for (int i = 0; i < map->n; i++) free(map->v[i].blocks);
  free(map->v);
  memset(map, 0, sizeof *map);
}

/* The entry of key, made empty when new. */
static int entry_of(shared_weights *s, const char *key) {
  int added;
  strmap_entry *me = strmap_add(&s->index, key, strlen(key), &added);
  if (!added) return (int)(intptr_t)me->value - 1;
  if (s->n == s->cap) {
    s->cap = s->cap ? 2 * s->cap : 32;
    s->e = xrealloc(s->e, sizeof *s->e * (size_t)s->cap);
  }
  s->e[s->n] = (shared_entry){me->key, 0, 0, 0, 0, NULL, NULL, NULL};
  me->value = (void *)(intptr_t)(s->n + 1);
  return s->n++;
}

/* A buffer of a x b x kh x kw holding old (oa x ob x okh x okw) in its
 * leading corner of the first two dimensions and the centre of the kernel,
 * zero elsewhere; old is freed. */
static float *regrow(float *old, int oa, int ob, int okh, int okw, int a, int b, int kh, int kw) {
  float *p = xcalloc((size_t)a * b * kh * kw + 1, sizeof(float));
  int dy = (kh - okh) / 2, dx = (kw - okw) / 2;
  for (int i = 0; i < oa && old; i++)
    for (int j = 0; j < ob; j++)
      for (int y = 0; y < okh; y++)
        memcpy(p + (((size_t)i * b + j) * kh + y + dy) * kw + dx, old + (((size_t)i * ob + j) * okh + y) * okw,
               sizeof(float) * (size_t)okw);
  free(old);
  return p;
}

/* ---- mapping a child's weights ---- */

/* The sources of a map's channels, in order: blocks of channels, each the
 * output of a layer ("L3"), the image, or inside a layer the output of one
 * of its operations that makes channels ("L3o0"; an operation that keeps
 * the channel count, pooling or batch norm, passes its input's blocks on).
 * A layer's output is one block for the layers after it, whatever
 * operations made it: the weights of a position read the position before,
 * as in ENAS. (Naming a pooling layer's output by the convolution before
 * it splits every later weight into many rarely trained copies, and the
 * shared training then does not learn.) */
#define LAYOUT_MAX 256
typedef struct layout {
  int n;
  char name[LAYOUT_MAX][32];
  int channels[LAYOUT_MAX];
} layout;

typedef struct mapper {
  shared_weights *s;
  int grow;            /* entries may be made (else a block without one is left out) */
  const child *c;
  const char *place;   /* a DAG network's layer: its share name (arch_layer.share), else NULL */
  shared_map *map;
  int cap;
  strbuf key;
  strbuf *err;
} mapper;

static int param_index(const child *c, const tensor *t) {
  for (int i = 0; i < c->params.items.n; i++)
    if (c->params.items.items[i] == t) return i;
  return -1;
}

/* Adds a block of view v for source name of count values per row. */
static int add_block(mapper *m, shared_view *v, const tensor *t, const char *op, const char *shape, const char *src,
                     int off, int count) {
  strbuf_clear(&m->key);
  if (m->place) { /* layer.<i>.<inst>.<tensor> or head.<inst>.<tensor>: the place instead of the number */
    const char *rest = t->name;
    for (int dots = !strncmp(rest, "layer.", 6) ? 2 : 1; dots > 0 && *rest; rest++)
      if (*rest == '.') dots--;
    strbuf_printf(&m->key, "%s.%s|%s|%s|%s", m->place, rest, op, shape, src);
  } else {
    strbuf_printf(&m->key, "%s|%s|%s|%s", t->name, op, shape, src);
  }
  if (!m->grow) {
    strmap_entry *me = strmap_find(&m->s->index, m->key.data, m->key.len);
    if (me) v->blocks[v->nblocks++] = (shared_block){(int)(intptr_t)me->value - 1, off, count};
    return 0;
  }
  int e = entry_of(m->s, m->key.data);
  shared_entry *en = &m->s->e[e];
  int a = v->a > en->a ? v->a : en->a, b = count > en->b ? count : en->b;
  int kh = v->kh > en->kh ? v->kh : en->kh, kw = v->kw > en->kw ? v->kw : en->kw;
  if ((int64_t)a * b * kh * kw > SHARED_MAX_VALUES) {
    strbuf_printf(m->err, "the shared weight '%s' would hold more than 2^31 values", m->key.data);
    return -1;
  }
  v->blocks[v->nblocks++] = (shared_block){e, off, count};
  return 0;
}

/* The view of weight t of node n (operation k of its layer), whose input has
 * layout L. */
static int map_weight(mapper *m, const stdlib_node *n, int k, const tensor *t, const layout *L, int keeps_channels) {
  (void)k;
  int in = 0;
  for (int j = 0; j < L->n; j++) in += L->channels[j];
  if (m->map->n == m->cap) {
    m->cap = m->cap ? 2 * m->cap : 16;
    m->map->v = xrealloc(m->map->v, sizeof *m->map->v * (size_t)m->cap);
  }
  shared_view *v = &m->map->v[m->map->n];
  memset(v, 0, sizeof *v);
  v->param = param_index(m->c, t);
  if (v->param < 0) return 0; /* not a parameter of the child (cannot happen) */
  v->blocks = xcalloc((size_t)L->n + 1, sizeof(shared_block));
  m->map->n++;
  char shape[96] = "";
  int split;
  if (t->ndim == 1) {
    v->a = 1, v->b = t->ne[0], v->kh = v->kw = 1;
    split = keeps_channels && t->ne[0] == in ? 1 : 0;
    snprintf(shape, sizeof shape, "-");
  } else {
    v->a = t->ne[0], v->b = t->ne[1], v->kh = v->kw = 1;
    int p = 0;
    if (t->ndim == 4) { /* a kernel: every size takes the centre of the largest */
      v->kh = t->ne[2], v->kw = t->ne[3];
      p += snprintf(shape, sizeof shape, "k");
    } else {
      for (int d = 2; d < t->ndim; d++) {
        v->kh *= t->ne[d];
        p += snprintf(shape + p, sizeof shape - (size_t)p, "%s%d", d > 2 ? "x" : "", t->ne[d]);
      }
    }
    if (t->ndim == 2) p += snprintf(shape + p, sizeof shape - (size_t)p, "-");
    split = in > 0 && t->ne[1] % in == 0 ? t->ne[1] / in : 0;
    if (split) snprintf(shape + p, sizeof shape - (size_t)p, "/%d", split);
    else snprintf(shape + p, sizeof shape - (size_t)p, "/whole%d", t->ne[1]);
  }
  const char *op = n->op->name;
  if (!split) return add_block(m, v, t, op, shape, "out", 0, v->b);
  for (int j = 0, off = 0; j < L->n; j++) {
    int count = L->channels[j] * split;
    if (add_block(m, v, t, op, shape, L->name[j], off, count)) return -1;
    off += count;
  }
  return 0;
}

/* Maps the operations of layer `layer` (-1: the head) whose input has
 * layout *L; *L becomes the layout of its output. */
static int map_layer(mapper *m, int layer, const child_layer *cl, layout *Lp, stdlib_shape s) {
  layout *L = Lp;
  for (int k = 0; k < cl->nops; k++) {
    const stdlib_node *n = &cl->ops[k];
    /* the operation's output shape, from its entry's shape rule (counting only) */
    stdlib_node tmp = *n;
    tmp.nw = 0;
    stdlib_shape out = s;
    stdlib_build b = {NULL, NULL, "shared", m->c->classes, 0, 0};
    strbuf why;
    strbuf_init(&why);
    int bad = stdlib_resolve(&tmp, &out, &b, &why);
    strbuf_free(&why);
    if (bad) out = s; /* the builder resolved it: cannot happen */
    int wide = 0;
    for (int w = 0; w < n->nw; w++) wide |= n->w[w] && n->w[w]->ndim >= 2;
    int keeps = !wide && out.c == s.c;
    for (int w = 0; w < n->nw; w++) {
      const tensor *t = n->w[w];
      if (!t || !t->requires_grad) continue; /* running statistics */
      if (map_weight(m, n, k, t, L, keeps)) return -1;
    }
    if (!keeps) {
      L->n = 1;
      if (m->place) snprintf(L->name[0], sizeof L->name[0], "o%d", k);
      else if (layer >= 0) snprintf(L->name[0], sizeof L->name[0], "L%do%d", layer, k);
      else snprintf(L->name[0], sizeof L->name[0], "Ho%d", k);
      L->channels[0] = out.c;
    }
    s = out;
  }
  return 0;
}

/* The layout of a layer reading layers which[0..n) (the image when n is 0):
 * their output layouts one after the other. Past LAYOUT_MAX blocks, the
 * whole input is one block named for the layer that reads it. */
static void sources(const child *c, const layout *outs, int reader, const int *which, int n, layout *L) {
  L->n = 0;
  if (n == 0) {
    L->n = 1;
    snprintf(L->name[0], sizeof L->name[0], "image");
    L->channels[0] = c->input.c;
    return;
  }
  int total = 0, blocks = 0;
  for (int j = 0; j < n; j++) blocks += outs[which[j]].n, total += c->layers[which[j]].out.c;
  if (blocks > LAYOUT_MAX) {
    L->n = 1;
    snprintf(L->name[0], sizeof L->name[0], "%s%d", reader >= 0 ? "in" : "inH", reader);
    L->channels[0] = total;
    return;
  }
  for (int j = 0; j < n; j++) {
    const layout *o = &outs[which[j]];
    for (int b = 0; b < o->n; b++) {
      memcpy(L->name[L->n], o->name[b], sizeof L->name[0]);
      L->channels[L->n++] = o->channels[b];
    }
  }
}

static stdlib_shape joined(const child *c, const int *which, int n, arch_join join) {
  if (n == 0) return c->input;
  if (join != ARCH_JOIN_CONCAT) return c->layers[which[0]].out; /* a sum, or zeros shaped like it */
  stdlib_shape s = {0, 0, 0};
  for (int j = 0; j < n; j++) {
    stdlib_shape o = c->layers[which[j]].out;
    s.c += o.c;
    if (o.h > s.h) s.h = o.h;
    if (o.w > s.w) s.w = o.w;
  }
  return s;
}

/* A DAG network's layer reads one map (or a sum of maps of one shape), and
 * the layers that made it differ between architectures: its input is one
 * source, "in", and its place names its weights (shared.h). */
static void one_source(stdlib_shape in, layout *L) {
  L->n = 1;
  snprintf(L->name[0], sizeof L->name[0], "in");
  L->channels[0] = in.c;
}

static int map_child(shared_weights *s, int grow, const child *c, shared_map *map, strbuf *err) {
  memset(map, 0, sizeof *map);
  mapper m = {s, grow, c, NULL, map, 0, {0}, err};
  strbuf_init(&m.key);
  int rc = 0;
  int L_n = c->cnn.nlayers, dag = L_n > 0 && c->cnn.layers[0].share;
  layout *outs = xcalloc((size_t)L_n + 1, sizeof(layout)), *L = xmalloc(sizeof(layout));
  for (int i = 0; i < L_n && rc == 0; i++) {
    const arch_layer *l = &c->cnn.layers[i];
    stdlib_shape in = joined(c, l->inputs, l->ninputs, l->join);
    m.place = l->share;
    if (dag) one_source(in, &outs[i]);
    else sources(c, outs, i, l->inputs, l->ninputs, &outs[i]);
    rc = map_layer(&m, i, &c->layers[i], &outs[i], in);
    /* what later layers read: layer i's output, one block, whatever it holds */
    outs[i].n = 1;
    snprintf(outs[i].name[0], sizeof outs[i].name[0], "L%d", i);
    outs[i].channels[0] = c->layers[i].out.c;
  }
  if (rc == 0) {
    int *dangling = xcalloc((size_t)L_n + 1, sizeof(int)), nd = 0;
    for (int i = 0; i < L_n; i++)
      if (!c->used[i]) dangling[nd++] = i;
    stdlib_shape in = joined(c, dangling, nd, ARCH_JOIN_CONCAT);
    m.place = dag ? "head" : NULL;
    if (dag) one_source(in, L);
    else sources(c, outs, -1, dangling, nd, L);
    rc = map_layer(&m, -1, c->head, L, in);
    free(dangling);
  }
  free(outs);
  free(L);
  strbuf_free(&m.key);
  if (rc) shared_map_free(map);
  return rc;
}

/* Every trained tensor of p whole, [ne0, rest, 1], keyed by its name. */
static int map_params(shared_weights *s, int grow, const nn_params *p, shared_map *map, strbuf *err) {
  memset(map, 0, sizeof *map);
  mapper m = {s, grow, NULL, NULL, map, 0, {0}, err};
  strbuf_init(&m.key);
  map->v = xcalloc((size_t)p->items.n + 1, sizeof *map->v);
  int rc = 0;
  for (int i = 0; i < p->items.n && rc == 0; i++) {
    const tensor *t = p->items.items[i];
    if (!t->requires_grad || t->n == 0) continue;
    shared_view *v = &map->v[map->n++];
    v->param = i;
    v->a = t->ndim >= 1 ? t->ne[0] : 1;
    v->b = (int)(t->n / v->a);
    v->kh = v->kw = 1;
    v->blocks = xcalloc(2, sizeof(shared_block));
    char shape[32];
    snprintf(shape, sizeof shape, "/whole%d", v->b);
    rc = add_block(&m, v, t, "param", shape, "all", 0, v->b);
  }
  strbuf_free(&m.key);
  if (rc) shared_map_free(map);
  return rc;
}

/* ---- copying ---- */

/* Copies the block's region that both hold between the child's buffer and
 * the entry's (leading rows and columns, the kernels' common centre);
 * to_child picks the direction. */
static void copy_block(const shared_view *v, const shared_block *bk, const shared_entry *e, float *child_buf,
                       float *entry_buf, int to_child) {
  int rows = v->a < e->a ? v->a : e->a, count = bk->count < e->b ? bk->count : e->b;
  size_t vp = (size_t)v->kh * v->kw, ep = (size_t)e->kh * e->kw;
  if (v->kh == e->kh && v->kw == e->kw) { /* the same kernel: whole runs */
    for (int i = 0; i < rows; i++) {
      float *cp = child_buf + ((size_t)i * v->b + bk->off) * vp, *eq = entry_buf + (size_t)i * e->b * ep;
      if (to_child) memcpy(cp, eq, sizeof(float) * (size_t)count * vp);
      else memcpy(eq, cp, sizeof(float) * (size_t)count * vp);
    }
    return;
  }
  int dy = (e->kh - v->kh) / 2, dx = (e->kw - v->kw) / 2; /* child (y, x) is entry (y + dy, x + dx) */
  int y0 = dy < 0 ? -dy : 0, y1 = v->kh < e->kh - dy ? v->kh : e->kh - dy;
  int x0 = dx < 0 ? -dx : 0, x1 = v->kw < e->kw - dx ? v->kw : e->kw - dx;
  if (y1 <= y0 || x1 <= x0) return;
  size_t run = sizeof(float) * (size_t)(x1 - x0);
  for (int i = 0; i < rows; i++)
    for (int j = 0; j < count; j++) {
      float *cp = child_buf + ((size_t)i * v->b + bk->off + j) * vp, *eq = entry_buf + ((size_t)i * e->b + j) * ep;
      for (int y = y0; y < y1; y++) {
        float *c = cp + (size_t)y * v->kw + x0, *q = eq + (size_t)(y + dy) * e->kw + x0 + dx;
        if (to_child) memcpy(c, q, run);
        else memcpy(q, c, run);
      }
    }
}

/* Grows entry e to hold the block (the child no larger than it afterwards);
 * the values it did not hold before take the child's. */
static void grow_block(shared_weights *s, const shared_view *v, const shared_block *bk, shared_entry *e,
                       const float *src) {
  int oa = e->a, ob = e->b, okh = e->kh, okw = e->kw;
  int a = v->a > oa ? v->a : oa, b = bk->count > ob ? bk->count : ob;
  int kh = v->kh > okh ? v->kh : okh, kw = v->kw > okw ? v->kw : okw;
  if (a == oa && b == ob && kh == okh && kw == okw) return;
  e->w = regrow(e->w, oa, ob, okh, okw, a, b, kh, kw);
  if (s->moments >= 1) e->m = regrow(e->m, oa, ob, okh, okw, a, b, kh, kw);
  if (s->moments >= 2) e->v = regrow(e->v, oa, ob, okh, okw, a, b, kh, kw);
  e->a = a, e->b = b, e->kh = kh, e->kw = kw;
  int dy = (kh - v->kh) / 2, dx = (kw - v->kw) / 2, oy = (kh - okh) / 2, ox = (kw - okw) / 2;
  for (int i = 0; i < v->a; i++)
    for (int j = 0; j < bk->count; j++)
      for (int y = 0; y < v->kh; y++)
        for (int x = 0; x < v->kw; x++) {
          int ey = y + dy, ex = x + dx;
          int held = i < oa && j < ob && ey >= oy && ey < oy + okh && ex >= ox && ex < ox + okw;
          if (!held)
            e->w[(((size_t)i * b + j) * kh + ey) * kw + ex] =
                src[(((size_t)i * v->b + bk->off + j) * v->kh + y) * v->kw + x];
        }
}

/* Copies the mapped tensors of p (and o's buffers) from s (to_child, after
 * growing s when grow) or back into it. */
static void copy_mapped(shared_weights *s, const nn_params *p, const nn_optim *o, int grow, int to_child,
                        const shared_map *map) {
  for (int i = 0; i < map->n; i++) {
    const shared_view *v = &map->v[i];
    tensor *t = p->items.items[v->param];
    for (int j = 0; j < v->nblocks; j++) {
      const shared_block *bk = &v->blocks[j];
      shared_entry *e = &s->e[bk->entry];
      if (grow) grow_block(s, v, bk, e, t->data);
      copy_block(v, bk, e, t->data, e->w, to_child);
      if (o && o->m && o->m[v->param] && e->m) copy_block(v, bk, e, o->m[v->param], e->m, to_child);
      if (o && o->v && o->v[v->param] && e->v) copy_block(v, bk, e, o->v[v->param], e->v, to_child);
    }
  }
}

int shared_bind(shared_weights *s, child *c, nn_optim *o, int grow, shared_map *map, strbuf *err) {
  if (map_child(s, grow, c, map, err)) return -1;
  copy_mapped(s, &c->params, o, grow, 1, map);
  if (o) o->step = s->steps;
  return 0;
}

int shared_bind_params(shared_weights *s, nn_params *p, nn_optim *o, int grow, shared_map *map, strbuf *err) {
  if (map_params(s, grow, p, map, err)) return -1;
  copy_mapped(s, p, o, grow, 1, map);
  if (o) o->step = s->steps;
  return 0;
}

void shared_store(shared_weights *s, const child *c, const nn_optim *o, const shared_map *map) {
  shared_store_params(s, &c->params, o, map);
}

void shared_store_params(shared_weights *s, const nn_params *p, const nn_optim *o, const shared_map *map) {
  copy_mapped(s, p, o, 0, 0, map);
  if (o) s->steps = o->step;
}

/* ---- saving ---- */

int shared_save(const shared_weights *s, const char *path, const char *const *meta_keys,
                const char *const *meta_values, int nmeta, strbuf *err) {
  int per = 1 + s->moments, n = 0;
  st_tensor *ts = xcalloc((size_t)s->n * per + 1, sizeof *ts);
  char **names = xcalloc((size_t)s->n * per + 1, sizeof(char *));
  for (int i = 0; i < s->n; i++) {
    const shared_entry *e = &s->e[i];
    for (int k = 0; k < per; k++) {
      size_t len = strlen(e->key) + 4;
      names[n] = xmalloc(len);
      snprintf(names[n], len, "%s%s", e->key, k == 0 ? "" : k == 1 ? "#m" : "#v");
      ts[n] = (st_tensor){names[n], 4, {e->a, e->b, e->kh, e->kw}, k == 0 ? e->w : k == 1 ? e->m : e->v};
      n++;
    }
  }
  const char **keys = xcalloc((size_t)nmeta + 1, sizeof(char *)), **values = xcalloc((size_t)nmeta + 1, sizeof(char *));
  char steps[32];
  snprintf(steps, sizeof steps, "%ld", s->steps);
  keys[0] = "shared_steps", values[0] = steps;
  for (int i = 0; i < nmeta; i++) keys[i + 1] = meta_keys[i], values[i + 1] = meta_values[i];
  int rc = st_write(path, ts, n, keys, values, nmeta + 1, err);
  free(keys);
  free(values);
  for (int i = 0; i < n; i++) free(names[i]);
  free(names);
  free(ts);
  return rc;
}

int shared_load(shared_weights *s, const char *path, strbuf *err) {
  st_file f;
  if (st_read(path, &f, err)) return -1;
  int rc = 0;
  const char *steps = NULL;
  for (int i = 0; i < f.nmeta; i++)
    if (!strcmp(f.meta_keys[i], "shared_steps")) steps = f.meta_values[i];
  if (!steps || parse_long(steps, 0, LONG_MAX, &s->steps)) {
    strbuf_printf(err, "%s: not a store of shared weights (no valid 'shared_steps')", path);
    rc = -1;
  }
  for (int i = 0; i < f.n && rc == 0; i++) {
    const st_tensor *t = &f.tensors[i];
    size_t len = strlen(t->name);
    if (len > 2 && t->name[len - 2] == '#' && (t->name[len - 1] == 'm' || t->name[len - 1] == 'v'))
      continue; /* a buffer, read with its weight */
    if (t->ndim != 4 || t->shape[0] < 0 || t->shape[1] < 0 || t->shape[2] < 1 || t->shape[3] < 1 ||
        t->shape[0] * t->shape[1] > SHARED_MAX_VALUES || t->shape[2] * t->shape[3] > SHARED_MAX_VALUES ||
        t->shape[0] * t->shape[1] * t->shape[2] * t->shape[3] > SHARED_MAX_VALUES) {
      char nb[200];
      strbuf_printf(err, "%s: '%s' is not a shared weight of naslc", path, utf8_printable(nb, sizeof nb, t->name));
      rc = -1;
      break;
    }
    int a = (int)t->shape[0], b = (int)t->shape[1], kh = (int)t->shape[2], kw = (int)t->shape[3];
    size_t n = (size_t)a * b * kh * kw;
    int e = entry_of(s, t->name);
    shared_entry *en = &s->e[e];
    en->a = a, en->b = b, en->kh = kh, en->kw = kw;
    en->w = xmalloc(sizeof(float) * (n + 1));
    memcpy(en->w, t->data, sizeof(float) * n);
    for (int k = 1; k <= s->moments && rc == 0; k++) {
      char name[1100];
      snprintf(name, sizeof name, "%s%s", t->name, k == 1 ? "#m" : "#v");
      const st_tensor *b2 = st_find(&f, name);
      if (!b2 || b2->ndim != 4 || b2->shape[0] != a || b2->shape[1] != b || b2->shape[2] != kh || b2->shape[3] != kw) {
        strbuf_printf(err, "%s: the optimizer buffer of '%s' is missing or has another shape", path, t->name);
        rc = -1;
        break;
      }
      float *p = xmalloc(sizeof(float) * (n + 1));
      memcpy(p, b2->data, sizeof(float) * n);
      if (k == 1) en->m = p;
      else en->v = p;
    }
    const float *bufs[3] = {en->w, en->m, en->v};
    for (int k = 0; k < 3 && rc == 0; k++)
      for (size_t j = 0; bufs[k] && j < n && rc == 0; j++)
        if (!isfinite(bufs[k][j])) {
          strbuf_printf(err, "%s: '%s'%s holds a value that is not finite", path, t->name, k ? "'s optimizer buffer" : "");
          rc = -1;
        }
  }
  st_free(&f);
  return rc;
}
