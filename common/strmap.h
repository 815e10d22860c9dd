/* strmap.h: the hash map of naslc, from strings to pointers.
 *
 * Keys are byte strings key[0..len) (they need not be NUL-terminated);
 * values are void pointers. Entries are kept in the order they were added,
 * so walking m->entries[0..n) is deterministic: the corpus numbers its words
 * in order of first occurrence this way. Lookups hash with FNV-1a and probe
 * linearly in a table kept at most half full.
 *
 * Ownership, stated once:
 *   - The map owns its tables (malloc'd); strmap_free releases them.
 *   - Keys are copied or borrowed, as chosen at strmap_init. With an arena,
 *     each new key is copied into it, NUL-terminated; the arena must outlive
 *     the map. With NULL, the map keeps the caller's pointer: those bytes must
 *     stay in place and unchanged for as long as the map is used.
 *   - Values belong to the caller: the map never reads, frees or copies what
 *     they point to.
 *   - A strmap_entry pointer is valid until the next strmap_add or
 *     strmap_put (which may move the entries). */
#ifndef NASLC_STRMAP_H
#define NASLC_STRMAP_H

#include <stddef.h>

#include "common/arena.h"

typedef struct strmap_entry {
  const char *key;  /* key[0..len); NUL-terminated when copied, or when the borrowed key was */
  size_t len;       /* bytes in key, the NUL not counted */
  void *value;      /* the caller's; NULL when strmap_add has just added the key */
} strmap_entry;

typedef struct strmap {
  strmap_entry *entries;  /* entries[0..n), in the order the keys were added */
  size_t n;               /* keys in the map */
  size_t cap;             /* room in entries */
  size_t *slots;          /* open addressing: an index into entries plus 1, or 0 when empty */
  size_t mask;            /* number of slots - 1 (a power of two minus one); 0 before the first add */
  arena *keys;            /* where keys are copied, or NULL when they are borrowed */
} strmap;

/* An empty map; keys: see the ownership rules above. Allocates nothing yet. */
void strmap_init(strmap *m, arena *keys);
/* Releases the tables (not the keys' arena, not the values); the map is
 * empty afterwards and may be used again. */
void strmap_free(strmap *m);
/* The entry for key[0..len), or NULL. */
strmap_entry *strmap_find(const strmap *m, const char *key, size_t len);
/* The entry for key[0..len), added with a NULL value when it is not in the
 * map; *added (when not NULL) says which. */
strmap_entry *strmap_add(strmap *m, const char *key, size_t len, int *added);
/* The value for the NUL-terminated key, or NULL (also when the value is NULL). */
void *strmap_get(const strmap *m, const char *key);
/* Sets the value for the NUL-terminated key, adding the key if needed. */
void strmap_put(strmap *m, const char *key, void *value);

/* The first of the NUL-terminated keys[0..n) that equals an earlier one, or
 * NULL when all are distinct. */
const char *strmap_first_duplicate(const char *const *keys, int n);

#endif
