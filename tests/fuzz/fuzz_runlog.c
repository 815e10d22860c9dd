/* fuzz_runlog.c: a run's log.jsonl as --resume reads it
 * (runtime/search/rundir.c, rundir_read_log) on any bytes.
 *
 * The input is the log. Promises checked (rundir.h): a refused log has a
 * message naming the damaged line and is left as it is; an accepted one
 * (its damaged last line cut off) gives rewards by key and by sample, one
 * entry per sample in order, whatever the sample numbers (a number up to
 * 10^9 once made the reader allocate 16 GB). The same bytes go to
 * rundir_read_top, the final stage's ranking: at most k distinct keys,
 * best first, each with a record that is a JSON object's text. */
#include <math.h>
#include <string.h>
#include <sys/stat.h>

#include "runtime/search/rundir.h"
#include "tests/fuzz/harness.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *path = fuzz_write_file("log.jsonl", data, size);
  rundir_log log;
  memset(&log, 0, sizeof log);
  strbuf err;
  strbuf_init(&err);
  struct stat st;
  if (rundir_read_log(path, &log, 1, &err) == 0) {
    fuzz_check(!stat(path, &st) && (size_t)st.st_size <= size, "an accepted log grew");
    fuzz_check(log.lines >= 0 && log.lines <= (long)size, "more lines read than the log holds");
    fuzz_check(log.n <= log.lines, "more entries than lines read");
    for (long i = 0; i < log.n; i++) {
      fuzz_check(!i || log.entries[i - 1].sample < log.entries[i].sample, "entries out of order");
      fuzz_check(rundir_logged(&log, log.entries[i].sample) == &log.entries[i], "an entry not found by its sample");
    }
    fuzz_check(!rundir_logged(&log, -1), "an entry for sample -1");
  } else {
    fuzz_check(err.len > 0, "a refused log without a message");
    fuzz_check(!stat(path, &st) && (size_t)st.st_size == size, "a refused log was changed");
  }
  rundir_log_free(&log);
  strbuf_clear(&err);
  rundir_top top[3];
  const char *again = fuzz_write_file("log.jsonl", data, size); /* read_log may have cut it */
  int n = rundir_read_top(again, 3, top, &err);
  fuzz_check(n >= -1 && n <= 3, "more than k architectures ranked");
  if (n < 0) fuzz_check(err.len > 0, "a ranking refused without a message");
  for (int i = 0; i < n; i++) {
    fuzz_check(top[i].record && top[i].record[0] == '{', "a ranked record that is not an object");
    fuzz_check(!i || top[i - 1].reward >= top[i].reward, "ranked out of order");
    for (int j = 0; j < i; j++) fuzz_check(strcmp(top[i].key, top[j].key) != 0, "a key ranked twice");
  }
  if (n > 0) rundir_top_free(top, n);
  strbuf_free(&err);
  return 0;
}
