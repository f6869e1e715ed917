/* fake_upstream.c: the fake Telegram Bot API, vPIC, recalls API and auto.dev for the tests.
 * The contract is tests/fake/README.md.
 *
 * DESIGN: libmicrohttpd with a thread per connection, so a held long poll or an injected hang
 * never blocks other requests. Every request is appended to the log (one JSON line, flushed)
 * BEFORE its answer is queued, so a test that has its answer can read the log. Shared state
 * (fault rules, queued updates, the webhook URL, counters) sits behind one mutex; getUpdates
 * waits on a condition variable with a bounded timeout. */
#include <arpa/inet.h>
#include <ctype.h>
#include <json-c/json.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/util.h"

#define MAX_BODY (8u << 20)
#define MAX_RULES 64
#define MAX_HANG_MS 60000

struct rule {
    char service[16];
    char method[64];
    int64_t chat_id; /* 0 = any */
    int status;
    int retry_after;
    char *description;
    char *body; /* raw body to send instead */
    int times;  /* -1 = until cleared */
    int delay_ms;
    bool hang;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t updates_cv = PTHREAD_COND_INITIALIZER;
static struct rule rules[MAX_RULES];
static int nrules;
static json_object *queued_updates; /* array, guarded by mu */
static char *webhook_url;
static int64_t next_message_id = 1;
static int64_t n_requests;
static json_object *by_service, *by_method; /* counters, guarded by mu */
static int service_delay[8];
static FILE *log_file;
static const char *fixtures = "tests/fixtures";
static volatile sig_atomic_t stop;

static const char *const services[] = {"telegram", "vpic",    "recalls",
                                       "autodev",  "control", "unknown"};

static int service_index(const char *s)
{
    for (size_t i = 0; i < ARRAY_LEN(services); i++)
        if (strcmp(services[i], s) == 0)
            return (int)i;
    return (int)ARRAY_LEN(services) - 1;
}

struct req {
    struct buf body;
};

/* ---- helpers ---- */

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    struct buf b;
    buf_init(&b, 64u << 20);
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        if (buf_append(&b, chunk, n) < 0)
            break;
    fclose(f);
    return buf_steal(&b);
}

static enum MHD_Result send_raw(struct MHD_Connection *c, unsigned status, const char *ctype,
                                const char *body, int retry_after)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(body), unconst(body), MHD_RESPMEM_MUST_COPY);
    MHD_add_response_header(r, "Content-Type", ctype);
    if (retry_after > 0) {
        char ra[16];
        snprintf(ra, sizeof ra, "%d", retry_after);
        MHD_add_response_header(r, "Retry-After", ra);
    }
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result send_json(struct MHD_Connection *c, unsigned status, json_object *o)
{
    enum MHD_Result r = send_raw(
        c, status, "application/json",
        json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
        0);
    json_object_put(o);
    return r;
}

static enum MHD_Result tg_ok(struct MHD_Connection *c, json_object *result)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "ok", json_object_new_boolean(1));
    json_object_object_add(o, "result", result);
    return send_json(c, 200, o);
}

static enum MHD_Result tg_error(struct MHD_Connection *c, int code, const char *desc,
                                int retry_after, int64_t migrate_to)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "ok", json_object_new_boolean(0));
    json_object_object_add(o, "error_code", json_object_new_int(code));
    json_object_object_add(o, "description", json_object_new_string(desc));
    if (retry_after > 0 || migrate_to) {
        json_object *p = json_object_new_object();
        if (retry_after > 0)
            json_object_object_add(p, "retry_after", json_object_new_int(retry_after));
        if (migrate_to)
            json_object_object_add(p, "migrate_to_chat_id", json_object_new_int64(migrate_to));
        json_object_object_add(o, "parameters", p);
    }
    return send_json(c, (unsigned)code, o);
}

/* Query string parameters and form bodies become a JSON object. */
static int collect_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    json_object_object_add(cls, key, json_object_new_string(value ? value : ""));
    return MHD_YES;
}

static void urldecode_into(json_object *o, const char *form)
{
    char *copy = xstrdup(form);
    for (char *save = NULL, *pair = strtok_r(copy, "&", &save); pair;
         pair = strtok_r(NULL, "&", &save)) {
        char *eq = strchr(pair, '=');
        char *k = pair, *v = eq ? eq + 1 : (char *)"";
        if (eq)
            *eq = '\0';
        for (char *s = v, *d = v;; s++, d++) {
            if (*s == '+') {
                *d = ' ';
            } else if (*s == '%' && isxdigit((unsigned char)s[1]) &&
                       isxdigit((unsigned char)s[2])) {
                char hex[3] = {s[1], s[2], 0};
                *d = (char)strtol(hex, NULL, 16);
                s += 2;
            } else {
                *d = *s;
            }
            if (!*s)
                break;
        }
        json_object_object_add(o, k, json_object_new_string(v));
    }
    free(copy);
}

/* The request's parameters as one JSON object (JSON body, form body or query string). */
static json_object *params_of(struct MHD_Connection *c, const char *body, size_t len)
{
    json_object *o = NULL;
    if (len) {
        o = json_tokener_parse(body);
        if (o && !json_object_is_type(o, json_type_object)) {
            json_object_put(o);
            o = NULL;
        }
        if (!o && strchr(body, '=')) {
            o = json_object_new_object();
            urldecode_into(o, body);
        }
    }
    if (!o)
        o = json_object_new_object();
    MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, (MHD_KeyValueIterator)collect_arg, o);
    return o;
}

static void log_request(const char *service, const char *method, const char *http_method,
                        const char *url, struct MHD_Connection *c, const char *token,
                        const char *body, size_t len)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "ts_ms", json_object_new_int64(clock_real_ms()));
    json_object_object_add(o, "service", json_object_new_string(service));
    json_object_object_add(o, "method", json_object_new_string(method));
    json_object_object_add(o, "http_method", json_object_new_string(http_method));
    json_object_object_add(o, "path", json_object_new_string(url));
    json_object *q = json_object_new_object();
    MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, (MHD_KeyValueIterator)collect_arg, q);
    json_object_object_add(o, "query", q);
    if (token)
        json_object_object_add(o, "token", json_object_new_string(token));
    const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
    if (auth)
        json_object_object_add(o, "authorization", json_object_new_string(auth));
    json_object *b = len ? json_tokener_parse(body) : NULL;
    if (!b && len && strchr(body, '=') && !strchr(body, '{')) {
        b = json_object_new_object();
        urldecode_into(b, body);
    }
    if (!b && len)
        b = json_object_new_string_len(body, (int)len);
    json_object_object_add(o, "body", b);
    pthread_mutex_lock(&mu);
    n_requests++;
    json_object *v;
    int64_t n = json_object_object_get_ex(by_service, service, &v) ? json_object_get_int64(v) : 0;
    json_object_object_add(by_service, service, json_object_new_int64(n + 1));
    n = json_object_object_get_ex(by_method, method, &v) ? json_object_get_int64(v) : 0;
    json_object_object_add(by_method, method, json_object_new_int64(n + 1));
    if (log_file) {
        fputs(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
                                                    JSON_C_TO_STRING_NOSLASHESCAPE),
              log_file);
        fputc('\n', log_file);
        fflush(log_file);
    }
    pthread_mutex_unlock(&mu);
    json_object_put(o);
}

/* Find and consume a matching fault rule; copies it into *out. */
static bool take_rule(const char *service, const char *method, int64_t chat_id, struct rule *out)
{
    bool found = false;
    pthread_mutex_lock(&mu);
    for (int i = 0; i < nrules; i++) {
        struct rule *r = &rules[i];
        if (strcmp(r->service, service) != 0)
            continue;
        if (r->method[0] && strcasecmp(r->method, method) != 0)
            continue;
        if (r->chat_id && r->chat_id != chat_id)
            continue;
        *out = *r;
        out->description = r->description ? xstrdup(r->description) : NULL;
        out->body = r->body ? xstrdup(r->body) : NULL;
        if (r->times > 0 && --r->times == 0) {
            free(r->description);
            free(r->body);
            rules[i] = rules[--nrules];
        }
        found = true;
        break;
    }
    pthread_mutex_unlock(&mu);
    return found;
}

static void free_rule(struct rule *r)
{
    free(r->description);
    free(r->body);
}

static void delay_for(const char *service)
{
    pthread_mutex_lock(&mu);
    int ms = service_delay[service_index(service)];
    pthread_mutex_unlock(&mu);
    if (ms > 0)
        clock_sleep_ms(ms);
}

/* Apply a fault rule: returns true when it produced the answer. */
static bool apply_rule(struct MHD_Connection *c, const char *service, struct rule *r,
                       enum MHD_Result *ret)
{
    if (r->hang || (r->delay_ms && r->status == 0)) {
        clock_sleep_ms(MIN(r->delay_ms ? r->delay_ms : MAX_HANG_MS, MAX_HANG_MS));
        if (r->hang) {
            *ret = MHD_NO; /* close without answering */
            return true;
        }
    } else if (r->delay_ms) {
        clock_sleep_ms(MIN(r->delay_ms, MAX_HANG_MS));
    }
    if (r->body) {
        *ret = send_raw(c, r->status ? (unsigned)r->status : 200, "application/json", r->body,
                        r->retry_after);
        return true;
    }
    if (!r->status)
        return false;
    if (strcmp(service, "telegram") == 0) {
        const char *desc = r->description;
        if (!desc) {
            switch (r->status) {
            case 429: desc = "Too Many Requests: retry after N"; break;
            case 403: desc = "Forbidden: bot was blocked by the user"; break;
            case 400:
                desc = "Bad Request: can't parse entities: Unsupported start tag \"x\" at byte "
                       "offset 0";
                break;
            case 401: desc = "Unauthorized"; break;
            default: desc = "Internal Server Error"; break;
            }
        }
        char d[256];
        if (r->status == 429 && !r->description)
            snprintf(d, sizeof d, "Too Many Requests: retry after %d",
                     r->retry_after ? r->retry_after : 1);
        else
            str_copy(d, desc, sizeof d);
        *ret = tg_error(c, r->status, d,
                        r->status == 429 ? (r->retry_after ? r->retry_after : 1) : 0, 0);
        return true;
    }
    char body[256];
    snprintf(body, sizeof body, "{\"error\":\"injected fault\",\"status\":%d}", r->status);
    *ret = send_raw(c, (unsigned)r->status, "application/json", body, r->retry_after);
    return true;
}

/* ---- Telegram ---- */

/* Telegram's HTML check, roughly: tags must be allowed and balanced, & must start an entity. */
static bool html_ok(const char *s, char *why, size_t whylen)
{
    static const char *const allowed[] = {
        "b",   "strong", "i",          "em", "u",    "ins", "s",          "strike",
        "del", "span",   "tg-spoiler", "a",  "code", "pre", "blockquote", "tg-emoji"};
    char stack[32][16];
    int depth = 0;
    size_t byte = 0;
    for (const char *p = s; *p; p++, byte++) {
        if (*p == '&') {
            const char *semi = strchr(p, ';');
            if (!semi || semi - p > 10) {
                snprintf(why, whylen, "Can't find end of the entity starting at byte offset %zu",
                         byte);
                return false;
            }
            continue;
        }
        if (*p == '>') {
            continue;
        }
        if (*p != '<')
            continue;
        const char *end = strchr(p, '>');
        if (!end) {
            snprintf(why, whylen, "Unclosed start tag at byte offset %zu", byte);
            return false;
        }
        bool closing = p[1] == '/';
        const char *name = p + (closing ? 2 : 1);
        size_t nlen = 0;
        while (name + nlen < end && (isalnum((unsigned char)name[nlen]) || name[nlen] == '-'))
            nlen++;
        bool ok = false;
        for (size_t i = 0; i < ARRAY_LEN(allowed); i++)
            if (strlen(allowed[i]) == nlen && strncasecmp(allowed[i], name, nlen) == 0)
                ok = true;
        if (!ok || nlen == 0 || nlen >= 16) {
            snprintf(why, whylen, "Unsupported start tag \"%.*s\" at byte offset %zu",
                     (int)MIN(nlen, 20), name, byte);
            return false;
        }
        if (closing) {
            if (depth == 0 || strncasecmp(stack[depth - 1], name, nlen) != 0 ||
                stack[depth - 1][nlen] != '\0') {
                snprintf(why, whylen,
                         "Can't find end tag corresponding to start tag at byte offset %zu", byte);
                return false;
            }
            depth--;
        } else {
            if (depth == 32) {
                snprintf(why, whylen, "Too deep nesting at byte offset %zu", byte);
                return false;
            }
            memcpy(stack[depth], name, nlen);
            stack[depth][nlen] = '\0';
            depth++;
        }
        byte += (size_t)(end - p);
        p = end;
    }
    if (depth) {
        snprintf(why, whylen, "Can't find end tag corresponding to start tag \"%s\"",
                 stack[depth - 1]);
        return false;
    }
    return true;
}

static size_t utf8_len(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            n++;
    return n;
}

static int64_t param_int(json_object *p, const char *k)
{
    json_object *v;
    if (!json_object_object_get_ex(p, k, &v))
        return 0;
    if (json_object_is_type(v, json_type_string))
        return atoll(json_object_get_string(v));
    return json_object_get_int64(v);
}

static const char *param_str(json_object *p, const char *k)
{
    json_object *v;
    if (!json_object_object_get_ex(p, k, &v) || json_object_is_type(v, json_type_null))
        return NULL;
    return json_object_get_string(v);
}

static enum MHD_Result tg_get_updates(struct MHD_Connection *c, json_object *p)
{
    int64_t offset = param_int(p, "offset");
    int64_t limit = param_int(p, "limit");
    int64_t timeout = param_int(p, "timeout");
    if (limit <= 0 || limit > 100)
        limit = 100;
    if (timeout < 0)
        timeout = 0;
    if (timeout > 30)
        timeout = 30;
    int64_t until = clock_mono_ms() + timeout * 1000;
    pthread_mutex_lock(&mu);
    if (webhook_url && *webhook_url) {
        pthread_mutex_unlock(&mu);
        return tg_error(c, 409,
                        "Conflict: can't use getUpdates method while webhook is active; use "
                        "deleteWebhook to delete the webhook first",
                        0, 0);
    }
    json_object *result = json_object_new_array();
    for (;;) {
        /* drop confirmed updates (below offset) */
        json_object *keep = json_object_new_array();
        size_t n = json_object_array_length(queued_updates);
        for (size_t i = 0; i < n; i++) {
            json_object *u = json_object_array_get_idx(queued_updates, i);
            if (param_int(u, "update_id") >= offset || offset == 0)
                json_object_array_add(keep, json_object_get(u));
        }
        json_object_put(queued_updates);
        queued_updates = keep;
        n = json_object_array_length(queued_updates);
        for (size_t i = 0; i < n && (int64_t)json_object_array_length(result) < limit; i++)
            json_object_array_add(result,
                                  json_object_get(json_object_array_get_idx(queued_updates, i)));
        int64_t left = until - clock_mono_ms();
        if (json_object_array_length(result) > 0 || left <= 0 || stop)
            break;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        int64_t wait = MIN(left, 500);
        ts.tv_sec += wait / 1000;
        ts.tv_nsec += (wait % 1000) * 1000000;
        if (ts.tv_nsec >= 1000000000) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000;
        }
        pthread_cond_timedwait(&updates_cv, &mu, &ts);
    }
    pthread_mutex_unlock(&mu);
    return tg_ok(c, result);
}

static enum MHD_Result telegram(struct MHD_Connection *c, const char *url, const char *hm,
                                const char *body, size_t len)
{
    /* /bot<token>/<method> */
    const char *slash = strchr(url + 4, '/');
    char token[256] = "", method[64] = "";
    if (slash) {
        size_t tl = MIN((size_t)(slash - (url + 4)), sizeof token - 1);
        memcpy(token, url + 4, tl);
        token[tl] = '\0';
        str_copy(method, slash + 1, sizeof method);
    }
    log_request("telegram", method, hm, url, c, token, body, len);
    json_object *p = params_of(c, body, len);
    int64_t chat_id = param_int(p, "chat_id");
    struct rule r;
    enum MHD_Result ret;
    if (take_rule("telegram", method, chat_id, &r)) {
        bool done = apply_rule(c, "telegram", &r, &ret);
        free_rule(&r);
        if (done) {
            json_object_put(p);
            return ret;
        }
    }
    delay_for("telegram");
    if (!*token || !*method) {
        json_object_put(p);
        return tg_error(c, 404, "Not Found", 0, 0);
    }

    if (strcasecmp(method, "sendMessage") == 0) {
        const char *text = param_str(p, "text");
        const char *mode = param_str(p, "parse_mode");
        char why[200];
        if (!chat_id && !param_str(p, "chat_id"))
            ret = tg_error(c, 400, "Bad Request: chat_id is empty", 0, 0);
        else if (!text || !*text)
            ret = tg_error(c, 400, "Bad Request: message text is empty", 0, 0);
        else if (utf8_len(text) > 4096)
            ret = tg_error(c, 400, "Bad Request: message is too long", 0, 0);
        else if (mode && strcasecmp(mode, "HTML") == 0 && !html_ok(text, why, sizeof why)) {
            char d[300];
            snprintf(d, sizeof d, "Bad Request: can't parse entities: %s", why);
            ret = tg_error(c, 400, d, 0, 0);
        } else {
            json_object *m = json_object_new_object();
            pthread_mutex_lock(&mu);
            int64_t id = next_message_id++;
            pthread_mutex_unlock(&mu);
            json_object_object_add(m, "message_id", json_object_new_int64(id));
            json_object_object_add(m, "date", json_object_new_int64(clock_real_ms() / 1000));
            json_object *chat = json_object_new_object();
            json_object_object_add(chat, "id", json_object_new_int64(chat_id));
            json_object_object_add(chat, "type",
                                   json_object_new_string(chat_id < 0 ? "supergroup" : "private"));
            json_object_object_add(m, "chat", chat);
            json_object_object_add(m, "text", json_object_new_string(text));
            ret = tg_ok(c, m);
        }
    } else if (strcasecmp(method, "setWebhook") == 0) {
        const char *u = param_str(p, "url");
        const char *secret = param_str(p, "secret_token");
        bool secret_ok = true;
        for (const char *s = secret; s && *s; s++)
            if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-')
                secret_ok = false;
        if (u && *u && strncmp(u, "https://", 8) != 0)
            ret = tg_error(c, 400,
                           "Bad Request: bad webhook: An HTTPS URL must be provided for webhook", 0,
                           0);
        else if (!secret_ok)
            ret = tg_error(c, 400, "Bad Request: secret token contains unallowed characters", 0, 0);
        else {
            pthread_mutex_lock(&mu);
            free(webhook_url);
            webhook_url = xstrdup(u ? u : "");
            pthread_mutex_unlock(&mu);
            json_object *o = json_object_new_object();
            json_object_object_add(o, "ok", json_object_new_boolean(1));
            json_object_object_add(o, "result", json_object_new_boolean(1));
            json_object_object_add(
                o, "description",
                json_object_new_string(u && *u ? "Webhook was set" : "Webhook was deleted"));
            ret = send_json(c, 200, o);
        }
    } else if (strcasecmp(method, "deleteWebhook") == 0) {
        pthread_mutex_lock(&mu);
        free(webhook_url);
        webhook_url = NULL;
        pthread_mutex_unlock(&mu);
        ret = tg_ok(c, json_object_new_boolean(1));
    } else if (strcasecmp(method, "getWebhookInfo") == 0) {
        json_object *o = json_object_new_object();
        pthread_mutex_lock(&mu);
        json_object_object_add(o, "url", json_object_new_string(webhook_url ? webhook_url : ""));
        json_object_object_add(o, "pending_update_count",
                               json_object_new_int((int)json_object_array_length(queued_updates)));
        pthread_mutex_unlock(&mu);
        json_object_object_add(o, "has_custom_certificate", json_object_new_boolean(0));
        ret = tg_ok(c, o);
    } else if (strcasecmp(method, "getMe") == 0) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "id", json_object_new_int64(123456));
        json_object_object_add(o, "is_bot", json_object_new_boolean(1));
        json_object_object_add(o, "first_name", json_object_new_string("vinbot"));
        json_object_object_add(o, "username", json_object_new_string("vinbot_test_bot"));
        ret = tg_ok(c, o);
    } else if (strcasecmp(method, "getUpdates") == 0) {
        ret = tg_get_updates(c, p);
    } else if (strcasecmp(method, "answerCallbackQuery") == 0 ||
               strcasecmp(method, "sendChatAction") == 0 ||
               strcasecmp(method, "setMyCommands") == 0 ||
               strcasecmp(method, "editMessageText") == 0 ||
               strcasecmp(method, "editMessageReplyMarkup") == 0 ||
               strcasecmp(method, "deleteMessage") == 0) {
        ret = tg_ok(c, json_object_new_boolean(1));
    } else {
        ret = tg_error(c, 404, "Not Found: method not found", 0, 0);
    }
    json_object_put(p);
    return ret;
}

/* ---- vPIC, recalls, auto.dev ---- */

static enum MHD_Result serve_fixture_or(struct MHD_Connection *c, const char *path,
                                        json_object *fallback, unsigned status)
{
    char *data = read_file(path);
    if (data) {
        json_object_put(fallback);
        enum MHD_Result r = send_raw(c, 200, "application/json", data, 0);
        free(data);
        return r;
    }
    return send_json(c, status, fallback);
}

static bool vin_shape_ok(const char *v)
{
    if (strlen(v) != 17)
        return false;
    for (const char *p = v; *p; p++)
        if (!isalnum((unsigned char)*p) || *p == 'I' || *p == 'O' || *p == 'Q' ||
            islower((unsigned char)*p))
            return false;
    return true;
}

/* A plausible flat DecodeVinValues answer for a VIN without a fixture. */
static json_object *synth_vpic(const char *vin)
{
    static const struct {
        char c;
        const char *make, *model, *country;
    } makes[] = {{'1', "FORD", "F-150", "UNITED STATES (USA)"},
                 {'2', "HONDA", "CIVIC", "CANADA"},
                 {'3', "NISSAN", "SENTRA", "MEXICO"},
                 {'4', "TOYOTA", "CAMRY", "UNITED STATES (USA)"},
                 {'5', "TESLA", "MODEL 3", "UNITED STATES (USA)"},
                 {'J', "TOYOTA", "COROLLA", "JAPAN"},
                 {'K', "HYUNDAI", "ELANTRA", "SOUTH KOREA"},
                 {'W', "VOLKSWAGEN", "GOLF", "GERMANY"}};
    const char *make = "CHEVROLET", *model = "MALIBU", *country = "UNITED STATES (USA)";
    for (size_t i = 0; i < ARRAY_LEN(makes); i++)
        if (vin[0] == makes[i].c) {
            make = makes[i].make;
            model = makes[i].model;
            country = makes[i].country;
        }
    static const char years[] = "ABCDEFGHJKLMNPRSTVWXY123456789";
    const char *yp = strlen(vin) >= 10 ? strchr(years, vin[9]) : NULL;
    char year[16] = "";
    if (yp && vin[9])
        snprintf(year, sizeof year, "%d", 2010 + (int)(yp - years));
    json_object *r = json_object_new_object();
    const char *keys[][2] = {
        {"Make", make},
        {"Model", model},
        {"ModelYear", year},
        {"Trim", ""},
        {"Series", ""},
        {"BodyClass", "Sedan/Saloon"},
        {"VehicleType", "PASSENGER CAR"},
        {"DriveType", "FWD/Front-Wheel Drive"},
        {"FuelTypePrimary", "Gasoline"},
        {"EngineCylinders", "4"},
        {"DisplacementL", "2.0"},
        {"EngineHP", ""},
        {"TransmissionStyle", ""},
        {"PlantCountry", country},
        {"PlantCity", ""},
        {"Manufacturer", make},
        {"Doors", "4"},
        {"ErrorCode", "0"},
        {"ErrorText", "0 - VIN decoded clean. Check Digit (9th position) is correct"},
        {"AdditionalErrorText", ""},
        {"SuggestedVIN", ""},
        {"PossibleValues", ""},
        {"VIN", vin}};
    for (size_t i = 0; i < ARRAY_LEN(keys); i++)
        json_object_object_add(r, keys[i][0], json_object_new_string(keys[i][1]));
    json_object *o = json_object_new_object();
    json_object_object_add(o, "Count", json_object_new_int(1));
    json_object_object_add(
        o, "Message",
        json_object_new_string("Results returned successfully. NOTE: Any missing decoded values "
                               "should be interpreted as NHTSA does not have data on the specific "
                               "variable. Missing value should NOT be interpreted as an indication "
                               "that a feature or technology is unavailable for a vehicle."));
    char crit[64];
    snprintf(crit, sizeof crit, "VIN(s): %s", vin);
    json_object_object_add(o, "SearchCriteria", json_object_new_string(crit));
    json_object *arr = json_object_new_array();
    json_object_array_add(arr, r);
    json_object_object_add(o, "Results", arr);
    return o;
}

static enum MHD_Result vpic(struct MHD_Connection *c, const char *url, const char *hm,
                            const char *body, size_t len)
{
    const char *rest = url + strlen("/api/vehicles/");
    char endpoint[64];
    size_t el = strcspn(rest, "/");
    snprintf(endpoint, sizeof endpoint, "%.*s", (int)MIN(el, 60), rest);
    log_request("vpic", endpoint, hm, url, c, NULL, body, len);
    struct rule r;
    enum MHD_Result ret;
    if (take_rule("vpic", endpoint, 0, &r)) {
        bool done = apply_rule(c, "vpic", &r, &ret);
        free_rule(&r);
        if (done)
            return ret;
    }
    delay_for("vpic");
    char path[1024];
    if (strcasecmp(endpoint, "DecodeVinValues") == 0 ||
        strcasecmp(endpoint, "DecodeVinValuesExtended") == 0) {
        const char *vin = rest[el] == '/' ? rest + el + 1 : "";
        if (!*vin) {
            json_object *o = json_object_new_object();
            json_object_object_add(
                o, "message",
                json_object_new_string("No HTTP resource was found that matches the request URI."));
            return send_json(c, 404, o);
        }
        snprintf(path, sizeof path, "%s/vpic/%s.json", fixtures, vin);
        return serve_fixture_or(c, path, synth_vpic(vin), 200);
    }
    if (strcasecmp(endpoint, "GetModelsForMakeYear") == 0) {
        /* /GetModelsForMakeYear/make/<make>/modelyear/<y> */
        char make[64] = "", year[16] = "";
        const char *m = strstr(rest, "/make/"), *y = strstr(rest, "/modelyear/");
        if (m)
            snprintf(make, sizeof make, "%.*s", (int)strcspn(m + 6, "/?"), m + 6);
        if (y)
            snprintf(year, sizeof year, "%.*s", (int)strcspn(y + 11, "/?"), y + 11);
        for (char *p = make; *p; p++)
            *p = (char)tolower((unsigned char)*p);
        snprintf(path, sizeof path, "%s/vpic/models-%s-%s.json", fixtures, make, year);
        json_object *o = json_object_new_object();
        json_object_object_add(o, "Count", json_object_new_int(0));
        json_object_object_add(o, "Message",
                               json_object_new_string("Response returned successfully"));
        json_object_object_add(o, "Results", json_object_new_array());
        return serve_fixture_or(c, path, o, 200);
    }
    json_object *o = json_object_new_object();
    json_object_object_add(o, "message", json_object_new_string("The request is invalid."));
    return send_json(c, 400, o);
}

static enum MHD_Result recalls(struct MHD_Connection *c, const char *url, const char *hm,
                               const char *body, size_t len)
{
    log_request("recalls", "recallsByVehicle", hm, url, c, NULL, body, len);
    struct rule r;
    enum MHD_Result ret;
    if (take_rule("recalls", "recallsByVehicle", 0, &r)) {
        bool done = apply_rule(c, "recalls", &r, &ret);
        free_rule(&r);
        if (done)
            return ret;
    }
    delay_for("recalls");
    const char *make = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "make");
    const char *model = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "model");
    const char *year = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "modelYear");
    char key[256];
    snprintf(key, sizeof key, "%s-%s-%s", make ? make : "", model ? model : "", year ? year : "");
    for (char *p = key; *p; p++)
        *p = *p == ' ' ? '_' : (char)tolower((unsigned char)*p);
    char path[1024];
    snprintf(path, sizeof path, "%s/recalls/%s.json", fixtures, key);
    json_object *o = json_object_new_object();
    json_object_object_add(o, "Count", json_object_new_int(0));
    json_object_object_add(o, "Message", json_object_new_string("Results returned successfully"));
    json_object_object_add(o, "results", json_object_new_array());
    return serve_fixture_or(c, path, o, 200);
}

static enum MHD_Result autodev(struct MHD_Connection *c, const char *url, const char *hm,
                               const char *body, size_t len)
{
    log_request("autodev", "vin", hm, url, c, NULL, body, len);
    struct rule r;
    enum MHD_Result ret;
    if (take_rule("autodev", "vin", 0, &r)) {
        bool done = apply_rule(c, "autodev", &r, &ret);
        free_rule(&r);
        if (done)
            return ret;
    }
    delay_for("autodev");
    const char *vin = url + strlen("/vin/");
    const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
    json_object *e = json_object_new_object();
    if (!auth || strncmp(auth, "Bearer ", 7) != 0 || !auth[7]) {
        json_object_object_add(e, "status", json_object_new_int(401));
        json_object_object_add(e, "error", json_object_new_string("Unauthorized"));
        json_object_object_add(e, "code", json_object_new_string("UNAUTHORIZED"));
        return send_json(c, 401, e);
    }
    json_object_object_add(e, "path", json_object_new_string(url));
    json_object_object_add(e, "requestId", json_object_new_string("req_fake"));
    if (!vin_shape_ok(vin)) {
        json_object_object_add(e, "status", json_object_new_int(400));
        json_object_object_add(e, "error", json_object_new_string("Invalid VIN format"));
        json_object_object_add(e, "code", json_object_new_string("INVALID_VIN_FORMAT"));
        return send_json(c, 400, e);
    }
    char path[1024];
    snprintf(path, sizeof path, "%s/autodev/%s.json", fixtures, vin);
    json_object_object_add(e, "status", json_object_new_int(404));
    json_object_object_add(e, "error", json_object_new_string("VIN not found"));
    json_object_object_add(e, "code", json_object_new_string("VIN_NOT_FOUND"));
    char *data = read_file(path);
    if (data) {
        json_object_put(e);
        ret = send_raw(c, 200, "application/json", data, 0);
        free(data);
        return ret;
    }
    return send_json(c, 404, e);
}

/* ---- control ---- */

static enum MHD_Result control(struct MHD_Connection *c, const char *url, const char *hm,
                               const char *body, size_t len)
{
    log_request("control", url + strlen("/_control/"), hm, url, c, NULL, body, len);
    json_object *p = len ? json_tokener_parse(body) : NULL;
    enum MHD_Result ret;
    if (strcmp(url, "/_control/fault") == 0 && strcmp(hm, "DELETE") == 0) {
        pthread_mutex_lock(&mu);
        for (int i = 0; i < nrules; i++)
            free_rule(&rules[i]);
        nrules = 0;
        pthread_mutex_unlock(&mu);
        ret = send_raw(c, 200, "application/json", "{\"ok\":true}", 0);
    } else if (strcmp(url, "/_control/fault") == 0 && p &&
               json_object_is_type(p, json_type_object)) {
        struct rule r;
        memset(&r, 0, sizeof r);
        const char *s = param_str(p, "service");
        str_copy(r.service, s ? s : "telegram", sizeof r.service);
        s = param_str(p, "method");
        str_copy(r.method, s ? s : "", sizeof r.method);
        r.chat_id = param_int(p, "chat_id");
        r.status = (int)param_int(p, "status");
        r.retry_after = (int)param_int(p, "retry_after");
        r.delay_ms = (int)param_int(p, "delay_ms");
        json_object *v;
        r.times = json_object_object_get_ex(p, "times", &v) ? json_object_get_int(v) : 1;
        r.hang = json_object_object_get_ex(p, "hang", &v) && json_object_get_boolean(v);
        s = param_str(p, "description");
        r.description = s ? xstrdup(s) : NULL;
        s = param_str(p, "body");
        r.body = s ? xstrdup(s) : NULL;
        int64_t size = param_int(p, "body_size");
        if (size > 0 && size <= (int64_t)(64u << 20)) {
            free(r.body);
            r.body = xmalloc((size_t)size + 1);
            memset(r.body, 'x', (size_t)size);
            r.body[size] = '\0';
        }
        if (r.times == 0)
            r.times = 1;
        pthread_mutex_lock(&mu);
        bool full = nrules == MAX_RULES;
        if (!full)
            rules[nrules++] = r;
        pthread_mutex_unlock(&mu);
        if (full)
            free_rule(&r);
        ret = send_raw(c, full ? 507 : 200, "application/json",
                       full ? "{\"ok\":false}" : "{\"ok\":true}", 0);
    } else if (strcmp(url, "/_control/updates") == 0 && p &&
               json_object_is_type(p, json_type_array)) {
        pthread_mutex_lock(&mu);
        size_t n = json_object_array_length(p);
        for (size_t i = 0; i < n; i++)
            json_object_array_add(queued_updates, json_object_get(json_object_array_get_idx(p, i)));
        pthread_cond_broadcast(&updates_cv);
        pthread_mutex_unlock(&mu);
        ret = send_raw(c, 200, "application/json", "{\"ok\":true}", 0);
    } else if (strcmp(url, "/_control/delay") == 0 && p) {
        const char *s = param_str(p, "service");
        pthread_mutex_lock(&mu);
        service_delay[service_index(s ? s : "telegram")] = (int)param_int(p, "delay_ms");
        pthread_mutex_unlock(&mu);
        ret = send_raw(c, 200, "application/json", "{\"ok\":true}", 0);
    } else if (strcmp(url, "/_control/stats") == 0) {
        json_object *o = json_object_new_object();
        pthread_mutex_lock(&mu);
        json_object_object_add(o, "requests", json_object_new_int64(n_requests));
        json_object_object_add(o, "by_service", json_object_get(by_service));
        json_object_object_add(o, "by_method", json_object_get(by_method));
        const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
                                                                 JSON_C_TO_STRING_NOSLASHESCAPE);
        char *copy = xstrdup(text);
        pthread_mutex_unlock(&mu);
        json_object_put(o);
        ret = send_raw(c, 200, "application/json", copy, 0);
        free(copy);
    } else {
        ret = send_raw(c, 400, "application/json",
                       "{\"ok\":false,\"error\":\"bad control request\"}", 0);
    }
    json_object_put(p);
    return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **req_cls)
{
    (void)cls;
    (void)version;
    struct req *q = *req_cls;
    if (!q) {
        q = xcalloc(1, sizeof *q);
        buf_init(&q->body, MAX_BODY);
        *req_cls = q;
        return MHD_YES;
    }
    if (*upload_size) {
        if (buf_append(&q->body, upload, *upload_size) < 0)
            return MHD_NO;
        *upload_size = 0;
        return MHD_YES;
    }
    const char *body = q->body.data ? q->body.data : "";
    size_t len = q->body.len;
    if (strncmp(url, "/bot", 4) == 0)
        return telegram(c, url, method, body, len);
    if (strncmp(url, "/api/vehicles/", 14) == 0)
        return vpic(c, url, method, body, len);
    if (strncmp(url, "/recalls/recallsByVehicle", 25) == 0)
        return recalls(c, url, method, body, len);
    if (strncmp(url, "/vin/", 5) == 0)
        return autodev(c, url, method, body, len);
    if (strncmp(url, "/_control/", 10) == 0)
        return control(c, url, method, body, len);
    log_request("unknown", "", method, url, c, NULL, body, len);
    return send_raw(c, 404, "application/json", "{\"error\":\"not found\"}", 0);
}

static void on_done(void *cls, struct MHD_Connection *c, void **req_cls,
                    enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    struct req *q = *req_cls;
    if (q) {
        buf_cleanup(&q->body);
        free(q);
        *req_cls = NULL;
    }
}

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

int main(int argc, char **argv)
{
    const char *port_file = NULL, *log_path = NULL;
    int port = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--port"))
            port = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--port-file"))
            port_file = argv[i + 1];
        else if (!strcmp(argv[i], "--log"))
            log_path = argv[i + 1];
        else if (!strcmp(argv[i], "--fixtures"))
            fixtures = argv[i + 1];
        else {
            fprintf(stderr, "fake_upstream: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    if (log_path && !(log_file = fopen(log_path, "a"))) {
        perror(log_path);
        return 2;
    }
    queued_updates = json_object_new_array();
    by_service = json_object_new_object();
    by_method = json_object_new_object();
    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ERROR_LOG, 0,
        NULL, NULL, on_request, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
        MHD_OPTION_NOTIFY_COMPLETED, on_done, NULL, MHD_OPTION_CONNECTION_TIMEOUT, 120u,
        MHD_OPTION_CONNECTION_LIMIT, 2000u, MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "fake_upstream: cannot listen\n");
        return 1;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    if (port_file) {
        char tmp[1024];
        snprintf(tmp, sizeof tmp, "%s.tmp", port_file);
        FILE *f = fopen(tmp, "w");
        if (!f || fprintf(f, "%u\n", (unsigned)info->port) < 0 || fclose(f) != 0 ||
            rename(tmp, port_file) != 0) {
            perror(port_file);
            return 1;
        }
    }
    while (!stop)
        pause();
    pthread_mutex_lock(&mu);
    pthread_cond_broadcast(&updates_cv);
    pthread_mutex_unlock(&mu);
    MHD_stop_daemon(d);
    for (int i = 0; i < nrules; i++)
        free_rule(&rules[i]);
    json_object_put(queued_updates);
    json_object_put(by_service);
    json_object_put(by_method);
    free(webhook_url);
    if (log_file)
        fclose(log_file);
    return 0;
}
