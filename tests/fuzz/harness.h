/* harness.h: what the fuzzing harnesses of tests/fuzz/ share.
 *
 * Each harness (fuzz_<name>.c) is one reader of outside data driven by
 * LLVMFuzzerTestOneInput: libFuzzer calls it with coverage-guided inputs
 * (`make fuzz`, tests/fuzz/run.sh), and tests/fuzz/replay.c calls it with the
 * saved seeds and regressions under the ordinary compiler (`make check`).
 * A harness returns 0 for every input, frees all it allocates, and calls
 * abort() (through fuzz_check) when the reader breaks a promise of its
 * header that the harness can check cheaply, so that libFuzzer records the
 * input. Everything it does depends on the input alone.
 *
 * Files: readers that take a path read what fuzz_write_file wrote into one
 * private directory, made once per process under $TMPDIR (or /tmp) and
 * removed with its files at exit.
 *
 * The source tree: fuzz_top_srcdir() is $top_srcdir (set by make check and
 * make fuzz), or "." when it is unset; harnesses read examples/ and
 * stdlib/ under it. */
#ifndef NASLC_FUZZ_HARNESS_H
#define NASLC_FUZZ_HARNESS_H

#include <stddef.h>
#include <stdint.h>

#include "grammar/grammar.h"

/* The entry point of every harness (libFuzzer's name and signature). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Replaces the file called name (no slash) in the private directory with
 * data[0..size) and returns its path, valid until the next call with the
 * same name. A failure to write is fatal (a message and exit 1): it is the
 * machine's fault, not the input's. */
const char *fuzz_write_file(const char *name, const uint8_t *data, size_t size);

/* The private directory itself (made on first use). */
const char *fuzz_temp_dir(void);

/* The top of the source tree: $top_srcdir or ".". */
const char *fuzz_top_srcdir(void);

/* The example space examples/<file> under fuzz_top_srcdir(), compiled with
 * its stdlib; a space that does not compile is fatal (a message and exit
 * 1): the source tree is wrong, not the input. */
grammar *fuzz_compile_example(const char *file);

/* A small space (a DAG cell of one decision, a REINFORCE controller of
 * one layer of 2 units, a table evaluator): the run directory's harnesses
 * and the seed generator compile it, so that checkpoints have few tensors. */
extern const char fuzz_tiny_space[];

/* When ok is 0, prints "fuzz: broken promise: what" to stderr and aborts. */
void fuzz_check(int ok, const char *what);

#endif
