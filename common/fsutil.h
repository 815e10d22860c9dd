/* fsutil.h: the two file-system habits of naslc: directories made with their
 * parents, and files replaced atomically (a temporary file, fsync, rename),
 * so a crash leaves either the old file or the new one, never half of one. */
#ifndef NASLC_FSUTIL_H
#define NASLC_FSUTIL_H

#include <stddef.h>

#include "common/strbuf.h"

/* mkdir -p; 0, or -1 with errno set. */
int fs_mkdirs(const char *dir);
/* Writes data[0..len) to path through path.tmp; 0, or -1 with a message in err. */
int fs_write_atomic(const char *path, const char *data, size_t len, strbuf *err);

#endif
