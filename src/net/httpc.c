/* httpc.c: see httpc.h.
 *
 * DESIGN: a call is a loop of attempts inside one deadline. Each attempt resets the easy handle
 * (curl_easy_reset keeps live connections and the DNS cache), sets every option afresh and
 * performs. The per-attempt timeout is the smaller of the configured timeout and what is left
 * of the deadline, so a call never overruns it. Between attempts the thread sleeps for the
 * server's Retry-After when it gave one, else for an exponential backoff with jitter; when the
 * wait would pass the deadline, the last answer is returned as it is. Nothing here logs a URL
 * or a header: only the upstream's name, the endpoint, the status and curl's error text. */
#include "net/httpc.h"

#include <ctype.h>
#include <curl/curl.h>
#include <stdlib.h>
#include <stdatomic.h>
#include <string.h>
#include <strings.h>

#include "core/backoff.h"
#include "core/clock.h"
#include "core/metrics.h"
#include "version.h"

#define DEFAULT_MAX_ATTEMPTS 5

struct httpc {
    CURL *curl;
    struct httpc_opts opts;
    struct rng rng;
    char errbuf[CURL_ERROR_SIZE];
};

struct xfer {
    struct httpc_resp *resp;
    bool too_big;
};

struct httpc *httpc_new(const struct httpc_opts *opts)
{
    /* The easy handle is made on first use: most of 64 workers may never call out while the
     * service is idle, and an easy handle with its buffers is several KiB each. */
    struct httpc *c = xcalloc(1, sizeof *c);
    c->opts = *opts;
    if (c->opts.retry_base_ms <= 0)
        c->opts.retry_base_ms = 100;
    if (c->opts.retry_max_ms <= 0)
        c->opts.retry_max_ms = 2000;
    if (c->opts.max_body == 0)
        c->opts.max_body = 4 << 20;
    rng_seed(&c->rng);
    return c;
}

void httpc_free(struct httpc *c)
{
    if (!c)
        return;
    curl_easy_cleanup(c->curl);
    free(c);
}

void httpc_resp_init(struct httpc_resp *r)
{
    memset(r, 0, sizeof *r);
    buf_init(&r->body, 0);
    r->retry_after_ms = -1;
}

void httpc_resp_cleanup(struct httpc_resp *r)
{
    buf_cleanup(&r->body);
}

bool httpc_status_retryable(int status)
{
    return status == 429 || (status >= 500 && status <= 599);
}

static int on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    (void)dltotal;
    (void)dlnow;
    (void)ultotal;
    (void)ulnow;
    const _Atomic bool *cancel = ud;
    return atomic_load(cancel) ? 1 : 0;
}

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *ud)
{
    struct xfer *x = ud;
    size_t n = size * nmemb;
    if (buf_append(&x->resp->body, ptr, n) < 0) {
        x->too_big = true;
        return 0; /* makes curl stop with CURLE_WRITE_ERROR */
    }
    return n;
}

/* Is line "Name: value"? Returns the trimmed value (not NUL-terminated: *vlen) or NULL. */
static const char *header_value(const char *line, size_t len, const char *name, size_t *vlen)
{
    size_t nlen = strlen(name);
    if (len <= nlen || strncasecmp(line, name, nlen) != 0 || line[nlen] != ':')
        return NULL;
    const char *v = line + nlen + 1, *end = line + len;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && isspace((unsigned char)end[-1]))
        end--;
    *vlen = (size_t)(end - v);
    return v;
}

static size_t on_header(char *ptr, size_t size, size_t nmemb, void *ud)
{
    struct xfer *x = ud;
    size_t n = size * nmemb, vlen;
    const char *v;
    if ((v = header_value(ptr, n, "retry-after", &vlen)) != NULL) {
        char tmp[32];
        if (vlen < sizeof tmp) {
            memcpy(tmp, v, vlen);
            tmp[vlen] = '\0';
            int64_t secs;
            /* Only the delta-seconds form; an HTTP-date falls back to our own backoff. */
            if (parse_int64(tmp, &secs) && secs >= 0 && secs < 86400)
                x->resp->retry_after_ms = secs * 1000;
        }
    } else if ((v = header_value(ptr, n, "x-request-id", &vlen)) != NULL ||
               (v = header_value(ptr, n, "request-id", &vlen)) != NULL) {
        size_t m = MIN(vlen, sizeof x->resp->request_id - 1);
        memcpy(x->resp->request_id, v, m);
        x->resp->request_id[m] = '\0';
    }
    return n;
}

static enum httpc_err classify(CURLcode rc, bool too_big)
{
    if (too_big || rc == CURLE_FILESIZE_EXCEEDED)
        return HTTPC_TOO_BIG;
    switch (rc) {
    case CURLE_OK: return HTTPC_OK;
    case CURLE_OPERATION_TIMEDOUT: return HTTPC_TIMEOUT;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT: return HTTPC_CONNECT;
    default: return HTTPC_TRANSPORT;
    }
}

static bool transport_retryable(enum httpc_err e)
{
    return e == HTTPC_TIMEOUT || e == HTTPC_CONNECT || e == HTTPC_TRANSPORT;
}

/* One attempt. Returns the classified outcome; resp holds status, body and headers. */
static enum httpc_err attempt(struct httpc *c, const struct httpc_req *req, struct httpc_resp *resp,
                              int64_t timeout_ms)
{
    CURL *h = c->curl;
    struct xfer x = {.resp = resp, .too_big = false};
    struct curl_slist *hdrs = NULL;
    char ctype[128];

    buf_cleanup(&resp->body);
    buf_init(&resp->body, c->opts.max_body);
    resp->status = 0;
    resp->retry_after_ms = -1;
    resp->request_id[0] = '\0';
    c->errbuf[0] = '\0';

    curl_easy_reset(h);
    curl_easy_setopt(h, CURLOPT_URL, req->url);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->errbuf);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                     (long)MIN(c->opts.connect_timeout_ms, timeout_ms));
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(h, CURLOPT_USERAGENT, "vinbot/" VINBOT_VERSION);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &x);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &x);
    curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)c->opts.max_body);
    if (req->cancel) {
        curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_easy_setopt(h, CURLOPT_XFERINFODATA, unconst(req->cancel));
    }

    /* "Expect:" stops curl from waiting for 100-continue on larger POST bodies. */
    hdrs = curl_slist_append(hdrs, "Expect:");
    if (req->content_type) {
        snprintf(ctype, sizeof ctype, "Content-Type: %s", req->content_type);
        hdrs = curl_slist_append(hdrs, ctype);
    }
    for (const char *const *p = req->headers; p && *p; p++)
        hdrs = curl_slist_append(hdrs, *p);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);

    bool post = req->method ? strcmp(req->method, "POST") == 0 : req->body != NULL;
    if (post) {
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body ? req->body : "");
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
                         (curl_off_t)(req->body ? req->body_len : 0));
    } else if (req->method && strcmp(req->method, "GET") != 0) {
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req->method);
    }

    CURLcode rc = curl_easy_perform(h);
    if (rc == CURLE_OK) {
        long code = 0;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
        resp->status = (int)code;
    }
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(hdrs);

    enum httpc_err e = classify(rc, x.too_big);
    if (e == HTTPC_TOO_BIG)
        str_copy(resp->error, "response body too large", sizeof resp->error);
    else if (e != HTTPC_OK)
        str_copy(resp->error, c->errbuf[0] ? c->errbuf : curl_easy_strerror(rc),
                 sizeof resp->error);
    else
        resp->error[0] = '\0';
    return e;
}

int httpc_do(struct httpc *c, const struct httpc_req *req, struct httpc_resp *resp)
{
    if (!c->curl && !(c->curl = curl_easy_init())) {
        resp->attempts = 0;
        resp->status = 0;
        resp->err = HTTPC_TRANSPORT;
        str_copy(resp->error, "cannot create a libcurl handle", sizeof resp->error);
        return -1;
    }
    int64_t start = clock_mono_ms();
    int64_t deadline = start + (req->deadline_ms > 0 ? req->deadline_ms : c->opts.deadline_ms);
    int64_t timeout = req->timeout_ms > 0 ? req->timeout_ms : c->opts.timeout_ms;
    int max = req->max_attempts > 0 ? req->max_attempts : DEFAULT_MAX_ATTEMPTS;
    enum metrics_upstream mu = metrics_upstream_of(req->upstream);
    const char *endpoint = req->endpoint ? req->endpoint : "-";

    resp->attempts = 0;
    resp->err = HTTPC_OK;
    for (;;) {
        int64_t left = deadline - clock_mono_ms();
        if (left <= 0) {
            if (resp->attempts == 0) {
                resp->err = HTTPC_TIMEOUT;
                str_copy(resp->error, "deadline passed before the request", sizeof resp->error);
            }
            break;
        }
        resp->attempts++;
        enum httpc_err e = attempt(c, req, resp, MIN(timeout, left));
        resp->err = e;
        bool answered = e == HTTPC_OK;
        bool retry;
        if (answered)
            retry = req->retryable ? req->retryable(resp->status, &resp->body, req->retry_ud)
                                   : httpc_status_retryable(resp->status);
        else
            retry = transport_retryable(e);
        metrics_upstream(mu, !answered || httpc_status_retryable(resp->status));

        if (!retry || resp->attempts >= max || (req->cancel && atomic_load(req->cancel)))
            break;
        int64_t wait = resp->retry_after_ms >= 0
                           ? resp->retry_after_ms
                           : backoff_delay_ms(resp->attempts, c->opts.retry_base_ms,
                                              c->opts.retry_max_ms, &c->rng);
        if (clock_mono_ms() + wait >= deadline) {
            LOG_WARN(req->log, "upstream.give_up",
                     "upstream=%s endpoint=%s attempt=%d status=%d error=%s wait_ms=%lld "
                     "exceeds the deadline",
                     req->upstream, endpoint, resp->attempts, resp->status,
                     answered ? "-" : resp->error, (long long)wait);
            break;
        }
        LOG_WARN(req->log, "upstream.retry",
                 "upstream=%s endpoint=%s attempt=%d status=%d "
                 "error=%s wait_ms=%lld",
                 req->upstream, endpoint, resp->attempts, resp->status,
                 answered ? "-" : resp->error, (long long)wait);
        clock_sleep_ms(wait);
    }
    resp->elapsed_ms = clock_mono_ms() - start;
    LOG_DEBUG(req->log, "upstream.call", "upstream=%s endpoint=%s status=%d attempts=%d ms=%lld",
              req->upstream, endpoint, resp->status, resp->attempts, (long long)resp->elapsed_ms);
    return resp->err == HTTPC_OK ? 0 : -1;
}

int httpc_urlencode(struct buf *out, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~') {
            if (buf_append(out, s, 1) < 0)
                return -1;
        } else {
            char esc[3] = {'%', hex[ch >> 4], hex[ch & 15]};
            if (buf_append(out, esc, 3) < 0)
                return -1;
        }
    }
    return 0;
}
