/* faultfs.c: a shim preloaded into naslc (LD_PRELOAD) by tests/faults.sh
 * that counts the file-system calls naslc makes on the files under one
 * directory and makes a chosen one of them fail, as a full disk or a failing
 * device would. Not part of naslc; built as a shared object by make check.
 *
 * The environment says what to do:
 *   FAULT_DIR    the calls counted are those on files under this directory
 *                (and on the directory itself); the rest (standard error,
 *                the data read) pass through untouched
 *   FAULT_COUNT  a file that receives, when the process exits, one line per
 *                kind of call, "open N", "write N", "fsync N", "rename N",
 *                "mkdir N", and "fired KIND PATH" when a fault was injected
 *   FAULT_OP     the kind of call to fail: open (an open for writing or
 *                creating), write (write, pwrite), fsync (fsync, fdatasync),
 *                rename (rename, renameat, renameat2), mkdir
 *   FAULT_AT     N: the Nth call of that kind (from 1) fails. A write fails
 *                the way a disk filling up makes it fail: the Nth write
 *                writes half of its bytes and returns that short count, and
 *                the write after it fails (one of one byte fails at once)
 *   FAULT_ERRNO  the error: ENOSPC, EIO, EROFS, EDQUOT, EACCES or EPERM (EIO
 *                when not set)
 *   FAULT_NOEXCHANGE  when set, renameat2 with RENAME_EXCHANGE fails with
 *                EINVAL without being counted, as on a file system that
 *                cannot exchange two names
 * Every call is passed to the C library's own function unless it is the one
 * chosen to fail. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

enum { K_OPEN, K_WRITE, K_FSYNC, K_RENAME, K_MKDIR, KINDS };
static const char *const kind_names[KINDS] = {"open", "write", "fsync", "rename", "mkdir"};

static char fault_dir[PATH_MAX];  /* resolved; empty: count nothing */
static const char *count_file;     /* FAULT_COUNT */
static int fault_kind = -1;        /* FAULT_OP */
static long fault_at;              /* FAULT_AT */
static int fault_errno = EIO;      /* FAULT_ERRNO */
static int no_exchange;            /* FAULT_NOEXCHANGE */
static long counts[KINDS];
static int pending_write_failure;  /* the write after a short one fails */
static char fired[PATH_MAX + 64];  /* "fired KIND PATH" once a fault was injected */

static ssize_t (*real_write)(int, const void *, size_t);
static ssize_t (*real_pwrite)(int, const void *, size_t, off_t);
static int (*real_open)(const char *, int, ...);
static int (*real_openat)(int, const char *, int, ...);
static int (*real_fsync)(int);
static int (*real_fdatasync)(int);
static int (*real_rename)(const char *, const char *);
static int (*real_renameat)(int, const char *, int, const char *);
static int (*real_renameat2)(int, const char *, int, const char *, unsigned);
static int (*real_mkdir)(const char *, mode_t);
static int (*real_mkdirat)(int, const char *, mode_t);

static int errno_named(const char *s) {
  static const struct { const char *name; int value; } table[] = {
      {"ENOSPC", ENOSPC}, {"EIO", EIO}, {"EROFS", EROFS}, {"EDQUOT", EDQUOT}, {"EACCES", EACCES}, {"EPERM", EPERM}};
  for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
    if (!strcmp(s, table[i].name)) return table[i].value;
  return EIO;
}

__attribute__((constructor)) static void setup(void) {
  real_write = (ssize_t(*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
  real_pwrite = (ssize_t(*)(int, const void *, size_t, off_t))dlsym(RTLD_NEXT, "pwrite");
  real_open = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, "open");
  real_openat = (int (*)(int, const char *, int, ...))dlsym(RTLD_NEXT, "openat");
  real_fsync = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
  real_fdatasync = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
  real_rename = (int (*)(const char *, const char *))dlsym(RTLD_NEXT, "rename");
  real_renameat = (int (*)(int, const char *, int, const char *))dlsym(RTLD_NEXT, "renameat");
  real_renameat2 = (int (*)(int, const char *, int, const char *, unsigned))dlsym(RTLD_NEXT, "renameat2");
  real_mkdir = (int (*)(const char *, mode_t))dlsym(RTLD_NEXT, "mkdir");
  real_mkdirat = (int (*)(int, const char *, mode_t))dlsym(RTLD_NEXT, "mkdirat");
  const char *dir = getenv("FAULT_DIR"), *op = getenv("FAULT_OP"), *at = getenv("FAULT_AT"),
             *e = getenv("FAULT_ERRNO");
  if (dir && !realpath(dir, fault_dir)) snprintf(fault_dir, sizeof fault_dir, "%s", dir);
  count_file = getenv("FAULT_COUNT");
  for (int k = 0; op && k < KINDS; k++)
    if (!strcmp(op, kind_names[k])) fault_kind = k;
  fault_at = at ? atol(at) : 0;
  if (e) fault_errno = errno_named(e);
  no_exchange = getenv("FAULT_NOEXCHANGE") != NULL;
}

__attribute__((destructor)) static void report(void) {
  if (!count_file) return;
  int fd = real_open(count_file, O_WRONLY | O_CREAT | O_TRUNC, 0666);
  if (fd < 0) return;
  char line[PATH_MAX + 128];
  for (int k = 0; k < KINDS; k++) {
    int n = snprintf(line, sizeof line, "%s %ld\n", kind_names[k], counts[k]);
    if (real_write(fd, line, (size_t)n) != n) break;
  }
  if (fired[0]) {
    int n = snprintf(line, sizeof line, "%s\n", fired);
    if (real_write(fd, line, (size_t)n) != n) { /* nothing more to do */ }
  }
  close(fd);
}

/* Whether the absolute path p is fault_dir or lies under it. */
static int inside(const char *p) {
  size_t n = strlen(fault_dir);
  return n && !strncmp(p, fault_dir, n) && (p[n] == '/' || p[n] == 0);
}

/* The path of an open file descriptor, or "" (into buf). */
static const char *fd_path(int fd, char *buf, size_t size) {
  char link[64];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(link, buf, size - 1);
  buf[n > 0 ? n : 0] = 0;
  return buf;
}

/* path (relative to dirfd) made absolute with its directory part resolved,
 * into out. */
static const char *absolute(int dirfd, const char *path, char *out, size_t size) {
  char base[PATH_MAX], joined[2 * PATH_MAX + 2], dir[PATH_MAX];
  if (path[0] == '/') snprintf(joined, sizeof joined, "%s", path);
  else {
    if (dirfd == AT_FDCWD) {
      if (!getcwd(base, sizeof base)) base[0] = 0;
    } else {
      fd_path(dirfd, base, sizeof base);
    }
    snprintf(joined, sizeof joined, "%s/%s", base, path);
  }
  size_t len = strlen(joined);
  while (len > 1 && joined[len - 1] == '/') joined[--len] = 0;
  char *slash = strrchr(joined, '/');
  if (slash && slash != joined) {
    *slash = 0;
    if (realpath(joined, dir)) {
      snprintf(out, size, "%s/%s", dir, slash + 1);
      return out;
    }
    *slash = '/';
  }
  snprintf(out, size, "%s", joined);
  return out;
}

/* Counts a call of kind k on path; 1 when it is the one to fail. */
static int counted(int k, const char *path) {
  if (!inside(path)) return 0;
  long n = __atomic_add_fetch(&counts[k], 1, __ATOMIC_SEQ_CST);
  if (k != fault_kind || n != fault_at) return 0;
  snprintf(fired, sizeof fired, "fired %s %s", kind_names[k], path);
  return 1;
}

static int fails_on_path(int k, int dirfd, const char *path) {
  char abs[PATH_MAX * 2];
  return path && counted(k, absolute(dirfd, path, abs, sizeof abs));
}

static int fails_on_fd(int k, int fd) {
  char p[PATH_MAX];
  return counted(k, fd_path(fd, p, sizeof p));
}

/* ---- open ---- */

static int opens_for_writing(int flags) { return (flags & (O_WRONLY | O_RDWR | O_CREAT | O_TRUNC)) != 0; }

static int open_at(int dirfd, const char *path, int flags, mode_t mode) {
  if (opens_for_writing(flags) && fails_on_path(K_OPEN, dirfd, path)) {
    errno = fault_errno;
    return -1;
  }
  return dirfd == AT_FDCWD ? real_open(path, flags, mode) : real_openat(dirfd, path, flags, mode);
}

static mode_t mode_of(int flags, va_list ap) {
  return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? (mode_t)va_arg(ap, int) : 0;
}

int open(const char *path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  mode_t mode = mode_of(flags, ap);
  va_end(ap);
  return open_at(AT_FDCWD, path, flags, mode);
}
int open64(const char *path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  mode_t mode = mode_of(flags, ap);
  va_end(ap);
  return open_at(AT_FDCWD, path, flags, mode);
}
int openat(int dirfd, const char *path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  mode_t mode = mode_of(flags, ap);
  va_end(ap);
  return open_at(dirfd, path, flags, mode);
}
int openat64(int dirfd, const char *path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  mode_t mode = mode_of(flags, ap);
  va_end(ap);
  return open_at(dirfd, path, flags, mode);
}
/* what _FORTIFY_SOURCE turns a two-argument open into */
int __open_2(const char *path, int flags);
int __open_2(const char *path, int flags) { return open_at(AT_FDCWD, path, flags, 0); }
int __open64_2(const char *path, int flags);
int __open64_2(const char *path, int flags) { return open_at(AT_FDCWD, path, flags, 0); }
int __openat_2(int dirfd, const char *path, int flags);
int __openat_2(int dirfd, const char *path, int flags) { return open_at(dirfd, path, flags, 0); }
int creat(const char *path, mode_t mode) { return open_at(AT_FDCWD, path, O_WRONLY | O_CREAT | O_TRUNC, mode); }

/* ---- write ---- */

/* The count of bytes to pass on for a write of len bytes on fd, or -1 when
 * the write fails. */
static ssize_t write_allowed(int fd, size_t len) {
  char p[PATH_MAX];
  fd_path(fd, p, sizeof p);
  if (!inside(p)) return (ssize_t)len;
  int fire = counted(K_WRITE, p);
  if (pending_write_failure || (fire && len <= 1)) {
    pending_write_failure = 0;
    if (!fire) snprintf(fired + strlen(fired), sizeof fired - strlen(fired), " then %s", p);
    errno = fault_errno;
    return -1;
  }
  if (fire) {
    pending_write_failure = 1;
    return (ssize_t)(len / 2);
  }
  return (ssize_t)len;
}

ssize_t write(int fd, const void *data, size_t len) {
  ssize_t n = write_allowed(fd, len);
  return n < 0 ? -1 : real_write(fd, data, (size_t)n);
}
ssize_t pwrite(int fd, const void *data, size_t len, off_t at) {
  ssize_t n = write_allowed(fd, len);
  return n < 0 ? -1 : real_pwrite(fd, data, (size_t)n, at);
}
ssize_t pwrite64(int fd, const void *data, size_t len, off_t at) { return pwrite(fd, data, len, at); }

/* ---- fsync ---- */

int fsync(int fd) {
  if (fails_on_fd(K_FSYNC, fd)) {
    errno = fault_errno;
    return -1;
  }
  return real_fsync(fd);
}
int fdatasync(int fd) {
  if (fails_on_fd(K_FSYNC, fd)) {
    errno = fault_errno;
    return -1;
  }
  return real_fdatasync(fd);
}

/* ---- rename and mkdir ---- */

static int rename_fails(int from_fd, const char *from, int to_fd, const char *to) {
  char a[PATH_MAX * 2], b[PATH_MAX * 2];
  absolute(from_fd, from, a, sizeof a);
  absolute(to_fd, to, b, sizeof b);
  if (!inside(a) && !inside(b)) return 0;
  return counted(K_RENAME, inside(b) ? b : a);
}

int rename(const char *from, const char *to) {
  if (rename_fails(AT_FDCWD, from, AT_FDCWD, to)) {
    errno = fault_errno;
    return -1;
  }
  return real_rename(from, to);
}
int renameat(int from_fd, const char *from, int to_fd, const char *to) {
  if (rename_fails(from_fd, from, to_fd, to)) {
    errno = fault_errno;
    return -1;
  }
  return real_renameat(from_fd, from, to_fd, to);
}
int renameat2(int from_fd, const char *from, int to_fd, const char *to, unsigned flags) {
  if (no_exchange && (flags & RENAME_EXCHANGE)) {
    errno = EINVAL;
    return -1;
  }
  if (rename_fails(from_fd, from, to_fd, to)) {
    errno = fault_errno;
    return -1;
  }
  return real_renameat2(from_fd, from, to_fd, to, flags);
}

int mkdir(const char *path, mode_t mode) {
  if (fails_on_path(K_MKDIR, AT_FDCWD, path)) {
    errno = fault_errno;
    return -1;
  }
  return real_mkdir(path, mode);
}
int mkdirat(int dirfd, const char *path, mode_t mode) {
  if (fails_on_path(K_MKDIR, dirfd, path)) {
    errno = fault_errno;
    return -1;
  }
  return real_mkdirat(dirfd, path, mode);
}
