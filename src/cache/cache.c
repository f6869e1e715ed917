/* cache.c: see cache.h.
 *
 * DESIGN: every operation is one Redis command, built as an argument vector and sent by the
 * backend: redisCommandArgv over the thread's own hiredis connection (binary-safe, nothing
 * pasted into a command string), or a JSON array POSTed to Upstash's REST endpoint through the
 * thread's httpc. Both answers are folded into one small struct reply, so the operations above
 * are written once.
 *
 * Outages: the first failure marks this connection down and schedules a reconnect a second
 * later; calls in between fail at once (a miss). Whether the cache as a whole is down is one
 * process-wide flag, so 64 workers produce one cache.down line and one cache.up line per
 * outage, not 64 of each. */
#include "cache/cache.h"

#include <hiredis/hiredis.h>
#include <json-c/json.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "core/backoff.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/log.h"
#include "core/metrics.h"
#include "net/httpc.h"

#define RECONNECT_EVERY_MS 1000
#define MAX_ARGS 8

enum backend { B_DISABLED, B_REDIS, B_UPSTASH };

struct cache {
    enum backend backend;
    int64_t timeout_ms;
    /* redis */
    redisContext *rc;
    bool fresh; /* rc was just opened: a failure on it is not a stale idle connection */
    struct redis_url url;
    /* upstash */
    struct httpc *http;
    char *rest_url;
    char *auth_header;
    /* this connection's health */
    bool down;
    int64_t retry_at_ms;
    struct rng rng;
};

/* Process-wide: is the cache down (for logging once per outage)? */
static atomic_int global_down;
/* When a refused command was last logged. */
static atomic_llong last_error_log_ms;

enum reply_type { R_NIL, R_STR, R_INT, R_ERR };

struct reply {
    enum reply_type type;
    char *str; /* R_STR and R_ERR: owned, NUL-terminated */
    size_t len;
    long long integer;
};

static void reply_cleanup(struct reply *r)
{
    XFREE(r->str);
}

/* A value may hold any byte, NUL included: copy by length, and terminate for text callers. */
static char *copy_bytes(const char *p, size_t n)
{
    char *s = xmalloc(n + 1);
    memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

/* ---- URL parsing ---- */

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static char *pct_decode(const char *s, size_t n)
{
    char *out = xmalloc(n + 1);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
            out[k++] = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
            i += 2;
        } else {
            out[k++] = s[i];
        }
    }
    out[k] = '\0';
    return out;
}

int cache_parse_redis_url(const char *url, struct redis_url *u, char *err, size_t errlen)
{
    memset(u, 0, sizeof *u);
    u->port = 6379;
    if (strncmp(url, "redis://", 8) != 0) {
        snprintf(err, errlen, "not a redis:// URL");
        return -1;
    }
    const char *p = url + 8;
    const char *at = strrchr(p, '@');
    const char *slash = strchr(at ? at : p, '/');
    if (at) {
        const char *colon = memchr(p, ':', (size_t)(at - p));
        if (colon) {
            u->user = xstrndup(p, (size_t)(colon - p));
            u->password = pct_decode(colon + 1, (size_t)(at - colon - 1));
        } else {
            u->password = pct_decode(p, (size_t)(at - p));
        }
        p = at + 1;
    }
    const char *hostend = slash ? slash : p + strlen(p);
    const char *colon = memchr(p, ':', (size_t)(hostend - p));
    u->host = xstrndup(p, (size_t)((colon ? colon : hostend) - p));
    if (!*u->host) {
        snprintf(err, errlen, "no host in REDIS_URL");
        cache_redis_url_cleanup(u);
        return -1;
    }
    if (colon) {
        char port[16];
        size_t n = (size_t)(hostend - colon - 1);
        int64_t v;
        if (n == 0 || n >= sizeof port) {
            snprintf(err, errlen, "bad port in REDIS_URL");
            cache_redis_url_cleanup(u);
            return -1;
        }
        memcpy(port, colon + 1, n);
        port[n] = '\0';
        if (!parse_int64(port, &v) || v < 1 || v > 65535) {
            snprintf(err, errlen, "bad port in REDIS_URL");
            cache_redis_url_cleanup(u);
            return -1;
        }
        u->port = (int)v;
    }
    if (slash && slash[1]) {
        int64_t v;
        if (!parse_int64(slash + 1, &v) || v < 0 || v > 1000) {
            snprintf(err, errlen, "bad database number in REDIS_URL");
            cache_redis_url_cleanup(u);
            return -1;
        }
        u->db = (int)v;
    }
    if (u->user && !*u->user)
        XFREE(u->user);
    return 0;
}

void cache_redis_url_cleanup(struct redis_url *u)
{
    XFREE(u->host);
    XFREE(u->user);
    XFREE(u->password);
}

int cache_key(char *out, size_t n, const char *kind, const char *id)
{
    for (const char *p = id; *p; p++)
        if ((unsigned char)*p < 0x20)
            return -1; /* no control characters in keys (Upstash's path form, logs) */
    int w = snprintf(out, n, "vinbot:v1:%s:%s", kind, id);
    return w < 0 || (size_t)w >= n ? -1 : 0; /* a cut key could collide with another */
}

/* ---- health ---- */

static void mark_down(struct cache *c, const char *why)
{
    c->down = true;
    c->retry_at_ms = clock_mono_ms() + RECONNECT_EVERY_MS;
    metrics_inc(MC_CACHE_ERRORS);
    if (atomic_exchange(&global_down, 1) == 0)
        LOG_WARN(NULL, "cache.down", "%s cache unavailable (%s); serving without it",
                 cache_backend_name(c), why);
}

static void mark_up(struct cache *c)
{
    c->down = false;
    if (atomic_exchange(&global_down, 0) == 1)
        LOG_INFO(NULL, "cache.up", "%s cache reachable again", cache_backend_name(c));
}

/* ---- backends ---- */

static struct timeval tv_of(int64_t ms)
{
    struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
    return tv;
}

/* Connect and authenticate; NULL with why set on failure. */
static redisContext *redis_open(const struct redis_url *u, int64_t timeout_ms, char *why,
                                size_t whylen)
{
    redisContext *rc = redisConnectWithTimeout(u->host, u->port, tv_of(timeout_ms));
    if (!rc || rc->err) {
        snprintf(why, whylen, "connect: %s", rc ? rc->errstr : "out of memory");
        redisFree(rc);
        return NULL;
    }
    redisSetTimeout(rc, tv_of(timeout_ms));
    redisReply *r = NULL;
    if (u->password) {
        r = u->user ? redisCommand(rc, "AUTH %s %s", u->user, u->password)
                    : redisCommand(rc, "AUTH %s", u->password);
        if (!r || r->type == REDIS_REPLY_ERROR) {
            /* the server's message ("WRONGPASS ...") never contains the password */
            snprintf(why, whylen, "AUTH refused: %s", r ? r->str : rc->errstr);
            freeReplyObject(r);
            redisFree(rc);
            return NULL;
        }
        freeReplyObject(r);
    }
    if (u->db) {
        r = redisCommand(rc, "SELECT %d", u->db);
        if (!r || r->type == REDIS_REPLY_ERROR) {
            snprintf(why, whylen, "SELECT %d refused", u->db);
            freeReplyObject(r);
            redisFree(rc);
            return NULL;
        }
        freeReplyObject(r);
    }
    return rc;
}

/* Run argv on Redis. Returns 0 with out filled, -1 when the connection failed. */
static int redis_cmd(struct cache *c, int argc, const char **argv, const size_t *lens,
                     struct reply *out)
{
    char why[256];
    if (!c->rc) {
        c->rc = redis_open(&c->url, c->timeout_ms, why, sizeof why);
        if (!c->rc) {
            mark_down(c, why);
            return -1;
        }
        c->fresh = true;
    }
    bool fresh = c->fresh;
    c->fresh = false;
    redisReply *r = redisCommandArgv(c->rc, argc, argv, lens);
    if (!r && !fresh && c->rc->err == REDIS_ERR_EOF) {
        /* The server closed a connection we had kept idle (its `timeout` setting, a restart):
         * not an outage. Reconnect once and send again; the command never reached it. */
        redisFree(c->rc);
        c->rc = redis_open(&c->url, c->timeout_ms, why, sizeof why);
        if (!c->rc) {
            mark_down(c, why);
            return -1;
        }
        r = redisCommandArgv(c->rc, argc, argv, lens);
    }
    metrics_upstream(MU_REDIS, r == NULL);
    if (!r) {
        snprintf(why, sizeof why, "%s", c->rc->errstr[0] ? c->rc->errstr : "no reply");
        redisFree(c->rc);
        c->rc = NULL;
        mark_down(c, why);
        return -1;
    }
    switch (r->type) {
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
        out->type = R_STR;
        out->str = copy_bytes(r->str, r->len);
        out->len = r->len;
        break;
    case REDIS_REPLY_INTEGER:
        out->type = R_INT;
        out->integer = r->integer;
        break;
    case REDIS_REPLY_ERROR:
        out->type = R_ERR;
        out->str = xstrndup(r->str, r->len);
        break;
    default: out->type = R_NIL;
    }
    freeReplyObject(r);
    return 0;
}

/* Run argv on Upstash REST: the command as a JSON array. */
static int upstash_cmd(struct cache *c, int argc, const char **argv, const size_t *lens,
                       struct reply *out)
{
    json_object *arr = json_object_new_array();
    for (int i = 0; i < argc; i++)
        json_object_array_add(arr, json_object_new_string_len(argv[i], (int)lens[i]));
    const char *body = json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PLAIN);
    const char *headers[] = {c->auth_header, NULL};
    struct httpc_req req = {.upstream = "upstash",
                            .endpoint = argv[0],
                            .method = "POST",
                            .url = c->rest_url,
                            .body = body,
                            .body_len = strlen(body),
                            .content_type = "application/json",
                            .headers = headers,
                            .max_attempts = 1,
                            .timeout_ms = c->timeout_ms,
                            .deadline_ms = c->timeout_ms};
    struct httpc_resp resp;
    httpc_resp_init(&resp);
    int rc = httpc_do(c->http, &req, &resp);
    json_object_put(arr);
    if (rc < 0 || resp.status >= 500 || resp.status == 401 || resp.status == 403) {
        char why[200];
        if (rc < 0)
            snprintf(why, sizeof why, "%s", resp.error);
        else if (resp.status == 401 || resp.status == 403)
            snprintf(why, sizeof why, "HTTP %d: UPSTASH_REDIS_REST_TOKEN refused", resp.status);
        else
            snprintf(why, sizeof why, "HTTP %d", resp.status);
        httpc_resp_cleanup(&resp);
        mark_down(c, why);
        return -1;
    }
    json_object *root = json_tokener_parse(resp.body.data ? resp.body.data : "");
    json_object *v;
    if (root && json_object_object_get_ex(root, "error", &v)) {
        out->type = R_ERR;
        out->str = xstrdup(json_object_get_string(v));
    } else if (root && json_object_object_get_ex(root, "result", &v)) {
        if (!v || json_object_is_type(v, json_type_null)) {
            out->type = R_NIL;
        } else if (json_object_is_type(v, json_type_int)) {
            out->type = R_INT;
            out->integer = json_object_get_int64(v);
        } else {
            out->type = R_STR;
            out->len = (size_t)json_object_get_string_len(v);
            out->str = copy_bytes(json_object_get_string(v), out->len);
        }
    } else {
        out->type = R_ERR;
        out->str = xasprintf("unexpected Upstash answer (HTTP %d)", resp.status);
    }
    json_object_put(root);
    httpc_resp_cleanup(&resp);
    return 0;
}

/* One command through whichever backend; -1 when unavailable (or disabled). */
static int command(struct cache *c, int argc, const char **argv, const size_t *lens,
                   struct reply *out)
{
    memset(out, 0, sizeof *out);
    if (c->backend == B_DISABLED)
        return -1;
    if (c->down) {
        if (clock_mono_ms() < c->retry_at_ms)
            return -1;
        c->down = false; /* try again */
    }
    int rc = c->backend == B_REDIS ? redis_cmd(c, argc, argv, lens, out)
                                   : upstash_cmd(c, argc, argv, lens, out);
    if (rc == 0) {
        if (atomic_load(&global_down))
            mark_up(c);
        if (out->type == R_ERR) {
            /* The server refused the command (LOADING, OOM...): counted always, logged at most
             * every 10 s so a sick cache cannot flood the log. */
            metrics_inc(MC_CACHE_ERRORS);
            int64_t now = clock_mono_ms();
            int64_t last = atomic_load(&last_error_log_ms);
            if ((last == 0 || now - last >= 10000) &&
                atomic_compare_exchange_strong(&last_error_log_ms, &last, now))
                LOG_WARN(NULL, "cache.error", "%s: %s", argv[0], out->str);
        }
    }
    return rc;
}

/* argv helper: strings with their lengths */
#define ARGS(...)                                                                                  \
    const char *argv[] = {__VA_ARGS__};                                                            \
    size_t lens[ARRAY_LEN(argv)];                                                                  \
    for (size_t i_ = 0; i_ < ARRAY_LEN(argv); i_++)                                                \
        lens[i_] = strlen(argv[i_]);

/* ---- public operations ---- */

struct cache *cache_new(const struct config *cfg, struct httpc *http)
{
    struct cache *c = xcalloc(1, sizeof *c);
    c->timeout_ms = cfg->cache_timeout_ms;
    rng_seed(&c->rng);
    char err[128];
    if (*cfg->redis_url) {
        if (cache_parse_redis_url(cfg->redis_url, &c->url, err, sizeof err) == 0) {
            c->backend = B_REDIS;
        } else {
            LOG_ERROR(NULL, "cache.config", "REDIS_URL: %s; cache disabled", err);
        }
    } else if (*cfg->upstash_url && *cfg->upstash_token && http) {
        c->backend = B_UPSTASH;
        c->http = http;
        c->rest_url = xstrdup(cfg->upstash_url);
        c->auth_header = xasprintf("Authorization: Bearer %s", cfg->upstash_token);
    }
    return c;
}

void cache_free(struct cache *c)
{
    if (!c)
        return;
    redisFree(c->rc);
    cache_redis_url_cleanup(&c->url);
    free(c->rest_url);
    free(c->auth_header);
    free(c);
}

const char *cache_backend_name(const struct cache *c)
{
    return c->backend == B_REDIS ? "redis" : c->backend == B_UPSTASH ? "upstash" : "disabled";
}

int cache_get(struct cache *c, const char *key, char **val, size_t *len)
{
    *val = NULL;
    *len = 0;
    if (c->backend == B_DISABLED)
        return 0;
    ARGS("GET", key);
    struct reply r;
    if (command(c, 2, argv, lens, &r) < 0 || r.type != R_STR) {
        reply_cleanup(&r);
        metrics_inc(MC_CACHE_MISSES);
        return 0;
    }
    metrics_inc(MC_CACHE_HITS);
    *val = r.str;
    *len = r.len;
    return 1;
}

int cache_set(struct cache *c, const char *key, const char *val, size_t vlen, int64_t ttl_s)
{
    char ttl[24];
    snprintf(ttl, sizeof ttl, "%lld", (long long)ttl_s);
    const char *argv[] = {"SET", key, val, "EX", ttl};
    size_t lens[] = {3, strlen(key), vlen, 2, strlen(ttl)};
    struct reply r;
    int rc = command(c, 5, argv, lens, &r) == 0 && r.type == R_STR ? 0 : -1;
    reply_cleanup(&r);
    return rc;
}

int cache_del(struct cache *c, const char *key)
{
    ARGS("DEL", key);
    struct reply r;
    int rc = command(c, 2, argv, lens, &r) == 0 && r.type == R_INT ? 0 : -1;
    reply_cleanup(&r);
    return rc;
}

int64_t cache_ttl(struct cache *c, const char *key)
{
    ARGS("TTL", key);
    struct reply r;
    int64_t v = -3;
    if (command(c, 2, argv, lens, &r) == 0 && r.type == R_INT)
        v = r.integer;
    reply_cleanup(&r);
    return v;
}

int64_t cache_incr(struct cache *c, const char *key, int64_t ttl_s)
{
    /* One script, so a counter can never be left without its expiry (a lost EXPIRE would keep
     * a person rate-limited forever). */
    static const char script[] = "local v = redis.call('INCR', KEYS[1]) "
                                 "if redis.call('TTL', KEYS[1]) < 0 then "
                                 "redis.call('EXPIRE', KEYS[1], ARGV[1]) end return v";
    char ttl[24];
    snprintf(ttl, sizeof ttl, "%lld", (long long)ttl_s);
    ARGS("EVAL", script, "1", key, ttl);
    struct reply r;
    int64_t v = -1;
    if (command(c, 5, argv, lens, &r) == 0 && r.type == R_INT)
        v = r.integer;
    reply_cleanup(&r);
    return v;
}

int cache_lock(struct cache *c, const char *key, int64_t ttl_ms, char token[CACHE_TOKEN_LEN + 1])
{
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < CACHE_TOKEN_LEN; i += 16) {
        uint64_t x = rng_next(&c->rng);
        for (int k = 0; k < 16 && i + k < CACHE_TOKEN_LEN; k++, x >>= 4)
            token[i + k] = hex[x & 15];
    }
    token[CACHE_TOKEN_LEN] = '\0';
    if (c->backend == B_DISABLED)
        return -1;
    char ttl[24];
    snprintf(ttl, sizeof ttl, "%lld", (long long)ttl_ms);
    ARGS("SET", key, token, "NX", "PX", ttl);
    struct reply r;
    if (command(c, 6, argv, lens, &r) < 0 || r.type == R_ERR) {
        reply_cleanup(&r);
        return -1;
    }
    int got = r.type == R_STR; /* "OK"; nil when someone else holds it */
    reply_cleanup(&r);
    return got;
}

void cache_unlock(struct cache *c, const char *key, const char *token)
{
    static const char script[] = "if redis.call('get', KEYS[1]) == ARGV[1] then "
                                 "return redis.call('del', KEYS[1]) else return 0 end";
    ARGS("EVAL", script, "1", key, token);
    struct reply r;
    if (command(c, 5, argv, lens, &r) == 0)
        reply_cleanup(&r);
}

int cache_wait_for(struct cache *c, const char *key, const char *lock_key, int64_t max_wait_ms,
                   char **val, size_t *len)
{
    int64_t until = clock_mono_ms() + max_wait_ms;
    int64_t nap = 5;
    *val = NULL;
    *len = 0;
    while (clock_mono_ms() < until) {
        clock_sleep_ms(MIN(nap, until - clock_mono_ms()));
        if (c->down || c->backend == B_DISABLED)
            return 0;
        ARGS("GET", key);
        struct reply r;
        if (command(c, 2, argv, lens, &r) == 0 && r.type == R_STR) {
            *val = r.str;
            *len = r.len;
            metrics_inc(MC_CACHE_HITS);
            return 1;
        }
        reply_cleanup(&r);
        if (lock_key) {
            /* The holder gave up (or died and its lock expired) without an answer: stop
             * waiting. */
            const char *ev[] = {"EXISTS", lock_key};
            size_t el[] = {6, strlen(lock_key)};
            if (command(c, 2, ev, el, &r) == 0 && r.type == R_INT && r.integer == 0) {
                reply_cleanup(&r);
                return 0;
            }
            reply_cleanup(&r);
        }
        if (nap < 50)
            nap *= 2;
    }
    return 0;
}

enum cache_state cache_probe(const struct config *cfg, int64_t timeout_ms)
{
    char why[256];
    if (*cfg->redis_url) {
        struct redis_url u;
        if (cache_parse_redis_url(cfg->redis_url, &u, why, sizeof why) < 0)
            return CACHE_STATE_DOWN;
        redisContext *rc = redis_open(&u, timeout_ms, why, sizeof why);
        cache_redis_url_cleanup(&u);
        if (!rc)
            return CACHE_STATE_DOWN;
        redisReply *r = redisCommand(rc, "PING");
        bool ok = r && r->type == REDIS_REPLY_STATUS;
        freeReplyObject(r);
        redisFree(rc);
        return ok ? CACHE_STATE_OK : CACHE_STATE_DOWN;
    }
    if (*cfg->upstash_url && *cfg->upstash_token) {
        struct httpc_opts o = {.connect_timeout_ms = timeout_ms,
                               .timeout_ms = timeout_ms,
                               .deadline_ms = timeout_ms,
                               .max_body = 4096};
        struct httpc *h = httpc_new(&o);
        char *auth = xasprintf("Authorization: Bearer %s", cfg->upstash_token);
        const char *headers[] = {auth, NULL};
        struct httpc_req req = {.upstream = "upstash",
                                .endpoint = "PING",
                                .method = "POST",
                                .url = cfg->upstash_url,
                                .body = "[\"PING\"]",
                                .body_len = 8,
                                .content_type = "application/json",
                                .headers = headers,
                                .max_attempts = 1};
        struct httpc_resp resp;
        httpc_resp_init(&resp);
        bool ok = httpc_do(h, &req, &resp) == 0 && resp.status == 200 && resp.body.data &&
                  strstr(resp.body.data, "PONG");
        httpc_resp_cleanup(&resp);
        free(auth);
        httpc_free(h);
        return ok ? CACHE_STATE_OK : CACHE_STATE_DOWN;
    }
    return CACHE_STATE_DISABLED;
}

const char *cache_state_name(enum cache_state s)
{
    return s == CACHE_STATE_OK ? "ok" : s == CACHE_STATE_DOWN ? "down" : "disabled";
}
