/* clock.h: the two clocks the service uses. Monotonic for durations and deadlines, real time
 * for timestamps people read. Both are safe from any thread. */
#ifndef CORE_CLOCK_H
#define CORE_CLOCK_H

#include <stdint.h>
#include <time.h>

/* Monotonic clock in nanoseconds and milliseconds (CLOCK_MONOTONIC). */
int64_t clock_mono_ns(void);
int64_t clock_mono_ms(void);
/* Wall clock: milliseconds since the Unix epoch. */
int64_t clock_real_ms(void);
/* Format a wall-clock time as 2026-05-01T12:00:00.123Z into out (at least 25 bytes). */
void clock_format_iso(int64_t real_ms, char out[25]);
/* The CLOCK_REALTIME instant ms milliseconds from now, as pthread_cond_timedwait wants it. */
struct timespec clock_realtime_in(int64_t ms);
/* Sleep for ms milliseconds (restarts after signals). */
void clock_sleep_ms(int64_t ms);

#endif
