/* cache_check.c: one test suite for both cache backends (run by tests/integration/test_cache.sh
 * once with REDIS_URL, once with the Upstash variables pointing at fake_upstash).
 *
 *   cache_check suite            miss then hit, TTLs, INCR with expiry, lock tokens, 50 threads
 *                                racing for one lock (exactly one wins, the rest read its value)
 *   cache_check idle             the server drops an idle connection: reconnect, no outage
 *   cache_check outage DIR       handshake with the script through files in DIR: works; the
 *                                script stops the cache; every operation is a quick miss and one
 *                                cache.down line is logged; the script restarts it; hits again
 *                                and one cache.up line
 * Secrets: the suite fails if a log line holds REDIS_URL's password or the Upstash token.
 * Prints "N passed, N failed". */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cache/cache.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/log.h"
#include "net/httpc.h"
#include "../unit/t.h"

static struct config cfg;
static char *logbuf;
static size_t loglen;
static FILE *logf_mem;

static struct httpc *new_http(void)
{
    struct httpc_opts o = {
        .connect_timeout_ms = 1000, .timeout_ms = 2000, .deadline_ms = 2000, .max_body = 1 << 20};
    return httpc_new(&o);
}

static char key_prefix[64];
static void key(char *out, size_t n, const char *name)
{
    snprintf(out, n, "%s:%s", key_prefix, name);
}

static void test_miss_then_hit(struct cache *c)
{
    char k[128];
    key(k, sizeof k, "vin:1HGCM82633A004352");
    char *v;
    size_t len;
    T_EQ_INT(cache_get(c, k, &v, &len), 0);
    const char *val = "{\"make\":\"HONDA\",\"note\":\"quotes \\\" and unicode \xc3\xa9\"}";
    T_EQ_INT(cache_set(c, k, val, strlen(val), 2592000), 0);
    T_EQ_INT(cache_get(c, k, &v, &len), 1);
    T_EQ_STR(v, val);
    T_EQ_INT(len, strlen(val));
    free(v);
    T_EQ_INT(cache_del(c, k), 0);
    T_EQ_INT(cache_get(c, k, &v, &len), 0);
}

static void test_ttls(struct cache *c)
{
    char k[128];
    key(k, sizeof k, "ttl-vin");
    T_EQ_INT(cache_set(c, k, "x", 1, cfg.vin_cache_ttl), 0);
    int64_t t = cache_ttl(c, k);
    T_CHECK(t > cfg.vin_cache_ttl - 10 && t <= cfg.vin_cache_ttl);
    key(k, sizeof k, "ttl-search");
    T_EQ_INT(cache_set(c, k, "y", 1, cfg.search_cache_ttl), 0);
    t = cache_ttl(c, k);
    T_CHECK(t > 3590 && t <= 3600);
    key(k, sizeof k, "ttl-none");
    T_EQ_INT(cache_ttl(c, k), -2);
}

static void test_incr(struct cache *c)
{
    char k[128];
    key(k, sizeof k, "rate:42");
    T_EQ_INT(cache_incr(c, k, 60), 1);
    T_EQ_INT(cache_incr(c, k, 60), 2);
    int64_t t = cache_ttl(c, k);
    T_CHECK(t > 50 && t <= 60);
}

static void test_lock_tokens(struct cache *c)
{
    char k[128], t1[CACHE_TOKEN_LEN + 1], t2[CACHE_TOKEN_LEN + 1];
    key(k, sizeof k, "lock:one");
    T_EQ_INT(cache_lock(c, k, 5000, t1), 1);
    T_EQ_INT(cache_lock(c, k, 5000, t2), 0);
    T_CHECK(strcmp(t1, t2) != 0);
    cache_unlock(c, k, t2); /* not ours: nothing happens */
    T_EQ_INT(cache_lock(c, k, 5000, t2), 0);
    cache_unlock(c, k, t1);
    T_EQ_INT(cache_lock(c, k, 100, t2), 1);
    clock_sleep_ms(150); /* the lock expires by itself */
    T_EQ_INT(cache_lock(c, k, 100, t1), 1);
}

static void test_binary_value(struct cache *c)
{
    if (strcmp(cache_backend_name(c), "redis") != 0)
        return; /* Upstash carries values as JSON strings: text only (docs/decode.md) */
    char k[128];
    key(k, sizeof k, "binary");
    const char val[] = {'a', '\0', 'b', 'c'};
    T_EQ_INT(cache_set(c, k, val, sizeof val, 60), 0);
    char *v;
    size_t len;
    if (cache_get(c, k, &v, &len) != 1) {
        T_FAILF("binary value not read back");
        return;
    }
    T_EQ_INT(len, 4);
    T_CHECK(len == 4 && memcmp(v, val, 4) == 0 && v[4] == '\0');
    free(v);
}

static void test_wait_stops_when_lock_goes(struct cache *c)
{
    char vk[128], lk[128], tok[CACHE_TOKEN_LEN + 1];
    key(vk, sizeof vk, "vin:GIVEUP");
    key(lk, sizeof lk, "lock:vin:GIVEUP");
    T_EQ_INT(cache_lock(c, lk, 5000, tok), 1);
    cache_unlock(c, lk, tok); /* the holder gives up without an answer */
    char *v;
    size_t len;
    int64_t t0 = clock_mono_ms();
    T_EQ_INT(cache_wait_for(c, vk, lk, 3000, &v, &len), 0);
    T_CHECK(clock_mono_ms() - t0 < 1000);
}

/* 50 threads, one key: exactly one does the "upstream call", the others read its result. */
#define RACERS 50
static atomic_int winners, readers, failures;
static pthread_barrier_t barrier;

static void *racer(void *arg)
{
    (void)arg;
    struct httpc *h = new_http();
    struct cache *c = cache_new(&cfg, h);
    char vk[128], lk[128], tok[CACHE_TOKEN_LEN + 1];
    key(vk, sizeof vk, "vin:RACE");
    key(lk, sizeof lk, "lock:vin:RACE");
    pthread_barrier_wait(&barrier);
    char *v;
    size_t len;
    if (cache_get(c, vk, &v, &len)) {
        atomic_fetch_add(&readers, 1);
        free(v);
    } else if (cache_lock(c, lk, 5000, tok) == 1) {
        atomic_fetch_add(&winners, 1);
        clock_sleep_ms(100); /* the upstream call */
        if (cache_set(c, vk, "decoded", 7, 60) < 0)
            atomic_fetch_add(&failures, 1);
        cache_unlock(c, lk, tok);
    } else if (cache_wait_for(c, vk, lk, 3000, &v, &len) == 1) {
        atomic_fetch_add(&readers, 1);
        free(v);
    } else {
        atomic_fetch_add(&failures, 1);
    }
    cache_free(c);
    httpc_free(h);
    return NULL;
}

static void test_single_flight(void)
{
    pthread_t th[RACERS];
    pthread_barrier_init(&barrier, NULL, RACERS);
    for (int i = 0; i < RACERS; i++)
        pthread_create(&th[i], NULL, racer, NULL);
    for (int i = 0; i < RACERS; i++)
        pthread_join(th[i], NULL);
    pthread_barrier_destroy(&barrier);
    T_EQ_INT(atomic_load(&winners), 1);
    T_EQ_INT(atomic_load(&readers), RACERS - 1);
    T_EQ_INT(atomic_load(&failures), 0);
}

static int count_lines(const char *needle)
{
    fflush(logf_mem);
    int n = 0;
    for (const char *p = logbuf; p && (p = strstr(p, needle)) != NULL; p++)
        n++;
    return n;
}

static void no_secrets(void)
{
    fflush(logf_mem);
    const char *secrets[] = {cfg.upstash_token, NULL};
    for (int i = 0; secrets[i]; i++)
        if (*secrets[i] && logbuf && strstr(logbuf, secrets[i]))
            T_FAILF("a log line contains a secret");
    if (*cfg.redis_url) {
        struct redis_url u;
        char err[128];
        if (cache_parse_redis_url(cfg.redis_url, &u, err, sizeof err) == 0) {
            if (u.password && logbuf && strstr(logbuf, u.password))
                T_FAILF("a log line contains the Redis password");
            cache_redis_url_cleanup(&u);
        }
    }
}

static bool wait_file(const char *dir, const char *name, int secs)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    for (int i = 0; i < secs * 20; i++) {
        struct stat st;
        if (stat(path, &st) == 0)
            return true;
        clock_sleep_ms(50);
    }
    return false;
}

static void touch(const char *dir, const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (f)
        fclose(f);
}

struct outage_arg {
    int64_t worst_ms;
    int hits;
};

static void *outage_worker(void *arg)
{
    struct outage_arg *a = arg;
    struct httpc *h = new_http();
    struct cache *c = cache_new(&cfg, h);
    char k[128];
    key(k, sizeof k, "vin:OUTAGE");
    int64_t until = clock_mono_ms() + 1500;
    while (clock_mono_ms() < until) {
        int64_t t0 = clock_mono_ms();
        char *v;
        size_t len;
        a->hits += cache_get(c, k, &v, &len);
        if (a->hits)
            free(v);
        (void)cache_set(c, k, "x", 1, 60);
        int64_t took = clock_mono_ms() - t0;
        if (took > a->worst_ms)
            a->worst_ms = took;
        clock_sleep_ms(20);
    }
    cache_free(c);
    httpc_free(h);
    return NULL;
}

static void test_outage(const char *dir)
{
    struct httpc *h = new_http();
    struct cache *c = cache_new(&cfg, h);
    char k[128];
    key(k, sizeof k, "vin:OUTAGE");
    T_EQ_INT(cache_set(c, k, "before", 6, 60), 0);
    touch(dir, "ready-for-stop");
    if (!wait_file(dir, "stopped", 15)) {
        T_FAILF("the script did not stop the cache");
        return;
    }
    /* 8 threads hammer the dead cache: every call a quick miss, one cache.down line. */
    pthread_t th[8];
    struct outage_arg args[8];
    memset(args, 0, sizeof args);
    for (int i = 0; i < 8; i++)
        pthread_create(&th[i], NULL, outage_worker, &args[i]);
    for (int i = 0; i < 8; i++)
        pthread_join(th[i], NULL);
    int64_t worst = 0;
    int hits = 0;
    for (int i = 0; i < 8; i++) {
        worst = args[i].worst_ms > worst ? args[i].worst_ms : worst;
        hits += args[i].hits;
    }
    printf("  outage: slowest operation %lld ms (timeout %lld ms)\n", (long long)worst,
           (long long)cfg.cache_timeout_ms);
    T_EQ_INT(hits, 0);
    T_CHECK(worst <= 2 * cfg.cache_timeout_ms + 100);
    T_EQ_INT(count_lines("\"event\":\"cache.down\""), 1);
    touch(dir, "checked-down");
    if (!wait_file(dir, "restarted", 15)) {
        T_FAILF("the script did not restart the cache");
        return;
    }
    /* Back: writes and hits again after at most a reconnect interval. */
    bool back = false;
    for (int i = 0; i < 100 && !back; i++) {
        if (cache_set(c, k, "after", 5, 60) == 0) {
            char *v;
            size_t len;
            if (cache_get(c, k, &v, &len) == 1) {
                back = strcmp(v, "after") == 0;
                free(v);
            }
        }
        if (!back)
            clock_sleep_ms(100);
    }
    T_CHECK(back);
    T_EQ_INT(count_lines("\"event\":\"cache.up\""), 1);
    cache_free(c);
    httpc_free(h);
}

int main(int argc, char **argv)
{
    char err[2048];
    if (config_load(&cfg, CONFIG_TOOL, NULL, NULL, err, sizeof err) < 0) {
        fprintf(stderr, "%s\n", err);
        return 99;
    }
    logf_mem = open_memstream(&logbuf, &loglen);
    log_init(LOG_LEVEL_DEBUG, logf_mem);
    snprintf(key_prefix, sizeof key_prefix, "test:%ld", (long)getpid());
    struct httpc *h = new_http();
    struct cache *c = cache_new(&cfg, h);
    printf("backend: %s\n", cache_backend_name(c));
    if (strcmp(cache_backend_name(c), "disabled") == 0)
        return 99;
    if (argc > 1 && strcmp(argv[1], "idle") == 0) {
        /* The server closes connections idle for more than a second (the test sets Redis'
         * timeout to 1): the next call reconnects quietly; no outage is declared. */
        t_begin("idle connection closed by the server");
        char k[128];
        key(k, sizeof k, "idle");
        T_EQ_INT(cache_set(c, k, "v", 1, 60), 0);
        clock_sleep_ms(2500);
        char *v;
        size_t len;
        T_EQ_INT(cache_get(c, k, &v, &len), 1);
        if (len)
            free(v);
        T_EQ_INT(count_lines("\"event\":\"cache.down\""), 0);
        t_end();
    } else if (argc > 1 && strcmp(argv[1], "outage") == 0 && argc > 2) {
        t_begin("outage");
        test_outage(argv[2]);
        t_end();
    } else {
        t_begin("state ok");
        T_EQ_STR(cache_state_name(cache_probe(&cfg, 500)), "ok");
        t_end();
        t_begin("miss then hit");
        test_miss_then_hit(c);
        t_end();
        t_begin("ttls");
        test_ttls(c);
        t_end();
        t_begin("incr");
        test_incr(c);
        t_end();
        t_begin("lock tokens");
        test_lock_tokens(c);
        t_end();
        t_begin("binary values");
        test_binary_value(c);
        t_end();
        t_begin("waiters stop when the lock holder gives up");
        test_wait_stops_when_lock_goes(c);
        t_end();
        T_RUN(test_single_flight);
    }
    t_begin("no secrets in logs");
    no_secrets();
    t_end();
    cache_free(c);
    httpc_free(h);
    fflush(logf_mem);
    fputs(logbuf ? logbuf : "", stderr);
    fclose(logf_mem);
    free(logbuf);
    config_cleanup(&cfg);
    return t_done();
}
