/* tokens.c: `naslc tokens FILE [--json]`: the controller's decisions and the
 * size of the space. */
#include "cli/cli.h"
#include "compiler/print.h"

int cmd_tokens(cli *c) {
  int status;
  grammar *g = cli_compile(c, &status);
  if (!g) return status;
  strbuf out;
  strbuf_init(&out);
  if (c->given & O_JSON) {
    grammar_print_json(g, &out);
    strbuf_putc(&out, '\n');
  } else {
    grammar_print_tokens(g, &out);
  }
  fwrite(out.data, 1, out.len, stdout);
  strbuf_free(&out);
  grammar_free(g);
  return EXIT_OK;
}
