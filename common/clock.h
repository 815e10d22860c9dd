/* clock.h: the one clock for timing (training rates, time budgets, time
 * left, benchmarks).
 *
 * Monotonic: it never jumps when the wall clock is set, so differences of
 * two readings are true elapsed time. Its zero is arbitrary; only differences
 * mean anything. The prefix is nasl_clock_ rather than clock_ because POSIX
 * reserves clock_ for <time.h>. */
#ifndef NASLC_CLOCK_H
#define NASLC_CLOCK_H

/* Seconds on the monotonic clock (CLOCK_MONOTONIC), to the nanosecond. */
double nasl_clock_seconds(void);

#endif
