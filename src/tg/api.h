/* api.h: the Telegram Bot API client.
 *
 * A struct tg_api is a thread's view of the Bot API: its httpc handle (borrowed), the base URL
 * and the token (borrowed from the config). Every call classifies Telegram's answer into a
 * tg_status the caller can act on (see upstream-apis.md §0): wait and resend after a 429,
 * mark the user blocked after a 403, resend as plain text after an entity error, retry the
 * whole update later after a 5xx or a timeout.
 *
 * The token is part of every URL; this module never logs a URL, only method names. */
#ifndef TG_API_H
#define TG_API_H

#include <stdbool.h>
#include <stdint.h>

#include "core/log.h"
#include "core/util.h"

struct httpc;
struct config;

enum tg_status {
    TG_OK = 0,
    TG_RETRY_AFTER,  /* 429: wait retry_after_s before sending to this chat again */
    TG_BLOCKED,      /* 403: the user blocked the bot, or never started it */
    TG_BAD_ENTITIES, /* 400 can't parse entities: resend without parse_mode */
    TG_TOO_LONG,     /* 400 message is too long */
    TG_MIGRATED,     /* 400 group upgraded: resend to migrate_to_chat_id */
    TG_BAD_REQUEST,  /* any other 400/404: our request is wrong; resending will not help */
    TG_UNAUTHORIZED, /* 401: the bot token is wrong (configuration) */
    TG_CONFLICT,     /* 409: e.g. getUpdates while a webhook is set */
    TG_TRANSIENT,    /* 5xx, timeout, connection error, garbage answer: try later */
};

struct tg_result {
    enum tg_status status;
    int http_status;            /* 0 when no answer arrived */
    int64_t retry_after_s;      /* TG_RETRY_AFTER */
    int64_t migrate_to_chat_id; /* TG_MIGRATED */
    int64_t message_id;         /* sendMessage: the sent (last) message */
    char description[256];      /* Telegram's description, or the transport error */
};

struct tg_api {
    struct httpc *http;
    const char *base;  /* TELEGRAM_API_BASE */
    const char *token; /* TELEGRAM_BOT_TOKEN; "" = Telegram disabled */
};

void tg_api_init(struct tg_api *api, struct httpc *http, const struct config *cfg);
/* Whether a token is configured. */
bool tg_api_enabled(const struct tg_api *api);
const char *tg_status_name(enum tg_status st);

/* Call `method` with a JSON body. On TG_OK (return 0) and when result_json is not NULL,
 * *result_json receives Telegram's "result" as JSON text (caller frees). Otherwise returns -1
 * and res says why. timeout_ms 0 = the client's default. */
int tg_call(struct tg_api *api, const char *method, const char *json_body, int64_t timeout_ms,
            const struct log_ctx *log, struct tg_result *res, char **result_json);

struct tg_message_out {
    int64_t chat_id;
    const char *text; /* HTML when parse_html, else plain */
    bool parse_html;
    int64_t reply_to_message_id;   /* 0 = not a reply */
    int64_t message_thread_id;     /* 0 = none */
    const char *reply_markup_json; /* e.g. {"inline_keyboard":[...]}; NULL = none */
};

/* sendMessage with the reactions Telegram's answers call for: texts over 4096 characters go out
 * in several messages (the markup on the last), an entity error resends the text as plain
 * text, a group upgraded to a supergroup is followed to its new id (res->migrate_to_chat_id
 * tells the caller to store it). A 429 is NOT waited out here: the caller decides (see
 * tg_limiter). Returns 0 when every part was delivered, else -1 with res set. */
int tg_send_message(struct tg_api *api, const struct tg_message_out *m, const struct log_ctx *log,
                    struct tg_result *res);

/* answerCallbackQuery; text may be NULL (nothing shown). */
int tg_answer_callback(struct tg_api *api, const char *callback_query_id, const char *text,
                       bool show_alert, const struct log_ctx *log, struct tg_result *res);
/* sendChatAction "typing". */
int tg_send_typing(struct tg_api *api, int64_t chat_id, const struct log_ctx *log,
                   struct tg_result *res);
/* setWebhook with our URL, secret (may be ""), allowed_updates and max_connections. */
int tg_set_webhook(struct tg_api *api, const char *url, const char *secret, int64_t max_connections,
                   struct tg_result *res);
/* deleteWebhook (pending updates are kept). */
int tg_delete_webhook(struct tg_api *api, struct tg_result *res);
/* getUpdates long poll. On 0, *updates_json is the JSON array of Updates (caller frees).
 * cancel (may be NULL) aborts the wait at shutdown. */
int tg_get_updates(struct tg_api *api, int64_t offset, int timeout_s, struct tg_result *res,
                   char **updates_json, const _Atomic bool *cancel);

/* How the Bot API answered lately, process-wide (for /ready): "unknown" before any call, "ok"
 * when the last call got a Bot API answer, "failing" when it got none or a 401/5xx. */
const char *tg_api_health(void);

/* The update kinds we ask Telegram for, as a JSON array (setWebhook and getUpdates). */
extern const char tg_allowed_updates_json[];

#endif
