/* test_httpc.c: the libcurl wrapper against an in-process libmicrohttpd server on a free
 * loopback port: retries on 5xx and 429 (Retry-After), no retry on 4xx, per-attempt timeout
 * inside the deadline, body cap, keep-alive reuse, and log lines that never show the URL. */
#include <curl/curl.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>

#include "core/backoff.h"
#include "core/clock.h"
#include "core/metrics.h"
#include "net/httpc.h"
#include "t.h"

static atomic_int hits;       /* requests served */
static atomic_int fail_first; /* answer the first N requests with fail_status */
static atomic_int fail_status;
static atomic_int sleep_ms;    /* delay every answer */
static atomic_int big_body;    /* answer with this many bytes */
static atomic_int connections; /* distinct connections seen */

static void on_conn(void *cls, struct MHD_Connection *c, void **socket_context,
                    enum MHD_ConnectionNotificationCode code)
{
    (void)cls;
    (void)c;
    (void)socket_context;
    if (code == MHD_CONNECTION_NOTIFY_STARTED)
        atomic_fetch_add(&connections, 1);
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *conn, const char *url,
                               const char *method, const char *version, const char *upload,
                               size_t *upload_size, void **req_cls)
{
    (void)cls;
    (void)url;
    (void)method;
    (void)version;
    (void)upload;
    if (*req_cls == NULL) {
        *req_cls = conn;
        return MHD_YES;
    }
    if (*upload_size) {
        *upload_size = 0;
        return MHD_YES;
    }
    int n = atomic_fetch_add(&hits, 1) + 1;
    if (atomic_load(&sleep_ms))
        clock_sleep_ms(atomic_load(&sleep_ms));
    int status = 200;
    const char *body = "{\"ok\":true}";
    char *big = NULL;
    if (n <= atomic_load(&fail_first)) {
        status = atomic_load(&fail_status);
        body = "{\"error\":\"nope\"}";
    } else if (atomic_load(&big_body)) {
        size_t len = (size_t)atomic_load(&big_body);
        big = xmalloc(len + 1);
        memset(big, 'x', len);
        big[len] = '\0';
        body = big;
    }
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(body), unconst(body), MHD_RESPMEM_MUST_COPY);
    free(big);
    if (status == 429)
        MHD_add_response_header(r, "Retry-After", "1");
    MHD_add_response_header(r, "X-Request-Id", "req-123");
    enum MHD_Result ret = MHD_queue_response(conn, (unsigned)status, r);
    MHD_destroy_response(r);
    return ret;
}

static struct MHD_Daemon *srv;
static char base[64];
static struct httpc *hc;

static void reset(int ff, int fs, int sl, int big)
{
    atomic_store(&hits, 0);
    atomic_store(&fail_first, ff);
    atomic_store(&fail_status, fs);
    atomic_store(&sleep_ms, sl);
    atomic_store(&big_body, big);
}

static struct httpc_req get(const char *path_unused)
{
    (void)path_unused;
    struct httpc_req r = {.upstream = "vpic", .endpoint = "DecodeVinValues", .url = base};
    return r;
}

static void test_ok_and_keepalive(void)
{
    reset(0, 0, 0, 0);
    int conns_before = atomic_load(&connections);
    struct httpc_resp resp;
    httpc_resp_init(&resp);
    for (int i = 0; i < 3; i++) {
        struct httpc_req req = get("/");
        T_EQ_INT(httpc_do(hc, &req, &resp), 0);
        T_EQ_INT(resp.status, 200);
        T_EQ_STR(resp.body.data, "{\"ok\":true}");
        T_EQ_STR(resp.request_id, "req-123");
        T_EQ_INT(resp.attempts, 1);
    }
    /* three calls on one handle share one connection */
    T_EQ_INT(atomic_load(&connections) - conns_before, 1);
    httpc_resp_cleanup(&resp);
}

static void test_retry_5xx_then_ok(void)
{
    reset(2, 503, 0, 0);
    struct httpc_resp resp;
    httpc_resp_init(&resp);
    struct httpc_req req = get("/");
    T_EQ_INT(httpc_do(hc, &req, &resp), 0);
    T_EQ_INT(resp.status, 200);
    T_EQ_INT(resp.attempts, 3);
    T_EQ_INT(atomic_load(&hits), 3);
    httpc_resp_cleanup(&resp);
}

static void test_no_retry_4xx(void)
{
    reset(5, 404, 0, 0);
    struct httpc_resp resp;
    httpc_resp_init(&resp);
    struct httpc_req req = get("/");
    T_EQ_INT(httpc_do(hc, &req, &resp), 0);
    T_EQ_INT(resp.status, 404);
    T_EQ_INT(resp.attempts, 1);
    httpc_resp_cleanup(&resp);
}

static void test_429_honours_retry_after(void)
{
    reset(1, 429, 0, 0);
    struct httpc_resp resp;
    httpc_resp_init(&resp);
    struct httpc_req req = get("/");
    int64_t t0 = clock_mono_ms();
    T_EQ_INT(httpc_do(hc, &req, &resp), 0);
    int64_t took = clock_mono_ms() - t0;
    T_EQ_INT(resp.status, 200);
    T_EQ_INT(resp.attempts, 2);
    T_CHECK(took >= 1000); /* Retry-After: 1 */
    httpc_resp_cleanup(&resp);
}

static void test_retry_after_beyond_deadline_returns_429(void)
{
    reset(5, 429, 0, 0);
    struct httpc_resp resp;
    httpc_resp_init(&resp);
    struct httpc_req req = get("/");
    req.deadline_ms = 500; /* Retry-After 1 s does not fit */
    T_EQ_INT(httpc_do(hc, &req, &resp), 0);
    T_EQ_INT(resp.status, 429);
    T_EQ_INT(resp.attempts, 1);
    T_EQ_INT(resp.retry_after_ms, 1000);
    httpc_resp_cleanup(&resp);
}

static void test_timeout_within_deadline(void)
{
    reset(0, 0, 400, 0);
    struct httpc_resp resp;
    httpc_resp_init(&resp);
    struct httpc_req req = get("/");
    req.timeout_ms = 100;
    req.deadline_ms = 700;
    int64_t t0 = clock_mono_ms();
    T_EQ_INT(httpc_do(hc, &req, &resp), -1);
    int64_t took = clock_mono_ms() - t0;
    T_EQ_INT(resp.err, HTTPC_TIMEOUT);
    T_CHECK(resp.attempts >= 2);
    T_CHECK(took < 1500); /* bounded by the deadline (plus one in-flight attempt) */
    httpc_resp_cleanup(&resp);
    clock_sleep_ms(450); /* let the server's sleeping handlers finish */
}

static void test_body_cap(void)
{
    reset(0, 0, 0, 100000);
    struct httpc_opts o = {
        .connect_timeout_ms = 1000, .timeout_ms = 2000, .deadline_ms = 3000, .max_body = 1000};
    struct httpc *small = httpc_new(&o);
    struct httpc_resp resp;
    httpc_resp_init(&resp);
    struct httpc_req req = get("/");
    T_EQ_INT(httpc_do(small, &req, &resp), -1);
    T_EQ_INT(resp.err, HTTPC_TOO_BIG);
    T_EQ_INT(resp.attempts, 1);
    httpc_resp_cleanup(&resp);
    httpc_free(small);
}

static void test_connect_refused(void)
{
    struct httpc_resp resp;
    httpc_resp_init(&resp);
    struct httpc_req req = {.upstream = "telegram",
                            .endpoint = "sendMessage",
                            .url = "http://127.0.0.1:1/botSECRET-TOKEN-123/sendMessage",
                            .max_attempts = 2,
                            .deadline_ms = 2000};
    char *mem = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&mem, &len);
    log_init(LOG_LEVEL_DEBUG, f);
    T_EQ_INT(httpc_do(hc, &req, &resp), -1);
    T_EQ_INT(resp.err, HTTPC_CONNECT);
    T_EQ_INT(resp.attempts, 2);
    fflush(f);
    T_CONTAINS(mem, "upstream=telegram endpoint=sendMessage");
    T_CHECK(strstr(mem, "SECRET-TOKEN") == NULL);
    T_CHECK(strstr(mem, "/bot") == NULL);
    log_init(LOG_LEVEL_INFO, NULL);
    fclose(f);
    free(mem);
    httpc_resp_cleanup(&resp);
}

static void test_backoff_bounds(void)
{
    struct rng r;
    rng_seed(&r);
    for (int attempt = 1; attempt <= 12; attempt++) {
        int64_t d = 100;
        for (int i = 1; i < attempt && d < 5000; i++)
            d *= 2;
        if (d > 5000)
            d = 5000;
        for (int k = 0; k < 200; k++) {
            int64_t w = backoff_delay_ms(attempt, 100, 5000, &r);
            if (w < d / 2 || w > d) {
                T_FAILF("attempt %d: %lld outside [%lld, %lld]", attempt, (long long)w,
                        (long long)d / 2, (long long)d);
                return;
            }
        }
    }
}

static void test_urlencode(void)
{
    struct buf b;
    buf_init(&b, 256);
    T_EQ_INT(httpc_urlencode(&b, "Land Rover & co/é"), 0);
    T_EQ_STR(b.data, "Land%20Rover%20%26%20co%2F%C3%A9");
    buf_cleanup(&b);
}

static void test_metrics_counted(void)
{
    metrics_reset();
    reset(1, 500, 0, 0);
    struct httpc_resp resp;
    httpc_resp_init(&resp);
    struct httpc_req req = get("/");
    T_EQ_INT(httpc_do(hc, &req, &resp), 0);
    struct buf b;
    buf_init(&b, 1 << 20);
    T_EQ_INT(metrics_render(&b), 0);
    T_CONTAINS(b.data, "vinbot_upstream_calls_total{upstream=\"vpic\"} 2");
    T_CONTAINS(b.data, "vinbot_upstream_errors_total{upstream=\"vpic\"} 1");
    buf_cleanup(&b);
    httpc_resp_cleanup(&resp);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    srv = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ERROR_LOG, 0,
        NULL, NULL, handler, NULL, MHD_OPTION_NOTIFY_CONNECTION, on_conn, NULL, MHD_OPTION_END);
    if (!srv) {
        fprintf(stderr, "cannot start the test server\n");
        return 99;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(srv, MHD_DAEMON_INFO_BIND_PORT);
    snprintf(base, sizeof base, "http://127.0.0.1:%u/", (unsigned)info->port);
    struct httpc_opts o = {.connect_timeout_ms = 1000,
                           .timeout_ms = 2000,
                           .deadline_ms = 5000,
                           .max_body = 1 << 20,
                           .retry_base_ms = 20,
                           .retry_max_ms = 100};
    hc = httpc_new(&o);

    T_RUN(test_ok_and_keepalive);
    T_RUN(test_retry_5xx_then_ok);
    T_RUN(test_no_retry_4xx);
    T_RUN(test_429_honours_retry_after);
    T_RUN(test_retry_after_beyond_deadline_returns_429);
    T_RUN(test_timeout_within_deadline);
    T_RUN(test_body_cap);
    T_RUN(test_connect_refused);
    T_RUN(test_backoff_bounds);
    T_RUN(test_urlencode);
    T_RUN(test_metrics_counted);

    httpc_free(hc);
    MHD_stop_daemon(srv);
    curl_global_cleanup();
    return t_done();
}
