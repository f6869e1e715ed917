/* router.c: see router.h.
 *
 * In a private chat every message is for us. In a group the bot only acts on commands aimed at
 * it (privacy mode delivers little else) and on messages that contain a VIN, so it never
 * chatters in someone else's conversation. */
#include "bot/router.h"

#include <stdio.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bot/reply.h"
#include "bot/render.h"
#include "core/buf.h"
#include "core/config.h"
#include "core/log.h"
#include "decode/decode.h"
#include "search/search.h"
#include "store/db.h"
#include "tg/update.h"
#include "vin/extract.h"
#include "vin/vin.h"

/* Our username for group commands ("/vin@vinbot_bot"): commands addressed to other bots are
 * ignored. Learned from getMe at start (router_set_username); until then any suffix passes. */
static _Atomic(char *) bot_username;

void router_set_username(const char *name)
{
    char *old = atomic_exchange(&bot_username, xstrdup(name));
    (void)old; /* set once at start; the old value may still be read by a worker: keep it */
}

static bool addressed_to_us(const char *suffix)
{
    const char *me = atomic_load(&bot_username);
    return !*suffix || !me || !*me || strcasecmp(suffix, me) == 0;
}

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
    "• /recalls <i>VIN</i>: NHTSA recalls for that vehicle (also a button on each card).\n"
    "• /models <i>make year</i>: the models a make sold that year.\n"
    "• /help: this message.\n"
    "\n"
    "A VIN has 17 characters: digits and capital letters, never I, O or Q.";

static bool is_private(const struct tg_message *m)
{
    return m->chat.type && strcmp(m->chat.type, "private") == 0;
}

/* The person's decoder preference (users.decoder), or NULL for the default. */
static const char *preference(struct bot_ctx *ctx, int64_t user_id, char *buf, size_t n)
{
    if (!user_id)
        return NULL;
    char err[256], id[24];
    struct db *db = db_pool_get(ctx->dbp, 2000, err, sizeof err);
    if (!db)
        return NULL;
    snprintf(id, sizeof id, "%lld", (long long)user_id);
    const char *params[] = {id};
    struct pg_result *r = NULL;
    const char *pref = NULL;
    if (db_exec(db, "SELECT decoder FROM users WHERE user_id = $1 AND decoder IS NOT NULL", 1,
                params, true, &r) == DB_OK) {
        if (db_ntuples(r) == 1) {
            str_copy(buf, db_value(r, 0, 0), n);
            pref = buf;
        }
        db_result_free(r);
    }
    db_pool_put(ctx->dbp, db);
    return pref;
}

static void decode_ctx_for(struct bot_ctx *ctx, const struct tg_message *m, struct decode_ctx *d)
{
    *d = (struct decode_ctx){.cfg = ctx->cfg,
                             .http = ctx->http,
                             .cache = ctx->cache,
                             .dbp = ctx->dbp,
                             .log = &ctx->log,
                             .user_id = m->from.id,
                             .chat_id = m->chat.id};
}

/* Reply with one decoded VIN: the card (with a Recalls button when we know the model), or what
 * is wrong with it. */
static void reply_vin(struct bot_ctx *ctx, const struct tg_message *m, const char *text, size_t len,
                      struct bot_result *out)
{
    struct decode_ctx d;
    decode_ctx_for(ctx, m, &d);
    char pbuf[16];
    struct decode_result *r = xmalloc(sizeof *r);
    decode_vin(&d, text, len, preference(ctx, m->from.id, pbuf, sizeof pbuf), r);
    struct buf b;
    buf_init(&b, 16 * 1024);
    int rc = r->offline.valid || (r->online && r->vehicle.found && r->offline.syntax_ok &&
                                  !r->offline.check.required)
                 ? render_decode_card(&b, r)
                 : render_vin_problems(&b, &r->offline);
    char markup[128] = "";
    if (r->online && r->vehicle.found && r->vehicle.model_year && *r->vehicle.model)
        snprintf(markup, sizeof markup,
                 "{\"inline_keyboard\":[[{\"text\":\"\xf0\x9f\x94\x8e Recalls\","
                 "\"callback_data\":\"rc:%s\"}]]}",
                 r->offline.vin);
    LOG_INFO(&ctx->log, "vin.replied", "vin=%s valid=%d source=%s cache=%s",
             r->offline.vin[0] ? r->offline.vin : "-", r->offline.valid, r->source, r->cache);
    if (rc == 0)
        (void)bot_reply_html(ctx, m->chat.id, m->message_id, b.data, *markup ? markup : NULL, out);
    buf_cleanup(&b);
    free(r);
}

/* Recalls for the vehicle a VIN decodes to, as a reply in chat. */
static void reply_recalls(struct bot_ctx *ctx, int64_t chat_id, int64_t reply_to,
                          const struct tg_message *m, const char *vin, struct bot_result *out)
{
    struct decode_ctx d;
    decode_ctx_for(ctx, m, &d);
    struct decode_result *r = xmalloc(sizeof *r);
    decode_vin(&d, vin, strlen(vin), NULL, r);
    struct buf b;
    buf_init(&b, 256 * 1024);
    if (!r->offline.syntax_ok) {
        if (render_vin_problems(&b, &r->offline) == 0)
            (void)bot_reply_html(ctx, chat_id, reply_to, b.data, NULL, out);
    } else if (!r->online || !r->vehicle.found || !r->vehicle.model_year || !*r->vehicle.model) {
        (void)bot_reply_html(ctx, chat_id, reply_to,
                             r->online ? "I can't look up recalls: the decoder does not know "
                                         "this vehicle's make, model and year."
                                       : "I can't look up recalls right now: the online "
                                         "decoders are not answering. Try again in a few "
                                         "minutes.",
                             NULL, out);
    } else {
        struct search_ctx s = {
            .cfg = ctx->cfg, .http = ctx->http, .cache = ctx->cache, .log = &ctx->log};
        struct recall_list *l = xmalloc(sizeof *l);
        char title[256];
        snprintf(title, sizeof title, "%d %s %s", r->vehicle.model_year, r->vehicle.make,
                 r->vehicle.model);
        if (search_recalls(&s, r->vehicle.make, r->vehicle.model, r->vehicle.model_year, l) !=
            SEARCH_OK)
            (void)bot_reply_html(ctx, chat_id, reply_to,
                                 "NHTSA's recall service is not answering right now, so I can't "
                                 "say whether there are recalls. Please try again later.",
                                 NULL, out);
        else if (render_recalls(&b, title, l) == 0)
            (void)bot_reply_html(ctx, chat_id, reply_to, b.data, NULL, out);
        free(l);
    }
    buf_cleanup(&b);
    free(r);
}

static void reply_models(struct bot_ctx *ctx, const struct tg_message *m, const char *args,
                         struct bot_result *out)
{
    char make[64] = "";
    int year = 0;
    /* "honda 2020", "2020 honda", "land rover 2019" */
    const char *p = args;
    size_t n = 0;
    while (*p && n < sizeof make - 1) {
        if (*p >= '0' && *p <= '9' && (p == args || p[-1] == ' ')) {
            char *end;
            long y = strtol(p, &end, 10);
            if ((*end == '\0' || *end == ' ') && y >= 1950 && y <= 2100) {
                year = (int)y;
                p = end;
                continue;
            }
        }
        make[n++] = *p++;
    }
    make[n] = '\0';
    while (n && make[n - 1] == ' ')
        make[--n] = '\0';
    const char *mk = make;
    while (*mk == ' ')
        mk++;
    if (!*mk || !year) {
        (void)bot_reply_html(ctx, m->chat.id, m->message_id,
                             "Tell me the make and the year, for example "
                             "<code>/models honda 2020</code>.",
                             NULL, out);
        return;
    }
    struct search_ctx s = {
        .cfg = ctx->cfg, .http = ctx->http, .cache = ctx->cache, .log = &ctx->log};
    struct model_list *l = xmalloc(sizeof *l);
    struct buf b;
    buf_init(&b, 64 * 1024);
    if (search_models(&s, mk, year, l) != SEARCH_OK)
        (void)bot_reply_html(ctx, m->chat.id, m->message_id,
                             "NHTSA's catalog is not answering right now. Please try again "
                             "later.",
                             NULL, out);
    else if (render_models(&b, mk, year, l) == 0)
        (void)bot_reply_html(ctx, m->chat.id, m->message_id, b.data, NULL, out);
    buf_cleanup(&b);
    free(l);
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
        /* In a group, "/cmd@other_bot" is someone else's. */
        if (!is_private(m) && !addressed_to_us(m->command_bot))
            return;
        if (strcmp(cmd, "/start") == 0) {
            (void)bot_reply_html(ctx, chat, 0, welcome_html, NULL, out);
            return;
        }
        if (strcmp(cmd, "/help") == 0) {
            (void)bot_reply_html(ctx, chat, m->message_id, help_html, NULL, out);
            return;
        }
        if (strcmp(cmd, "/recalls") == 0) {
            char clean[32];
            size_t n = vin_clean(m->command_args, strlen(m->command_args), clean, sizeof clean);
            if (n != VIN_LEN) {
                (void)bot_reply_html(ctx, chat, m->message_id,
                                     "Send the VIN after the command, for example "
                                     "<code>/recalls 1HGCM82633A004352</code>.",
                                     NULL, out);
                return;
            }
            reply_recalls(ctx, chat, m->message_id, m, clean, out);
            return;
        }
        if (strcmp(cmd, "/models") == 0) {
            reply_models(ctx, m, m->command_args, out);
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
    const struct tg_callback_query *cb = &u->callback;
    struct tg_result res;
    /* Always answer, even silently: the client shows a spinner until we do. */
    if (tg_answer_callback(&ctx->tg, cb->id, NULL, false, &ctx->log, &res) < 0)
        LOG_WARN(&ctx->log, "callback.answer_failed", "%s: %s", tg_status_name(res.status),
                 res.description);
    if (strncmp(cb->data, "rc:", 3) == 0 && cb->has_message && cb->chat.id) {
        struct tg_message m = {.chat = cb->chat, .from = cb->from, .message_id = cb->message_id};
        reply_recalls(ctx, cb->chat.id, cb->message_id, &m, cb->data + 3, out);
        return;
    }
    LOG_DEBUG(&ctx->log, "callback.ignored", "unknown button data");
}
