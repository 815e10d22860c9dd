/* corpus.c: see corpus.h. The three loaders only produce the bytes of the
 * three parts (files read whole, or the Bible rewritten one verse per line);
 * one pipeline then counts the training words, builds the vocabulary and
 * maps every part to ids. */
#define _POSIX_C_SOURCE 200809L
#include "runtime/data/corpus.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/arena.h"
#include "common/strmap.h"

static void errf(strbuf *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void errf(strbuf *err, const char *fmt, ...) {
  if (!err) return;
  va_list ap;
  va_start(ap, fmt);
  strbuf_vprintf(err, fmt, ap);
  va_end(ap);
}

/* ---- the parts of a corpus as text ------------------------------------- */

enum { PART_TRAIN, PART_VALID, PART_TEST, NPARTS };
static const char *const part_names[NPARTS] = {"training", "validation", "test"};

/* The bytes of one part and how to name them in a message. */
typedef struct text_part {
  const char *p;      /* the text (borrowed from a strbuf of the loader) */
  size_t len;         /* its bytes */
  const char *label;  /* the file, or "kjv" */
  const char *hint;   /* the .nasl setting that names the file ("" for kjv) */
} text_part;

static int is_blank(char ch) { return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\v' || ch == '\f'; }

/* Walks a text word by word; see the layout in corpus.h. */
typedef struct word_iter {
  const char *p, *end;
  int line_has_words;  /* a word was seen since the last <eos> */
} word_iter;

enum { ITER_DONE, ITER_WORD, ITER_EOS };

/* The next word (ITER_WORD, in *w and *n), the end of a line that held
 * words (ITER_EOS) or the end of the text (ITER_DONE). */
static int word_next(word_iter *it, const char **w, size_t *n) {
  for (;;) {
    while (it->p < it->end && is_blank(*it->p)) it->p++;
    if (it->p == it->end || *it->p == '\n') {
      int at_end = it->p == it->end;
      if (!at_end) it->p++;
      if (it->line_has_words) {
        it->line_has_words = 0;
        return ITER_EOS;
      }
      if (at_end) return ITER_DONE;
      continue;
    }
    const char *s = it->p;
    while (it->p < it->end && !is_blank(*it->p) && *it->p != '\n') it->p++;
    *w = s;
    *n = (size_t)(it->p - s);
    it->line_has_words = 1;
    return ITER_WORD;
  }
}

/* Number of lines holding at least one word. */
static int64_t lines_with_words(const char *p, size_t len) {
  word_iter it = {p, p + len, 0};
  const char *w;
  size_t n;
  int64_t lines = 0;
  int r;
  while ((r = word_next(&it, &w, &n)) != ITER_DONE) lines += r == ITER_EOS;
  return lines;
}

/* Offset of the first byte after the k-th line holding words (k >= 1), i.e.
 * where the (k+1)-th such line may start; len when there are fewer. */
static size_t offset_after_lines(const char *p, size_t len, int64_t k) {
  word_iter it = {p, p + len, 0};
  const char *w;
  size_t n;
  int r;
  while (k > 0 && (r = word_next(&it, &w, &n)) != ITER_DONE)
    if (r == ITER_EOS) k--;
  return (size_t)(it.p - p);
}

/* ---- reading files ------------------------------------------------------ */

/* Reads path whole into *b and checks that it is text. hint names the
 * .nasl setting behind the path. */
static int read_text(const char *path, const char *hint, strbuf *b, strbuf *err) {
  struct stat st;
  if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
    errf(err, "%s: is a directory, not a text file; %s", path, hint);
    return -1;
  }
  int e = strbuf_read_file(b, path, NASL_LIMIT_CORPUS);
  if (e) {
    errf(err, "%s: cannot read: %s; %s", path, strbuf_read_error(e, NASL_LIMIT_CORPUS), hint);
    return -1;
  }
  if (b->len >= 2 && (unsigned char)b->data[0] == 0x1f && (unsigned char)b->data[1] == 0x8b) {
    errf(err, "%s: is gzip-compressed; decompress it (gunzip) and name the text file in the .nasl file", path);
    return -1;
  }
  const char *nul = memchr(b->data, '\0', b->len);
  if (nul) {
    errf(err, "%s: holds a NUL byte (offset %zu), so it is not a text file; give plain text, one sentence per line",
         path, (size_t)(nul - b->data));
    return -1;
  }
  return 0;
}

/* ---- vocabulary --------------------------------------------------------- */

/* What the vocabulary needs of a distinct training word. The words are the
 * keys of a strmap borrowing them from the training text; its entries keep
 * the order of first occurrence, which breaks ties in the frequency order. */
typedef struct word_info {
  int64_t count;  /* occurrences in the training text */
  int id;         /* its id, or CORPUS_UNK when cut off by the cap */
} word_info;

static void count_word(strmap *words, arena *infos, const char *s, size_t n) {
  int added;
  strmap_entry *e = strmap_add(words, s, n, &added);
  if (added) {
    word_info *w = arena_alloc(infos, sizeof *w);
    w->id = CORPUS_UNK;
    e->value = w;
  }
  ((word_info *)e->value)->count++;
}

static int reserved_id(const char *s, size_t n) {
  if (n == 5 && memcmp(s, "<unk>", 5) == 0) return CORPUS_UNK;
  if (n == 5 && memcmp(s, "<eos>", 5) == 0) return CORPUS_EOS;
  return -1;
}

/* A malloc'd NUL-terminated copy of s[0..n). */
static char *dup_bytes(const char *s, size_t n) {
  char *p = xmalloc(n + 1);
  memcpy(p, s, n);
  p[n] = '\0';
  return p;
}

/* A training word's place in the frequency order. */
typedef struct word_rank {
  int64_t count;
  size_t first;  /* index of its entry: the order of first occurrence */
} word_rank;

/* Decreasing count, then first occurrence. */
static int by_count(const void *a, const void *b) {
  const word_rank *x = a, *y = b;
  if (x->count != y->count) return x->count > y->count ? -1 : 1;
  return x->first < y->first ? -1 : x->first > y->first;
}

/* Counts the training words and keeps the vocab - 2 most frequent ones;
 * fills c->words and c->nwords, and words with a word_info (in infos) for
 * every distinct training word. */
static void build_vocab(const text_part *train, int vocab, strmap *words, arena *infos, corpus *c) {
  word_iter it = {train->p, train->p + train->len, 0};
  const char *w;
  size_t n;
  int r;
  while ((r = word_next(&it, &w, &n)) != ITER_DONE)
    if (r == ITER_WORD && reserved_id(w, n) < 0) count_word(words, infos, w, n);
  word_rank *order = xmalloc((words->n ? words->n : 1) * sizeof *order);
  for (size_t k = 0; k < words->n; k++) order[k] = (word_rank){((word_info *)words->entries[k].value)->count, k};
  qsort(order, words->n, sizeof *order, by_count);
  size_t keep = words->n < (size_t)vocab - 2 ? words->n : (size_t)vocab - 2;
  c->nwords = (int)keep + 2;
  c->words = xmalloc((size_t)c->nwords * sizeof *c->words);
  c->words[CORPUS_UNK] = dup_bytes("<unk>", 5);
  c->words[CORPUS_EOS] = dup_bytes("<eos>", 5);
  for (size_t k = 0; k < keep; k++) {
    const strmap_entry *e = &words->entries[order[k].first];
    ((word_info *)e->value)->id = (int)k + 2;
    c->words[k + 2] = dup_bytes(e->key, e->len);
  }
  free(order);
}

/* The ids of a part's words, <eos> after each line holding words. */
static int *map_part(const text_part *part, const strmap *words, int64_t *len) {
  size_t cap = 1024, n = 0;
  int *ids = xmalloc(cap * sizeof *ids);
  word_iter it = {part->p, part->p + part->len, 0};
  const char *w;
  size_t wn;
  int r;
  while ((r = word_next(&it, &w, &wn)) != ITER_DONE) {
    int id = CORPUS_EOS;
    if (r == ITER_WORD) {
      id = reserved_id(w, wn);
      if (id < 0) {
        const strmap_entry *e = strmap_find(words, w, wn);
        id = e ? ((const word_info *)e->value)->id : CORPUS_UNK;
      }
    }
    if (n == cap) {
      cap *= 2;
      ids = xrealloc(ids, cap * sizeof *ids);
    }
    ids[n++] = id;
  }
  *len = (int64_t)n;
  return ids;
}

/* ---- loaders: the three parts as text ----------------------------------- */

/* What a loader hands the pipeline. */
typedef struct corpus_text {
  strbuf file[NPARTS];    /* text read for each part (a split part borrows the training text) */
  strbuf hint[NPARTS];    /* the .nasl setting behind each part */
  strbuf label[NPARTS];   /* the file read for each part */
  text_part part[NPARTS];
  strbuf source;          /* becomes corpus.source */
} corpus_text;

static void corpus_text_init(corpus_text *ct) {
  memset(ct, 0, sizeof *ct);
  for (int k = 0; k < NPARTS; k++) {
    strbuf_init(&ct->file[k]);
    strbuf_init(&ct->hint[k]);
    strbuf_init(&ct->label[k]);
  }
  strbuf_init(&ct->source);
}

static void corpus_text_free(corpus_text *ct) {
  for (int k = 0; k < NPARTS; k++) {
    strbuf_free(&ct->file[k]);
    strbuf_free(&ct->hint[k]);
    strbuf_free(&ct->label[k]);
  }
  strbuf_free(&ct->source);
}

/* Reads part k from path; its label and hint stay valid in ct. */
static int read_part(corpus_text *ct, int k, const char *path, strbuf *err) {
  strbuf_puts(&ct->label[k], path);
  if (read_text(path, ct->hint[k].data, &ct->file[k], err) != 0) return -1;
  ct->part[k] = (text_part){ct->file[k].data, ct->file[k].len, ct->label[k].data, ct->hint[k].data};
  return 0;
}

static int is_set(const char *s) { return s && s[0]; }

/* text(train, valid, test): one to three files; see corpus.h for the split. */
static int load_text(const grammar_dataset *ds, corpus_text *ct, strbuf *err) {
  static const char *const keys[NPARTS] = {"train", "valid", "test"};
  const char *paths[NPARTS] = {ds->train, ds->valid, ds->test};
  if (!is_set(ds->train)) {
    errf(err, "corpus: dataset '%s' has no training text; set train: in its text(...) in the .nasl file", ds->name);
    return -1;
  }
  for (int k = 0; k < NPARTS; k++)
    strbuf_printf(&ct->hint[k], "it is the %s text of dataset '%s' (%s: in its text(...) in the .nasl file)",
                  part_names[k], ds->name, keys[k]);
  for (int k = 0; k < NPARTS; k++)
    if (is_set(paths[k]) && read_part(ct, k, paths[k], err) != 0) return -1;
  int missing = !is_set(ds->valid) + !is_set(ds->test);
  strbuf_printf(&ct->source, "text %s", ds->train);
  if (!missing) {
    strbuf_printf(&ct->source, ", valid %s, test %s", ds->valid, ds->test);
    return 0;
  }
  text_part *train = &ct->part[PART_TRAIN];
  int64_t lines = lines_with_words(train->p, train->len);
  int64_t tenth = lines / 10;
  if (tenth == 0) {
    errf(err,
         "%s: only %lld lines hold words, too few to split off the %s (10%% of the lines%s, at least 10 lines); "
         "add text, or give %s in its text(...) in the .nasl file",
         ds->train, (long long)lines,
         missing == 2 ? "validation and test parts" : is_set(ds->valid) ? "test part" : "validation part",
         missing == 2 ? " each" : "", missing == 2 ? "valid: and test: files" : is_set(ds->valid) ? "a test: file" : "a valid: file");
    return -1;
  }
  /* the missing parts come off the end, test last */
  size_t cut = offset_after_lines(train->p, train->len, lines - missing * tenth);
  const char *text = train->p;
  size_t len = train->len;
  /* valid is [cut, mid), test [mid, len) */
  size_t mid = missing == 2 ? offset_after_lines(text, len, lines - tenth) : is_set(ds->test) ? len : cut;
  train->len = cut;
  if (!is_set(ds->valid)) {
    ct->part[PART_VALID] = (text_part){text + cut, mid - cut, train->label, train->hint};
    strbuf_printf(&ct->source, ", valid: its %lld lines before the test lines", (long long)tenth);
  } else {
    strbuf_printf(&ct->source, ", valid %s", ds->valid);
  }
  if (!is_set(ds->test)) {
    ct->part[PART_TEST] = (text_part){text + mid, len - mid, train->label, train->hint};
    strbuf_printf(&ct->source, ", test: its last %lld lines", (long long)tenth);
  } else {
    strbuf_printf(&ct->source, ", test %s", ds->test);
  }
  return 0;
}

/* ptb(dir): the three files of the Penn Treebank language-modelling set. */
static int load_ptb(const grammar_dataset *ds, corpus_text *ct, strbuf *err) {
  static const char *const files[NPARTS] = {"ptb.train.txt", "ptb.valid.txt", "ptb.test.txt"};
  const char *dir = is_set(ds->dir) ? ds->dir : ".";
  strbuf path;
  strbuf_init(&path);
  int rc = 0;
  for (int k = 0; k < NPARTS && rc == 0; k++) {
    strbuf_printf(&ct->hint[k],
                  "it is the %s text of dataset '%s' (ptb(dir: \"%s\") in the .nasl file reads ptb.train.txt, "
                  "ptb.valid.txt and ptb.test.txt there)",
                  part_names[k], ds->name, dir);
    strbuf_clear(&path);
    strbuf_printf(&path, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", files[k]);
    rc = read_part(ct, k, path.data, err);
  }
  strbuf_printf(&ct->source, "Penn Treebank (%s)", dir);
  strbuf_free(&path);
  return rc;
}

/* ---- kjv: the King James Bible of bible-kjv ----------------------------- */

/* The 66 books in canonical order, as the bible program heads them, and the
 * part each goes to (the split of corpus.h). */
static const struct kjv_book {
  const char *name;
  int part;
} kjv_books[] = {
    {"Genesis", PART_TRAIN},         {"Exodus", PART_TRAIN},          {"Leviticus", PART_TRAIN},
    {"Numbers", PART_TRAIN},         {"Deuteronomy", PART_TRAIN},     {"Joshua", PART_TRAIN},
    {"Judges", PART_TRAIN},          {"Ruth", PART_TRAIN},            {"1 Samuel", PART_TRAIN},
    {"2 Samuel", PART_TRAIN},        {"1 Kings", PART_TRAIN},         {"2 Kings", PART_TRAIN},
    {"1 Chronicles", PART_TRAIN},    {"2 Chronicles", PART_TRAIN},    {"Ezra", PART_TRAIN},
    {"Nehemiah", PART_TRAIN},        {"Esther", PART_TRAIN},          {"Job", PART_TRAIN},
    {"Psalms", PART_TRAIN},          {"Proverbs", PART_TRAIN},        {"Ecclesiastes", PART_TRAIN},
    {"Song of Solomon", PART_TRAIN}, {"Isaiah", PART_VALID},          {"Jeremiah", PART_TEST},
    {"Lamentations", PART_TRAIN},    {"Ezekiel", PART_TRAIN},         {"Daniel", PART_TRAIN},
    {"Hosea", PART_TRAIN},           {"Joel", PART_TRAIN},            {"Amos", PART_TRAIN},
    {"Obadiah", PART_TRAIN},         {"Jonah", PART_TRAIN},           {"Micah", PART_TRAIN},
    {"Nahum", PART_TRAIN},           {"Habakkuk", PART_TRAIN},        {"Zephaniah", PART_TRAIN},
    {"Haggai", PART_TRAIN},          {"Zechariah", PART_TRAIN},       {"Malachi", PART_TRAIN},
    {"Matthew", PART_TRAIN},         {"Mark", PART_TRAIN},            {"Luke", PART_VALID},
    {"John", PART_TEST},             {"Acts", PART_TRAIN},            {"Romans", PART_VALID},
    {"1 Corinthians", PART_VALID},   {"2 Corinthians", PART_TRAIN},   {"Galatians", PART_TRAIN},
    {"Ephesians", PART_TRAIN},       {"Philippians", PART_TRAIN},     {"Colossians", PART_TRAIN},
    {"1 Thessalonians", PART_TRAIN}, {"2 Thessalonians", PART_TRAIN}, {"1 Timothy", PART_TRAIN},
    {"2 Timothy", PART_TRAIN},       {"Titus", PART_TRAIN},           {"Philemon", PART_TRAIN},
    {"Hebrews", PART_TEST},          {"James", PART_TRAIN},           {"1 Peter", PART_TRAIN},
    {"2 Peter", PART_TRAIN},         {"1 John", PART_TRAIN},          {"2 John", PART_TRAIN},
    {"3 John", PART_TRAIN},          {"Jude", PART_TRAIN},            {"Revelation", PART_TEST}};
#define KJV_BOOKS ((int)(sizeof kjv_books / sizeof kjv_books[0]))
_Static_assert(sizeof kjv_books / sizeof kjv_books[0] == 66, "the Bible has 66 books");

#define KJV_REINSTALL "reinstall it with `apt-get install --reinstall bible-kjv`"

/* The book a chapter heading "Name N" names, or -1 when the line is not
 * one. */
static int kjv_heading(const char *s, size_t n) {
  size_t d = n;
  while (d > 0 && s[d - 1] >= '0' && s[d - 1] <= '9') d--;
  if (d == n || d < 2 || s[d - 1] != ' ') return -1;
  for (int b = 0; b < KJV_BOOKS; b++)
    if (strlen(kjv_books[b].name) == d - 1 && memcmp(kjv_books[b].name, s, d - 1) == 0) return b;
  return -1;
}

static int kjv_word_byte(unsigned char ch) {
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '\'' ||
         ch == '-' || ch >= 0x80;
}

/* Appends word s[0..n) trimmed of apostrophes and hyphens at both ends,
 * lowercased, after a space unless it starts the verse. */
static void kjv_emit(strbuf *out, const char *s, size_t n, int *verse_words) {
  while (n > 0 && (*s == '\'' || *s == '-')) s++, n--;
  while (n > 0 && (s[n - 1] == '\'' || s[n - 1] == '-')) n--;
  if (n == 0) return;
  if ((*verse_words)++) strbuf_putc(out, ' ');
  for (size_t i = 0; i < n; i++) strbuf_putc(out, (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] - 'A' + 'a' : s[i]));
}

/* The words of one line of verse text (see corpus.h for what a word is). */
static void kjv_words(strbuf *out, const char *s, size_t n, int *verse_words) {
  size_t i = 0;
  while (i < n) {
    while (i < n && !kjv_word_byte((unsigned char)s[i])) i++;
    size_t start = i;
    while (i < n && kjv_word_byte((unsigned char)s[i]) && !(s[i] == '-' && i + 1 < n && s[i + 1] == '-')) i++;
    kjv_emit(out, s + start, i - start, verse_words);
    while (i < n && s[i] == '-') i++; /* a dash, or a trailing hyphen already trimmed */
  }
}

/* Rewrites the bible program's output as one verse per line into the parts'
 * buffers, book by book. */
static int kjv_parse(const char *text, size_t len, corpus_text *ct, strbuf *err) {
  int book = -1, verse_part = -1, verse_words = 0;
  int64_t line = 0, verses = 0;
  const char *p = text, *end = text + len;
  while (p < end) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    const char *e = nl ? nl : end;
    const char *s = p;
    p = nl ? nl + 1 : end;
    line++;
    while (e > s && (e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t')) e--;
    if (e == s) continue;
    size_t n = (size_t)(e - s);
    if (s[0] == ' ' || s[0] == '\t') { /* a verse: "  N text" */
      const char *q = s;
      while (q < e && (*q == ' ' || *q == '\t')) q++;
      const char *digits = q;
      while (q < e && *q >= '0' && *q <= '9') q++;
      if (q == digits || (q < e && *q != ' ' && *q != '\t') || book < 0) {
        errf(err, "kjv: line %lld of the bible output is neither a chapter heading nor a verse: \"%.*s\"; %s",
             (long long)line, n < 60 ? (int)n : 60, s, KJV_REINSTALL);
        return -1;
      }
      if (verse_part >= 0 && verse_words) strbuf_putc(&ct->file[verse_part], '\n');
      verse_part = kjv_books[book].part;
      verse_words = 0;
      verses++;
      kjv_words(&ct->file[verse_part], q, (size_t)(e - q), &verse_words);
      continue;
    }
    int b = kjv_heading(s, n);
    if (b >= 0) {
      if (b != book && b != book + 1) {
        errf(err, "kjv: line %lld of the bible output heads %s after %s; expected the 66 books in canonical order; %s",
             (long long)line, kjv_books[b].name, book >= 0 ? kjv_books[book].name : "nothing", KJV_REINSTALL);
        return -1;
      }
      book = b;
      continue;
    }
    if (verse_part < 0) {
      errf(err, "kjv: line %lld of the bible output comes before any verse: \"%.*s\"; %s", (long long)line,
           n < 60 ? (int)n : 60, s, KJV_REINSTALL);
      return -1;
    }
    kjv_words(&ct->file[verse_part], s, n, &verse_words); /* a verse wrapped onto this line */
  }
  if (verse_part >= 0 && verse_words) strbuf_putc(&ct->file[verse_part], '\n');
  if (book != KJV_BOOKS - 1) {
    errf(err, "kjv: the bible output stops %s%s (%lld verses); expected the whole Bible, Genesis to Revelation; %s",
         book >= 0 ? "in " : "before the first book", book >= 0 ? kjv_books[book].name : "", (long long)verses,
         KJV_REINSTALL);
    return -1;
  }
  return 0;
}

/* The full path of program on PATH into *out, or -1. */
static int find_on_path(const char *program, strbuf *out) {
  const char *path = getenv("PATH");
  if (!path) return -1;
  for (const char *p = path;;) {
    const char *colon = strchr(p, ':');
    size_t n = colon ? (size_t)(colon - p) : strlen(p);
    strbuf_clear(out);
    if (n == 0) strbuf_puts(out, ".");
    else strbuf_add(out, p, n);
    strbuf_printf(out, "/%s", program);
    struct stat st;
    if (stat(out->data, &st) == 0 && S_ISREG(st.st_mode) && access(out->data, X_OK) == 0) return 0;
    if (!colon) return -1;
    p = colon + 1;
  }
}

/* Appends s single-quoted for /bin/sh. */
static void shell_quote(strbuf *b, const char *s) {
  strbuf_putc(b, '\'');
  for (; *s; s++) {
    if (*s == '\'') strbuf_puts(b, "'\\''");
    else strbuf_putc(b, *s);
  }
  strbuf_putc(b, '\'');
}

/* kjv: runs the bible program and splits its output by book. */
static int load_kjv(corpus_text *ct, strbuf *err) {
  strbuf prog, cmd, out;
  strbuf_init(&prog);
  strbuf_init(&cmd);
  strbuf_init(&out);
  int rc = -1;
  if (find_on_path(CORPUS_BIBLE_PROGRAM, &prog) != 0) {
    errf(err, "kjv: the `%s` program of the King James Bible is not on PATH; install it with `apt-get install "
              "bible-kjv`",
         CORPUS_BIBLE_PROGRAM);
    goto done;
  }
  shell_quote(&cmd, prog.data);
  strbuf_puts(&cmd, " " CORPUS_BIBLE_RANGE " 2>&1 </dev/null");
  fflush(NULL);
  FILE *f = popen(cmd.data, "r");
  if (!f) {
    errf(err, "kjv: cannot run %s: %s", prog.data, strerror(errno));
    goto done;
  }
  char chunk[65536];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) strbuf_add(&out, chunk, n);
  int status = pclose(f);
  if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    const char *nl = memchr(out.data, '\n', out.len);
    int shown = (int)(nl ? nl - out.data : (ptrdiff_t)out.len);
    if (shown > 200) shown = 200;
    if (status != -1 && WIFSIGNALED(status))
      errf(err, "kjv: `%s " CORPUS_BIBLE_RANGE "` was killed by signal %d", prog.data, WTERMSIG(status));
    else
      errf(err, "kjv: `%s " CORPUS_BIBLE_RANGE "` exited with status %d", prog.data,
           status == -1 ? -1 : WEXITSTATUS(status));
    if (shown > 0) errf(err, " saying \"%.*s\"", shown, out.data);
    errf(err, "; %s", KJV_REINSTALL);
    goto done;
  }
  if (memchr(out.data, '\0', out.len)) {
    errf(err, "kjv: `%s " CORPUS_BIBLE_RANGE "` printed a NUL byte, not text; %s", prog.data, KJV_REINSTALL);
    goto done;
  }
  int words = 0;
  for (size_t i = 0; i < out.len && !words; i++) words = !is_blank(out.data[i]) && out.data[i] != '\n';
  if (!words) {
    errf(err, "kjv: `%s " CORPUS_BIBLE_RANGE "` printed nothing; %s", prog.data, KJV_REINSTALL);
    goto done;
  }
  if (kjv_parse(out.data, out.len, ct, err) != 0) goto done;
  for (int k = 0; k < NPARTS; k++) {
    strbuf_printf(&ct->label[k], "kjv");
    ct->part[k] = (text_part){ct->file[k].data, ct->file[k].len, ct->label[k].data, ""};
  }
  strbuf_puts(&ct->source, "King James Bible (bible-kjv): valid Isaiah, Luke, Romans, 1 Corinthians; "
                           "test Jeremiah, John, Hebrews, Revelation; train the other 58 books");
  rc = 0;
done:
  strbuf_free(&prog);
  strbuf_free(&cmd);
  strbuf_free(&out);
  return rc;
}

/* ---- corpus_load -------------------------------------------------------- */

int corpus_load(const grammar_dataset *ds, int64_t subset, corpus *c, strbuf *err) {
  memset(c, 0, sizeof *c);
  const char *name = ds->name ? ds->name : ds->loader ? ds->loader : "?";
  if (!ds->loader || (strcmp(ds->loader, "text") && strcmp(ds->loader, "ptb") && strcmp(ds->loader, "kjv"))) {
    errf(err, "corpus: dataset '%s' is read by %s, not by a text loader (text, ptb or kjv); give the train block "
              "a text dataset",
         name, ds->loader ? ds->loader : "no loader");
    return -1;
  }
  if (ds->vocab < 2) {
    errf(err, "corpus: dataset '%s' has vocab %d; it must be at least 2 (<unk> and <eos>)", name, ds->vocab);
    return -1;
  }
  if (subset < 0) {
    errf(err, "corpus: subset %lld for dataset '%s'; it must be 0 (all) or a number of training tokens",
         (long long)subset, name);
    return -1;
  }
  grammar_dataset named = *ds;
  named.name = name;
  corpus_text ct;
  corpus_text_init(&ct);
  int rc;
  if (!strcmp(ds->loader, "text")) rc = load_text(&named, &ct, err);
  else if (!strcmp(ds->loader, "ptb")) rc = load_ptb(&named, &ct, err);
  else rc = load_kjv(&ct, err);
  for (int k = 0; k < NPARTS && rc == 0; k++) {
    if (lines_with_words(ct.part[k].p, ct.part[k].len) > 0) continue;
    const text_part *t = &ct.part[k];
    if (t->hint[0]) errf(err, "%s: no words in the %s text (the file is empty or blank); %s", t->label, part_names[k], t->hint);
    else errf(err, "%s: no words in the %s part; %s", t->label, part_names[k], KJV_REINSTALL);
    rc = -1;
  }
  if (rc != 0) {
    corpus_text_free(&ct);
    return -1;
  }

  strmap words;
  strmap_init(&words, NULL);
  arena infos;
  arena_init(&infos);
  build_vocab(&ct.part[PART_TRAIN], ds->vocab, &words, &infos, c);
  c->unk = CORPUS_UNK;
  c->eos = CORPUS_EOS;
  c->train = map_part(&ct.part[PART_TRAIN], &words, &c->ntrain);
  c->valid = map_part(&ct.part[PART_VALID], &words, &c->nvalid);
  c->test = map_part(&ct.part[PART_TEST], &words, &c->ntest);
  c->ntrain_all = c->ntrain;
  if (subset > 0 && subset < c->ntrain) {
    c->ntrain = subset;
    strbuf_printf(&ct.source, "; the first %lld of %lld training tokens", (long long)subset,
                  (long long)c->ntrain_all);
  }
  c->source = strbuf_take(&ct.source);
  strmap_free(&words);
  arena_free(&infos);
  corpus_text_free(&ct);
  return 0;
}

void corpus_free(corpus *c) {
  if (!c) return;
  for (int i = 0; c->words && i < c->nwords; i++) free(c->words[i]);
  free(c->words);
  free(c->train);
  free(c->valid);
  free(c->test);
  free(c->source);
  memset(c, 0, sizeof *c);
}
