/* corpus.h: word-level text corpora for language modelling (NAS-RNN).
 *
 * A corpus is three sequences of word ids (train, valid, test) over one
 * vocabulary, read by the text loaders of a .nasl dataset (compiler/recipe.c):
 *   text(train, valid, test, vocab)  one file, or three;
 *   ptb(dir, vocab)                  dir/ptb.train.txt, ptb.valid.txt,
 *                                    ptb.test.txt;
 *   kjv(vocab)                       the King James Bible of Debian's
 *                                    bible-kjv package (below).
 *
 * Text layout (Penn Treebank): one sentence per line; words are separated by
 * any run of blanks (space, tab, CR, VT, FF), so CRLF files read as LF
 * files; a line ends at LF or at the end of the file. Each line holding at
 * least one word gives its words followed by <eos>; a line with no words
 * (blank) gives nothing. The words "<unk>" and "<eos>" in the text are the
 * two reserved tokens themselves. Words are bytes, compared exactly (no case
 * folding, any encoding). A file holding a NUL byte is not text and is
 * rejected, as is a gzip-compressed one.
 *
 * Vocabulary: id 0 is <unk>, id 1 is <eos>; then the words of the training
 * part by decreasing count, ties by first occurrence in the training text,
 * kept until the vocabulary holds `vocab` entries (its total size, <unk> and
 * <eos> included; at least 2). Counts come from the whole training part,
 * before any subset is taken, so ids do not depend on the subset. Every other
 * word, in any part, becomes <unk>.
 *
 * One-file split (text without valid and/or test): the lines holding words
 * are counted (n); the last n/10 of them (rounded down) are the test part,
 * the n/10 before them the validation part, the rest the training part. When
 * only one of valid/test is missing, only that part is split off, from the
 * end. The split needs at least 10 such lines.
 *
 * kjv: runs `bible gen1:1-rev22:21` (bible-kjv's program, found on PATH)
 * and reads its output: "Book N" chapter headings, verses starting with
 * their number and wrapped over several lines. Each verse becomes one line:
 * the number dropped, lowercased (ASCII), then cut into words. A word is a
 * maximal run of letters, digits, apostrophes, hyphens and bytes >= 0x80;
 * two or more hyphens in a row ("--", a dash) separate words; apostrophes
 * and hyphens at either end of a word are removed ("brother's", "beth-el"
 * stay one word, "sons'" becomes "sons"); all other characters (, . ; : ? !
 * parentheses) are dropped. Whole books make the split (book numbers in
 * canonical order, Genesis 1 .. Revelation 66):
 *   valid: Isaiah (23), Luke (42), Romans (45), 1 Corinthians (46)
 *   test:  Jeremiah (24), John (43), Hebrews (58), Revelation (66)
 *   train: the other 58 books
 * so that each held-out part has a major prophet, a gospel and epistles and
 * holds about 10% of the words. With bible-kjv 4.38 (31,102 verses):
 *   part    verses   words    tokens with <eos>
 *   train   24,839  627,131  651,970  (79.4%)
 *   valid    3,313   81,862   85,175  (10.4%)
 *   test     2,950   80,640   83,590  (10.2%)
 * The output must hold the 66 books in that order; anything else is
 * reported as an unexpected bible output.
 *
 * Errors: corpus_load returns 0, or -1 after appending one line (no trailing
 * newline) to *err when err is not NULL. The line starts with the file
 * concerned (or "kjv:" / "corpus:"), says what is wrong and what to do, and
 * for a file names the .nasl setting that points to it, e.g.
 *   "data/ptb/ptb.valid.txt: cannot open: No such file or directory; it is
 *    the validation text of dataset 'ptb' (ptb(dir: "data/ptb") in the .nasl
 *    file reads ptb.train.txt, ptb.valid.txt and ptb.test.txt there)".
 * Nothing here exits or aborts, except when malloc fails (fatal everywhere
 * in naslc, see arena.h).
 *
 * Ownership: a corpus filled by corpus_load owns words (and each string),
 * train, valid, test and source (all malloc'd, never NULL after a success,
 * even for an empty part) and is released by corpus_free. On failure the
 * output is left zeroed, so corpus_free on it is harmless; a zeroed corpus
 * ({0}) is an empty, valid-to-free value. corpus_load only borrows ds. */
#ifndef NASLC_CORPUS_H
#define NASLC_CORPUS_H

#include <stdint.h>

#include "common/strbuf.h"
#include "grammar/grammar.h"

/* Ids of the two reserved tokens. */
#define CORPUS_UNK 0
#define CORPUS_EOS 1

/* The bible-kjv program and the passage that is the whole Bible. */
#define CORPUS_BIBLE_PROGRAM "bible"
#define CORPUS_BIBLE_RANGE "gen1:1-rev22:21"

typedef struct corpus {
  int nwords;                     /* vocabulary size, <unk> and <eos> included */
  char **words;                   /* id -> word, nwords strings */
  int unk, eos;                   /* CORPUS_UNK and CORPUS_EOS */
  int *train, *valid, *test;      /* token ids in text order, <eos> after each line */
  int64_t ntrain, nvalid, ntest;  /* their lengths */
  int64_t ntrain_all;             /* training tokens before the subset was taken */
  char *source;                   /* what was read, for messages and run records */
} corpus;

/* Loads the corpus described by ds (its loader is "text", "ptb" or "kjv";
 * ds->vocab caps the vocabulary) into *c. subset > 0 keeps only the first
 * subset training tokens (all of them when there are fewer); 0 keeps all.
 * Checks: vocab >= 2, subset >= 0, every file readable text, the training
 * part and each held-out part holding at least one word. */
int corpus_load(const grammar_dataset *ds, int64_t subset, corpus *c, strbuf *err);

/* Releases c's buffers and zeroes it. c may be NULL or already zeroed. */
void corpus_free(corpus *c);

#endif
