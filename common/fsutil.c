/* fsutil.c: see fsutil.h. */
#define _GNU_SOURCE /* renameat2 */
#include "common/fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
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

int fs_write_all(int fd, const void *data, size_t len) {
  const char *p = data;
  while (len) {
    ssize_t k = write(fd, p, len);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) {
      if (k == 0) errno = EIO;
      return -1;
    }
    p += k;
    len -= (size_t)k;
  }
  return 0;
}

int fs_append_synced(int fd, const void *data, size_t len) {
  off_t before = lseek(fd, 0, SEEK_END);
  if (before >= 0 && fs_write_all(fd, data, len) == 0 && fsync(fd) == 0) return 0;
  int e = errno;
  if (before >= 0 && ftruncate(fd, before) == 0) fsync(fd); /* best effort: the record was not kept */
  errno = e;
  return -1;
}

static void release(fs_atomic *w) {
  free(w->path);
  free(w->tmp);
  free(w->buf);
  memset(w, 0, sizeof *w);
  w->fd = -1;
}

/* The directory part of path ("." for a bare name, "/" for "/x"), malloc'd. */
static char *dir_of(const char *path) {
  const char *slash = strrchr(path, '/');
  if (!slash) return xstrdup(".");
  size_t n = slash == path ? 1 : (size_t)(slash - path);
  char *dir = xmalloc(n + 1);
  memcpy(dir, path, n);
  dir[n] = 0;
  return dir;
}

/* fsyncs a directory so that the renames in it survive a crash; 0, or the
 * errno of the failure. A file system that cannot sync a directory at all
 * (EINVAL) has nothing more to offer, which is not a failure. */
static int sync_dir(const char *dir) {
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return errno;
  int e = fsync(fd) && errno != EINVAL ? errno : 0;
  close(fd);
  return e;
}

int fs_atomic_begin(fs_atomic *w, const char *path, strbuf *err) {
  memset(w, 0, sizeof *w);
  size_t n = strlen(path);
  w->path = xstrdup(path);
  w->tmp = xmalloc(n + 5);
  memcpy(w->tmp, path, n);
  memcpy(w->tmp + n, ".tmp", 5);
  w->fd = open(w->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (w->fd < 0) {
    if (err) strbuf_printf(err, "%s: cannot create %s: %s", path, w->tmp, strerror(errno));
    release(w);
    return -1;
  }
  w->buf = xmalloc(FS_ATOMIC_BUFFER);
  return 0;
}

/* Writes out the buffer; records the first failure. */
static void drain(fs_atomic *w) {
  if (!w->error && w->pending && fs_write_all(w->fd, w->buf, w->pending)) w->error = errno;
  w->pending = 0;
}

int fs_atomic_write(fs_atomic *w, const void *data, size_t len) {
  const char *p = data;
  while (len && !w->error) {
    size_t room = FS_ATOMIC_BUFFER - w->pending, k = len < room ? len : room;
    memcpy(w->buf + w->pending, p, k);
    w->pending += k;
    p += k;
    len -= k;
    if (w->pending == FS_ATOMIC_BUFFER) drain(w);
  }
  return w->error ? -1 : 0;
}

int fs_atomic_commit(fs_atomic *w, strbuf *err) {
  drain(w);
  int e = w->error;
  if (!e && fsync(w->fd)) e = errno;
  if (close(w->fd) && !e) e = errno;
  w->fd = -1;
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
  char *dir = dir_of(w->path);
  e = sync_dir(dir);
  if (e && err)
    strbuf_printf(err, "%s: replaced, but cannot sync the directory %s: %s (the change may not survive a crash)",
                  w->path, dir, strerror(e));
  free(dir);
  release(w);
  return e ? -1 : 0;
}

void fs_atomic_abort(fs_atomic *w) {
  if (w->fd >= 0) close(w->fd);
  if (w->tmp) remove(w->tmp);
  release(w);
}

int fs_write_atomic(const char *path, const char *data, size_t len, strbuf *err) {
  fs_atomic w;
  if (fs_atomic_begin(&w, path, err)) return -1;
  fs_atomic_write(&w, data, len);
  return fs_atomic_commit(&w, err);
}

/* ---- a directory replaced as a set ---- */

/* path + suffix, malloc'd. */
static char *joined(const char *path, const char *sep, const char *suffix) {
  size_t a = strlen(path), b = strlen(sep), c = strlen(suffix);
  char *s = xmalloc(a + b + c + 1);
  memcpy(s, path, a);
  memcpy(s + a, sep, b);
  memcpy(s + a + b, suffix, c + 1);
  return s;
}

/* "DIR.KIND-PID" beside the resolved dir, malloc'd. */
static char *beside(const char *dir, const char *kind) {
  char suffix[64];
  snprintf(suffix, sizeof suffix, ".%s-%ld", kind, (long)getpid());
  return joined(dir, "", suffix);
}

/* Removes the n files of a set in dir, then dir; best effort. */
static void remove_set(const char *dir, const char *const *names, int n) {
  for (int i = 0; i < n; i++) {
    char *p = joined(dir, "/", names[i]);
    remove(p);
    free(p);
  }
  rmdir(dir);
}

/* The first entry of dir that is not one of names, into *bad (malloc'd), or
 * NULL; 0, or the errno of reading dir. */
static int foreign_entry(const char *dir, const char *const *names, int n, char **bad) {
  *bad = NULL;
  DIR *d = opendir(dir);
  if (!d) return errno;
  struct dirent *de;
  while (!*bad && (de = readdir(d))) {
    int known = !strcmp(de->d_name, ".") || !strcmp(de->d_name, "..");
    for (int i = 0; i < n && !known; i++) known = !strcmp(de->d_name, names[i]);
    if (!known) *bad = xstrdup(de->d_name);
  }
  closedir(d);
  return 0;
}

/* Resolves dir (which exists); NULL with a message when it cannot be, or
 * when it is the root, which has nothing beside it. */
static char *resolved(const char *dir, strbuf *err) {
  char *real = realpath(dir, NULL);
  if (!real) {
    strbuf_printf(err, "cannot resolve '%s': %s", dir, strerror(errno));
    return NULL;
  }
  if (!strcmp(real, "/")) {
    strbuf_printf(err, "'%s' is the root directory, which cannot be replaced", dir);
    free(real);
    return NULL;
  }
  return real;
}

int fs_dirset_check(const char *dir, const char *const *names, int n, strbuf *err) {
  struct stat st;
  int e = fs_mkdirs(dir) ? errno : stat(dir, &st) ? errno : S_ISDIR(st.st_mode) ? 0 : ENOTDIR;
  if (e) {
    strbuf_printf(err, "cannot create the directory '%s': %s", dir, strerror(e));
    return -1;
  }
  char *bad;
  e = foreign_entry(dir, names, n, &bad);
  if (e || bad) {
    if (e) strbuf_printf(err, "cannot read the directory '%s': %s", dir, strerror(e));
    else {
      strbuf_printf(err, "'%s' holds '%s', which is not one of the files of the set (", dir, bad);
      for (int i = 0; i < n; i++) strbuf_printf(err, "%s%s", i ? ", " : "", names[i]);
      strbuf_putc(err, ')');
    }
    free(bad);
    return -1;
  }
  fs_dirset s;
  if (fs_dirset_begin(&s, dir, err)) return -1;
  char *probe = joined(s.stage, "/", "probe");
  int fd = open(probe, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  int rc = fd >= 0 && fs_write_all(fd, "\n", 1) == 0 ? 0 : -1;
  if (rc) strbuf_printf(err, "cannot write '%s': %s", probe, strerror(errno));
  if (fd >= 0) close(fd);
  const char *probe_name[] = {"probe"};
  fs_dirset_abort(&s, probe_name, 1);
  free(probe);
  return rc;
}

int fs_dirset_begin(fs_dirset *s, const char *dir, strbuf *err) {
  memset(s, 0, sizeof *s);
  if (!(s->dir = resolved(dir, err))) return -1;
  s->stage = beside(s->dir, "saving");
  int made = mkdir(s->stage, 0777) == 0;
  if (!made && errno == EEXIST && rmdir(s->stage) == 0) /* left empty by a crash of a process with our id */
    made = mkdir(s->stage, 0777) == 0;
  if (made) return 0;
  strbuf_printf(err, "cannot create '%s': %s", s->stage, strerror(errno));
  free(s->dir);
  free(s->stage);
  memset(s, 0, sizeof *s);
  return -1;
}

/* Exchanges the names a and b; 0, or -1 with errno (ENOSYS when the C
 * library cannot). */
static int exchange(const char *a, const char *b) {
#ifdef HAVE_RENAMEAT2
  return renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE);
#else
  (void)a, (void)b;
  errno = ENOSYS;
  return -1;
#endif
}

/* Puts the staging directory in place of s->dir; on success *old names
 * where the old set now is (malloc'd), or NULL when there was none. 0, or
 * -1 with a message and the old set in place. */
static int swap_in(const fs_dirset *s, char **old, strbuf *err) {
  *old = NULL;
  if (exchange(s->stage, s->dir) == 0) {
    *old = xstrdup(s->stage);
    return 0;
  }
  if (errno == ENOENT) { /* DIR went away meanwhile */
    if (rename(s->stage, s->dir) == 0) return 0;
  } else if (errno == EINVAL || errno == ENOSYS) {
    char *aside = beside(s->dir, "old");
    if (rename(s->dir, aside)) {
      strbuf_printf(err, "cannot rename '%s' to '%s': %s", s->dir, aside, strerror(errno));
      free(aside);
      return -1;
    }
    if (rename(s->stage, s->dir) == 0) {
      *old = aside;
      return 0;
    }
    int e = errno;
    rename(aside, s->dir); /* the old set back */
    free(aside);
    errno = e;
  }
  strbuf_printf(err, "cannot put '%s' in place of '%s': %s", s->stage, s->dir, strerror(errno));
  return -1;
}

int fs_dirset_commit(fs_dirset *s, const char *const *names, int n, strbuf *err) {
  int e = sync_dir(s->stage), rc = 0;
  char *old = NULL;
  if (e) {
    strbuf_printf(err, "cannot sync the directory '%s': %s", s->stage, strerror(e));
    rc = -1;
  } else if (swap_in(s, &old, err)) {
    rc = -1;
  }
  if (rc) {
    fs_dirset_abort(s, names, n);
    return -1;
  }
  char *parent = dir_of(s->dir);
  if ((e = sync_dir(parent))) {
    strbuf_printf(err, "'%s' replaced, but cannot sync the directory '%s': %s (the change may not survive a crash)",
                  s->dir, parent, strerror(e));
    rc = -1;
  }
  if (old) remove_set(old, names, n);
  free(old);
  free(parent);
  free(s->dir);
  free(s->stage);
  memset(s, 0, sizeof *s);
  return rc;
}

void fs_dirset_abort(fs_dirset *s, const char *const *names, int n) {
  if (s->stage) remove_set(s->stage, names, n);
  free(s->dir);
  free(s->stage);
  memset(s, 0, sizeof *s);
}
