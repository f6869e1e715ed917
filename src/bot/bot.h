/* bot.h: what a worker does with one update: parse it, route it, act, reply.
 *
 * A struct bot_ctx holds one worker thread's handles (HTTP client, Bot API view, cache
 * connection) plus what it borrows from the process (config, database pool). bot_handle never
 * holds a database connection across an upstream call: it borrows one from the pool for each
 * database step and gives it back.
 *
 * The outcome tells the inbox what to do with the row: done, try again later (with a minimum
 * delay, e.g. Telegram's retry_after), or give up now (dead letter). */
#ifndef BOT_BOT_H
#define BOT_BOT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/backoff.h"
#include "core/log.h"
#include "tg/api.h"

struct config;
struct db_pool;
struct httpc;
struct cache;
struct inbox_item;

struct bot_ctx {
    int worker_id;
    const struct config *cfg;
    struct db_pool *dbp;
    struct httpc *http;
    struct cache *cache;
    struct tg_api tg;
    struct rng rng;
    struct log_ctx log; /* the update being handled */
};

enum bot_outcome {
    BOT_DONE,  /* finished (including "nothing to do") */
    BOT_RETRY, /* failed for now: try again after a backoff (at least min_delay_ms) */
    BOT_DEFER, /* not failed, only paced (Telegram's limits): again after min_delay_ms, and
                * this attempt does not count against INBOX_MAX_ATTEMPTS */
    BOT_DEAD,  /* cannot succeed: record the error and stop */
};

struct bot_result {
    enum bot_outcome outcome;
    int64_t min_delay_ms;
    char error[256];
};

/* Make a context for worker `id` (>= 1): creates its HTTP client and cache connection.
 * Returns 0 or -1 (libcurl could not make a handle). */
int bot_ctx_init(struct bot_ctx *ctx, int id, const struct config *cfg,
                 struct db_pool *dbp) MUST_CHECK;
void bot_ctx_cleanup(struct bot_ctx *ctx);

/* Process one claimed update. Fills out. */
void bot_handle(struct bot_ctx *ctx, const struct inbox_item *item, struct bot_result *out);

#endif
