/* arena.c: see arena.h. */
#include "common/arena.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_BLOCK_MIN (64 * 1024)

struct arena_block {
  arena_block *prev;   /* older block */
  size_t size;         /* usable bytes in data */
  _Alignas(16) unsigned char data[];
};

void nasl_out_of_memory(size_t size) {
  if (size)
    fprintf(stderr, "naslc: out of memory (asked for %zu bytes); free memory, or use a smaller network, batch or data set\n",
            size);
  else
    fprintf(stderr, "naslc: out of memory; free memory, or use a smaller network, batch or data set\n");
  exit(NASL_EXIT_NOMEM);
}

void *xmalloc(size_t size) {
  void *p = malloc(size ? size : 1);
  if (!p) nasl_out_of_memory(size);
  return p;
}

void *xrealloc(void *p, size_t size) {
  void *q = realloc(p, size ? size : 1);
  if (!q) nasl_out_of_memory(size);
  return q;
}

void *xcalloc(size_t n, size_t size) {
  void *p = calloc(n ? n : 1, size ? size : 1);
  if (!p) nasl_out_of_memory(n * size);
  return p;
}

char *xstrdup(const char *s) {
  size_t n = strlen(s) + 1;
  char *p = xmalloc(n);
  memcpy(p, s, n);
  return p;
}

void arena_init(arena *a) { memset(a, 0, sizeof *a); }

void arena_free(arena *a) {
  arena_block *b = a->head;
  while (b) {
    arena_block *prev = b->prev;
    free(b);
    b = prev;
  }
  memset(a, 0, sizeof *a);
}

static void *bump(arena *a, size_t size, size_t align) {
  size_t pad = a->head ? (size_t)(-(uintptr_t)(a->head->data + a->used)) & (align - 1) : 0;
  if (!a->head || a->used + pad + size > a->head->size) {
    size_t bsize = size + align > ARENA_BLOCK_MIN ? size + align : ARENA_BLOCK_MIN;
    if (a->head && a->head->size * 2 > bsize && a->head->size < ((size_t)1 << 30)) bsize = a->head->size * 2;
    if (bsize > SIZE_MAX - sizeof(arena_block)) nasl_out_of_memory(size);
    arena_block *b = malloc(sizeof(arena_block) + bsize);
    if (!b) nasl_out_of_memory(size);
    b->prev = a->head;
    b->size = bsize;
    a->head = b;
    a->used = 0;
    pad = (size_t)(-(uintptr_t)b->data) & (align - 1);
  }
  void *p = a->head->data + a->used + pad;
  a->used += pad + size;
  a->total += size;
  return p;
}

void *arena_alloc_raw(arena *a, size_t size) { return bump(a, size ? size : 1, 64); }

void arena_reset(arena *a) {
  if (!a->head) return;
  /* keep the largest block; free the rest */
  arena_block *keep = a->head, *b = a->head;
  while (b) {
    if (b->size > keep->size) keep = b;
    b = b->prev;
  }
  size_t total = 0;
  b = a->head;
  while (b) {
    arena_block *prev = b->prev;
    total += b->size;
    if (b != keep) free(b);
    b = prev;
  }
  /* a step that needed several blocks gets one block big enough next time */
  if (total > keep->size) {
    free(keep);
    keep = malloc(sizeof(arena_block) + total);
    if (!keep) nasl_out_of_memory(total);
    keep->size = total;
  }
  keep->prev = NULL;
  a->head = keep;
  a->used = 0;
  a->total = 0;
}

void *arena_alloc(arena *a, size_t size) {
  size = (size + 15) & ~(size_t)15;
  if (size == 0) size = 16;
  void *p = bump(a, size, 16);
  memset(p, 0, size);
  return p;
}

char *arena_strndup(arena *a, const char *s, size_t n) {
  char *p = arena_alloc(a, n + 1);
  memcpy(p, s, n);
  p[n] = 0;
  return p;
}

char *arena_strdup(arena *a, const char *s) {
  return arena_strndup(a, s, strlen(s));
}

char *arena_printf(arena *a, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0) n = 0;
  char *p = arena_alloc(a, (size_t)n + 1);
  va_start(ap, fmt);
  vsnprintf(p, (size_t)n + 1, fmt, ap);
  va_end(ap);
  return p;
}

void ptrvec_push(arena *a, ptrvec *v, void *item) {
  if (v->n == v->cap) {
    int cap = v->cap ? v->cap * 2 : 4;
    void **items = arena_alloc(a, sizeof(void *) * (size_t)cap);
    if (v->n) memcpy(items, v->items, sizeof(void *) * (size_t)v->n);
    v->items = items;
    v->cap = cap;
  }
  v->items[v->n++] = item;
}
