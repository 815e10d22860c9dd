/* fuzz_table.c: reward tables (runtime/search/table.c) on any bytes.
 *
 * The input is a CSV file read as `evaluator: table(...)` reads it, with the
 * key column "arch" and the value column "acc". Promises checked (search.h):
 * a refused table has a message; an accepted one answers look-ups (of keys
 * that may or may not be there) without fault. */
#include <math.h>
#include <string.h>

#include "runtime/search/search.h"
#include "tests/fuzz/harness.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *path = fuzz_write_file("table.csv", data, size);
  search_table *t = NULL;
  strbuf err;
  strbuf_init(&err);
  if (search_table_load(path, "arch", "acc", &t, &err) == 0) {
    fuzz_check(t != NULL, "an accepted table is NULL");
    const char *keys[] = {"", "arch", "acc", "|nor_conv_3x3~0|+|none~0|avg_pool_3x3~1|+|skip_connect~0|none~1|none~2|",
                          "d2:0 1 2"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) (void)search_table_lookup(t, keys[i]);
    search_table_free(t);
  } else {
    fuzz_check(t == NULL && err.len > 0, "a refused table without a message");
  }
  strbuf_free(&err);
  return 0;
}
