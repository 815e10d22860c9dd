/* fsutil.h: the file-system habits of naslc: directories made with their
 * parents, files replaced atomically, appends that are all or nothing, and
 * directories of files replaced as a set. A crash or a failed write leaves
 * either the old contents or the new ones, never half of them. Every file
 * naslc writes (run state, logs, records, safetensors weights, plots) goes
 * through one of these; all of them write with write(2), never through
 * stdio, and retry short writes.
 *
 * Replacing PATH: the new contents go to the temporary file "PATH.tmp" in the
 * same directory, which is written, fsync'ed and closed, then renamed over
 * PATH; then the directory is fsync'ed so that the rename itself survives a
 * crash. On any failure before the rename PATH.tmp is removed and PATH is
 * left as it was. When only that last directory sync fails, the new file is
 * already in place but may not survive a crash: that is reported as a
 * failure too (the message says so), except when the file system cannot
 * sync a directory at all (EINVAL), which is not an error.
 *
 * Errors: a function that fails returns -1 and, when err is not NULL, appends
 * one line (no newline) naming the target, the file that failed and why:
 *   "run/state.json: cannot create run/state.json.tmp: Permission denied"
 *   "run/state.json: cannot write run/state.json.tmp: No space left on device"
 *   "run/state.json: cannot rename run/state.json.tmp to run/state.json: Is a directory"
 *   "run/state.json: replaced, but cannot sync the directory run: Input/output error (the change may not survive a crash)" */
#ifndef NASLC_FSUTIL_H
#define NASLC_FSUTIL_H

#include <stddef.h>
#include <sys/types.h>

#include "common/strbuf.h"

/* mkdir -p; 0, or -1 with errno set. */
int fs_mkdirs(const char *dir);

/* Writes data[0..len) to fd, retrying short writes and interruptions; 0, or
 * -1 with errno set (EIO when write(2) wrote nothing without saying why). */
int fs_write_all(int fd, const void *data, size_t len);

/* Appends data[0..len) to the file open at fd (O_APPEND) and fsyncs it.
 * All or nothing: when the write or the sync fails the file is cut back to
 * the length it had, so that it never ends in a partial record. 0, or -1
 * with errno set (to the failure of the write or the sync). */
int fs_append_synced(int fd, const void *data, size_t len);

/* Replaces path with data[0..len), as described above; 0 or -1. */
int fs_write_atomic(const char *path, const char *data, size_t len, strbuf *err);

/* A replacement being written, for contents produced piece by piece
 * (safetensors weights can be larger than one would hold twice in memory):
 * fs_atomic_begin, any number of fs_atomic_write, then fs_atomic_commit to
 * put it in place or fs_atomic_abort to drop it. The struct owns the open
 * temporary file, its buffer and both names until commit or abort, which
 * release them whatever happens. */
typedef struct fs_atomic {
  int fd;         /* the temporary file, open for writing; -1 once released */
  char *path;     /* the file to replace (malloc'd copy) */
  char *tmp;      /* path + ".tmp" (malloc'd) */
  int error;      /* errno of the first failed write, else 0 */
  char *buf;      /* bytes not yet written (malloc'd, FS_ATOMIC_BUFFER) */
  size_t pending; /* how many */
} fs_atomic;

#define FS_ATOMIC_BUFFER 65536

/* Creates path.tmp (truncating a leftover one); 0, or -1 with nothing to
 * release. */
int fs_atomic_begin(fs_atomic *w, const char *path, strbuf *err);
/* Appends data[0..len); 0, or -1 once a write has failed (the failure is
 * reported by fs_atomic_commit, so a writer may check only at the end). */
int fs_atomic_write(fs_atomic *w, const void *data, size_t len);
/* Writes what is pending, fsyncs and closes the temporary file, renames it
 * over the target and fsyncs the directory; 0, or -1 with the temporary file
 * removed (see above for a failed directory sync). */
int fs_atomic_commit(fs_atomic *w, strbuf *err);
/* Closes and removes the temporary file; the target is untouched. */
void fs_atomic_abort(fs_atomic *w);

/* ---- a directory replaced as a set ----
 *
 * A directory DIR whose files belong together (a saved model: its record,
 * its weights, its history) is replaced whole: the new files are written
 * into a staging directory "DIR.saving-PID" beside DIR, each fsync'ed, the
 * staging directory is fsync'ed, and then the two names are exchanged with
 * renameat2(RENAME_EXCHANGE), the parent directory is fsync'ed and the old
 * files, now under the staging name, are removed. A reader of DIR sees the
 * whole old set or the whole new set, and so does DIR after a crash.
 *
 * Where the file system cannot exchange two names (renameat2 fails with
 * EINVAL or ENOSYS, or the C library lacks it), DIR is first renamed to
 * "DIR.old-PID", then the staging directory to DIR: in between there is no
 * DIR at all, so a reader sees the old set, no directory, or the new set,
 * never a mix; a crash in that moment leaves the old set in DIR.old-PID.
 *
 * DIR is resolved through symbolic links first, so a link to a model's
 * directory keeps pointing at the (replaced) directory. */
typedef struct fs_dirset {
  char *dir;    /* the directory to replace, resolved (malloc'd) */
  char *stage;  /* the staging directory beside it (malloc'd) */
} fs_dirset;

/* Before any work: creates dir (with its parents) when it is missing,
 * checks that it holds nothing but the n names given (a set written before),
 * and proves that the set can be replaced by creating and removing a
 * staging directory with a file in it. 0, or -1 with one line in err:
 *   "cannot create the directory 'out': Not a directory"
 *   "'out' holds 'notes.txt', which is not one of the files of the set (arch.json, ...)"
 *   "cannot create '/abs/out.saving-42': Permission denied" */
int fs_dirset_check(const char *dir, const char *const *names, int n, strbuf *err);
/* Creates the staging directory (dir must exist); 0, or -1 with a message
 * and nothing to release. The caller writes the set's files into s->stage. */
int fs_dirset_begin(fs_dirset *s, const char *dir, strbuf *err);
/* Syncs the staging directory and swaps it in as described above, then
 * removes the n files of the old set and its directory; releases s. 0, or -1
 * with a message: before the swap the old set is untouched and the staging
 * directory removed; when only the parent's sync after the swap fails, the
 * new set is in place and the message says it may not survive a crash. */
int fs_dirset_commit(fs_dirset *s, const char *const *names, int n, strbuf *err);
/* Removes the staging directory and the n files in it; releases s. */
void fs_dirset_abort(fs_dirset *s, const char *const *names, int n);

#endif
