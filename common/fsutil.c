/* fsutil.c: see fsutil.h. */
#define _POSIX_C_SOURCE 200809L
#include "common/fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/arena.h"

int fs_mkdirs(const char *dir) {
  char buf[PATH_MAX];
  if (!dir || !dir[0]) {
    errno = ENOENT; /* as mkdir("") says */
    return -1;
  }
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

static void release(fs_atomic *w) {
  free(w->path);
  free(w->tmp);
  memset(w, 0, sizeof *w);
}

/* Makes a rename in path's directory durable; best effort (see fsutil.h). */
static void sync_directory(const char *path) {
  const char *slash = strrchr(path, '/');
  char *dir = NULL;
  if (slash) {
    size_t n = slash == path ? 1 : (size_t)(slash - path); /* "/x" lives in "/" */
    dir = xmalloc(n + 1);
    memcpy(dir, path, n);
    dir[n] = 0;
  }
  int fd = open(dir ? dir : ".", O_RDONLY | O_DIRECTORY);
  if (fd >= 0) {
    fsync(fd);
    close(fd);
  }
  free(dir);
}

int fs_atomic_begin(fs_atomic *w, const char *path, strbuf *err) {
  memset(w, 0, sizeof *w);
  size_t n = strlen(path);
  w->path = xstrdup(path);
  w->tmp = xmalloc(n + 5);
  memcpy(w->tmp, path, n);
  memcpy(w->tmp + n, ".tmp", 5);
  w->f = fopen(w->tmp, "wb");
  if (!w->f) {
    if (err) strbuf_printf(err, "%s: cannot create %s: %s", path, w->tmp, strerror(errno));
    release(w);
    return -1;
  }
  return 0;
}

int fs_atomic_write(fs_atomic *w, const void *data, size_t len) {
  if (w->error) return -1;
  errno = 0;
  if (len && fwrite(data, 1, len, w->f) != len) {
    w->error = errno ? errno : EIO;
    return -1;
  }
  return 0;
}

int fs_atomic_commit(fs_atomic *w, strbuf *err) {
  int e = w->error;
  errno = 0;
  if (!e && (fflush(w->f) || fsync(fileno(w->f)))) e = errno ? errno : EIO;
  if (fclose(w->f) && !e) e = errno ? errno : EIO;
  w->f = NULL;
  if (e) {
    if (err) strbuf_printf(err, "%s: cannot write %s: %s", w->path, w->tmp, strerror(e));
    remove(w->tmp);
    release(w);
    return -1;
  }
  if (rename(w->tmp, w->path)) {
    if (err) strbuf_printf(err, "%s: cannot rename %s to %s: %s", w->path, w->tmp, w->path, strerror(errno));
    remove(w->tmp);
    release(w);
    return -1;
  }
  sync_directory(w->path);
  release(w);
  return 0;
}

void fs_atomic_abort(fs_atomic *w) {
  if (w->f) fclose(w->f);
  if (w->tmp) remove(w->tmp);
  release(w);
}

int fs_write_atomic(const char *path, const char *data, size_t len, strbuf *err) {
  fs_atomic w;
  if (fs_atomic_begin(&w, path, err)) return -1;
  fs_atomic_write(&w, data, len);
  return fs_atomic_commit(&w, err);
}
