/* arena.h: bump allocation freed all at once.
 *
 * The AST, the grammar and sampled architectures each live in one arena, so a
 * structure is released by a single arena_free() and nothing is freed piecemeal.
 * Allocation failure is the only fatal condition in naslc (there is no sensible
 * recovery when malloc fails): nasl_out_of_memory() reports it and exits with
 * NASL_EXIT_NOMEM (naslc(1), EXIT STATUS). */
#ifndef NASLC_ARENA_H
#define NASLC_ARENA_H

#include <stddef.h>

/* The exit status of a process that ran out of memory. */
#define NASL_EXIT_NOMEM 5

/* Prints "naslc: out of memory (asked for SIZE bytes); ..." on standard error
 * and exits with NASL_EXIT_NOMEM. size 0: the size is not known. */
_Noreturn void nasl_out_of_memory(size_t size);

typedef struct arena_block arena_block;

typedef struct arena {
  arena_block *head;   /* most recent block; older blocks chain from it */
  size_t used;         /* bytes used in head */
  size_t total;        /* bytes handed out over the arena's life */
} arena;

void arena_init(arena *a);
/* Releases every block; the arena may be reused afterwards. */
void arena_free(arena *a);
/* Zeroed, 16-byte aligned memory owned by the arena. */
void *arena_alloc(arena *a, size_t size);
/* As arena_alloc, 64-byte aligned and not zeroed (large numeric buffers). */
void *arena_alloc_raw(arena *a, size_t size);
/* Forgets every allocation but keeps the largest block for reuse, so a loop
 * that allocates the same amount each iteration stops calling malloc. */
void arena_reset(arena *a);
/* Copies of strings and byte ranges, NUL-terminated, owned by the arena. */
char *arena_strdup(arena *a, const char *s);
char *arena_strndup(arena *a, const char *s, size_t n);
char *arena_printf(arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* malloc that reports and exits on failure; used for buffers outside arenas. */
void *xmalloc(size_t size);
void *xrealloc(void *p, size_t size);
void *xcalloc(size_t n, size_t size);
char *xstrdup(const char *s);

/* A growable array of pointers inside an arena (old storage is left to the
 * arena when it grows: amortised O(1), nothing to free). */
typedef struct ptrvec {
  void **items;  /* items[0..n) */
  int n;         /* number of items */
  int cap;       /* capacity of items */
} ptrvec;

void ptrvec_push(arena *a, ptrvec *v, void *item);

#endif
