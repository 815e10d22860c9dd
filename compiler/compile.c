/* compile.c: the compiler's passes in order (see compile.h). */
#include <string.h>

#include "compiler/internal.h"

static grammar *compile(const char *path, const char *text, size_t len, const nasl_options *opt,
                        nasl_diag *d) {
  compiler c;
  memset(&c, 0, sizeof c);
  c.d = d;
  c.guard = -1;
  c.layer = -1;
  arena_init(&c.ast);
  grammar *g = xcalloc(1, sizeof *g);
  arena_init(&g->mem);
  c.g = g;
  c.stdlib_dir = (opt && opt->no_stdlib) ? NULL
                 : (opt && opt->stdlib_dir) ? opt->stdlib_dir : nasl_default_stdlib();
  c.check_builtin = opt ? opt->check_builtin : NULL;
  int errors = d->errors;

  compiler_load_main(&c, path, text, len);
  compiler_declare_ops(&c);
  if (c.spaces.n == 0) {
    int main_file = d->nsources - 1;
    for (int i = 0; i < d->nsources; i++)
      if (!strcmp(d->sources[i]->path, path)) main_file = i;
    if (d->errors == errors)
      nasl_error(d, (nasl_loc){main_file, 0, 0},
                 "no search space here; declare one with 'space NAME { ... }' or 'cell NAME { ... }'");
  } else {
    if (c.spaces.n > 1) {
      ast_decl *second = c.spaces.items[1];
      nasl_error(d, second->name_loc, "a second search space '%s'; a file describes one", second->name);
      nasl_note(d, ((ast_decl *)c.spaces.items[0])->name_loc, "the first is here");
    }
    ast_decl *space = c.spaces.items[0];
    g->name = arena_strdup(&g->mem, space->name);
    if (space->kind == DE_SPACE) compiler_lower_space(&c, space);
    else compiler_lower_cell(&c, space);
    if (!g->program && d->errors == errors)
      nasl_error(d, space->name_loc, "'%s' describes nothing to search", space->name);
  }
  compiler_fill_recipes(&c); /* even after errors, to report the recipes' own */
  if (d->errors == errors && g->program) {
    compiler_finish_grammar(&c);
    compiler_compute_sizes(&c);
  }
  arena_free(&c.ast);
  if (d->errors > errors || !g->program) {
    grammar_free(g);
    return NULL;
  }
  return g;
}

grammar *nasl_compile_text(const char *path, const char *text, size_t len, const nasl_options *opt,
                           nasl_diag *d) {
  return compile(path, text, len, opt, d);
}

grammar *nasl_compile_file(const char *path, const nasl_options *opt, nasl_diag *d) {
  strbuf b;
  strbuf_init(&b);
  int err = strbuf_read_file(&b, path, NASL_LIMIT_SOURCE);
  if (err) {
    nasl_error(d, NASL_NOLOC, "cannot read '%s': %s", path, strbuf_read_error(err, NASL_LIMIT_SOURCE));
    strbuf_free(&b);
    return NULL;
  }
  grammar *g = compile(path, b.data, b.len, opt, d);
  strbuf_free(&b);
  return g;
}
