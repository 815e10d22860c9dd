/* load.c: reading the main file, the stdlib and every import.
 *
 * Each file is read once (imports are deduplicated by canonical path, so
 * cycles are harmless) and its declarations are sorted into the compiler's
 * lists. A relative import is looked up beside the importing file, then in
 * the stdlib directory. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compiler/internal.h"

static const char *dir_of(arena *a, const char *path) {
  const char *slash = strrchr(path, '/');
  if (!slash) return ".";
  if (slash == path) return "/";
  return arena_strndup(a, path, (size_t)(slash - path));
}

static const char *join(arena *a, const char *dir, const char *rel) {
  if (rel[0] == '/' || !dir || !strcmp(dir, ".")) return arena_strdup(a, rel);
  return arena_printf(a, "%s/%s", dir, rel);
}

const char *compiler_loc_dir(compiler *c, nasl_loc loc) {
  if (loc.file < 0 || loc.file >= c->file_dirs.n) return ".";
  return c->file_dirs.items[loc.file];
}

const char *compiler_resolve_path(compiler *c, nasl_loc loc, const char *path) {
  return join(&c->ast, compiler_loc_dir(c, loc), path);
}

static void register_file(compiler *c, const char *path, int file) {
  while (c->file_dirs.n <= file) ptrvec_push(&c->ast, &c->file_dirs, (void *)".");
  c->file_dirs.items[file] = (void *)dir_of(&c->ast, path);
}

static int already_loaded(compiler *c, const char *path) {
  char buf[PATH_MAX];
  const char *canon = realpath(path, buf) ? buf : path;
  for (int i = 0; i < c->loaded_paths.n; i++)
    if (!strcmp(c->loaded_paths.items[i], canon)) return 1;
  ptrvec_push(&c->ast, &c->loaded_paths, arena_strdup(&c->ast, canon));
  return 0;
}

static void load_decls(compiler *c, ast_file *f);

/* Reads and parses path; reports at `from` when it cannot. */
static void load_path(compiler *c, const char *path, nasl_loc from, const char *what) {
  if (already_loaded(c, path)) return;
  strbuf b;
  strbuf_init(&b);
  int err = strbuf_read_file(&b, path, NASL_LIMIT_SOURCE);
  if (err) {
    nasl_error(c->d, from, "cannot read %s '%s': %s", what, path, strbuf_read_error(err, NASL_LIMIT_SOURCE));
    if (from.file < 0 || !strcmp(what, "the stdlib"))
      nasl_note(c->d, from, "the stdlib is found through --stdlib DIR, $NASLC_STDLIB or the installed copy");
    strbuf_free(&b);
    return;
  }
  size_t len = b.len;
  int file = nasl_diag_add_source(c->d, path, strbuf_take(&b), len);
  strbuf_free(&b);
  register_file(c, path, file);
  ast_file *f = nasl_parse(&c->ast, c->d, file);
  ptrvec_push(&c->ast, &c->files, f);
  load_decls(c, f);
}

static int file_exists(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static void duplicate_block(compiler *c, ast_decl *first, ast_decl *again, const char *what) {
  nasl_error(c->d, again->loc, "a second %s block; a file has at most one", what);
  nasl_note(c->d, first->loc, "the first %s block is here", what);
}

static void load_decls(compiler *c, ast_file *f) {
  for (int i = 0; i < f->decls.n; i++) {
    ast_decl *d = f->decls.items[i];
    switch (d->kind) {
      case DE_IMPORT: {
        if (!d->str || !d->str[0]) {
          nasl_error(c->d, d->str_loc, "empty import path");
          break;
        }
        const char *path = compiler_resolve_path(c, d->str_loc, d->str);
        if (!file_exists(path) && d->str[0] != '/' && c->stdlib_dir) {
          const char *in_std = join(&c->ast, c->stdlib_dir, d->str);
          if (file_exists(in_std)) path = in_std;
        }
        load_path(c, path, d->str_loc, "imported file");
        break;
      }
      case DE_OP: ptrvec_push(&c->ast, &c->op_decls, d); break;
      case DE_DATASET: ptrvec_push(&c->ast, &c->datasets, d); break;
      case DE_SPACE:
      case DE_CELL: ptrvec_push(&c->ast, &c->spaces, d); break;
      case DE_TRAIN:
        if (c->train) duplicate_block(c, c->train, d, "train");
        else c->train = d;
        break;
      case DE_SEARCH:
        if (c->search) duplicate_block(c, c->search, d, "search");
        else c->search = d;
        break;
      case DE_FINAL:
        if (c->final) duplicate_block(c, c->final, d, "final");
        else c->final = d;
        break;
    }
  }
}

void compiler_load_main(compiler *c, const char *path, const char *text, size_t len) {
  if (c->stdlib_dir) {
    const char *std = join(&c->ast, c->stdlib_dir, "std.nasl");
    load_path(c, std, NASL_NOLOC, "the stdlib");
  }
  c->stdlib_sources = c->d->nsources;
  if (already_loaded(c, path)) return;
  char *copy = xmalloc(len + 1);
  memcpy(copy, text, len);
  copy[len] = 0;
  int file = nasl_diag_add_source(c->d, path, copy, len);
  register_file(c, path, file);
  ast_file *f = nasl_parse(&c->ast, c->d, file);
  ptrvec_push(&c->ast, &c->files, f);
  load_decls(c, f);
}

const char *nasl_default_stdlib(void) {
  static char buf[PATH_MAX];
  const char *env = getenv("NASLC_STDLIB");
  if (env && env[0]) return env;
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 32);
  if (n > 0) {
    buf[n] = 0;
    char *slash = strrchr(buf, '/');
    if (slash) {
      strcpy(slash + 1, "stdlib/std.nasl");
      if (file_exists(buf)) {
        slash[1 + strlen("stdlib")] = 0;
        return buf;
      }
    }
  }
#ifdef NASLC_STDLIB_DIR
  return NASLC_STDLIB_DIR;
#else
  return "stdlib";
#endif
}
