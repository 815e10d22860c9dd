/* sample.c: `naslc sample FILE [--seed N] [-n K] [--at SAMPLES]`: K
 * architectures drawn uniformly, one record per line. */
#include "cli/cli.h"

int cmd_sample(cli *c) {
  int status;
  grammar *g = cli_compile(c, &status);
  if (!g) return status;
  rng r;
  rng_seed(&r, (uint64_t)cli_num(c, O_SEED, 1));
  strbuf out;
  strbuf_init(&out);
  long long count = cli_num(c, O_COUNT, 1);
  for (long long i = 0; i < count; i++) {
    arch a;
    if (!arch_generate(g, (long)cli_num(c, O_AT, 0), arch_choose_uniform, &r, &a)) break;
    strbuf_clear(&out);
    arch_record_json(&a, c->file, &out);
    strbuf_putc(&out, '\n');
    fwrite(out.data, 1, out.len, stdout);
    arch_free(&a);
  }
  strbuf_free(&out);
  grammar_free(g);
  return EXIT_OK;
}
