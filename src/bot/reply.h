/* reply.h: sending a reply, and what Telegram's answer means for the update.
 *
 * bot_reply paces the send through the limiter, sends, and folds the result into the update's
 * outcome: delivered → nothing changes; 403 → the user is marked blocked and the update is done;
 * pacing (ours or a 429's retry_after) is waited out in the worker when it is short, and
 * otherwise sends the update back to the queue for later without counting an attempt
 * (BOT_DEFER); a transient failure is a retry (BOT_RETRY); a request Telegram calls wrong is a
 * dead letter with Telegram's description. Workers are many and cheap so that waiting on
 * Telegram's limits inside one is fine. */
#ifndef BOT_REPLY_H
#define BOT_REPLY_H

#include <stdbool.h>
#include <stdint.h>

#include "bot/bot.h"

struct tg_message_out;

/* Longest wait (limiter or 429) a worker sits out itself before handing the update back. */
#define BOT_MAX_INLINE_WAIT_MS 30000

/* Send m. Returns 0 when delivered; -1 otherwise, with out updated as described above. */
int bot_reply(struct bot_ctx *ctx, const struct tg_message_out *m, struct bot_result *out);

/* Shorthand: HTML text to a chat, optionally as a reply and with an inline keyboard. */
int bot_reply_html(struct bot_ctx *ctx, int64_t chat_id, int64_t reply_to, const char *html,
                   const char *markup_json, struct bot_result *out);

/* Mark a user blocked or unblocked (bot.c). */
void bot_set_blocked(struct bot_ctx *ctx, int64_t user_id, bool blocked);
/* Run one statement on a borrowed pool connection; logs and returns -1 on failure (bot.c). */
int bot_db_exec(struct bot_ctx *ctx, const char *what, const char *sql, int nparams,
                const char *const *params);

#endif
