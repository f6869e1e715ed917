/* router.c: see router.h.
 *
 * In a private chat every message is for us. In a group the bot only acts on commands aimed at
 * it (privacy mode delivers little else) and on messages that contain a VIN, so it never
 * chatters in someone else's conversation. */
#include "bot/router.h"

#include <stdio.h>
#include <string.h>

#include "bot/reply.h"
#include "bot/render.h"
#include "core/buf.h"
#include "core/log.h"
#include "tg/update.h"
#include "vin/extract.h"
#include "vin/vin.h"

/* At most this many VINs from one message get a card each. */
#define MAX_VINS_PER_MESSAGE 3

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

/* Reply with one decoded VIN: the card, or what is wrong with it. */
static void reply_vin(struct bot_ctx *ctx, const struct tg_message *m, const char *text, size_t len,
                      struct bot_result *out)
{
    struct vin_result r;
    struct buf b;
    buf_init(&b, 16 * 1024);
    vin_decode_offline(text, len, 0, &r);
    int rc = r.valid ? render_vin_card(&b, &r) : render_vin_problems(&b, &r);
    LOG_INFO(&ctx->log, "vin.decoded", "vin=%s valid=%d source=offline", r.vin[0] ? r.vin : "-",
             r.valid);
    if (rc == 0)
        (void)bot_reply_html(ctx, m->chat.id, m->message_id, b.data, NULL, out);
    buf_cleanup(&b);
}

/* Every VIN in text (at most MAX_VINS_PER_MESSAGE), else near misses, else nothing. Returns
 * the number of VINs and near misses answered. */
static int reply_vins_in(struct bot_ctx *ctx, const struct tg_message *m, const char *text,
                         struct bot_result *out)
{
    struct vin_match found[MAX_VINS_PER_MESSAGE + 4];
    size_t n = vin_extract(text, strlen(text), found, ARRAY_LEN(found));
    size_t shown = n < ARRAY_LEN(found) ? n : ARRAY_LEN(found);
    int vins = 0, answered = 0;
    for (size_t i = 0; i < shown && out->outcome == BOT_DONE; i++) {
        if (!found[i].near_miss && vins < MAX_VINS_PER_MESSAGE) {
            reply_vin(ctx, m, found[i].vin, strlen(found[i].vin), out);
            vins++;
            answered++;
        }
    }
    if (vins == 0) {
        /* Only attempts: say what is wrong with the first one. */
        for (size_t i = 0; i < shown; i++) {
            if (!found[i].near_miss)
                continue;
            struct vin_result r;
            char piece[64];
            size_t len = found[i].len < sizeof piece - 1 ? found[i].len : sizeof piece - 1;
            memcpy(piece, text + found[i].start, len);
            piece[len] = '\0';
            vin_decode_offline(piece, len, 0, &r);
            struct buf b;
            buf_init(&b, 8 * 1024);
            if (render_near_miss(&b, piece, &r) == 0)
                (void)bot_reply_html(ctx, m->chat.id, m->message_id, b.data, NULL, out);
            buf_cleanup(&b);
            answered++;
            break;
        }
    } else if (n > (size_t)vins && vins == MAX_VINS_PER_MESSAGE && out->outcome == BOT_DONE) {
        (void)bot_reply_html(ctx, m->chat.id, m->message_id,
                             "I decode up to 3 VINs per message; send the others separately.", NULL,
                             out);
    }
    return answered;
}

/* A message that is nothing but one VIN-length token is decoded as it is, so that its exact
 * problems are named ("contains the letter O at position 5"), even when it would not pass the
 * looser test for VINs inside sentences. */
static bool looks_like_a_bare_vin(const char *text)
{
    char clean[32];
    size_t n = vin_clean(text, strlen(text), clean, sizeof clean);
    if (n < 11 || n > 19)
        return false;
    int digits = 0;
    for (size_t i = 0; i < n; i++) {
        char c = clean[i];
        if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || c == '*'))
            return false;
        digits += c >= '0' && c <= '9';
    }
    return digits >= 3;
}

static void handle_text(struct bot_ctx *ctx, const struct tg_message *m, const char *text,
                        bool explicit_request, struct bot_result *out)
{
    if (looks_like_a_bare_vin(text)) {
        reply_vin(ctx, m, text, strlen(text), out);
        return;
    }
    if (reply_vins_in(ctx, m, text, out) > 0)
        return;
    if (!explicit_request && !is_private(m))
        return; /* in a group, stay quiet about messages without a VIN */
    (void)bot_reply_html(ctx, m->chat.id, m->message_id,
                         "I didn't find a VIN in that. A VIN has 17 characters, for example "
                         "<code>1HGCM82633A004352</code>. Send it on its own or after /vin.\n"
                         "/help shows what else I can do.",
                         NULL, out);
}

void router_message(struct bot_ctx *ctx, const struct tg_update *u, struct bot_result *out)
{
    const struct tg_message *m = &u->message;
    int64_t chat = m->chat.id;
    const char *cmd = m->command ? m->command : "";

    if (*cmd) {
        if (!is_private(m) && *m->command_bot == '\0' && strcmp(cmd, "/vin") != 0 &&
            strcmp(cmd, "/start") != 0 && strcmp(cmd, "/help") != 0)
            return; /* a command for another bot in a group */
        if (strcmp(cmd, "/start") == 0) {
            (void)bot_reply_html(ctx, chat, 0, welcome_html, NULL, out);
            return;
        }
        if (strcmp(cmd, "/help") == 0) {
            (void)bot_reply_html(ctx, chat, m->message_id, help_html, NULL, out);
            return;
        }
        if (strcmp(cmd, "/vin") == 0 || strcmp(cmd, "/decode") == 0) {
            if (!*m->command_args) {
                (void)bot_reply_html(ctx, chat, m->message_id,
                                     "Send the VIN after the command, for example "
                                     "<code>/vin 1HGCM82633A004352</code>.",
                                     NULL, out);
                return;
            }
            handle_text(ctx, m, m->command_args, true, out);
            return;
        }
        (void)bot_reply_html(ctx, chat, m->message_id,
                             "I don't know that command. /help lists what I can do.", NULL, out);
        return;
    }
    if (!m->has_text) {
        if (is_private(m))
            (void)bot_reply_html(ctx, chat, m->message_id,
                                 "I read text only. Type the VIN, or copy it from a document.",
                                 NULL, out);
        return;
    }
    handle_text(ctx, m, m->text, false, out);
}

void router_callback(struct bot_ctx *ctx, const struct tg_update *u, struct bot_result *out)
{
    (void)out;
    struct tg_result res;
    if (tg_answer_callback(&ctx->tg, u->callback.id, NULL, false, &ctx->log, &res) < 0)
        LOG_WARN(&ctx->log, "callback.answer_failed", "%s: %s", tg_status_name(res.status),
                 res.description);
}
