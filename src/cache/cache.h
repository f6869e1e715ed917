/* cache.h: one cache interface, two backends: Redis (hiredis, REDIS_URL) and Upstash's REST
 * API (libcurl through httpc, UPSTASH_REDIS_REST_URL + _TOKEN). Neither configured: disabled.
 *
 * The cache is never the source of truth. Every failure is a miss (or a no-op for writes): the
 * caller goes to Postgres or the upstream instead, and the person never sees an error. When the
 * cache goes down one warning is logged (cache.down), and one line when it is back (cache.up);
 * in between, calls return at once and a reconnect is tried at most once a second.
 *
 * A struct cache is used by one thread at a time (each worker owns one). cache_probe may be
 * called from any thread. Keys are versioned and namespaced: see cache_key. */
#ifndef CACHE_CACHE_H
#define CACHE_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/util.h"

struct config;
struct httpc;
struct cache;

#define CACHE_TOKEN_LEN 32

/* Make the cache for one thread. http is borrowed (the Upstash backend uses it) and must
 * outlive the cache. Never NULL: with nothing configured it is a disabled cache. Connects
 * lazily. */
struct cache *cache_new(const struct config *cfg, struct httpc *http);
void cache_free(struct cache *c);
/* "redis" | "upstash" | "disabled" */
const char *cache_backend_name(const struct cache *c);

/* 1 with *val (caller frees; *len bytes, any byte value, plus a NUL after them) on a hit; 0 on a
 * miss or any failure. */
int cache_get(struct cache *c, const char *key, char **val, size_t *len);
/* SET key val EX ttl_s. Returns 0, or -1 when the cache is unavailable (nothing to do). */
int cache_set(struct cache *c, const char *key, const char *val, size_t len, int64_t ttl_s);
int cache_del(struct cache *c, const char *key);
/* Seconds left to live: -2 when the key does not exist, -1 when it has no TTL, -3 when the
 * cache is unavailable. */
int64_t cache_ttl(struct cache *c, const char *key);
/* INCR key, and EXPIRE ttl_s on the first increment. Returns the new value, or -1 when the
 * cache is unavailable. */
int64_t cache_incr(struct cache *c, const char *key, int64_t ttl_s);

/* Single flight. Take a short lock: SET key token NX PX ttl_ms with a random token (written
 * to token). Returns 1 when acquired, 0 when someone else holds it, -1 when the cache is
 * unavailable (then proceed without a lock). */
int cache_lock(struct cache *c, const char *key, int64_t ttl_ms, char token[CACHE_TOKEN_LEN + 1]);
/* Release a lock only if it still holds our token (compare-and-delete in one EVAL). */
void cache_unlock(struct cache *c, const char *key, const char *token);
/* Wait up to max_wait_ms for key to appear (polling with short sleeps), for the callers that
 * did not get the lock. When lock_key is given, stop early once it is gone without a value
 * (the holder gave up). 1 with *val on a hit, 0 otherwise. */
int cache_wait_for(struct cache *c, const char *key, const char *lock_key, int64_t max_wait_ms,
                   char **val, size_t *len);

/* Build "vinbot:v1:<kind>:<id>" into out. kind: vin, lock, recalls, models, rate. Returns 0,
 * or -1 when it does not fit (a cut key could name another entry) or id holds a control
 * character: then do not use the cache for it. */
int cache_key(char *out, size_t n, const char *kind, const char *id) MUST_CHECK;

enum cache_state { CACHE_STATE_DISABLED, CACHE_STATE_OK, CACHE_STATE_DOWN };
/* Probe with a fresh connection (any thread; used by /ready). */
enum cache_state cache_probe(const struct config *cfg, int64_t timeout_ms);
const char *cache_state_name(enum cache_state s);

/* Parsed REDIS_URL (exposed for tests). Strings are owned by the struct. */
struct redis_url {
    char *host, *user, *password;
    int port, db;
};
/* Parse redis://[user:password@]host[:port][/db] (password percent-decoded). Returns 0, or -1
 * with the reason in err (never the password). */
int cache_parse_redis_url(const char *url, struct redis_url *out, char *err,
                          size_t errlen) MUST_CHECK;
void cache_redis_url_cleanup(struct redis_url *u);

#endif
