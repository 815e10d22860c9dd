/* smap.h: rewards by architecture key (the search's dedupe, reward tables):
 * common/strmap.h with a double as the value. Private to runtime/search.
 *
 * A zeroed smap is empty and ready to use. It owns copies of its keys and its
 * values (in its own arena); smap_free releases everything. */
#ifndef NASLC_SMAP_H
#define NASLC_SMAP_H

#include <string.h>

#include "common/arena.h"
#include "common/strmap.h"

typedef struct smap {
  strmap map;   /* key -> double* (in mem) */
  arena mem;    /* keys and values */
  int ready;    /* map and mem initialised (on the first put) */
} smap;

static inline void smap_put(smap *m, const char *key, double v) {
  if (!m->ready) {
    arena_init(&m->mem);
    strmap_init(&m->map, &m->mem);
    m->ready = 1;
  }
  strmap_entry *e = strmap_add(&m->map, key, strlen(key), NULL);
  if (!e->value) e->value = arena_alloc(&m->mem, sizeof(double));
  *(double *)e->value = v;
}

static inline int smap_get(const smap *m, const char *key, double *v) {
  const strmap_entry *e = m->ready ? strmap_find(&m->map, key, strlen(key)) : NULL;
  if (!e) return 0;
  *v = *(const double *)e->value;
  return 1;
}

static inline void smap_free(smap *m) {
  if (m->ready) {
    strmap_free(&m->map);
    arena_free(&m->mem);
  }
  memset(m, 0, sizeof *m);
}

#endif
