/* fuzz_kjv.c: the kjv loader (runtime/data/corpus.c, kjv(vocab)) on any
 * output of the bible program.
 *
 * Byte 0 sets the vocabulary cap (2 + its value mod 256), byte 1 the subset
 * of training tokens (0: all, else its value times 8). The rest is what a
 * stand-in `bible` prints: a shell script in the harness's private
 * directory, first on PATH, that copies a file holding those bytes. So the
 * whole loader runs as it does for users: finding the program, running it,
 * reading its output, splitting it by book.
 *
 * Promises checked (corpus.h): a refusal has a message and leaves the
 * corpus zeroed; an accepted corpus has <unk> and <eos> first, at most the
 * cap of words, only ids below it in each part, and each part holds at
 * least one word.
 *
 * Seeds (tests/fuzz/seeds/kjv): the chapter-1 heading and first verse of
 * each of the 66 books, cut from bible-kjv's own output by
 *   bible gen1:1-rev22:21 | awk '/^[^ ].* 1$/ { k = 1; print ""; print;
 *     print ""; next } /^[^ ].* [0-9]+$/ { k = 0; next }
 *     /^  [0-9]+ / { if (k && $1 != "1") k = 0 } k && NF { print }'
 * behind the two setting bytes: a valid output, from which the fuzzer
 * starts past the book-order checks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "runtime/data/corpus.h"
#include "tests/fuzz/harness.h"

/* Writes the stand-in program once and puts its directory alone on PATH. */
static void stand_in(const char *output) {
  static int done;
  if (done) return;
  char script[4400];
  snprintf(script, sizeof script, "#!/bin/sh\nexec /bin/cat '%s'\n", output);
  const char *prog = fuzz_write_file("bible", (const uint8_t *)script, strlen(script));
  if (chmod(prog, 0700) != 0 || setenv("PATH", fuzz_temp_dir(), 1) != 0) {
    perror("fuzz_kjv: the stand-in bible program");
    exit(1);
  }
  done = 1;
}

static int words_in(const corpus *c, const int *ids, int64_t n) {
  int words = 0;
  for (int64_t i = 0; i < n; i++) {
    fuzz_check(ids[i] >= 0 && ids[i] < c->nwords, "a token id outside the vocabulary");
    words += ids[i] != CORPUS_EOS;
  }
  return words;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 2) return 0;
  const char *out = fuzz_write_file("bible.out", data + 2, size - 2);
  stand_in(out);
  grammar_dataset ds;
  memset(&ds, 0, sizeof ds);
  ds.name = "kjv";
  ds.loader = "kjv";
  ds.vocab = 2 + data[0];
  corpus c;
  memset(&c, 0xa5, sizeof c);
  strbuf err;
  strbuf_init(&err);
  if (corpus_load(&ds, (int64_t)data[1] * 8, &c, &err) == 0) {
    fuzz_check(c.nwords >= 2 && c.nwords <= ds.vocab && !strcmp(c.words[CORPUS_UNK], "<unk>") &&
                   !strcmp(c.words[CORPUS_EOS], "<eos>"),
               "a vocabulary without <unk> and <eos> first, or over its cap");
    int train = words_in(&c, c.train, c.ntrain), valid = words_in(&c, c.valid, c.nvalid),
        test = words_in(&c, c.test, c.ntest);
    fuzz_check(train > 0 && valid > 0 && test > 0, "an accepted corpus with an empty part");
  } else {
    corpus zero;
    memset(&zero, 0, sizeof zero);
    fuzz_check(err.len > 0 && !memcmp(&c, &zero, sizeof c), "a refusal without a message or not zeroed");
  }
  corpus_free(&c);
  strbuf_free(&err);
  return 0;
}
