/* fsutil.c: see fsutil.h. */
#include "common/fsutil.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int fs_mkdirs(const char *dir) {
  char buf[PATH_MAX];
  if (snprintf(buf, sizeof buf, "%s", dir) >= (int)sizeof buf) {
    errno = ENAMETOOLONG;
    return -1;
  }
  for (char *p = buf + 1; *p; p++)
    if (*p == '/') {
      *p = 0;
      if (mkdir(buf, 0777) && errno != EEXIST) return -1;
      *p = '/';
    }
  return mkdir(buf, 0777) && errno != EEXIST ? -1 : 0;
}

int fs_write_atomic(const char *path, const char *data, size_t len, strbuf *err) {
  char tmp[PATH_MAX];
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  FILE *f = fopen(tmp, "w");
  if (!f || fwrite(data, 1, len, f) != len || fflush(f) || fsync(fileno(f)) || fclose(f) || rename(tmp, path)) {
    int e = errno;
    if (err) strbuf_printf(err, "cannot write '%s': %s", path, strerror(e));
    remove(tmp);
    return -1;
  }
  return 0;
}
