/* strmap.c: see strmap.h. */
#include "common/strmap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* FNV-1a, with the high bits folded down because the table uses the low ones. */
static size_t hash(const char *s, size_t n) {
  uint64_t h = 1469598103934665603ULL;
  for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
  return (size_t)(h ^ (h >> 29));
}

void strmap_init(strmap *m, arena *keys) {
  memset(m, 0, sizeof *m);
  m->keys = keys;
}

void strmap_free(strmap *m) {
  arena *keys = m->keys;
  free(m->entries);
  free(m->slots);
  strmap_init(m, keys);
}

/* The slot holding key, or the empty slot where it belongs. The table is
 * never full, so the probe ends. */
static size_t *slot_of(const strmap *m, const char *key, size_t len) {
  size_t i = hash(key, len) & m->mask;
  for (;;) {
    size_t *slot = &m->slots[i];
    if (!*slot) return slot;
    const strmap_entry *e = &m->entries[*slot - 1];
    if (e->len == len && !memcmp(e->key, key, len)) return slot;
    i = (i + 1) & m->mask;
  }
}

static void grow_slots(strmap *m) {
  size_t count = m->slots ? 2 * (m->mask + 1) : 16;
  free(m->slots);
  m->slots = xcalloc(count, sizeof *m->slots);
  m->mask = count - 1;
  for (size_t k = 0; k < m->n; k++) *slot_of(m, m->entries[k].key, m->entries[k].len) = k + 1;
}

strmap_entry *strmap_find(const strmap *m, const char *key, size_t len) {
  if (!m->slots) return NULL;
  size_t *slot = slot_of(m, key, len);
  return *slot ? &m->entries[*slot - 1] : NULL;
}

strmap_entry *strmap_add(strmap *m, const char *key, size_t len, int *added) {
  if (!m->slots) grow_slots(m);
  size_t *slot = slot_of(m, key, len);
  if (added) *added = !*slot;
  if (*slot) return &m->entries[*slot - 1];
  if (m->n == m->cap) {
    m->cap = m->cap ? 2 * m->cap : 8;
    m->entries = xrealloc(m->entries, m->cap * sizeof *m->entries);
  }
  strmap_entry *e = &m->entries[m->n];
  e->key = m->keys ? arena_strndup(m->keys, key, len) : key;
  e->len = len;
  e->value = NULL;
  *slot = ++m->n;
  if (2 * m->n > m->mask + 1) grow_slots(m); /* at most half full */
  return &m->entries[m->n - 1];
}

void *strmap_get(const strmap *m, const char *key) {
  const strmap_entry *e = strmap_find(m, key, strlen(key));
  return e ? e->value : NULL;
}

void strmap_put(strmap *m, const char *key, void *value) {
  strmap_add(m, key, strlen(key), NULL)->value = value;
}

const char *strmap_first_duplicate(const char *const *keys, int n) {
  if (n < 2) return NULL;
  strmap seen;
  strmap_init(&seen, NULL);
  const char *dup = NULL;
  for (int i = 0; i < n && !dup; i++) {
    int added;
    strmap_add(&seen, keys[i], strlen(keys[i]), &added);
    if (!added) dup = keys[i];
  }
  strmap_free(&seen);
  return dup;
}
