/* harness.c: the temporary files, the source tree and the example spaces of
 * the harnesses (see harness.h). */
#include "tests/fuzz/harness.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compiler/compile.h"
#include "stdlib/registry.h"

static char temp_dir[1024];
static char names[16][64];      /* files written, removed at exit */
static char path_buf[16][1100]; /* their paths */
static int nnames;

static void remove_temp_dir(void) {
  for (int i = 0; i < nnames; i++) unlink(path_buf[i]);
  rmdir(temp_dir);
}

const char *fuzz_temp_dir(void) {
  if (temp_dir[0]) return temp_dir;
  const char *tmp = getenv("TMPDIR");
  snprintf(temp_dir, sizeof temp_dir, "%s/naslc-fuzz-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
  if (!mkdtemp(temp_dir)) {
    fprintf(stderr, "fuzz: cannot make a directory %s: %s\n", temp_dir, strerror(errno));
    exit(1);
  }
  atexit(remove_temp_dir);
  return temp_dir;
}

/* The slot of name in names[], added when new. */
static int slot(const char *name) {
  for (int i = 0; i < nnames; i++)
    if (!strcmp(names[i], name)) return i;
  if (nnames == 16 || strlen(name) >= sizeof names[0] || strchr(name, '/')) {
    fprintf(stderr, "fuzz: bad temporary file name '%s'\n", name);
    exit(1);
  }
  snprintf(names[nnames], sizeof names[0], "%s", name);
  return nnames++;
}

const char *fuzz_write_file(const char *name, const uint8_t *data, size_t size) {
  const char *dir = fuzz_temp_dir();
  int i = slot(name);
  char *path = path_buf[i];
  snprintf(path, sizeof path_buf[i], "%s/%s", dir, name);
  /* a new file rather than the old one truncated: ext4 flushes a file
   * truncated and rewritten when it is closed, ten times the cost */
  unlink(path);
  FILE *f = fopen(path, "wb");
  if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f)) {
    fprintf(stderr, "fuzz: cannot write %s: %s\n", path, strerror(errno));
    exit(1);
  }
  return path;
}

const char *fuzz_top_srcdir(void) {
  const char *top = getenv("top_srcdir");
  return top && top[0] ? top : ".";
}

grammar *fuzz_compile_example(const char *file) {
  char stdlib_dir[4200], path[4200];
  snprintf(stdlib_dir, sizeof stdlib_dir, "%s/stdlib", fuzz_top_srcdir());
  snprintf(path, sizeof path, "%s/examples/%s", fuzz_top_srcdir(), file);
  nasl_options o = {stdlib_dir, 0, stdlib_check_decl};
  nasl_diag d;
  nasl_diag_init(&d, stderr);
  grammar *g = nasl_compile_file(path, &o, &d);
  nasl_diag_free(&d);
  if (!g) {
    fprintf(stderr, "fuzz: %s does not compile (is $top_srcdir set?)\n", path);
    exit(1);
  }
  return g;
}

const char fuzz_tiny_space[] =
    "cell tiny {\n"
    "  dag { nodes: 2; edges: all; ops: [none, skip_connect] }\n"
    "}\n"
    "search reinforce {\n"
    "  controller: lstm(layers: 1, hidden: 2, init: 0.08)\n"
    "  optimizer: adam(lr: 0.001)\n"
    "  batch: 2\n"
    "  samples: 10\n"
    "  evaluator: table(file: \"t.csv\", column: \"acc\")\n"
    "  reward: table\n"
    "}\n";

void fuzz_check(int ok, const char *what) {
  if (ok) return;
  fprintf(stderr, "fuzz: broken promise: %s\n", what);
  abort();
}
