/* server.c: see server.h.
 *
 * DESIGN: MHD calls the access handler several times per request: once when the headers are
 * in (we route, check the secret and Content-Length, and refuse early when we can), then once
 * per body chunk (collected into a capped buffer), then once with no data (we answer). For a
 * webhook, that last call validates the JSON, suspends the connection and hands the update to
 * the inbox; the inbox writer's callback records the outcome and resumes the connection, which
 * makes MHD call the handler once more, and only then is the answer queued. An MHD thread is
 * therefore never blocked on Postgres: a few threads serve thousands of concurrent deliveries
 * while the writer commits them in groups.
 *
 * Per-request state lives in *req_cls and is freed in the completion callback. */
#include "http/server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/log.h"
#include "core/metrics.h"
#include "inbox/inbox.h"
#include "store/db.h"
#include "tg/api.h"
#include "tg/update.h"
#include "version.h"

#define READY_CACHE_MS 1000
#define SECRET_HEADER "X-Telegram-Bot-Api-Secret-Token"

struct http_server {
    struct MHD_Daemon *d;
    const struct config *cfg;
    struct inbox *inbox;
    http_cache_probe_fn cache_probe;
    uint16_t port;
    atomic_bool draining;
    atomic_int in_flight; /* webhooks handed to the inbox whose answer is not yet sent */

    pthread_mutex_t ready_mu; /* guards the cached probe results */
    int64_t ready_at_ms;
    bool ready_db;
    const char *ready_cache;
};

enum route { R_WEBHOOK, R_HEALTH, R_READY, R_METRICS, R_NOT_FOUND };

struct req {
    struct http_server *srv;
    struct MHD_Connection *conn;
    enum route route;
    bool submitted; /* handed to the inbox (MHD thread only) */
    int reject;     /* a status decided before the body was read, or 0 */
    const char *reject_reason;
    struct buf body;
    struct tg_update_peek peek;
    struct inbox_put put;
    _Atomic int result; /* enum inbox_put_result from the writer thread; -1 = none */
};

/* ---- responses ---- */

static enum MHD_Result respond(struct MHD_Connection *conn, unsigned status, const char *ctype,
                               const char *body, size_t len)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len, unconst(body), MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    if (ctype)
        MHD_add_response_header(r, "Content-Type", ctype);
    MHD_add_response_header(r, "Cache-Control", "no-store");
    if (status == 405)
        MHD_add_response_header(r, "Allow", "POST");
    enum MHD_Result ret = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result respond_error(struct MHD_Connection *conn, unsigned status,
                                     const char *reason)
{
    char body[256];
    int n = snprintf(body, sizeof body, "{\"ok\":false,\"error\":\"%s\"}", reason);
    return respond(conn, status, "application/json", body, (size_t)n);
}

/* ---- /webhook ---- */

static void webhook_stored(struct inbox_put *put, enum inbox_put_result result)
{
    struct req *q = put->ud;
    atomic_store(&q->result, (int)result);
    MHD_resume_connection(q->conn);
}

static const char *client_ip(struct MHD_Connection *conn, char *buf, size_t n)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    buf[0] = '\0';
    if (ci && ci->client_addr && ci->client_addr->sa_family == AF_INET) {
        const struct sockaddr_in *sin = (const struct sockaddr_in *)(const void *)ci->client_addr;
        inet_ntop(AF_INET, &sin->sin_addr, buf, (socklen_t)n);
    }
    return buf[0] ? buf : "?";
}

static enum MHD_Result webhook_reject(struct req *q, unsigned status, const char *reason,
                                      const char *detail)
{
    char ip[64];
    metrics_webhook_status((int)status);
    struct log_ctx ctx = {.update_id = q->peek.update_id, .chat_id = q->peek.chat_id};
    LOG_WARN(&ctx, "webhook.rejected", "status=%u reason=%s%s%s from=%s", status, reason,
             detail ? ": " : "", detail ? detail : "", client_ip(q->conn, ip, sizeof ip));
    return respond_error(q->conn, status, reason);
}

static enum MHD_Result webhook_final(struct req *q)
{
    int stored = atomic_load(&q->result);
    if (q->submitted && stored >= 0) {
        enum inbox_put_result r = (enum inbox_put_result)stored;
        struct log_ctx ctx = {.update_id = q->peek.update_id, .chat_id = q->peek.chat_id};
        switch (r) {
        case INBOX_STORED:
        case INBOX_DUPLICATE:
            metrics_webhook_status(200);
            LOG_DEBUG(&ctx, "webhook.stored", "kind=%s duplicate=%d", q->peek.kind_name,
                      r == INBOX_DUPLICATE);
            return respond(q->conn, 200, NULL, "", 0);
        case INBOX_REJECTED: return webhook_reject(q, 400, "payload refused by the database", NULL);
        case INBOX_UNAVAILABLE:
        default:
            metrics_webhook_status(503);
            LOG_WARN(&ctx, "webhook.unavailable",
                     "status=503 update not stored (Postgres unavailable); Telegram will retry");
            return respond_error(q->conn, 503, "storage unavailable, retry later");
        }
    }
    if (q->submitted)
        return MHD_YES; /* still waiting for the writer (cannot happen while suspended) */
    if (q->reject)
        return webhook_reject(q, (unsigned)q->reject, q->reject_reason, NULL);

    char err[128];
    if (tg_update_peek(q->body.data ? q->body.data : "", q->body.len, &q->peek, err, sizeof err) <
        0)
        return webhook_reject(q, 400, "not a Telegram Update", err);

    q->submitted = true;
    atomic_fetch_add(&q->srv->in_flight, 1);
    q->put = (struct inbox_put){
        .update_id = q->peek.update_id,
        .chat_id = q->peek.chat_id,
        .kind = q->peek.kind_name,
        .payload = q->body.data,
        .payload_len = q->body.len,
        .done = webhook_stored,
        .ud = q,
    };
    /* Suspend first: the writer may resume us before inbox_submit even returns. */
    MHD_suspend_connection(q->conn);
    inbox_submit(q->srv->inbox, &q->put);
    return MHD_YES;
}

/* First call for a webhook: everything we can decide from the headers alone. */
static void webhook_headers(struct req *q, const char *method)
{
    const struct config *cfg = q->srv->cfg;
    if (strcmp(method, "POST") != 0) {
        q->reject = 405;
        q->reject_reason = "method not allowed";
        return;
    }
    if (*cfg->telegram_webhook_secret) {
        const char *got = MHD_lookup_connection_value(q->conn, MHD_HEADER_KIND, SECRET_HEADER);
        const char *want = cfg->telegram_webhook_secret;
        if (!got || !const_time_eq(got, strlen(got), want, strlen(want))) {
            q->reject = 401;
            q->reject_reason = got ? "wrong secret token" : "missing secret token";
            return;
        }
    }
    const char *cl =
        MHD_lookup_connection_value(q->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    int64_t len;
    if (cl && parse_int64(cl, &len) && len > (int64_t)HTTP_WEBHOOK_MAX_BODY) {
        q->reject = 413;
        q->reject_reason = "body too large";
    }
}

/* ---- probes ---- */

int http_ready_body(char *out, size_t outlen, bool db_ok, const char *cache_state,
                    const char *telegram_state, bool draining)
{
    bool ready = db_ok && !draining;
    int n =
        snprintf(out, outlen,
                 "{\"status\":\"%s\",\"dependencies\":{\"database\":\"%s\",\"cache\":\"%s\","
                 "\"telegram_api\":\"%s\"},\"draining\":%s}",
                 draining ? "draining"
                 : ready  ? "ready"
                          : "unavailable",
                 db_ok ? "ok" : "down", cache_state, telegram_state, draining ? "true" : "false");
    (void)n;
    return ready ? 200 : 503;
}

static enum MHD_Result serve_ready(struct http_server *s, struct MHD_Connection *conn)
{
    const struct config *cfg = s->cfg;
    int64_t now = clock_mono_ms();
    pthread_mutex_lock(&s->ready_mu);
    if (s->ready_at_ms == 0 || now - s->ready_at_ms >= READY_CACHE_MS) {
        s->ready_db = db_ping(cfg->database_url, 2);
        s->ready_cache = s->cache_probe ? s->cache_probe(cfg) : "disabled";
        s->ready_at_ms = clock_mono_ms();
    }
    bool db_ok = s->ready_db;
    const char *cache = s->ready_cache;
    pthread_mutex_unlock(&s->ready_mu);

    const char *tg = *cfg->telegram_bot_token ? tg_api_health() : "disabled";
    char body[512];
    int status = http_ready_body(body, sizeof body, db_ok, cache, tg, atomic_load(&s->draining));
    return respond(conn, (unsigned)status, "application/json", body, strlen(body));
}

static enum MHD_Result serve_health(struct MHD_Connection *conn)
{
    char body[256];
    int n = snprintf(body, sizeof body,
                     "{\"status\":\"healthy\",\"timestamp\":%lld,\"service\":\"vinbot\","
                     "\"version\":\"%s\"}",
                     (long long)time(NULL), VINBOT_VERSION);
    return respond(conn, 200, "application/json", body, (size_t)n);
}

static enum MHD_Result serve_metrics(struct MHD_Connection *conn)
{
    struct buf b;
    buf_init(&b, 1 << 20);
    if (metrics_render(&b) < 0) {
        buf_cleanup(&b);
        return respond_error(conn, 500, "metrics too large");
    }
    enum MHD_Result r = respond(conn, 200, "text/plain; version=0.0.4", b.data, b.len);
    buf_cleanup(&b);
    return r;
}

/* ---- MHD callbacks ---- */

static enum route route_of(const char *url)
{
    if (strcmp(url, "/webhook") == 0)
        return R_WEBHOOK;
    if (strcmp(url, "/health") == 0)
        return R_HEALTH;
    if (strcmp(url, "/ready") == 0)
        return R_READY;
    if (strcmp(url, "/metrics") == 0)
        return R_METRICS;
    return R_NOT_FOUND;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **req_cls)
{
    struct http_server *s = cls;
    (void)version;
    struct req *q = *req_cls;

    if (!q) {
        q = xcalloc(1, sizeof *q);
        q->srv = s;
        q->conn = conn;
        q->route = route_of(url);
        atomic_init(&q->result, -1);
        buf_init(&q->body, HTTP_WEBHOOK_MAX_BODY);
        *req_cls = q;
        if (q->route == R_WEBHOOK) {
            webhook_headers(q, method);
            /* Refuse before reading a body we would throw away (MHD then closes). */
            if (q->reject == 401 || q->reject == 405 || q->reject == 413)
                return webhook_reject(q, (unsigned)q->reject, q->reject_reason, NULL);
        }
        return MHD_YES;
    }

    if (*upload_data_size) {
        if (q->route == R_WEBHOOK && !q->reject &&
            buf_append(&q->body, upload_data, *upload_data_size) < 0) {
            /* Chunked bodies carry no Content-Length: the cap catches them here. */
            q->reject = 413;
            q->reject_reason = "body too large";
            buf_cleanup(&q->body);
        }
        *upload_data_size = 0;
        return MHD_YES;
    }

    switch (q->route) {
    case R_WEBHOOK: return webhook_final(q);
    case R_HEALTH:
    case R_READY:
    case R_METRICS:
        if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
            return respond_error(conn, 405, "method not allowed");
        if (q->route == R_HEALTH)
            return serve_health(conn);
        if (q->route == R_READY)
            return serve_ready(s, conn);
        return serve_metrics(conn);
    case R_NOT_FOUND:
    default: return respond_error(conn, 404, "not found");
    }
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    struct req *q = *req_cls;
    if (!q)
        return;
    if (q->submitted)
        atomic_fetch_sub(&q->srv->in_flight, 1);
    buf_cleanup(&q->body);
    free(q);
    *req_cls = NULL;
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = '\0';
    LOG_WARN(NULL, "http.mhd", "%s", msg);
}

struct http_server *http_start(const struct config *cfg, struct inbox *inbox,
                               http_cache_probe_fn cache_probe, char *err, size_t errlen)
{
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)cfg->port);
    if (inet_pton(AF_INET, cfg->bind_address, &addr.sin_addr) != 1) {
        snprintf(err, errlen, "BIND_ADDRESS %s is not an IPv4 address", cfg->bind_address);
        return NULL;
    }
    struct http_server *s = xcalloc(1, sizeof *s);
    s->cfg = cfg;
    s->inbox = inbox;
    s->cache_probe = cache_probe;
    atomic_init(&s->draining, false);
    atomic_init(&s->in_flight, 0);
    pthread_mutex_init(&s->ready_mu, NULL);

    unsigned threads = (unsigned)cfg->http_threads;
    if (threads == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        threads = n > 0 ? (unsigned)n : 1;
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
                     MHD_USE_ERROR_LOG | MHD_USE_TURBO;
    s->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s, MHD_OPTION_EXTERNAL_LOGGER,
                            on_mhd_log, s, MHD_OPTION_SOCK_ADDR, (const struct sockaddr *)&addr,
                            MHD_OPTION_THREAD_POOL_SIZE, threads, MHD_OPTION_CONNECTION_LIMIT,
                            (unsigned)cfg->http_max_connections, MHD_OPTION_CONNECTION_TIMEOUT,
                            (unsigned)cfg->http_timeout_s, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
                            (size_t)(64 * 1024), MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u,
                            MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
                            MHD_OPTION_SIGPIPE_HANDLED_BY_APP, 1, MHD_OPTION_END);
    if (!s->d) {
        snprintf(err, errlen, "cannot listen on %s:%lld (in use, or not permitted)",
                 cfg->bind_address, (long long)cfg->port);
        pthread_mutex_destroy(&s->ready_mu);
        free(s);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : (uint16_t)cfg->port;
    return s;
}

uint16_t http_port(const struct http_server *s)
{
    return s->port;
}

void http_set_draining(struct http_server *s)
{
    atomic_store(&s->draining, true);
}

void http_quiesce(struct http_server *s)
{
    MHD_socket fd = MHD_quiesce_daemon(s->d);
    if (fd != MHD_INVALID_SOCKET)
        close(fd);
}

void http_stop(struct http_server *s)
{
    if (!s)
        return;
    /* Let the answers the inbox just gave reach their clients (a second at most): Telegram
     * would otherwise redeliver updates that are already stored. */
    for (int i = 0; i < 100 && atomic_load(&s->in_flight) > 0; i++)
        clock_sleep_ms(10);
    MHD_stop_daemon(s->d);
    pthread_mutex_destroy(&s->ready_mu);
    free(s);
}
