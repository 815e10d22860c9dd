/* clock.c: see clock.h. */
#define _POSIX_C_SOURCE 200809L
#include "common/clock.h"

#include <time.h>

double nasl_clock_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts); /* cannot fail: the clock exists and ts is valid */
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
