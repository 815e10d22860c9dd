/* mutate.c: the robustness test. Thousands of truncated and mutated versions
 * of the examples go through the compiler in-process (and, when accepted,
 * through the sampler). Nothing may crash (the sanitizer builds turn memory
 * errors into failures), every rejection must carry at least one
 * diagnostic located as file:line:col, and every architecture sampled from
 * an accepted space must replay from its record: the JSON that `naslc
 * sample` prints, read back the way train, eval and show read --arch, gives
 * the same tokens, decisions and depth, and prints the same bytes again.
 *
 * usage: tests/mutate [ITERATIONS_PER_FILE]  (default 400; $FUZZ_ITERATIONS too)
 * $FUZZ_SEED picks another sequence of mutations (the default is fixed, so a
 * failure in CI can be replayed with the same seed and iteration count).
 * The examples are read from $top_srcdir/examples (default "."). */
#include <ctype.h>
#include <dirent.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/parse.h"
#include "compiler/compile.h"
#include "grammar/arch.h"
#include "tap.h"

static const char *seed_name = "default"; /* $FUZZ_SEED, for the replay instructions */
static int iterations_per_file;

static const char *const dictionary[] = {
    "{", "}", "(", ")", "[", "]", ",", ":", ";", "..", "=", "^", "-", "*", "/", "+", "\"", "#", "\n", "\\",
    "maybe", "either", "or", "layers", "layer", "head", "grow", "every", "tree", "inject", "dag", "import",
    "op", "extern", "space", "cell", "train", "search", "in", "true", "0", "-1", "1e309", "0x", "1e",
    "999999999999999999999", ".5", "7", "1000", "conv2d", "anchor", "relu", "x", "h", "c", "add",
    "inputs: anchor", "leaves: 3", "[]", "()", "\"/nonexistent\"", "import \"missing.nasl\"", "\xff", "\t"};
#define NDICT ((int)(sizeof dictionary / sizeof dictionary[0]))

static unsigned long long state = 0x243f6a8885a308d3ULL;
static unsigned rnd(unsigned n) {
  state ^= state << 13;
  state ^= state >> 7;
  state ^= state << 17;
  return (unsigned)(state % n);
}

static void mutate(const char *src, size_t len, strbuf *out) {
  strbuf_clear(out);
  size_t at = len ? rnd((unsigned)len + 1) : 0;
  switch (rnd(7)) {
    case 0: /* truncate */
      strbuf_add(out, src, at);
      break;
    case 1: { /* delete a span */
      size_t n = 1 + rnd(24);
      strbuf_add(out, src, at);
      if (at + n < len) strbuf_add(out, src + at + n, len - at - n);
      break;
    }
    case 2: { /* insert a token */
      strbuf_add(out, src, at);
      strbuf_puts(out, dictionary[rnd(NDICT)]);
      strbuf_add(out, src + at, len - at);
      break;
    }
    case 3: /* overwrite a byte with anything, NUL included */
      strbuf_add(out, src, len);
      if (len) out->data[rnd((unsigned)len)] = (char)rnd(256);
      break;
    case 4: { /* duplicate a span */
      size_t n = 1 + rnd(80);
      if (at + n > len) n = len - at;
      strbuf_add(out, src, at + n);
      strbuf_add(out, src + at, len - at);
      break;
    }
    case 5: { /* replace a digit run with another number */
      strbuf_add(out, src, len);
      for (size_t i = at; i < len; i++)
        if (isdigit((unsigned char)out->data[i])) {
          out->data[i] = "0123456789"[rnd(10)];
          break;
        }
      break;
    }
    default: { /* several insertions at once */
      strbuf_add(out, src, len);
      for (int k = 0; k < 3; k++) {
        strbuf tmp;
        strbuf_init(&tmp);
        size_t p = rnd((unsigned)out->len + 1);
        strbuf_add(&tmp, out->data, p);
        strbuf_puts(&tmp, dictionary[rnd(NDICT)]);
        strbuf_add(&tmp, out->data + p, out->len - p);
        strbuf_clear(out);
        strbuf_add(out, tmp.data, tmp.len);
        strbuf_free(&tmp);
      }
    }
  }
}

/* Is there a line "<path>:<line>:<col>: error: " in the diagnostics? */
static int located_error(const char *diag) {
  for (const char *line = diag; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
    const char *p = strstr(line, ": error: ");
    const char *nl = strchr(line, '\n');
    if (!p || (nl && p > nl) || !strncmp(line, "naslc:", 6)) continue;
    /* walk back over ":col" and ":line" */
    const char *q = p - 1;
    int digits = 0;
    while (q > line && isdigit((unsigned char)*q)) q--, digits++;
    if (!digits || *q != ':') continue;
    q--;
    digits = 0;
    while (q > line && isdigit((unsigned char)*q)) q--, digits++;
    if (digits && *q == ':' && q > line) return 1;
  }
  return 0;
}

/* Reads the record back as `--arch` does (arch_from_record: its tokens; in
 * a curriculum space the depth picks the position) and compares
 * the architecture with the one it came from. 1 when it replays; else 0 and
 * what differs in why. */
static int replays(const grammar *g, const arch *a, const strbuf *record, strbuf *why) {
  strbuf err, again;
  strbuf_init(&err);
  strbuf_init(&again);
  arch b;
  int have_b = 0, ok = 0;
  int r = arch_from_record(g, record->data, record->len, &b, &err);
  have_b = r == 1;
  if (r < 0) {
    strbuf_printf(why, "the record is not a record: %s", err.data);
    goto out;
  }
  if (!have_b) {
    strbuf_printf(why, "the record does not fit its own space: %s", err.data);
    goto out;
  }
  if (b.ntokens != a->ntokens || (a->ntokens && memcmp(b.tokens, a->tokens, sizeof(int) * (size_t)a->ntokens))) {
    strbuf_printf(why, "the tokens read back differ (%d tokens, %d sampled)", b.ntokens, a->ntokens);
    goto out;
  }
  if (memcmp(b.offset, a->offset, sizeof(int) * (size_t)g->ndecisions)) {
    strbuf_puts(why, "the same tokens take other decisions");
    goto out;
  }
  if (b.depth != a->depth) {
    strbuf_printf(why, "the depth read back is %d, sampled %d", b.depth, a->depth);
    goto out;
  }
  arch_json(&b, &again);
  if (again.len != record->len || memcmp(again.data, record->data, record->len)) {
    size_t k = 0;
    while (k < again.len && k < record->len && again.data[k] == record->data[k]) k++;
    size_t from = k > 20 ? k - 20 : 0;
    strbuf_printf(why, "the record of the replayed architecture differs from byte %zu: ...%.50s, sampled ...%.50s", k,
                  again.data + from, record->data + from);
    goto out;
  }
  ok = 1;
out:
  if (have_b) arch_free(&b);

  strbuf_free(&err);
  strbuf_free(&again);
  return ok;
}

static int fuzz_file(const char *path, int iterations) {
  strbuf src, text, diag;
  strbuf_init(&src);
  strbuf_init(&text);
  strbuf_init(&diag);
  if (strbuf_read_file(&src, path, (size_t)-1)) {
    tap_result(0, "read %s", path);
    return 0;
  }
  int accepted = 0, rejected = 0, unlocated = 0, sampled = 0, unreplayed = 0;
  strbuf why;
  strbuf_init(&why);
  for (int i = 0; i < iterations; i++) {
    mutate(src.data, src.len, &text);
    strbuf_clear(&diag);
    nasl_diag d;
    nasl_diag_init(&d, NULL);
    d.capture = &diag;
    grammar *g = nasl_compile_text(path, text.data, text.len, NULL, &d);
    if (g) {
      accepted++;
      rng r;
      rng_seed(&r, (uint64_t)i);
      for (int k = 0; k < 2; k++) {
        arch a;
        strbuf j;
        strbuf_init(&j);
        if (arch_generate(g, 100000L * k, arch_choose_uniform, &r, &a)) {
          arch_json(&a, &j);
          sampled++;
          strbuf_clear(&why);
          if (!replays(g, &a, &j, &why) && unreplayed++ < 3) {
            tap_diag("does not replay: FUZZ_SEED=%s FUZZ_ITERATIONS=%d, mutation %d of %s, sample %d (at %ld): %s",
                     seed_name, iterations_per_file, i, path, k, 100000L * k, why.data);
            tap_diag("record: %.300s", j.data);
          }
          arch_free(&a);
        }
        strbuf_free(&j);
      }
      grammar_free(g);
    } else {
      rejected++;
      if (d.errors == 0 || !located_error(diag.data)) {
        if (unlocated++ < 3) {
          tap_diag("rejected without a located error (mutation %d of %s):", i, path);
          tap_diag("%.300s", diag.data);
        }
      }
    }
    nasl_diag_free(&d);
  }
  tap_result(unlocated == 0, "%d mutations of %s: %d accepted, %d rejected, every rejection located", iterations,
             path, accepted, rejected);
  tap_result(unreplayed == 0,
             "%d architectures sampled from the accepted mutations of %s replay from their records (%d do not)",
             sampled, path, unreplayed);
  strbuf_free(&src);
  strbuf_free(&text);
  strbuf_free(&diag);
  strbuf_free(&why);
  return unlocated == 0 && unreplayed == 0;
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int main(int argc, char **argv) {
  long iterations = 400, seed_value = 0;
  const char *count = argc > 1 ? argv[1] : getenv("FUZZ_ITERATIONS");
  if (count && count[0] && parse_long(count, 1, INT_MAX, &iterations)) {
    fprintf(stderr, "mutate: the iteration count must be a positive integer, not '%s'\n", count);
    return 2;
  }
  const char *seed = getenv("FUZZ_SEED");
  if (seed && seed[0] && parse_long(seed, LONG_MIN, LONG_MAX, &seed_value)) {
    fprintf(stderr, "mutate: FUZZ_SEED must be an integer, not '%s'\n", seed);
    return 2;
  }
  if (seed_value) state ^= (unsigned long long)seed_value * 0x9e3779b97f4a7c15ULL;
  if (seed && seed[0]) seed_name = seed;
  iterations_per_file = (int)iterations;
  tap_diag("seed %s", seed_name);
  const char *top = getenv("top_srcdir");
  char dir[4096];
  snprintf(dir, sizeof dir, "%s/examples", top ? top : ".");
  DIR *dp = opendir(dir);
  if (!dp) {
    tap_result(0, "open %s", dir);
    return tap_done();
  }
  char *names[256];
  int n = 0;
  struct dirent *e;
  while ((e = readdir(dp)) && n < 256) {
    size_t l = strlen(e->d_name);
    if (l > 5 && !strcmp(e->d_name + l - 5, ".nasl")) names[n++] = strdup(e->d_name);
  }
  closedir(dp);
  qsort(names, (size_t)n, sizeof *names, by_name);
  tap_result(n >= 10, "found %d example files to mutate", n);
  for (int i = 0; i < n; i++) {
    char path[8192];
    snprintf(path, sizeof path, "%s/%s", dir, names[i]);
    fuzz_file(path, (int)iterations);
    free(names[i]);
  }
  return tap_done();
}
