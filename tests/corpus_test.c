/* corpus_test.c: the word corpora of runtime/corpus.h. Small generated files
 * in a mkdtemp directory: the Penn Treebank layout, the vocabulary (cap,
 * ties, <unk>), <eos> per line, the one-file split, subsets, long lines,
 * every error with its exact message; the kjv loader against stand-in bible
 * programs (missing, failing, silent, out of order) and, when bible-kjv is
 * installed, against the real Bible (split sizes, first words, no verse
 * numbers left, load time). */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "runtime/data/corpus.h"
#include "tap.h"

static char dir[] = "/tmp/corpus_test.XXXXXX";

/* A path inside the scratch directory; static rotating buffers. */
static const char *tpath(const char *name) {
  static char bufs[16][512];
  static int next;
  char *p = bufs[next++ % 16];
  snprintf(p, sizeof bufs[0], "%s/%s", dir, name);
  return p;
}

static void fail_setup(const char *what) {
  perror(what);
  exit(99);
}

static void write_bytes(const char *path, const void *data, size_t len) {
  FILE *f = fopen(path, "wb");
  if (!f || (len && fwrite(data, 1, len, f) != len) || fclose(f) != 0) fail_setup(path);
}

static void write_text(const char *path, const char *text) { write_bytes(path, text, strlen(text)); }

static int is_zeroed(const corpus *c) {
  return c->nwords == 0 && !c->words && !c->train && !c->valid && !c->test && !c->source && c->ntrain == 0 &&
         c->nvalid == 0 && c->ntest == 0;
}

/* Does ids[0..n) equal want[0..wn)? */
static int same_ids(const int *ids, int64_t n, const int *want, int64_t wn) {
  if (n != wn) return 0;
  for (int64_t i = 0; i < n; i++)
    if (ids[i] != want[i]) return 0;
  return 1;
}

static grammar_dataset text_ds(const char *train, const char *valid, const char *test, int vocab) {
  return (grammar_dataset){.name = "wiki", .loader = "text", .train = train, .valid = valid, .test = test,
                           .vocab = vocab};
}

/* A failed load: -1, output zeroed, exactly the message want. */
static void expect_fail(const char *label, const grammar_dataset *ds, int64_t subset, const char *want) {
  corpus c;
  memset(&c, 0xAB, sizeof c);
  strbuf err;
  strbuf_init(&err);
  int rc = corpus_load(ds, subset, &c, &err);
  int ok = rc == -1 && is_zeroed(&c) && strcmp(err.data, want) == 0;
  tap_result(ok, "error: %s", label);
  if (!ok) tap_diag("rc %d, message:\n#   %s\n# wanted:\n#   %s", rc, err.data, want);
  corpus_free(&c);
  strbuf_free(&err);
}

/* ---- Penn Treebank layout, vocabulary ----------------------------------- */

static const char *ptb_dir;

static void test_ptb(void) {
  ptb_dir = tpath("ptb");
  if (mkdir(ptb_dir, 0700) != 0) fail_setup(ptb_dir);
  /* counts: the 3, sat 2, cat dog ran 1 (first seen in that order); a
   * blank line, CRLF, tabs and runs of spaces; the last line has no LF */
  write_text(tpath("ptb/ptb.train.txt"), " the cat sat\n\tthe  dog   sat \n\n   \nthe <unk> ran\r\n");
  write_text(tpath("ptb/ptb.valid.txt"), "the fish sat\n");
  write_text(tpath("ptb/ptb.test.txt"), "cat dog <eos> ran");
  grammar_dataset ds = {.name = "ptb", .loader = "ptb", .dir = ptb_dir, .vocab = 10000};
  corpus c;
  strbuf err;
  strbuf_init(&err);
  int rc = corpus_load(&ds, 0, &c, &err);
  tap_result(rc == 0 && err.len == 0, "ptb: loads");
  if (rc != 0) {
    tap_diag("%s", err.data);
    return;
  }
  const char *order[] = {"<unk>", "<eos>", "the", "sat", "cat", "dog", "ran"};
  int ok = c.nwords == 7 && c.unk == 0 && c.eos == 1;
  for (int i = 0; ok && i < 7; i++) ok = strcmp(c.words[i], order[i]) == 0;
  tap_result(ok, "ptb: <unk> 0, <eos> 1, then by count, ties by first occurrence");
  static const int train[] = {2, 4, 3, 1, 2, 5, 3, 1, 2, 0, 6, 1};
  tap_result(same_ids(c.train, c.ntrain, train, 12), "ptb: train ids, one <eos> per line with words, blank lines none");
  static const int valid[] = {2, 0, 3, 1};
  tap_result(same_ids(c.valid, c.nvalid, valid, 4), "ptb: an unseen word is <unk>");
  static const int test[] = {4, 5, 1, 6, 1};
  tap_result(same_ids(c.test, c.ntest, test, 5), "ptb: a literal <eos> is <eos>; the last line needs no newline");
  tap_result(c.ntrain_all == 12 && c.source && strstr(c.source, "Penn Treebank"), "ptb: source: %s", c.source);
  corpus_free(&c);
  tap_result(is_zeroed(&c), "corpus_free zeroes the corpus");
  corpus_free(&c);
  corpus_free(NULL);

  /* the cap: 5 entries keep the, sat, cat; dog (tied with cat, seen later) and ran become <unk> */
  ds.vocab = 5;
  rc = corpus_load(&ds, 0, &c, &err);
  static const int train5[] = {2, 4, 3, 1, 2, 0, 3, 1, 2, 0, 0, 1};
  tap_result(rc == 0 && c.nwords == 5 && !strcmp(c.words[4], "cat") && same_ids(c.train, c.ntrain, train5, 12),
             "ptb: vocab 5 keeps the 3 most frequent words, the tie goes to the first seen");
  corpus_free(&c);
  ds.vocab = 2;
  rc = corpus_load(&ds, 0, &c, &err);
  static const int train2[] = {0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1};
  tap_result(rc == 0 && c.nwords == 2 && same_ids(c.train, c.ntrain, train2, 12), "ptb: vocab 2 is <unk> and <eos> only");
  corpus_free(&c);

  /* subsets: the vocabulary still comes from the whole training text */
  ds.vocab = 10000;
  rc = corpus_load(&ds, 5, &c, &err);
  tap_result(rc == 0 && c.ntrain == 5 && c.ntrain_all == 12 && c.nwords == 7 && same_ids(c.train, 5, train, 5) &&
                 strstr(c.source, "the first 5 of 12 training tokens"),
             "subset: the first 5 training tokens, same vocabulary");
  corpus_free(&c);
  rc = corpus_load(&ds, 1000, &c, &err);
  tap_result(rc == 0 && c.ntrain == 12 && c.nvalid == 4 && c.ntest == 5, "subset: larger than the text keeps it all");
  corpus_free(&c);
  tap_result(err.len == 0, "no message on success");
  strbuf_free(&err);

  /* ties broken by first occurrence, not alphabetically */
  write_text(tpath("ties.txt"), "zeta alpha mid\nmid alpha zeta\n");
  grammar_dataset t = text_ds(tpath("ties.txt"), tpath("ties.txt"), tpath("ties.txt"), 4);
  rc = corpus_load(&t, 0, &c, NULL);
  tap_result(rc == 0 && c.nwords == 4 && !strcmp(c.words[2], "zeta") && !strcmp(c.words[3], "alpha"),
             "vocabulary: equal counts in order of first occurrence");
  corpus_free(&c);
}

/* ---- one file split by lines -------------------------------------------- */

static void test_split(void) {
  strbuf b;
  strbuf_init(&b);
  /* line i is "w(i mod 21) x(i)", and blank lines in between: the first
   * words of the held-out lines 21..24 are the training words w0..w3 */
  for (int i = 0; i < 25; i++) strbuf_printf(&b, "w%d x%d\n%s", i % 21, i, i % 4 == 0 ? "\n" : "");
  write_text(tpath("one.txt"), b.data);
  grammar_dataset ds = text_ds(tpath("one.txt"), NULL, "", 100);
  corpus c;
  strbuf err;
  strbuf_init(&err);
  int rc = corpus_load(&ds, 0, &c, &err);
  /* 25 lines: 10% is 2 lines (rounded down), so train 21, valid 2, test 2, 3 tokens each */
  int ok = rc == 0 && c.ntrain == 63 && c.nvalid == 6 && c.ntest == 6;
  tap_result(ok, "split: 25 lines give 21 / 2 / 2 lines");
  if (ok) {
    tap_result(!strcmp(c.words[c.valid[0]], "w0") && !strcmp(c.words[c.valid[3]], "w1") &&
                   !strcmp(c.words[c.test[0]], "w2") && !strcmp(c.words[c.test[3]], "w3") &&
                   !strcmp(c.words[c.train[60]], "w20"),
               "split: validation lines just before the test lines, test last");
    tap_result(c.nwords == 44 && c.valid[1] == CORPUS_UNK, "split: vocabulary from the training lines only");
    tap_result(strstr(c.source, "valid: its 2 lines before the test lines, test: its last 2 lines") != NULL,
               "split: source says so: %s", c.source);
  }
  corpus_free(&c);

  write_text(tpath("valid.txt"), "a b\n");
  ds.valid = tpath("valid.txt");
  rc = corpus_load(&ds, 0, &c, &err);
  tap_result(rc == 0 && c.ntrain == 69 && c.nvalid == 3 && c.ntest == 6 && !strcmp(c.words[c.test[0]], "w2"),
             "split: only the missing test part comes off the end");
  corpus_free(&c);
  ds.valid = NULL;
  ds.test = tpath("valid.txt");
  rc = corpus_load(&ds, 0, &c, &err);
  tap_result(rc == 0 && c.ntrain == 69 && c.nvalid == 6 && c.ntest == 3 && !strcmp(c.words[c.valid[0]], "w2"),
             "split: only the missing validation part comes off the end");
  if (err.len) tap_diag("%s", err.data);
  corpus_free(&c);
  tap_result(err.len == 0, "split: no message on success");
  strbuf_free(&err);
  strbuf_free(&b);
}

/* ---- long lines and many words ------------------------------------------ */

static void test_long_lines(void) {
  strbuf b;
  strbuf_init(&b);
  for (int i = 0; i < 300000; i++) strbuf_printf(&b, "w%d ", i % 5000);
  for (int i = 0; i < 200000; i++) strbuf_putc(&b, 'y'); /* one 200,000-byte word */
  strbuf_puts(&b, "\nshort line\n");
  write_bytes(tpath("long.txt"), b.data, b.len);
  grammar_dataset ds = text_ds(tpath("long.txt"), tpath("long.txt"), tpath("long.txt"), 6000);
  corpus c;
  int rc = corpus_load(&ds, 0, &c, NULL);
  tap_result(rc == 0 && c.ntrain == 300001 + 1 + 3 && c.nwords == 5005 && strlen(c.words[c.train[300000]]) == 200000,
             "a line of 300,001 words, one of them 200,000 bytes long");
  corpus_free(&c);
  strbuf_free(&b);
}

/* ---- errors ------------------------------------------------------------- */

/* The Penn Treebank layout: a missing directory, a missing or blank file;
 * each message names the file and the setting that led to it. */
static void ptb_file_errors(void) {
  char want[4096];
  grammar_dataset ds = {.name = "ptb", .loader = "ptb", .dir = tpath("nowhere"), .vocab = 10000};
  snprintf(want, sizeof want,
           "%s/ptb.train.txt: cannot read: No such file or directory; it is the training text of dataset 'ptb' "
           "(ptb(dir: \"%s\") in the .nasl file reads ptb.train.txt, ptb.valid.txt and ptb.test.txt there)",
           ds.dir, ds.dir);
  expect_fail("ptb: missing directory names the file and the setting", &ds, 0, want);

  const char *pd = tpath("ptb_partial");
  if (mkdir(pd, 0700) != 0) fail_setup(pd);
  write_text(tpath("ptb_partial/ptb.train.txt"), "a b\n");
  write_text(tpath("ptb_partial/ptb.test.txt"), "a b\n");
  ds.dir = pd;
  snprintf(want, sizeof want,
           "%s/ptb.valid.txt: cannot read: No such file or directory; it is the validation text of dataset 'ptb' "
           "(ptb(dir: \"%s\") in the .nasl file reads ptb.train.txt, ptb.valid.txt and ptb.test.txt there)",
           pd, pd);
  expect_fail("ptb: missing validation file", &ds, 0, want);
  write_text(tpath("ptb_partial/ptb.valid.txt"), "\n  \n\n");
  snprintf(want, sizeof want,
           "%s/ptb.valid.txt: no words in the validation text (the file is empty or blank); it is the validation "
           "text of dataset 'ptb' (ptb(dir: \"%s\") in the .nasl file reads ptb.train.txt, ptb.valid.txt and "
           "ptb.test.txt there)",
           pd, pd);
  expect_fail("ptb: blank validation file", &ds, 0, want);
}

/* Files of a text(...) dataset that are missing, a directory, or empty. */
static void text_file_errors(const char *good) {
  char want[4096];
  grammar_dataset t = text_ds(tpath("missing.txt"), NULL, NULL, 100);
  snprintf(want, sizeof want,
           "%s: cannot read: No such file or directory; it is the training text of dataset 'wiki' (train: in its "
           "text(...) in the .nasl file)",
           t.train);
  expect_fail("text: missing training file", &t, 0, want);
  t = text_ds(good, good, tpath("missing.txt"), 100);
  snprintf(want, sizeof want,
           "%s: cannot read: No such file or directory; it is the test text of dataset 'wiki' (test: in its "
           "text(...) in the .nasl file)",
           t.test);
  expect_fail("text: missing test file", &t, 0, want);
  t = text_ds(dir, good, good, 100);
  snprintf(want, sizeof want,
           "%s: is a directory, not a text file; it is the training text of dataset 'wiki' (train: in its text(...) "
           "in the .nasl file)",
           dir);
  expect_fail("text: a directory", &t, 0, want);

  write_text(tpath("empty.txt"), "");
  t = text_ds(tpath("empty.txt"), good, good, 100);
  snprintf(want, sizeof want,
           "%s: no words in the training text (the file is empty or blank); it is the training text of dataset "
           "'wiki' (train: in its text(...) in the .nasl file)",
           t.train);
  expect_fail("text: empty training file", &t, 0, want);
  t = text_ds(good, good, tpath("empty.txt"), 100);
  snprintf(want, sizeof want,
           "%s: no words in the test text (the file is empty or blank); it is the test text of dataset 'wiki' "
           "(test: in its text(...) in the .nasl file)",
           t.test);
  expect_fail("text: empty test file", &t, 0, want);
}

/* Files that are not plain text, and texts too short to split. */
static void text_content_errors(const char *good) {
  char want[4096];
  write_bytes(tpath("nul.txt"), "abc def\nxy\0z\n", 13);
  grammar_dataset t = text_ds(tpath("nul.txt"), good, good, 100);
  snprintf(want, sizeof want,
           "%s: holds a NUL byte (offset 10), so it is not a text file; give plain text, one sentence per line",
           t.train);
  expect_fail("text: a NUL byte", &t, 0, want);
  write_bytes(tpath("gz.txt"), "\x1f\x8b\x08\x00", 4);
  t = text_ds(good, tpath("gz.txt"), good, 100);
  snprintf(want, sizeof want, "%s: is gzip-compressed; decompress it (gunzip) and name the text file in the .nasl file",
           t.valid);
  expect_fail("text: gzip-compressed", &t, 0, want);

  write_text(tpath("nine.txt"), "1\n2\n3\n4\n\n5\n6\n7\n8\n9\n");
  t = text_ds(tpath("nine.txt"), NULL, NULL, 100);
  snprintf(want, sizeof want,
           "%s: only 9 lines hold words, too few to split off the validation and test parts (10%% of the lines "
           "each, at least 10 lines); add text, or give valid: and test: files in its text(...) in the .nasl file",
           t.train);
  expect_fail("text: too few lines to split", &t, 0, want);
  t = text_ds(tpath("nine.txt"), good, NULL, 100);
  snprintf(want, sizeof want,
           "%s: only 9 lines hold words, too few to split off the test part (10%% of the lines, at least 10 lines); "
           "add text, or give a test: file in its text(...) in the .nasl file",
           t.train);
  expect_fail("text: too few lines to split off the test part", &t, 0, want);
}

/* Dataset settings and load arguments no text can satisfy. */
static void dataset_setting_errors(const char *good) {
  grammar_dataset t = text_ds(good, good, good, 1);
  expect_fail("vocab 1", &t, 0, "corpus: dataset 'wiki' has vocab 1; it must be at least 2 (<unk> and <eos>)");
  t = text_ds(good, good, good, 100);
  expect_fail("negative subset", &t, -3,
              "corpus: subset -3 for dataset 'wiki'; it must be 0 (all) or a number of training tokens");
  t = text_ds(NULL, good, good, 100);
  expect_fail("text without train", &t, 0,
              "corpus: dataset 'wiki' has no training text; set train: in its text(...) in the .nasl file");
  grammar_dataset img = {.name = "fashion", .loader = "fashion_mnist", .dir = "x", .vocab = 100};
  expect_fail("an image loader", &img, 0,
              "corpus: dataset 'fashion' is read by fashion_mnist, not by a text loader (text, ptb or kjv); give the "
              "train block a text dataset");
}

/* good: a readable text, for the files an error is not about */
static void test_errors(void) {
  const char *good = tpath("ptb/ptb.train.txt");
  ptb_file_errors();
  text_file_errors(good);
  text_content_errors(good);
  dataset_setting_errors(good);

  corpus c;
  grammar_dataset t = text_ds(tpath("missing.txt"), NULL, NULL, 100);
  tap_result(corpus_load(&t, 0, &c, NULL) == -1 && is_zeroed(&c), "error with err == NULL");
}

/* ---- kjv ---------------------------------------------------------------- */

static char *saved_path;

/* Makes dir/bin/bible a shell script with the given body; PATH = dir/bin. */
static void fake_bible(const char *body) {
  const char *bin = tpath("bin");
  mkdir(bin, 0700);
  const char *prog = tpath("bin/bible");
  strbuf s;
  strbuf_init(&s);
  strbuf_printf(&s, "#!/bin/sh\n%s\n", body);
  write_text(prog, s.data);
  strbuf_free(&s);
  if (chmod(prog, 0700) != 0) fail_setup(prog);
  setenv("PATH", bin, 1);
}

static void test_kjv_errors(void) {
  grammar_dataset ds = {.name = "kjv", .loader = "kjv", .vocab = 10000};
  char want[2048];
  setenv("PATH", tpath("nothing_here"), 1);
  expect_fail("kjv: no bible program", &ds, 0,
              "kjv: the `bible` program of the King James Bible is not on PATH; install it with `apt-get install "
              "bible-kjv`");
  const char *prog = tpath("bin/bible");
  fake_bible("echo 'bible: cannot find the text' >&2; exit 3");
  snprintf(want, sizeof want,
           "kjv: `%s gen1:1-rev22:21` exited with status 3 saying \"bible: cannot find the text\"; reinstall it "
           "with `apt-get install --reinstall bible-kjv`",
           prog);
  expect_fail("kjv: the program fails", &ds, 0, want);
  fake_bible("exit 0");
  snprintf(want, sizeof want,
           "kjv: `%s gen1:1-rev22:21` printed nothing; reinstall it with `apt-get install --reinstall bible-kjv`",
           prog);
  expect_fail("kjv: the program prints nothing", &ds, 0, want);
  fake_bible("printf '\\nGenesis 1\\n\\n  1 In the beginning\\nGod created.\\n\\nExodus 1\\n\\n  1 Now\\n'");
  expect_fail("kjv: the output stops early", &ds, 0,
              "kjv: the bible output stops in Exodus (2 verses); expected the whole Bible, Genesis to Revelation; "
              "reinstall it with `apt-get install --reinstall bible-kjv`");
  fake_bible("printf 'Genesis 1\\n  1 In the beginning\\nExodus 1\\n  1 Now\\nGenesis 2\\n'");
  expect_fail("kjv: books out of order", &ds, 0,
              "kjv: line 5 of the bible output heads Genesis after Exodus; expected the 66 books in canonical order; "
              "reinstall it with `apt-get install --reinstall bible-kjv`");
  fake_bible("printf 'Genesis 1\\n  In the beginning\\n'");
  expect_fail("kjv: a verse without its number", &ds, 0,
              "kjv: line 2 of the bible output is neither a chapter heading nor a verse: \"  In the beginning\"; "
              "reinstall it with `apt-get install --reinstall bible-kjv`");
  fake_bible("printf 'Verses follow\\nGenesis 1\\n'");
  expect_fail("kjv: text before the first verse", &ds, 0,
              "kjv: line 1 of the bible output comes before any verse: \"Verses follow\"; reinstall it with "
              "`apt-get install --reinstall bible-kjv`");
  setenv("PATH", saved_path, 1);
}

static int is_digits(const char *s) {
  if (!*s) return 0;
  for (; *s; s++)
    if (*s < '0' || *s > '9') return 0;
  return 1;
}

static int64_t count_id(const int *ids, int64_t n, int id) {
  int64_t k = 0;
  for (int64_t i = 0; i < n; i++) k += ids[i] == id;
  return k;
}

/* Is there an executable `bible` in one of the directories of the PATH the
 * tests started with? */
static int bible_on_path(void) {
  strbuf where;
  strbuf_init(&where);
  int found = 0;
  for (const char *p = saved_path; p && *p && !found;) {
    const char *colon = strchr(p, ':');
    size_t n = colon ? (size_t)(colon - p) : strlen(p);
    strbuf_clear(&where);
    strbuf_add(&where, p, n);
    strbuf_puts(&where, "/bible");
    found = access(where.data, X_OK) == 0;
    p = colon ? colon + 1 : p + n;
  }
  strbuf_free(&where);
  return found;
}

/* Diagnostics for a reader of the log: the split, verses and <unk> rates,
 * and the <unk> rates with no vocabulary cap. */
static void describe_kjv(const corpus *c, const grammar_dataset *ds, int64_t total, int64_t lines) {
  tap_diag("kjv: %s", c->source);
  tap_diag("kjv: tokens (with <eos>) train %lld (%.1f%%), valid %lld (%.1f%%), test %lld (%.1f%%); verses %lld",
           (long long)c->ntrain, 100.0 * (double)c->ntrain / (double)total, (long long)c->nvalid,
           100.0 * (double)c->nvalid / (double)total, (long long)c->ntest, 100.0 * (double)c->ntest / (double)total,
           (long long)lines);
  int64_t unk[3] = {count_id(c->train, c->ntrain, CORPUS_UNK), count_id(c->valid, c->nvalid, CORPUS_UNK),
                    count_id(c->test, c->ntest, CORPUS_UNK)};
  tap_diag("kjv: verses train %lld, valid %lld, test %lld; the words that are not <eos>: %lld, %lld, %lld",
           (long long)count_id(c->train, c->ntrain, CORPUS_EOS), (long long)count_id(c->valid, c->nvalid, CORPUS_EOS),
           (long long)count_id(c->test, c->ntest, CORPUS_EOS),
           (long long)(c->ntrain - count_id(c->train, c->ntrain, CORPUS_EOS)),
           (long long)(c->nvalid - count_id(c->valid, c->nvalid, CORPUS_EOS)),
           (long long)(c->ntest - count_id(c->test, c->ntest, CORPUS_EOS)));
  tap_diag("kjv: vocab %d; <unk> rate train %.2f%%, valid %.2f%%, test %.2f%%", c->nwords,
           100.0 * (double)unk[0] / (double)c->ntrain, 100.0 * (double)unk[1] / (double)c->nvalid,
           100.0 * (double)unk[2] / (double)c->ntest);
  grammar_dataset all = *ds;
  all.vocab = 10000000;
  corpus full;
  if (corpus_load(&all, 0, &full, NULL) == 0) {
    tap_diag("kjv: %d distinct training words; with all of them kept, <unk> rate valid %.2f%%, test %.2f%%",
             full.nwords - 2, 100.0 * (double)count_id(full.valid, full.nvalid, CORPUS_UNK) / (double)full.nvalid,
             100.0 * (double)count_id(full.test, full.ntest, CORPUS_UNK) / (double)full.ntest);
    corpus_free(&full);
  }
}

/* The first words of the training and the test part. */
static void check_kjv_first_words(const corpus *c) {
  strbuf first;
  strbuf_init(&first);
  for (int i = 0; i < 11; i++) strbuf_printf(&first, "%s%s", i ? " " : "", c->words[c->train[i]]);
  tap_result(!strcmp(first.data, "in the beginning god created the heaven and the earth <eos>"),
             "kjv: starts \"%s\"", first.data);
  strbuf_clear(&first);
  for (int i = 0; i < 9; i++) strbuf_printf(&first, "%s%s", i ? " " : "", c->words[c->test[i]]);
  tap_result(!strcmp(first.data, "the words of jeremiah the son of hilkiah of"), "kjv: test starts \"%s\"",
             first.data);
  strbuf_free(&first);
}

/* No verse numbers, capitals or stray punctuation among the words; each
 * offender is shown. */
static int kjv_words_clean(const corpus *c) {
  int ok = 1;
  for (int i = 0; i < c->nwords && ok; i++) {
    const char *w = c->words[i];
    if (is_digits(w) || (i >= 2 && strpbrk(w, "ABCDEFGHIJKLMNOPQRSTUVWXYZ.,;:?!()")) || w[0] == '-' ||
        w[0] == '\'' || w[strlen(w) - 1] == '-' || w[strlen(w) - 1] == '\'')
      ok = 0, tap_diag("unexpected word \"%s\"", w);
  }
  return ok;
}

static void test_kjv(void) {
  if (!bible_on_path()) {
    for (int i = 0; i < 6; i++) printf("ok %d # SKIP bible not on PATH (apt-get install bible-kjv)\n", ++tap_count);
    return;
  }
  grammar_dataset ds = {.name = "kjv", .loader = "kjv", .vocab = 10000};
  corpus c;
  strbuf err;
  strbuf_init(&err);
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  int rc = corpus_load(&ds, 0, &c, &err);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double secs = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
  tap_result(rc == 0, "kjv: loads in %.2f s", secs);
  if (rc != 0) {
    tap_diag("%s", err.data);
    strbuf_free(&err);
    return;
  }
  int64_t total = c.ntrain + c.nvalid + c.ntest;
  int64_t lines = count_id(c.train, c.ntrain, CORPUS_EOS) + count_id(c.valid, c.nvalid, CORPUS_EOS) +
                  count_id(c.test, c.ntest, CORPUS_EOS);
  describe_kjv(&c, &ds, total, lines);
  tap_result(total > 780000 && total < 860000 && lines == 31102 && c.nvalid > total / 14 && c.nvalid < total / 8 &&
                 c.ntest > total / 14 && c.ntest < total / 8 && c.nwords == 10000,
             "kjv: about 820k tokens, 31,102 verses, about 10%% each held out, 10,000 words");
  check_kjv_first_words(&c);
  tap_result(kjv_words_clean(&c), "kjv: no verse numbers, capitals or punctuation left in the vocabulary");
  tap_diag("kjv: loaded in %.2f s (a figure, not a check: speed belongs to make bench)", secs);
  corpus_free(&c);
  strbuf_free(&err);
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
  (void)sb, (void)flag, (void)ftw;
  return remove(path);
}

int main(void) {
  if (!mkdtemp(dir)) fail_setup("mkdtemp");
  const char *path = getenv("PATH");
  saved_path = strdup(path ? path : "/usr/bin:/bin");
  test_ptb();
  test_split();
  test_long_lines();
  test_errors();
  test_kjv_errors();
  test_kjv();
  nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
  free(saved_path);
  return tap_done();
}
