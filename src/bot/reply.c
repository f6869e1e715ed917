/* reply.c: see reply.h. */
#include "bot/reply.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "tg/api.h"
#include "tg/format.h"
#include "tg/limiter.h"

static void retry_later(struct bot_result *out, int64_t min_delay_ms, const char *why)
{
    out->outcome = BOT_RETRY;
    if (out->min_delay_ms < min_delay_ms)
        out->min_delay_ms = min_delay_ms;
    str_copy(out->error, why, sizeof out->error);
}

static void defer(struct bot_result *out, int64_t min_delay_ms, const char *why)
{
    out->outcome = BOT_DEFER;
    if (out->min_delay_ms < min_delay_ms)
        out->min_delay_ms = min_delay_ms;
    str_copy(out->error, why, sizeof out->error);
}

int bot_reply(struct bot_ctx *ctx, const struct tg_message_out *m, struct bot_result *out)
{
    if (!tg_api_enabled(&ctx->tg)) {
        /* No token (a developer's `make run`): nothing can be delivered, so show what would
         * have been, as plain text, in the log. */
        char *plain = m->parse_html ? tg_html_to_plain(m->text) : xstrdup(m->text);
        LOG_INFO(&ctx->log, "reply.not_sent", "no TELEGRAM_BOT_TOKEN; the reply would be:\n%s",
                 plain);
        free(plain);
        return 0;
    }
    for (int attempt = 0; attempt < 2; attempt++) {
        int64_t wait = tg_limiter_reserve(m->chat_id, clock_mono_ms());
        if (wait > BOT_MAX_INLINE_WAIT_MS) {
            defer(out, wait, "paced: too many messages to this chat");
            return -1;
        }
        clock_sleep_ms(wait);

        struct tg_result res;
        if (tg_send_message(&ctx->tg, m, &ctx->log, &res) == 0) {
            if (res.migrate_to_chat_id)
                LOG_INFO(&ctx->log, "chat.migrated", "chat %lld is now %lld", (long long)m->chat_id,
                         (long long)res.migrate_to_chat_id);
            return 0;
        }
        char why[300];
        snprintf(why, sizeof why, "sendMessage %s: %s", tg_status_name(res.status),
                 res.description);
        switch (res.status) {
        case TG_RETRY_AFTER: {
            int64_t ms = res.retry_after_s * 1000;
            tg_limiter_penalize(m->chat_id, clock_mono_ms() + ms);
            LOG_WARN(&ctx->log, "reply.rate_limited", "Telegram asks to wait %lld s",
                     (long long)res.retry_after_s);
            if (ms > BOT_MAX_INLINE_WAIT_MS || attempt == 1) {
                defer(out, ms, why);
                return -1;
            }
            continue; /* the limiter makes the resend wait out retry_after */
        }
        case TG_BLOCKED:
            if (m->chat_id > 0)
                bot_set_blocked(ctx, m->chat_id, true);
            LOG_INFO(&ctx->log, "reply.blocked", "%s", res.description);
            return -1; /* nothing more to do for this update: it stays done */
        case TG_TRANSIENT:
        case TG_UNAUTHORIZED:
            LOG_WARN(&ctx->log, "reply.failed", "%s", why);
            retry_later(out, 0, why);
            return -1;
        default:
            LOG_ERROR(&ctx->log, "reply.refused", "%s", why);
            out->outcome = BOT_DEAD;
            str_copy(out->error, why, sizeof out->error);
            return -1;
        }
    }
    return -1;
}

int bot_reply_html(struct bot_ctx *ctx, int64_t chat_id, int64_t reply_to, const char *html,
                   const char *markup_json, struct bot_result *out)
{
    struct tg_message_out m = {.chat_id = chat_id,
                               .text = html,
                               .parse_html = true,
                               .reply_to_message_id = reply_to,
                               .reply_markup_json = markup_json};
    return bot_reply(ctx, &m, out);
}
