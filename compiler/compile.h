/* compile.h: from a .nasl file to a controller token grammar.
 *
 * nasl_compile_file() reads the file and its imports (the stdlib first),
 * checks names, types and ranges, and lowers the one search space it
 * describes into a grammar (grammar.h). Diagnostics go to d. The result is
 * NULL when there was any error; otherwise the caller owns it and releases it
 * with grammar_free(). */
#ifndef NASLC_COMPILE_H
#define NASLC_COMPILE_H

#include <stddef.h>

#include "lang/diag.h"
#include "grammar/grammar.h"

/* Asks the runtime's operation registry about a declaration without
 * `extern` (stdlib_check_decl of stdlib/registry.h has this type; the
 * compiler does not link the runtime, the command line passes it): 0 when
 * it matches the registry's entry of that name, 1 when the registry has none,
 * -1 when it has one that does not match, with the reason in why. */
typedef int (*nasl_builtin_check)(const grammar_opdecl *op, char *why, size_t size);

typedef struct nasl_options {
  const char *stdlib_dir;  /* directory holding std.nasl; NULL: nasl_default_stdlib() */
  int no_stdlib;           /* do not load the stdlib (tests of the front end) */
  /* Checks each operation declared without `extern`, or NULL: a declaration
   * that does not match its registry entry is an error, and so is one in
   * the stdlib's files that has no entry (the stdlib and the runtime out of
   * step). An operation of one's own without an entry is accepted: a space
   * may use it, and building a network of it says it has no runtime. */
  nasl_builtin_check check_builtin;
} nasl_options;

grammar *nasl_compile_file(const char *path, const nasl_options *opt, nasl_diag *d);
/* As above, for text already in memory (path names it in messages and anchors
 * relative imports). text need not be NUL-terminated. */
grammar *nasl_compile_text(const char *path, const char *text, size_t len,
                           const nasl_options *opt, nasl_diag *d);

/* The stdlib directory: $NASLC_STDLIB, else "stdlib" beside the running
 * executable (a build tree), else the installed one. Never NULL. */
const char *nasl_default_stdlib(void);

#endif
