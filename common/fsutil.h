/* fsutil.h: the two file-system habits of naslc: directories made with their
 * parents, and files replaced atomically, so that a crash leaves either the
 * old file or the new one, never half of one. Every file naslc writes (run
 * state, logs, records, safetensors weights) is replaced this way.
 *
 * Replacing PATH: the new contents go to the temporary file "PATH.tmp" in the
 * same directory, which is flushed and fsync'ed, then renamed over PATH; then
 * the directory is fsync'ed so that the rename itself survives a crash. That
 * last step is best effort: when it fails (some file systems cannot sync a
 * directory) the new file is already in place, so there is nothing to undo
 * and it is not reported as a failure. On any earlier failure PATH.tmp is
 * removed and PATH is left as it was.
 *
 * Errors: a function that fails returns -1 and, when err is not NULL, appends
 * one line (no newline) naming the target, the file that failed and why:
 *   "run/state.json: cannot create run/state.json.tmp: Permission denied"
 *   "run/state.json: cannot write run/state.json.tmp: No space left on device"
 *   "run/state.json: cannot rename run/state.json.tmp to run/state.json: Is a directory" */
#ifndef NASLC_FSUTIL_H
#define NASLC_FSUTIL_H

#include <stddef.h>
#include <stdio.h>

#include "common/strbuf.h"

/* mkdir -p; 0, or -1 with errno set. */
int fs_mkdirs(const char *dir);

/* Replaces path with data[0..len), as described above; 0 or -1. */
int fs_write_atomic(const char *path, const char *data, size_t len, strbuf *err);

/* A replacement being written, for contents produced piece by piece
 * (safetensors weights can be larger than one would hold twice in memory):
 * fs_atomic_begin, any number of fs_atomic_write, then fs_atomic_commit to
 * put it in place or fs_atomic_abort to drop it. The struct owns the open
 * temporary file and both names until commit or abort, which release them
 * whatever happens. */
typedef struct fs_atomic {
  FILE *f;      /* the temporary file */
  char *path;   /* the file to replace (malloc'd copy) */
  char *tmp;    /* path + ".tmp" (malloc'd) */
  int error;    /* errno of the first failed write, else 0 */
} fs_atomic;

/* Creates path.tmp (truncating a leftover one); 0, or -1 with nothing to
 * release. */
int fs_atomic_begin(fs_atomic *w, const char *path, strbuf *err);
/* Appends data[0..len); 0, or -1 once a write has failed (the failure is
 * reported by fs_atomic_commit, so a writer may check only at the end). */
int fs_atomic_write(fs_atomic *w, const void *data, size_t len);
/* Flushes, fsyncs and closes the temporary file, renames it over the target
 * and fsyncs the directory; 0, or -1 with the temporary file removed. */
int fs_atomic_commit(fs_atomic *w, strbuf *err);
/* Closes and removes the temporary file; the target is untouched. */
void fs_atomic_abort(fs_atomic *w);

#endif
