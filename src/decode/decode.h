/* decode.h: decoding a VIN with everything we have: the cache, Postgres, NHTSA vPIC, auto.dev,
 * and the offline engine, in that order.
 *
 *   1. offline engine (always: validation, and the answer of last resort)
 *   2. cache (vinbot:v1:vin:<VIN>): a hit ends here
 *   3. Postgres vehicles row younger than VIN_CACHE_TTL: ends here, and refills the cache
 *   4. single flight: one caller per VIN (across workers and instances) takes a short lock and
 *      calls the upstreams; the others wait briefly for its answer in the cache
 *   5. the chain: the preferred decoder, then the other online one, then offline. A circuit
 *      breaker per upstream skips one that keeps failing and probes it again after a cool-down.
 *   6. the answer is stored (vehicles row, cache: 30 days, or 1 hour for "no such vehicle"), and
 *      the lookup recorded for the person's history.
 *
 * A decode_ctx holds one thread's handles; cache and dbp may be NULL (then unused). */
#ifndef DECODE_DECODE_H
#define DECODE_DECODE_H

#include <stdbool.h>
#include <stdint.h>

#include "decode/vehicle.h"
#include "vin/vin.h"

struct config;
struct httpc;
struct cache;
struct db_pool;
struct log_ctx;

enum decode_status {
    DECODE_OK,          /* the upstream answered; vehicle.found says whether it knows the VIN */
    DECODE_UNAVAILABLE, /* no usable answer (transport, 429/5xx after retries, garbage, 401) */
    DECODE_SKIPPED,     /* not tried: not configured, or its circuit is open */
};

struct decode_ctx {
    const struct config *cfg;
    struct httpc *http;
    struct cache *cache; /* may be NULL */
    struct db_pool *dbp; /* may be NULL */
    const struct log_ctx *log;
    int64_t user_id, chat_id; /* for the lookup record; 0 = none */
};

#define DECODE_MAX_NOTES 4

struct decode_result {
    struct vin_result offline;         /* always filled */
    struct vehicle vehicle;            /* valid when online */
    bool online;                       /* an online source answered (found or not) */
    const char *source;                /* "nhtsa" | "autodev" | "offline" */
    const char *cache;                 /* "hit" | "miss" | "off" */
    char notes[DECODE_MAX_NOTES][160]; /* why the sources before the answering one did not */
    int nnotes;
};

/* Decode input (cleaned first; offline validation decides whether to go online at all). The
 * preference is "nhtsa", "autodev", "offline" or NULL for DEFAULT_DECODER_SERVICE. Always fills
 * out; never fails: the offline engine answers when everything else does not. */
void decode_vin(struct decode_ctx *ctx, const char *input, size_t len, const char *preference,
                struct decode_result *out);

/* One decoder, no cache or database. On DECODE_OK, *raw (when raw is not NULL) is the
 * upstream's body (caller frees); otherwise why says what happened. */
enum decode_status decode_vpic(struct decode_ctx *ctx, const char *vin, struct vehicle *v,
                               char **raw, char *why, size_t whylen);
enum decode_status decode_autodev(struct decode_ctx *ctx, const char *vin, struct vehicle *v,
                                  char **raw, char *why, size_t whylen);

/* The whole result as JSON: the offline engine's keys, plus "source", "cache", "vehicle" (the
 * normalized online decode, or null) and "notes". */
int decode_result_to_json(const struct decode_result *r, struct buf *out) MUST_CHECK;

/* Circuit breakers (process-wide). Forget all failures (tests). */
void decode_breakers_reset(void);

#endif
