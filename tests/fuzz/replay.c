/* replay.c: runs one harness over saved inputs, without libFuzzer.
 *
 * usage: replay_<harness> FILE|DIR...
 * Each FILE, and each regular file directly in each DIR (by name, so the
 * order is fixed), is read whole and passed to the harness's
 * LLVMFuzzerTestOneInput. Before each input the line "replay: PATH" goes to
 * stderr, so that the last such line names the input of a crash. Exit 0
 * after the last input (printing "replayed N inputs" on stdout), 1 when a
 * file or directory cannot be read. A harness that finds a fault aborts, and
 * under the sanitizers a memory error or a leak ends the process with a
 * report: make check's tests/fuzz_replay.sh turns that into a failure. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/arena.h"
#include "common/strbuf.h"
#include "tests/fuzz/harness.h"

static int replay_file(const char *path, long *count) {
  strbuf b;
  strbuf_init(&b);
  if (strbuf_read_file(&b, path, (size_t)-1)) {
    fprintf(stderr, "replay: cannot read %s\n", path);
    strbuf_free(&b);
    return 1;
  }
  fprintf(stderr, "replay: %s\n", path);
  /* a private copy of exactly the file's size, so that reading past the
   * input is seen by the address sanitizer */
  uint8_t *copy = xmalloc(b.len ? b.len : 1);
  if (b.len) memcpy(copy, b.data, b.len);
  LLVMFuzzerTestOneInput(copy, b.len);
  free(copy);
  strbuf_free(&b);
  (*count)++;
  return 0;
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int replay_dir(const char *dir, long *count) {
  DIR *dp = opendir(dir);
  if (!dp) {
    fprintf(stderr, "replay: cannot open %s\n", dir);
    return 1;
  }
  char **paths = NULL;
  size_t n = 0, cap = 0;
  struct dirent *e;
  while ((e = readdir(dp))) {
    if (e->d_name[0] == '.') continue;
    if (n == cap) paths = xrealloc(paths, (cap = cap ? 2 * cap : 64) * sizeof *paths);
    size_t len = strlen(dir) + strlen(e->d_name) + 2;
    paths[n] = xmalloc(len);
    snprintf(paths[n++], len, "%s/%s", dir, e->d_name);
  }
  closedir(dp);
  if (n) qsort(paths, n, sizeof *paths, by_name);
  int rc = 0;
  for (size_t i = 0; i < n; i++) {
    struct stat st;
    if (!rc && !stat(paths[i], &st) && S_ISREG(st.st_mode)) rc = replay_file(paths[i], count);
    free(paths[i]);
  }
  free(paths);
  return rc;
}

int main(int argc, char **argv) {
  long count = 0;
  int rc = 0;
  for (int i = 1; i < argc && !rc; i++) {
    struct stat st;
    if (stat(argv[i], &st)) {
      fprintf(stderr, "replay: cannot read %s\n", argv[i]);
      rc = 1;
    } else {
      rc = S_ISDIR(st.st_mode) ? replay_dir(argv[i], &count) : replay_file(argv[i], &count);
    }
  }
  printf("replayed %ld inputs\n", count);
  return rc;
}
