/* backoff.h: exponential backoff with jitter, shared by upstream retries and inbox retries.
 *
 * The delay before retry number `attempt` (1 = the first retry) is drawn uniformly from
 * [d/2, d] where d = min(max_ms, base_ms * 2^(attempt-1)): "equal jitter", which spreads retries
 * of many callers apart while keeping a floor so a retry never comes back immediately. */
#ifndef CORE_BACKOFF_H
#define CORE_BACKOFF_H

#include <stdint.h>

/* A small, fast PRNG (xorshift64*) state; seed it with backoff_seed. Not for secrets. */
struct rng {
    uint64_t s;
};

/* Seed from the clock, the thread and a counter: distinct per call site and thread. */
void rng_seed(struct rng *r);
uint64_t rng_next(struct rng *r);
/* Uniform in [lo, hi] (inclusive); lo when hi <= lo. */
int64_t rng_range(struct rng *r, int64_t lo, int64_t hi);

/* The delay before retry `attempt` (>= 1), in ms, within [d/2, d] as described above. */
int64_t backoff_delay_ms(int attempt, int64_t base_ms, int64_t max_ms, struct rng *r);

#endif
