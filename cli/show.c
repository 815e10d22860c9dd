/* show.c: `naslc show RECORD.json | FILE [--arch A.json] [--dot]`: the
 * layers, shapes, parameters and FLOPs of an architecture, or a drawing. */
#include <string.h>

#include "cli/cli.h"
#include "common/json.h"
#include "runtime/models/child.h"
#include "runtime/models/lm.h"
#include "runtime/train/train.h"

static int show_lm(cli *c, const grammar *g, const arch *a) {
  rng r;
  rng_seed(&r, 1);
  lm m;
  strbuf err, out;
  strbuf_init(&err);
  strbuf_init(&out);
  int status = EXIT_OK;
  if (lm_build(&m, a, &g->train, g->train.data.vocab > 1 ? g->train.data.vocab : 10000, &r, &err)) {
    fprintf(stderr, "naslc: this cell cannot be built: %s\n", err.data);
    status = EXIT_TRAIN;
  } else {
    if (c->given & O_DOT) lm_dot(&m, &out);
    else lm_summary(&m, &out);
    fwrite(out.data, 1, out.len, stdout);
    lm_free(&m);
  }
  strbuf_free(&err);
  strbuf_free(&out);
  return status;
}

int cmd_show(cli *c) {
  const char *space = c->file, *record = cli_text(c, O_ARCH);
  arena mem;
  arena_init(&mem);
  int status = EXIT_OK;
  size_t flen = strlen(c->file);
  int is_nasl = flen > 5 && !strcmp(c->file + flen - 5, ".nasl");
  if (!record && !is_nasl) { /* a record alone names its space */
    record = c->file;
    strbuf text, err;
    strbuf_init(&text);
    strbuf_init(&err);
    int e = strbuf_read_file(&text, record, NASL_LIMIT_RECORD);
    char *nl = e ? NULL : memchr(text.data, '\n', text.len);
    json_value *v = e ? NULL : json_parse(&mem, text.data, nl ? (size_t)(nl - text.data) : text.len, &err);
    const json_value *f = json_get(v, "file");
    if (e) fprintf(stderr, "naslc: cannot read '%s': %s\n", record, strbuf_read_error(e, NASL_LIMIT_RECORD));
    else if (!f || f->kind != JSON_STRING)
      fprintf(stderr, "naslc: '%s' is not an architecture record naming its space; use 'naslc show FILE --arch %s'\n",
              record, record);
    else space = arena_strdup(&mem, f->string);
    strbuf_free(&text);
    strbuf_free(&err);
    if (e || !f || f->kind != JSON_STRING) {
      arena_free(&mem);
      return EXIT_IO;
    }
  }
  grammar *g = cli_compile_path(space, cli_text(c, O_STDLIB), &status);
  if (g && (c->given & O_FINAL)) { /* the network the final stage trains (its hidden size, channels, cells) */
    if (!g->has_final) {
      fprintf(stderr, "naslc: %s has no final block; --final uses its recipe\n", space);
      status = EXIT_USAGE;
      grammar_free(g);
      g = NULL;
    } else {
      g->train = g->final;
    }
  }
  arch a;
  if (g && grammar_is_lm(g)) {
    if ((record ? cli_load_record(record, g, &a, &status) : cli_arch(c, g, &a, &status)) == 0) {
      status = show_lm(c, g, &a);
      arch_free(&a);
    }
  } else if (g && (record ? cli_load_record(record, g, &a, &status) : cli_arch(c, g, &a, &status)) == 0) {
    child_shape in;
    int classes;
    strbuf err, out;
    strbuf_init(&err);
    strbuf_init(&out);
    train_data_shape(&g->train.data, &in, &classes);
    rng r;
    rng_seed(&r, 1);
    child ch;
    if (child_build(&ch, &a, in, classes, &r, &err)) {
      fprintf(stderr, "naslc: this architecture cannot be built: %s\n", err.data);
      status = EXIT_TRAIN;
    } else {
      if (c->given & O_DOT) child_dot(&ch, &out);
      else child_summary(&ch, &out);
      fwrite(out.data, 1, out.len, stdout);
      child_free(&ch);
    }
    strbuf_free(&err);
    strbuf_free(&out);
    arch_free(&a);
  }
  grammar_free(g);
  arena_free(&mem);
  return status;
}
