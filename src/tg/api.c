/* api.c: see api.h.
 *
 * DESIGN: request bodies are built with json-c (correct escaping of any text a person typed),
 * responses parsed with json-c and copied into struct tg_result; no json_object outlives a call.
 * sendMessage is sent once per part and never retried blindly: if Telegram took the message and
 * the answer was lost, a resend would show it twice, so transient failures go back to the
 * caller, which retries the whole update later (the inbox's backoff). */
#include "tg/api.h"

#include <json-c/json.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/config.h"
#include "core/metrics.h"
#include "net/httpc.h"
#include "tg/format.h"

const char tg_allowed_updates_json[] =
    "[\"message\",\"edited_message\",\"callback_query\",\"my_chat_member\"]";

static const char *const status_names[] = {
    [TG_OK] = "ok",
    [TG_RETRY_AFTER] = "retry_after",
    [TG_BLOCKED] = "blocked",
    [TG_BAD_ENTITIES] = "bad_entities",
    [TG_TOO_LONG] = "too_long",
    [TG_MIGRATED] = "migrated",
    [TG_BAD_REQUEST] = "bad_request",
    [TG_UNAUTHORIZED] = "unauthorized",
    [TG_CONFLICT] = "conflict",
    [TG_TRANSIENT] = "transient",
};

static atomic_int health; /* 0 unknown, 1 ok, 2 failing */

const char *tg_api_health(void)
{
    static const char *const names[] = {"unknown", "ok", "failing"};
    return names[atomic_load(&health)];
}

const char *tg_status_name(enum tg_status st)
{
    return (unsigned)st < ARRAY_LEN(status_names) ? status_names[st] : "?";
}

void tg_api_init(struct tg_api *api, struct httpc *http, const struct config *cfg)
{
    api->http = http;
    api->base = cfg->telegram_api_base;
    api->token = cfg->telegram_bot_token;
}

bool tg_api_enabled(const struct tg_api *api)
{
    return api->token && *api->token;
}

static void classify(struct tg_result *res, int http_status, json_object *root)
{
    json_object *v;
    res->http_status = http_status;
    if (!root || !json_object_is_type(root, json_type_object)) {
        res->status = TG_TRANSIENT;
        snprintf(res->description, sizeof res->description,
                 "HTTP %d with a body that is not a Bot API answer", http_status);
        return;
    }
    if (json_object_object_get_ex(root, "description", &v))
        str_copy(res->description, json_object_get_string(v), sizeof res->description);
    bool ok = json_object_object_get_ex(root, "ok", &v) && json_object_get_boolean(v);
    if (ok && http_status == 200) {
        res->status = TG_OK;
        return;
    }
    int code = http_status;
    if (json_object_object_get_ex(root, "error_code", &v))
        code = json_object_get_int(v);
    json_object *params = NULL;
    json_object_object_get_ex(root, "parameters", &params);
    if (code == 429) {
        res->status = TG_RETRY_AFTER;
        res->retry_after_s = 1;
        if (params && json_object_object_get_ex(params, "retry_after", &v))
            res->retry_after_s = json_object_get_int64(v);
        if (res->retry_after_s < 1)
            res->retry_after_s = 1;
    } else if (params && json_object_object_get_ex(params, "migrate_to_chat_id", &v)) {
        res->status = TG_MIGRATED;
        res->migrate_to_chat_id = json_object_get_int64(v);
    } else if (code == 403) {
        res->status = TG_BLOCKED;
    } else if (code == 401) {
        res->status = TG_UNAUTHORIZED;
    } else if (code == 409) {
        res->status = TG_CONFLICT;
    } else if (code >= 500 || code == 0) {
        res->status = TG_TRANSIENT;
    } else if (strstr(res->description, "can't parse entities") ||
               strstr(res->description, "can't find end of")) {
        res->status = TG_BAD_ENTITIES;
    } else if (strstr(res->description, "message is too long")) {
        res->status = TG_TOO_LONG;
    } else {
        res->status = TG_BAD_REQUEST;
    }
}

static int call(struct tg_api *api, const char *method, const char *body, int64_t timeout_ms,
                int max_attempts, const struct log_ctx *log, struct tg_result *res,
                char **result_json, const _Atomic bool *cancel)
{
    memset(res, 0, sizeof *res);
    if (result_json)
        *result_json = NULL;
    if (!tg_api_enabled(api)) {
        res->status = TG_UNAUTHORIZED;
        str_copy(res->description, "no TELEGRAM_BOT_TOKEN configured", sizeof res->description);
        return -1;
    }
    char *url = xasprintf("%s/bot%s/%s", api->base, api->token, method);
    struct httpc_req req = {
        .upstream = "telegram",
        .endpoint = method,
        .method = "POST",
        .url = url,
        .body = body,
        .body_len = strlen(body),
        .content_type = "application/json",
        .max_attempts = max_attempts,
        .timeout_ms = timeout_ms,
        .deadline_ms = timeout_ms > 0 ? timeout_ms * (max_attempts > 1 ? 2 : 1) : 0,
        .log = log,
        .cancel = cancel,
    };
    struct httpc_resp resp;
    httpc_resp_init(&resp);
    int rc = httpc_do(api->http, &req, &resp);
    free(url);
    if (rc < 0) {
        res->status = TG_TRANSIENT;
        atomic_store(&health, 2);
        str_copy(res->description, resp.error, sizeof res->description);
        httpc_resp_cleanup(&resp);
        return -1;
    }
    json_tokener *tok = json_tokener_new();
    json_object *root =
        json_tokener_parse_ex(tok, resp.body.data ? resp.body.data : "", (int)resp.body.len);
    json_tokener_free(tok);
    classify(res, resp.status, root);
    atomic_store(&health, res->status == TG_TRANSIENT || res->status == TG_UNAUTHORIZED ? 2 : 1);
    if (res->status == TG_OK) {
        json_object *result;
        if (json_object_object_get_ex(root, "result", &result)) {
            json_object *mid;
            if (json_object_is_type(result, json_type_object) &&
                json_object_object_get_ex(result, "message_id", &mid))
                res->message_id = json_object_get_int64(mid);
            if (result_json)
                *result_json =
                    xstrdup(json_object_to_json_string_ext(result, JSON_C_TO_STRING_PLAIN));
        } else if (result_json) {
            *result_json = xstrdup("null");
        }
    }
    json_object_put(root);
    httpc_resp_cleanup(&resp);
    return res->status == TG_OK ? 0 : -1;
}

int tg_call(struct tg_api *api, const char *method, const char *json_body, int64_t timeout_ms,
            const struct log_ctx *log, struct tg_result *res, char **result_json)
{
    return call(api, method, json_body, timeout_ms, 1, log, res, result_json, NULL);
}

static char *to_json(json_object *o)
{
    char *s = xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
    json_object_put(o);
    return s;
}

/* Send one part. */
static int send_part(struct tg_api *api, int64_t chat_id, const char *text, size_t len, bool html,
                     const struct tg_message_out *m, bool with_markup, const struct log_ctx *log,
                     struct tg_result *res)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "chat_id", json_object_new_int64(chat_id));
    json_object_object_add(o, "text", json_object_new_string_len(text, (int)len));
    if (html)
        json_object_object_add(o, "parse_mode", json_object_new_string("HTML"));
    json_object *lp = json_object_new_object();
    json_object_object_add(lp, "is_disabled", json_object_new_boolean(1));
    json_object_object_add(o, "link_preview_options", lp);
    if (m->message_thread_id)
        json_object_object_add(o, "message_thread_id", json_object_new_int64(m->message_thread_id));
    if (m->reply_to_message_id) {
        json_object *rp = json_object_new_object();
        json_object_object_add(rp, "message_id", json_object_new_int64(m->reply_to_message_id));
        json_object_object_add(rp, "allow_sending_without_reply", json_object_new_boolean(1));
        json_object_object_add(o, "reply_parameters", rp);
    }
    if (with_markup && m->reply_markup_json) {
        json_object *mk = json_tokener_parse(m->reply_markup_json);
        if (mk)
            json_object_object_add(o, "reply_markup", mk);
    }
    char *body = to_json(o);
    int rc = call(api, "sendMessage", body, 0, 1, log, res, NULL, NULL);
    free(body);
    return rc;
}

int tg_send_message(struct tg_api *api, const struct tg_message_out *m, const struct log_ctx *log,
                    struct tg_result *res)
{
    size_t offs[16], lens[16];
    size_t nparts = tg_split_text(m->text, TG_MAX_MESSAGE_CHARS, offs, lens, ARRAY_LEN(offs));
    if (nparts > ARRAY_LEN(offs)) {
        LOG_WARN(log, "tg.truncated", "reply needs %zu messages; sending the first %zu", nparts,
                 ARRAY_LEN(offs));
        nparts = ARRAY_LEN(offs);
    }
    int64_t chat_id = m->chat_id;
    int64_t migrated = 0;
    memset(res, 0, sizeof *res);
    for (size_t i = 0; i < nparts; i++) {
        if (lens[i] == 0)
            continue;
        bool last = i + 1 == nparts;
        int rc =
            send_part(api, chat_id, m->text + offs[i], lens[i], m->parse_html, m, last, log, res);
        if (rc < 0 && res->status == TG_MIGRATED && !migrated) {
            migrated = res->migrate_to_chat_id;
            chat_id = migrated;
            LOG_INFO(log, "tg.migrated", "group moved to supergroup %lld", (long long)migrated);
            rc = send_part(api, chat_id, m->text + offs[i], lens[i], m->parse_html, m, last, log,
                           res);
        }
        if (rc < 0 && res->status == TG_BAD_ENTITIES && m->parse_html) {
            LOG_WARN(log, "tg.bad_entities", "resending as plain text: %s", res->description);
            char *part = xstrndup(m->text + offs[i], lens[i]);
            char *plain = tg_html_to_plain(part);
            rc = send_part(api, chat_id, plain, strlen(plain), false, m, last, log, res);
            free(plain);
            free(part);
        }
        if (rc < 0) {
            switch (res->status) {
            case TG_RETRY_AFTER: metrics_inc(MC_TG_RETRY_AFTER); break;
            case TG_BLOCKED: metrics_inc(MC_TG_BLOCKED); break;
            default: metrics_inc(MC_TG_FAILED); break;
            }
            if (migrated)
                res->migrate_to_chat_id = migrated;
            return -1;
        }
        metrics_inc(MC_TG_SENT);
    }
    res->migrate_to_chat_id = migrated;
    return 0;
}

int tg_answer_callback(struct tg_api *api, const char *callback_query_id, const char *text,
                       bool show_alert, const struct log_ctx *log, struct tg_result *res)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "callback_query_id", json_object_new_string(callback_query_id));
    if (text && *text)
        json_object_object_add(o, "text", json_object_new_string(text));
    if (show_alert)
        json_object_object_add(o, "show_alert", json_object_new_boolean(1));
    char *body = to_json(o);
    int rc = call(api, "answerCallbackQuery", body, 0, 2, log, res, NULL, NULL);
    free(body);
    return rc;
}

int tg_send_typing(struct tg_api *api, int64_t chat_id, const struct log_ctx *log,
                   struct tg_result *res)
{
    char body[96];
    snprintf(body, sizeof body, "{\"chat_id\":%lld,\"action\":\"typing\"}", (long long)chat_id);
    return call(api, "sendChatAction", body, 5000, 1, log, res, NULL, NULL);
}

int tg_set_webhook(struct tg_api *api, const char *url, const char *secret, int64_t max_connections,
                   struct tg_result *res)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "url", json_object_new_string(url));
    if (secret && *secret)
        json_object_object_add(o, "secret_token", json_object_new_string(secret));
    json_object_object_add(o, "allowed_updates", json_tokener_parse(tg_allowed_updates_json));
    json_object_object_add(o, "max_connections", json_object_new_int64(max_connections));
    char *body = to_json(o);
    int rc = call(api, "setWebhook", body, 10000, 3, NULL, res, NULL, NULL);
    free(body);
    return rc;
}

int tg_delete_webhook(struct tg_api *api, struct tg_result *res)
{
    return call(api, "deleteWebhook", "{\"drop_pending_updates\":false}", 10000, 3, NULL, res, NULL,
                NULL);
}

int tg_get_updates(struct tg_api *api, int64_t offset, int timeout_s, struct tg_result *res,
                   char **updates_json, const _Atomic bool *cancel)
{
    char *body = xasprintf("{\"offset\":%lld,\"timeout\":%d,\"limit\":100,\"allowed_updates\":%s}",
                           (long long)offset, timeout_s, tg_allowed_updates_json);
    int rc = call(api, "getUpdates", body, (int64_t)(timeout_s + 10) * 1000, 1, NULL, res,
                  updates_json, cancel);
    free(body);
    return rc;
}
