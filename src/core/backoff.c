/* backoff.c: see backoff.h. */
#include "core/backoff.h"

#include <pthread.h>
#include <stdatomic.h>

#include "core/clock.h"

static atomic_uint_fast64_t seed_counter;

void rng_seed(struct rng *r)
{
    uint64_t x = (uint64_t)clock_mono_ns() ^ ((uint64_t)(uintptr_t)pthread_self() << 17) ^
                 (atomic_fetch_add(&seed_counter, 1) * 0x9E3779B97F4A7C15ULL);
    r->s = x ? x : 0x2545F4914F6CDD1DULL;
}

uint64_t rng_next(struct rng *r)
{
    uint64_t x = r->s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    r->s = x;
    return x * 0x2545F4914F6CDD1DULL;
}

int64_t rng_range(struct rng *r, int64_t lo, int64_t hi)
{
    if (hi <= lo)
        return lo;
    uint64_t span = (uint64_t)(hi - lo) + 1;
    return lo + (int64_t)(rng_next(r) % span);
}

int64_t backoff_delay_ms(int attempt, int64_t base_ms, int64_t max_ms, struct rng *r)
{
    if (attempt < 1)
        attempt = 1;
    int64_t d = base_ms;
    for (int i = 1; i < attempt && d < max_ms; i++)
        d *= 2;
    if (d > max_ms)
        d = max_ms;
    return rng_range(r, d / 2, d);
}
