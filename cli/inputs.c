/* inputs.c: the first steps of most commands: compile the .nasl file, open
 * its plug-ins, read an architecture record (see cli.h). */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/json.h"
#include "compiler/compile.h"
#include "stdlib/extern.h"
#include "stdlib/registry.h"

grammar *cli_compile_path(const char *path, const char *stdlib, int *status) {
  strbuf text;
  strbuf_init(&text);
  int err = strbuf_read_file(&text, path, NASL_LIMIT_SOURCE);
  if (err) {
    fprintf(stderr, "naslc: cannot read '%s': %s\n", path, strbuf_read_error(err, NASL_LIMIT_SOURCE));
    strbuf_free(&text);
    *status = EXIT_IO;
    return NULL;
  }
  nasl_diag d;
  nasl_diag_init(&d, stderr);
  nasl_options opt = {stdlib, 0, stdlib_check_decl};
  grammar *g = nasl_compile_text(path, text.data, text.len, &opt, &d);
  strbuf_free(&text);
  if (!g || d.warnings) nasl_diag_summary(&d);
  nasl_diag_free(&d);
  *status = g ? EXIT_OK : EXIT_INVALID;
  return g;
}

grammar *cli_compile(const cli *c, int *status) { return cli_compile_path(c->file, cli_text(c, O_STDLIB), status); }

/* Opens the library of every extern op g declares, so that a missing
 * library or symbol stops the command before any work: 0, or -1 with the
 * message printed and *status set (the file has errors). */
static int load_plugins(const grammar *g, int *status) {
  strbuf err;
  strbuf_init(&err);
  int rc = nn_extern_load_all(g, &err);
  if (rc) {
    fprintf(stderr, "%s\n", err.data);
    *status = EXIT_INVALID;
  }
  strbuf_free(&err);
  return rc;
}

grammar *cli_compile_runnable(const cli *c, int *status) {
  grammar *g = cli_compile(c, status);
  if (g && load_plugins(g, status)) {
    grammar_free(g);
    return NULL;
  }
  if (g && (c->given & O_FINAL)) { /* train and eval with the final recipe: its data, its normalisation */
    if (!g->has_final) {
      fprintf(stderr, "naslc: %s has no final block; --final uses its recipe\n", c->file);
      *status = EXIT_USAGE;
      grammar_free(g);
      return NULL;
    }
    g->train = g->final;
  }
  return g;
}

int cli_load_record(const char *path, const grammar *g, arch *a, int *status) {
  strbuf text, err;
  strbuf_init(&text);
  strbuf_init(&err);
  int e = strbuf_read_file(&text, path, NASL_LIMIT_RECORD), rc = -1;
  if (e) {
    fprintf(stderr, "naslc: cannot read '%s': %s\n", path, strbuf_read_error(e, NASL_LIMIT_RECORD));
    *status = EXIT_IO;
  } else {
    char *nl = memchr(text.data, '\n', text.len); /* a file of several records: the first */
    int r = arch_from_record(g, text.data, nl ? (size_t)(nl - text.data) : text.len, a, &err);
    if (r < 0)
      fprintf(stderr, "naslc: '%s' is not an architecture record (%s); records come from 'naslc sample'\n", path,
              err.data);
    else if (r == 0)
      fprintf(stderr, "naslc: '%s' does not fit space '%s': %s\n", path, g->name, err.data);
    if (r <= 0) *status = EXIT_IO;
    else rc = 0;
  }
  strbuf_free(&text);
  strbuf_free(&err);
  return rc;
}

int cli_arch(const cli *c, const grammar *g, arch *a, int *status) {
  const char *path = cli_text(c, O_ARCH);
  if (path) return cli_load_record(path, g, a, status);
  if (g->ndecisions > 0) {
    fprintf(stderr, "naslc: space '%s' has %d decisions; name an architecture with --arch A.json "
                    "(a record from 'naslc sample')\n", g->name, g->ndecisions);
    *status = EXIT_USAGE;
    return -1;
  }
  rng r;
  rng_seed(&r, 1);
  arch_generate(g, 0, arch_choose_uniform, &r, a);
  return 0;
}
