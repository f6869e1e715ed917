/* router.c: see router.h.
 *
 * In a private chat every message is for us. In a group the bot only acts on commands aimed at
 * it (privacy mode delivers little else) and on messages that contain a VIN, so it never
 * chatters in someone else's conversation. */
#include "bot/router.h"

#include <stdio.h>
#include <string.h>

#include "bot/reply.h"
#include "core/log.h"
#include "tg/update.h"

static const char welcome_html[] =
    "<b>Hi! I decode vehicle identification numbers.</b>\n"
    "\n"
    "Send me a VIN (17 characters, on the dashboard behind the windshield, on the driver's "
    "door pillar, or on your registration) and I'll tell you what I can about the vehicle.\n"
    "\n"
    "/help shows everything I can do.";

static const char help_html[] =
    "<b>What I can do</b>\n"
    "\n"
    "• Send a VIN, like <code>1HGCM82633A004352</code>, and I check it and decode it.\n"
    "  Spaces, dashes and lower case are fine; I clean them up and show what I read.\n"
    "• /vin <i>VIN</i>: the same, as a command (handy in groups).\n"
    "• /help: this message.\n"
    "\n"
    "A VIN has 17 characters: digits and capital letters, never I, O or Q.";

static bool is_private(const struct tg_message *m)
{
    return m->chat.type && strcmp(m->chat.type, "private") == 0;
}

void router_message(struct bot_ctx *ctx, const struct tg_update *u, struct bot_result *out)
{
    const struct tg_message *m = &u->message;
    int64_t chat = m->chat.id;
    const char *cmd = m->command ? m->command : "";

    if (*cmd) {
        if (strcmp(cmd, "/start") == 0) {
            (void)bot_reply_html(ctx, chat, 0, welcome_html, NULL, out);
            return;
        }
        if (strcmp(cmd, "/help") == 0) {
            (void)bot_reply_html(ctx, chat, m->message_id, help_html, NULL, out);
            return;
        }
        if (!is_private(m) && *m->command_bot == '\0' && strcmp(cmd, "/vin") != 0)
            return; /* a command for another bot in a group */
    }
    if (!is_private(m) && !*cmd)
        return;
    if (!m->has_text) {
        (void)bot_reply_html(ctx, chat, m->message_id,
                             "I read text only. Type the VIN, or copy it from a document.", NULL,
                             out);
        return;
    }
    (void)bot_reply_html(ctx, chat, m->message_id, help_html, NULL, out);
}

void router_callback(struct bot_ctx *ctx, const struct tg_update *u, struct bot_result *out)
{
    (void)out;
    struct tg_result res;
    if (tg_answer_callback(&ctx->tg, u->callback.id, NULL, false, &ctx->log, &res) < 0)
        LOG_WARN(&ctx->log, "callback.answer_failed", "%s: %s", tg_status_name(res.status),
                 res.description);
}
