/* fuzz_corpus.c: the text corpus readers (runtime/data/corpus.c, the text
 * loader of a .nasl dataset) on any bytes.
 *
 * Byte 0 sets the vocabulary cap (2 + its value mod 64), byte 1 the subset
 * of training tokens (0: all, else its value times 8). The rest is split at
 * its first two NUL bytes into the training, validation and test files
 * (text(train, valid, test)); with no NUL it is one file that the loader
 * splits itself, with one NUL a training and a validation file. A NUL after
 * the second stays in the test file, which the loader must refuse as not
 * text. Promises checked (corpus.h): a refusal has a message and leaves the
 * corpus zeroed; an accepted corpus has <unk> and <eos> first, at most
 * the cap of words, and only ids below it in each part. */
#include <stdio.h>
#include <string.h>

#include "runtime/data/corpus.h"
#include "tests/fuzz/harness.h"

static void check_part(const corpus *c, const int *ids, int64_t n) {
  for (int64_t i = 0; i < n; i++) fuzz_check(ids[i] >= 0 && ids[i] < c->nwords, "a token id outside the vocabulary");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 2) return 0;
  static const char *const names[3] = {"train.txt", "valid.txt", "test.txt"};
  char paths[3][4200];
  int nfiles = 0;
  const uint8_t *p = data + 2, *end = data + size;
  while (p <= end && nfiles < 3) {
    const uint8_t *nul = nfiles < 2 ? memchr(p, 0, (size_t)(end - p)) : NULL;
    const uint8_t *stop = nul ? nul : end;
    snprintf(paths[nfiles], sizeof paths[nfiles], "%s", fuzz_write_file(names[nfiles], p, (size_t)(stop - p)));
    nfiles++;
    if (!nul) break;
    p = nul + 1;
  }
  grammar_dataset ds;
  memset(&ds, 0, sizeof ds);
  ds.name = "fuzz";
  ds.loader = "text";
  ds.train = paths[0];
  ds.valid = nfiles > 1 ? paths[1] : NULL;
  ds.test = nfiles > 2 ? paths[2] : NULL;
  ds.vocab = 2 + data[0] % 64;
  corpus c;
  memset(&c, 0xa5, sizeof c);
  strbuf err;
  strbuf_init(&err);
  if (corpus_load(&ds, (int64_t)data[1] * 8, &c, &err) == 0) {
    fuzz_check(c.nwords >= 2 && c.nwords <= ds.vocab && !strcmp(c.words[CORPUS_UNK], "<unk>") &&
                   !strcmp(c.words[CORPUS_EOS], "<eos>"),
               "a vocabulary without <unk> and <eos> first, or over its cap");
    check_part(&c, c.train, c.ntrain);
    check_part(&c, c.valid, c.nvalid);
    check_part(&c, c.test, c.ntest);
  } else {
    corpus zero;
    memset(&zero, 0, sizeof zero);
    fuzz_check(err.len > 0 && !memcmp(&c, &zero, sizeof c), "a refusal without a message or not zeroed");
  }
  corpus_free(&c);
  strbuf_free(&err);
  return 0;
}
