/* httpc.h: the one libcurl wrapper. Every upstream call (Telegram, vPIC, auto.dev, recalls,
 * Upstash, LLMs) goes through httpc_do.
 *
 * One struct httpc per thread (a worker, the poller): it wraps one CURL easy handle that is
 * reused across calls, so connections stay alive between requests (curl_easy_reset keeps the
 * connection cache). Never share one between threads.
 *
 * What it guarantees: connect and total timeouts, a response size cap, CURLOPT_NOSIGNAL, no
 * redirects, and retries with exponential backoff and jitter on transport errors, timeouts,
 * 429 (honouring Retry-After) and 5xx, all inside a per-call deadline; other statuses are
 * returned at once. Log lines name the upstream and the endpoint, never the URL (the bot token
 * is in Bot API paths) or a header (API keys). */
#ifndef NET_HTTPC_H
#define NET_HTTPC_H

#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/log.h"
#include "core/util.h"

struct httpc;

struct httpc_opts {
    int64_t connect_timeout_ms; /* per attempt */
    int64_t timeout_ms;         /* per attempt, whole transfer */
    int64_t deadline_ms;        /* whole call including retries and waits */
    size_t max_body;            /* response bodies above this fail with HTTPC_TOO_BIG */
    int64_t retry_base_ms;      /* first backoff delay (doubles per retry); 0 = 100 ms */
    int64_t retry_max_ms;       /* largest backoff delay; 0 = 2000 ms */
};

enum httpc_err {
    HTTPC_OK = 0,    /* a response arrived (look at status) */
    HTTPC_TIMEOUT,   /* no complete response within the timeout */
    HTTPC_CONNECT,   /* could not resolve or connect */
    HTTPC_TOO_BIG,   /* response body above max_body */
    HTTPC_TRANSPORT, /* any other transport error */
};

struct httpc_req {
    const char *upstream; /* "telegram", "vpic", ...: logs and metrics */
    const char *endpoint; /* "sendMessage", "DecodeVinValues", ...: logs only */
    const char *method;   /* "GET" (default when NULL) or "POST" */
    const char *url;      /* never logged */
    const char *body;     /* POST body; NULL for none */
    size_t body_len;
    const char *content_type; /* e.g. "application/json"; NULL for none */
    /* Extra request headers ("Authorization: Bearer ..."), NULL-terminated; never logged. */
    const char *const *headers;
    int max_attempts;          /* 0 = as many as the deadline allows (at most 5); 1 = no retry */
    int64_t deadline_ms;       /* 0 = the handle's default */
    int64_t timeout_ms;        /* 0 = the handle's default */
    const struct log_ctx *log; /* the update being worked on, for log lines; may be NULL */
    /* Optional: decide whether a response that arrived (status set) is worth retrying. NULL =
     * retry 429 and 5xx. Lets the LLM client refuse to retry a 429 insufficient_quota. */
    bool (*retryable)(int status, const struct buf *body, void *ud);
    void *retry_ud;
    /* Optional: when *cancel becomes true the transfer is aborted within about a second and
     * the call fails with HTTPC_TRANSPORT (the poller's long poll, at shutdown). */
    const _Atomic bool *cancel;
};

struct httpc_resp {
    enum httpc_err err;
    int status;             /* HTTP status of the last attempt; 0 when none arrived */
    struct buf body;        /* the last attempt's body (NUL-terminated) */
    int64_t retry_after_ms; /* from a Retry-After header; -1 when absent */
    char request_id[80];    /* x-request-id / request-id header, for logs; "" when absent */
    int attempts;
    int64_t elapsed_ms;
    char error[160]; /* transport error text (never the URL); "" when none */
};

/* A handle for one thread. The libcurl easy handle inside is created on the first call. Never
 * returns NULL. */
struct httpc *httpc_new(const struct httpc_opts *opts);
/* Free the handle and its connections; NULL is fine. */
void httpc_free(struct httpc *c);

void httpc_resp_init(struct httpc_resp *r);
void httpc_resp_cleanup(struct httpc_resp *r);

/* Perform the request, retrying as described above. resp must be initialised; it is reset
 * first. Returns 0 when a response arrived (any status: check resp->status), -1 when none did
 * (resp->err says why). Blocks the calling thread for at most the deadline. */
int httpc_do(struct httpc *c, const struct httpc_req *req, struct httpc_resp *resp) MUST_CHECK;

/* Whether a status is one httpc retries by default (429, 500-599). */
bool httpc_status_retryable(int status);

/* URL-encode s into out (RFC 3986 unreserved characters kept). Returns 0 or -1 (out full). */
int httpc_urlencode(struct buf *out, const char *s) MUST_CHECK;

#endif
