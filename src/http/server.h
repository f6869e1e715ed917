/* server.h: the HTTP listener (libmicrohttpd): POST /webhook, GET /health, /ready, /metrics.
 *
 * /webhook checks the secret header in constant time, caps the body at 1 MiB, validates that
 * the body is a JSON object with an integer update_id, hands the update to the inbox and
 * suspends the connection; the inbox writer resumes it once the row is committed, and only
 * then does Telegram get its 200. The handler itself never touches Postgres or an upstream.
 *
 * Threads: MHD runs its own thread pool; http_* functions are called from the main thread. */
#ifndef HTTP_SERVER_H
#define HTTP_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_WEBHOOK_MAX_BODY (1u << 20)

struct config;
struct inbox;
struct http_server;

/* What /ready reports about the cache; set by main (the cache module's probe). NULL = the
 * cache is reported as "disabled". Called at most about once a second. */
typedef const char *(*http_cache_probe_fn)(const struct config *cfg);

/* Listen on cfg->bind_address:cfg->port. Returns NULL with the reason in err. */
struct http_server *http_start(const struct config *cfg, struct inbox *inbox,
                               http_cache_probe_fn cache_probe, char *err, size_t errlen);
/* The port actually bound. */
uint16_t http_port(const struct http_server *s);
/* From now on /ready answers 503 "draining". */
void http_set_draining(struct http_server *s);
/* Stop accepting new connections; open ones keep being served. */
void http_quiesce(struct http_server *s);
/* Close everything and free. Every update handed to the inbox must have been answered first
 * (inbox_stop does that); those answers are given up to a second to be sent. NULL is fine. */
void http_stop(struct http_server *s);

/* Exposed for tests: the /ready body and status for the given dependency states. */
int http_ready_body(char *out, size_t outlen, bool db_ok, const char *cache_state,
                    const char *telegram_state, bool draining);

#endif
