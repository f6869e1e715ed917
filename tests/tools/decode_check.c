/* decode_check.c: the decoder chain from many threads at once, as workers use it. Configured
 * from the environment like the service (DATABASE_URL, REDIS_URL or Upstash, NHTSA_API_BASE...).
 *
 *   decode_check race VIN THREADS
 *       THREADS threads (each with its own HTTP client and cache connection, sharing one
 *       database pool, as workers do) decode the same uncached VIN at the same moment. Prints
 *       "sources: nhtsa=N ... cache: hit=N miss=N" so the test can compare with the number of
 *       upstream calls the fake saw (single flight: exactly one).
 *   decode_check bench-cached VIN ROUNDS
 *       median time of one cached decode end to end (cache read, lookup recorded in Postgres,
 *       JSON rendered), over ROUNDS decodes after one warm-up.
 *   decode_check bench-uncached COUNT THREADS
 *       COUNT distinct VINs nobody decoded before, split over THREADS threads; prints the wall
 *       time next to the ideal COUNT x upstream latency / THREADS. */
#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache/cache.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/log.h"
#include "decode/decode.h"
#include "net/httpc.h"
#include "store/db.h"

static struct config cfg;
static struct db_pool *dbp;

struct worker {
    struct httpc *http;
    struct cache *cache;
    struct decode_ctx ctx;
};

static void worker_init(struct worker *w, int64_t user)
{
    struct httpc_opts o = {.connect_timeout_ms = cfg.upstream_connect_timeout_ms,
                           .timeout_ms = cfg.upstream_timeout_ms,
                           .deadline_ms = cfg.upstream_deadline_ms,
                           .max_body = (size_t)cfg.upstream_max_body};
    w->http = httpc_new(&o);
    w->cache = cache_new(&cfg, w->http);
    w->ctx = (struct decode_ctx){.cfg = &cfg,
                                 .http = w->http,
                                 .cache = w->cache,
                                 .dbp = dbp,
                                 .user_id = user,
                                 .chat_id = user};
}

static void worker_cleanup(struct worker *w)
{
    cache_free(w->cache);
    httpc_free(w->http);
}

/* ---- race ---- */

static const char *race_vin;
static pthread_barrier_t barrier;
static atomic_int n_nhtsa, n_autodev, n_offline, n_hit, n_miss;

static void *racer(void *arg)
{
    struct worker w;
    worker_init(&w, (int64_t)(intptr_t)arg);
    struct decode_result *r = xmalloc(sizeof *r);
    pthread_barrier_wait(&barrier);
    decode_vin(&w.ctx, race_vin, strlen(race_vin), NULL, r);
    if (strcmp(r->source, "nhtsa") == 0)
        atomic_fetch_add(&n_nhtsa, 1);
    else if (strcmp(r->source, "autodev") == 0)
        atomic_fetch_add(&n_autodev, 1);
    else
        atomic_fetch_add(&n_offline, 1);
    if (strcmp(r->cache, "hit") == 0)
        atomic_fetch_add(&n_hit, 1);
    else
        atomic_fetch_add(&n_miss, 1);
    free(r);
    worker_cleanup(&w);
    return NULL;
}

static int race(const char *vin, int threads)
{
    race_vin = vin;
    pthread_t *th = xcalloc((size_t)threads, sizeof *th);
    pthread_barrier_init(&barrier, NULL, (unsigned)threads);
    for (int i = 0; i < threads; i++)
        pthread_create(&th[i], NULL, racer, (void *)(intptr_t)(i + 1));
    for (int i = 0; i < threads; i++)
        pthread_join(th[i], NULL);
    pthread_barrier_destroy(&barrier);
    free(th);
    printf("sources: nhtsa=%d autodev=%d offline=%d cache: hit=%d miss=%d\n", atomic_load(&n_nhtsa),
           atomic_load(&n_autodev), atomic_load(&n_offline), atomic_load(&n_hit),
           atomic_load(&n_miss));
    return 0;
}

/* ---- benches ---- */

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int bench_cached(const char *vin, int rounds)
{
    struct worker w;
    worker_init(&w, 4242);
    struct decode_result *r = xmalloc(sizeof *r);
    struct buf b;
    buf_init(&b, 64 * 1024);
    decode_vin(&w.ctx, vin, strlen(vin), NULL, r); /* warm-up: fills the cache */
    int64_t *t = xcalloc((size_t)rounds, sizeof *t);
    int hits = 0;
    for (int i = 0; i < rounds; i++) {
        int64_t t0 = clock_mono_ns();
        decode_vin(&w.ctx, vin, strlen(vin), NULL, r);
        buf_reset(&b);
        if (decode_result_to_json(r, &b) < 0)
            return 1;
        t[i] = clock_mono_ns() - t0;
        hits += strcmp(r->cache, "hit") == 0;
    }
    qsort(t, (size_t)rounds, sizeof *t, cmp_i64);
    printf("cached decode end to end (cache read, lookup row, JSON): median %.0f us, p99 %.0f "
           "us over %d decodes (%d cache hits, backend %s)\n",
           (double)t[rounds / 2] / 1000.0, (double)t[rounds * 99 / 100] / 1000.0, rounds, hits,
           cache_backend_name(w.cache));
    free(t);
    free(r);
    buf_cleanup(&b);
    worker_cleanup(&w);
    return 0;
}

static int bench_count, bench_threads;
static atomic_int bench_next, bench_online;

static void vin_for(int i, char out[18])
{
    /* distinct, valid North American VINs: WMI 1HG, year code and serial from i */
    char serial[8];
    snprintf(serial, sizeof serial, "%06d", i % 1000000);
    memcpy(out, "1HGCM82630A", 11);
    memcpy(out + 11, serial, 6);
    out[17] = '\0';
    out[9] = "ABCDEFGHJKLMNPRS"[(i / 1000000) % 16];
    out[8] = vin_check_digit(out);
}

static void *bench_worker(void *arg)
{
    (void)arg;
    struct worker w;
    worker_init(&w, 1);
    struct decode_result *r = xmalloc(sizeof *r);
    int i;
    while ((i = atomic_fetch_add(&bench_next, 1)) < bench_count) {
        char vin[18];
        vin_for(i, vin);
        decode_vin(&w.ctx, vin, 17, NULL, r);
        if (r->online)
            atomic_fetch_add(&bench_online, 1);
    }
    free(r);
    worker_cleanup(&w);
    return NULL;
}

static int bench_uncached(int count, int threads, int latency_ms)
{
    bench_count = count;
    bench_threads = threads;
    pthread_t *th = xcalloc((size_t)threads, sizeof *th);
    int64_t t0 = clock_mono_ms();
    for (int i = 0; i < threads; i++)
        pthread_create(&th[i], NULL, bench_worker, NULL);
    for (int i = 0; i < threads; i++)
        pthread_join(th[i], NULL);
    int64_t took = clock_mono_ms() - t0;
    free(th);
    double ideal = (double)count * latency_ms / threads;
    printf("uncached decodes: %d distinct VINs, %d threads, upstream %d ms each: %lld ms "
           "(ideal %.0f ms; %.1f%% over; %d decoded online)\n",
           count, threads, latency_ms, (long long)took, ideal, (took / ideal - 1) * 100,
           atomic_load(&bench_online));
    return 0;
}

int main(int argc, char **argv)
{
    char err[2048];
    if (argc < 4) {
        fprintf(stderr, "usage: decode_check race VIN THREADS | bench-cached VIN ROUNDS | "
                        "bench-uncached COUNT THREADS [LATENCY_MS]\n");
        return 2;
    }
    if (config_load(&cfg, CONFIG_TOOL, NULL, NULL, err, sizeof err) < 0) {
        fprintf(stderr, "%s\n", err);
        return 99;
    }
    log_init(cfg.log_level, stderr);
    config_register_secrets(&cfg);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (*cfg.database_url)
        dbp = db_pool_new(cfg.database_url, (int)cfg.db_pool_size, 5);
    int rc;
    if (strcmp(argv[1], "race") == 0)
        rc = race(argv[2], atoi(argv[3]));
    else if (strcmp(argv[1], "bench-cached") == 0)
        rc = bench_cached(argv[2], atoi(argv[3]));
    else if (strcmp(argv[1], "bench-uncached") == 0)
        rc = bench_uncached(atoi(argv[2]), atoi(argv[3]), argc > 4 ? atoi(argv[4]) : 50);
    else
        rc = 2;
    db_pool_free(dbp);
    curl_global_cleanup();
    config_cleanup(&cfg);
    return rc;
}
