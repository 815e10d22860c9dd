/* table.c: reward tables, CSV files of canonical strings and values (see
 * search.h, search_table_load). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/parse.h"
#include "runtime/search/search.h"
#include "runtime/search/smap.h"

struct search_table {
  smap rows;
};

/* Splits one CSV line (quotes allowed) into at most max fields, in place. */
static int csv_fields(char *line, char **f, int max) {
  int n = 0;
  char *p = line;
  while (n < max) {
    if (*p == '"') {
      char *w = ++p;
      f[n++] = w;
      while (*p && !(*p == '"' && p[1] != '"')) {
        if (*p == '"') p++;
        *w++ = *p++;
      }
      if (*p == '"') p++;
      *w = 0;
      if (*p == ',') p++;
      else break;
    } else {
      f[n++] = p;
      char *c = strchr(p, ',');
      if (!c) break;
      *c = 0;
      p = c + 1;
    }
  }
  return n;
}

int search_table_load(const char *path, const char *key, const char *column, search_table **out, strbuf *err) {
  *out = NULL;
  strbuf text;
  strbuf_init(&text);
  int e = strbuf_read_file(&text, path, NASL_LIMIT_TABLE);
  if (e) {
    strbuf_printf(err, "cannot read the reward table '%s': %s", path, strbuf_read_error(e, NASL_LIMIT_TABLE));
    strbuf_free(&text);
    return -1;
  }
  search_table *t = xcalloc(1, sizeof *t);
  char *line = text.data, *f[64];
  int kcol = -1, vcol = -1, row = 0, rc = 0;
  while (line && *line) {
    char *nl = strchr(line, '\n');
    if (nl) *nl = 0;
    if (nl && nl > line && nl[-1] == '\r') nl[-1] = 0;
    int n = csv_fields(line, f, 64);
    if (row == 0) {
      for (int i = 0; i < n; i++) {
        if (!strcmp(f[i], key)) kcol = i;
        if (!strcmp(f[i], column)) vcol = i;
      }
      if (kcol < 0 || vcol < 0) {
        strbuf_printf(err, "%s: no column '%s' in the header", path, kcol < 0 ? key : column);
        rc = -1;
        break;
      }
    } else if (n > kcol && n > vcol) {
      double v;
      if (parse_double(f[vcol], -INFINITY, INFINITY, PARSE_NONFINITE, &v)) {
        strbuf_printf(err, "%s:%d: '%s' is not a number", path, row + 1, f[vcol]);
        rc = -1;
        break;
      }
      smap_put(&t->rows, f[kcol], v);
    } else if (n > 1) {
      strbuf_printf(err, "%s:%d: the row has %d fields, the header more", path, row + 1, n);
      rc = -1;
      break;
    }
    row++;
    line = nl ? nl + 1 : NULL;
  }
  if (rc == 0 && t->rows.map.n == 0) {
    strbuf_printf(err, "%s: the table has no rows", path);
    rc = -1;
  }
  strbuf_free(&text);
  if (rc) {
    search_table_free(t);
    return -1;
  }
  *out = t;
  return 0;
}

void search_table_free(search_table *t) {
  if (!t) return;
  smap_free(&t->rows);
  free(t);
}

double search_table_lookup(const search_table *t, const char *key) {
  double v;
  return smap_get(&t->rows, key, &v) ? v : NAN;
}
