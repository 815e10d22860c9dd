/* smap.h: a string -> double map for the search (dedupe of architectures by
 * key, reward tables): open addressing, keys copied (malloc'd) and freed by
 * smap_free. Private to runtime/search. */
#ifndef NASLC_SMAP_H
#define NASLC_SMAP_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/arena.h"

typedef struct smap {
  char **keys;
  double *vals;
  size_t cap, n;
} smap;

static inline uint64_t smap_hash(const char *s) {
  uint64_t h = 1469598103934665603ULL;
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
  return h;
}

static inline void smap_put(smap *m, const char *key, double v);

static inline void smap_grow(smap *m) {
  smap bigger = {0};
  bigger.cap = m->cap ? m->cap * 2 : 1024;
  bigger.keys = xcalloc(bigger.cap, sizeof(char *));
  bigger.vals = xcalloc(bigger.cap, sizeof(double));
  for (size_t i = 0; i < m->cap; i++)
    if (m->keys[i]) {
      smap_put(&bigger, m->keys[i], m->vals[i]);
      free(m->keys[i]);
    }
  free(m->keys);
  free(m->vals);
  *m = bigger;
}

static inline void smap_put(smap *m, const char *key, double v) {
  if ((m->n + 1) * 2 > m->cap) smap_grow(m);
  size_t i = smap_hash(key) & (m->cap - 1);
  while (m->keys[i] && strcmp(m->keys[i], key)) i = (i + 1) & (m->cap - 1);
  if (!m->keys[i]) {
    m->keys[i] = xstrdup(key);
    m->n++;
  }
  m->vals[i] = v;
}

static inline int smap_get(const smap *m, const char *key, double *v) {
  if (!m->cap) return 0;
  size_t i = smap_hash(key) & (m->cap - 1);
  while (m->keys[i]) {
    if (!strcmp(m->keys[i], key)) {
      *v = m->vals[i];
      return 1;
    }
    i = (i + 1) & (m->cap - 1);
  }
  return 0;
}

static inline void smap_free(smap *m) {
  for (size_t i = 0; i < m->cap; i++) free(m->keys[i]);
  free(m->keys);
  free(m->vals);
  memset(m, 0, sizeof *m);
}

#endif
