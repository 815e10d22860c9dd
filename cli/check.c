/* check.c: `naslc check FILE`: compile a space, open its plug-ins, and say
 * how large it is. */
#include <string.h>

#include "cli/cli.h"
#include "compiler/print.h"

int cmd_check(cli *c) {
  int status;
  grammar *g = cli_compile_runnable(c, &status);
  if (!g) return status;
  if (!(c->given & O_QUIET)) {
    char size[64];
    grammar_size_text(g, size, sizeof size);
    printf("%s: ok: %s '%s', %d decision%s, %s architecture%s\n", c->file,
           g->space_kind == SPACE_CNN ? "space" : "cell", g->name, g->ndecisions, g->ndecisions == 1 ? "" : "s",
           size, strcmp(size, "1") ? "s" : "");
  }
  grammar_free(g);
  return EXIT_OK;
}
