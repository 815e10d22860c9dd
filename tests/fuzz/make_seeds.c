/* make_seeds.c: writes the seed inputs of the harnesses that read binary
 * or generated formats into tests/fuzz/seeds/<harness>/ (the .nasl harness
 * is seeded by examples/, tests/errors/ and tests/golden/ instead, see
 * seed-dirs). The seeds are small, valid or nearly valid files, so that
 * fuzzing starts past the first checks of each reader; they are kept in the
 * repository and replayed by make check.
 *
 * usage: make tests/fuzz/make_seeds
 *        top_srcdir=. tests/fuzz/make_seeds tests/fuzz/seeds
 * Everything written depends on nothing but the program (fixed seeds). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "common/fsutil.h"
#include "compiler/compile.h"
#include "nn/safetensors.h"
#include "runtime/search/rundir.h"
#include "runtime/train/loop.h"
#include "stdlib/registry.h"
#include "tests/fuzz/harness.h"

static const char *out_dir;

/* Writes out_dir/harness/name. */
static void put(const char *harness, const char *name, const void *data, size_t len) {
  char path[4200];
  snprintf(path, sizeof path, "%s/%s", out_dir, harness);
  if (fs_mkdirs(path)) {
    fprintf(stderr, "make_seeds: cannot make %s\n", path);
    exit(1);
  }
  snprintf(path, sizeof path, "%s/%s/%s", out_dir, harness, name);
  FILE *f = fopen(path, "wb");
  if (!f || (len && fwrite(data, 1, len, f) != len) || fclose(f)) {
    fprintf(stderr, "make_seeds: cannot write %s\n", path);
    exit(1);
  }
}

/* Writes one byte then text. */
static void put_prefixed(const char *harness, const char *name, int first, const char *text, size_t len) {
  strbuf b;
  strbuf_init(&b);
  char c = (char)first;
  strbuf_add(&b, &c, 1);
  strbuf_add(&b, text, len);
  put(harness, name, b.data, b.len);
  strbuf_free(&b);
}

static void slurp(const char *path, strbuf *b) {
  strbuf_clear(b);
  if (strbuf_read_file(b, path, (size_t)-1)) {
    fprintf(stderr, "make_seeds: cannot read %s\n", path);
    exit(1);
  }
}

static grammar *compile(const char *name, const char *text, size_t len) {
  char stdlib_dir[4200];
  snprintf(stdlib_dir, sizeof stdlib_dir, "%s/stdlib", fuzz_top_srcdir());
  nasl_options o = {stdlib_dir, 0, stdlib_check_decl};
  nasl_diag d;
  nasl_diag_init(&d, stderr);
  grammar *g = nasl_compile_text(name, text, len, &o, &d);
  nasl_diag_free(&d);
  if (!g) exit(1);
  return g;
}

/* gzip of data[0..len) into out. */
static void gzip(const uint8_t *data, size_t len, strbuf *out) {
  z_stream z;
  memset(&z, 0, sizeof z);
  deflateInit2(&z, 9, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY);
  uLong cap = deflateBound(&z, (uLong)len);
  unsigned char *buf = xmalloc(cap);
  z.next_in = (unsigned char *)data;
  z.avail_in = (uInt)len;
  z.next_out = buf;
  z.avail_out = (uInt)cap;
  deflate(&z, Z_FINISH);
  strbuf_clear(out);
  strbuf_add(out, (const char *)buf, z.total_out);
  deflateEnd(&z);
  free(buf);
}

static void arch_seeds(void) {
  /* the spaces of fuzz_arch.c, in its order */
  const char *files[] = {"quickstart.nasl", "cnn_v2.nasl", "nb201.nasl", "nas_rnn_small.nasl"};
  strbuf text, rec;
  strbuf_init(&text);
  strbuf_init(&rec);
  for (int i = 0; i < 4; i++) {
    char path[4200], name[64];
    snprintf(path, sizeof path, "%s/examples/%s", fuzz_top_srcdir(), files[i]);
    slurp(path, &text);
    grammar *g = compile(path, text.data, text.len);
    rng r;
    rng_seed(&r, (uint64_t)i);
    for (int k = 0; k < 2; k++) {
      arch a;
      if (!arch_generate(g, 1000000L * k, arch_choose_uniform, &r, &a)) continue;
      strbuf_clear(&rec);
      arch_record_json(&a, files[i], &rec);
      snprintf(name, sizeof name, "space%d-%d.json", i, k);
      put_prefixed("arch", name, i, rec.data, rec.len);
      arch_free(&a);
    }
    grammar_free(g);
  }
  strbuf_free(&text);
  strbuf_free(&rec);
}

static void rundir_seeds(void) {
  grammar *g = compile("tiny.nasl", fuzz_tiny_space, strlen(fuzz_tiny_space));
  rng r;
  rng_seed(&r, 1);
  controller ctl;
  controller_init(&ctl, g, &r);
  nn_optimizer cfg = train_optimizer(&g->search.optimizer);
  nn_optim opt;
  nn_optim_init(&opt, &cfg, &ctl.params);
  run_state s;
  memset(&s, 0, sizeof s);
  s.samples = 4;
  s.evaluated = 3;
  s.hits = 1;
  s.baseline = 0.5;
  s.have_baseline = 1;
  s.best = 0.75;
  s.best_test = NAN;
  snprintf(s.best_key, sizeof s.best_key, "|skip_connect~0|");
  rng_seed(&s.r, 7);
  char dir[4200], path[4300];
  snprintf(dir, sizeof dir, "%s", fuzz_temp_dir());
  snprintf(path, sizeof path, "%s/checkpoint.safetensors", dir);
  strbuf err, b;
  strbuf_init(&err);
  strbuf_init(&b);
  for (int k = 0; k < 2; k++) {
    if (rundir_write_checkpoint(dir, &s, k ? &ctl : NULL, k ? &opt : NULL, &err)) {
      fprintf(stderr, "make_seeds: %s\n", err.data);
      exit(1);
    }
    slurp(path, &b);
    put("checkpoint", k ? "controller.safetensors" : "state.safetensors", b.data, b.len);
    if (k) put("safetensors", "checkpoint.safetensors", b.data, b.len);
  }
  unlink(path);
  /* a log of three children, the last line cut short */
  arch a;
  rng_seed(&r, 3);
  arch_generate(g, 0, arch_choose_uniform, &r, &a);
  search_result res;
  memset(&res, 0, sizeof res);
  strbuf log;
  strbuf_init(&log);
  for (int i = 0; i < 3; i++) {
    res.ok = i != 1;
    res.reward = 0.25 * i;
    res.epochs = i == 2 ? 2 : 0;
    res.valid_metric[0] = 0.5;
    res.valid_metric[1] = 0.625;
    res.test_metric = i == 2 ? 0.6 : NAN;
    rundir_log_line(&b, 2 * i, i ? "|skip_connect~0|" : "|none~0|", &res, 0, &a);
    strbuf_add(&log, b.data, b.len);
  }
  put("runlog", "three.jsonl", log.data, log.len);
  put("runlog", "cut.jsonl", log.data, log.len - 9);
  strbuf_free(&log);
  arch_free(&a);
  strbuf_free(&err);
  strbuf_free(&b);
  nn_optim_free(&opt);
  controller_free(&ctl);
  grammar_free(g);
}

static void safetensors_seeds(void) {
  float w[6] = {1, -2, 0.5f, 3, 0, 1e-3f}, one = 4;
  st_tensor ts[3] = {{"w", 2, {2, 3}, w}, {"scalar", 0, {0}, &one}, {"empty", 1, {0}, NULL}};
  const char *keys[] = {"format"}, *values[] = {"pt"};
  char path[4200];
  snprintf(path, sizeof path, "%s/w.safetensors", fuzz_temp_dir());
  strbuf err, b;
  strbuf_init(&err);
  strbuf_init(&b);
  if (st_write(path, ts, 3, keys, values, 1, &err)) {
    fprintf(stderr, "make_seeds: %s\n", err.data);
    exit(1);
  }
  slurp(path, &b);
  put("safetensors", "three.safetensors", b.data, b.len);
  unlink(path);
  strbuf_free(&err);
  strbuf_free(&b);
}

static void be32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

/* An IDX pair of n images of rows x cols as one fuzz_dataset input. */
static void idx_seed(const char *name, int n, int rows, int cols, int gz) {
  size_t ilen = 16 + (size_t)(n * rows * cols), llen = 8 + (size_t)n;
  uint8_t *img = xcalloc(ilen, 1), *lab = xcalloc(llen, 1);
  be32(img, 0x803), be32(img + 4, (uint32_t)n), be32(img + 8, (uint32_t)rows), be32(img + 12, (uint32_t)cols);
  for (size_t i = 16; i < ilen; i++) img[i] = (uint8_t)(i * 37);
  be32(lab, 0x801), be32(lab + 4, (uint32_t)n);
  for (int i = 0; i < n; i++) lab[8 + i] = (uint8_t)(i % 3);
  strbuf zi, zl, in;
  strbuf_init(&zi);
  strbuf_init(&zl);
  strbuf_init(&in);
  if (gz) {
    gzip(img, ilen, &zi);
    gzip(lab, llen, &zl);
  } else {
    strbuf_add(&zi, (const char *)img, ilen);
    strbuf_add(&zl, (const char *)lab, llen);
  }
  char head[3] = {0, (char)(zi.len >> 8), (char)zi.len};
  strbuf_add(&in, head, 3);
  strbuf_add(&in, zi.data, zi.len);
  strbuf_add(&in, zl.data, zl.len);
  put("dataset", name, in.data, in.len);
  strbuf_free(&zi);
  strbuf_free(&zl);
  strbuf_free(&in);
  free(img);
  free(lab);
}

/* One record of CIFAR-10 (which 1) or CIFAR-100 (which 2), maybe gzipped. */
static void cifar_seed(const char *name, int which, int gz) {
  size_t labels = (size_t)which, len = 1 + labels + 3072;
  uint8_t *in = xcalloc(len, 1);
  in[0] = (uint8_t)which;
  in[1] = 7;
  if (which == 2) in[2] = 42;
  for (size_t i = 1 + labels; i < len; i++) in[i] = (uint8_t)(i * 13);
  if (gz) {
    strbuf z;
    strbuf_init(&z);
    gzip(in + 1, len - 1, &z);
    strbuf b;
    strbuf_init(&b);
    strbuf_add(&b, (const char *)in, 1);
    strbuf_add(&b, z.data, z.len);
    put("dataset", name, b.data, b.len);
    strbuf_free(&b);
    strbuf_free(&z);
  } else {
    put("dataset", name, in, len);
  }
  free(in);
}

static void dataset_seeds(void) {
  idx_seed("idx-2x3x2", 2, 3, 2, 0);
  idx_seed("idx-4x2x2.gz", 4, 2, 2, 1);
  cifar_seed("cifar10", 1, 0);
  cifar_seed("cifar10.gz", 1, 1);
  cifar_seed("cifar100", 2, 0);
}

static void corpus_seeds(void) {
  static const char one[] =
      "the cat sat on the mat\nthe dog sat\n\na cat and a dog\r\nthe <unk> word <eos>\nsat sat sat\n"
      "on the mat\tthe cat\nmat\ndog\ncat\nthe end\nof the text\n";
  static const char three[] = "the cat sat\nthe dog sat on the mat\n\0the cat\n\0a dog sat\n";
  put_prefixed("corpus", "one-file", 8, one, sizeof one - 1); /* vocab 10, all tokens */
  put_prefixed("corpus", "three-files", 62, three, sizeof three - 1);
  /* byte 1 of the input is the subset: rewrite it into the prefixed text */
  char subset[sizeof one + 1];
  subset[0] = 3;
  subset[1] = 2; /* 16 training tokens */
  memcpy(subset + 2, one, sizeof one - 1);
  put("corpus", "subset", subset, sizeof one + 1);
}

static void table_seeds(void) {
  static const char plain[] =
      "arch,acc,other\n"
      "|nor_conv_3x3~0|+|none~0|avg_pool_3x3~1|+|skip_connect~0|none~1|none~2|,91.5,x\n"
      "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|,10,y\n"
      "d2:0 1 2,inf,z\n";
  static const char quoted[] = "\"idx\",\"arch\",\"acc\"\r\n1,\"a,\"\"b\"\"\",1e-3\r\n2,\"c\",-0.5\r\n\r\n";
  put("table", "plain.csv", plain, sizeof plain - 1);
  put("table", "quoted.csv", quoted, sizeof quoted - 1);
}

static void json_seeds(void) {
  static const char record[] = "{\"tokens\":[0,1,2],\"depth\":2,\"layers\":[{\"op\":\"conv2d\",\"args\":[3,-1.5e2]}]}";
  static const char text[] = "[\"a\\u00e9\\ud83d\\ude00\\n\", true, false, null, {}, [], -0, 123456789012345678]";
  put_prefixed("json", "record", 0, record, sizeof record - 1);
  put_prefixed("json", "text", 0, text, sizeof text - 1);
  put_prefixed("json", "integers", 4 | 8 | 1, "{\"a\":[1,[2,[3]]]}", 17);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: make_seeds DIRECTORY\n");
    return 2;
  }
  out_dir = argv[1];
  arch_seeds();
  rundir_seeds();
  safetensors_seeds();
  dataset_seeds();
  corpus_seeds();
  table_seeds();
  json_seeds();
  return 0;
}
