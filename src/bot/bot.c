/* bot.c: see bot.h. Routing of an update to what the bot does about it, and the one place that
 * turns Telegram's answers into inbox outcomes.
 *
 * DESIGN: bot_handle parses the stored payload (tg_update_parse), records who wrote (users
 * table), routes by kind, and sends replies through reply(). reply() is where Telegram's
 * reactions (upstream-apis.md §0) become outcomes: a short 429 is waited out and the message
 * resent, a long one sends the whole update back to the queue with retry_after as the minimum
 * delay; 403 marks the user blocked and finishes; a 5xx or timeout retries the update later. */
#include "bot/bot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bot/reply.h"
#include "cache/cache.h"
#include "bot/router.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/log.h"
#include "inbox/inbox.h"
#include "net/httpc.h"
#include "store/db.h"
#include "tg/update.h"

int bot_ctx_init(struct bot_ctx *ctx, int id, const struct config *cfg, struct db_pool *dbp)
{
    memset(ctx, 0, sizeof *ctx);
    ctx->worker_id = id;
    ctx->cfg = cfg;
    ctx->dbp = dbp;
    struct httpc_opts o = {.connect_timeout_ms = cfg->upstream_connect_timeout_ms,
                           .timeout_ms = cfg->upstream_timeout_ms,
                           .deadline_ms = cfg->upstream_deadline_ms,
                           .max_body = (size_t)cfg->upstream_max_body};
    ctx->http = httpc_new(&o);
    if (!ctx->http)
        return -1;
    tg_api_init(&ctx->tg, ctx->http, cfg);
    ctx->cache = cache_new(cfg, ctx->http);
    rng_seed(&ctx->rng);
    ctx->log.worker = id;
    return 0;
}

void bot_ctx_cleanup(struct bot_ctx *ctx)
{
    cache_free(ctx->cache);
    ctx->cache = NULL;
    httpc_free(ctx->http);
    ctx->http = NULL;
}

/* Run one statement on a borrowed connection; logs and returns -1 on failure. */
int bot_db_exec(struct bot_ctx *ctx, const char *what, const char *sql, int nparams,
                const char *const *params)
{
    char err[256];
    struct db *db = db_pool_get(ctx->dbp, 5000, err, sizeof err);
    if (!db) {
        LOG_WARN(&ctx->log, "db.unavailable", "%s: %s", what, err);
        return -1;
    }
    int rc = 0;
    if (db_exec(db, sql, nparams, params, true, NULL) != DB_OK) {
        LOG_WARN(&ctx->log, "db.failed", "%s: %s", what, db_error(db));
        rc = -1;
    }
    db_pool_put(ctx->dbp, db);
    return rc;
}

static void remember_user(struct bot_ctx *ctx, const struct tg_user *u)
{
    if (!u->id || u->is_bot)
        return;
    char id[24];
    snprintf(id, sizeof id, "%lld", (long long)u->id);
    const char *params[] = {id, u->first_name, u->last_name, u->username, u->language_code};
    (void)bot_db_exec(
        ctx, "remember user",
        /* losing a last_seen in a crash is harmless: no WAL flush wait */
        "WITH cfg AS (SELECT set_config('synchronous_commit', 'off', true)) "
        "INSERT INTO users (user_id, first_name, last_name, username, language_code)"
        " SELECT $1::bigint, $2, $3, $4, $5 FROM cfg ON CONFLICT (user_id) DO UPDATE SET"
        " first_name = EXCLUDED.first_name, last_name = EXCLUDED.last_name,"
        " username = EXCLUDED.username, language_code = EXCLUDED.language_code,"
        " blocked = false, last_seen = now()",
        5, params);
}

void bot_set_blocked(struct bot_ctx *ctx, int64_t user_id, bool blocked)
{
    char id[24];
    snprintf(id, sizeof id, "%lld", (long long)user_id);
    const char *params[] = {id, blocked ? "true" : "false"};
    if (bot_db_exec(ctx, "mark blocked",
                    "INSERT INTO users (user_id, blocked) VALUES ($1, $2::boolean)"
                    " ON CONFLICT (user_id) DO UPDATE SET blocked = EXCLUDED.blocked,"
                    " last_seen = now()",
                    2, params) == 0)
        LOG_INFO(&ctx->log, blocked ? "user.blocked" : "user.unblocked",
                 blocked ? "the user blocked the bot; not sending to them"
                         : "the user unblocked the bot");
}

void bot_handle(struct bot_ctx *ctx, const struct inbox_item *item, struct bot_result *out)
{
    struct tg_update u;
    char err[160];
    memset(out, 0, sizeof *out);
    out->outcome = BOT_DONE;
    if (tg_update_parse(item->payload, item->payload_len, &u, err, sizeof err) < 0) {
        out->outcome = BOT_DEAD;
        snprintf(out->error, sizeof out->error, "unparseable update: %s", err);
        return;
    }
    switch (u.kind) {
    case TG_UPD_MESSAGE:
    case TG_UPD_BUSINESS_MESSAGE:
        remember_user(ctx, &u.message.from);
        router_message(ctx, &u, out);
        break;
    case TG_UPD_CALLBACK_QUERY:
        remember_user(ctx, &u.callback.from);
        router_callback(ctx, &u, out);
        break;
    case TG_UPD_MY_CHAT_MEMBER:
        /* In a private chat this is the person blocking ("kicked") or unblocking the bot. */
        if (u.member.chat.type && strcmp(u.member.chat.type, "private") == 0 && u.member.from.id) {
            if (strcmp(u.member.new_status, "kicked") == 0)
                bot_set_blocked(ctx, u.member.from.id, true);
            else if (strcmp(u.member.new_status, "member") == 0)
                bot_set_blocked(ctx, u.member.from.id, false);
        }
        break;
    case TG_UPD_EDITED_MESSAGE:
        /* Edits fire for changes we do not use (reactions, formatting); never re-run a paid
         * decode for them. The person can send the VIN again. */
        LOG_DEBUG(&ctx->log, "update.ignored", "edited message");
        break;
    default:
        LOG_DEBUG(&ctx->log, "update.ignored", "kind %s is stored but not acted on", u.kind_name);
        break;
    }
    tg_update_cleanup(&u);
}
