/* metrics.c: see metrics.h. Relaxed atomics throughout: a scrape may see a histogram whose
 * count and buckets differ by an in-flight observation, which Prometheus tolerates. */
#include "core/metrics.h"

#include <stdatomic.h>
#include <string.h>

#include "core/util.h"

static const char *const upstream_names[MU_COUNT] = {"telegram", "vpic",  "autodev", "recalls",
                                                     "upstash",  "redis", "llm",     "other"};

static const struct {
    const char *name, *help;
} counter_info[MC_COUNT] = {
    [MC_UPDATES_RECEIVED] = {"vinbot_updates_received_total", "New updates committed to the inbox"},
    [MC_UPDATES_DUPLICATE] = {"vinbot_updates_duplicate_total",
                              "Redeliveries of updates already stored"},
    [MC_UPDATES_DONE] = {"vinbot_updates_done_total", "Updates processed successfully"},
    [MC_UPDATES_RETRIED] = {"vinbot_updates_retried_total",
                            "Failed updates scheduled for another attempt"},
    [MC_UPDATES_DEAD] = {"vinbot_updates_dead_total", "Updates that failed for the last time"},
    [MC_UPDATES_RESCUED] = {"vinbot_updates_rescued_total", "Expired leases taken back"},
    [MC_INBOX_COMMITS] = {"vinbot_inbox_commits_total", "Group commits of the inbox writer"},
    [MC_INBOX_COMMIT_ROWS] = {"vinbot_inbox_commit_rows_total", "Rows written by those commits"},
    [MC_CACHE_HITS] = {"vinbot_cache_hits_total", "Cache reads that found a value"},
    [MC_CACHE_MISSES] = {"vinbot_cache_misses_total", "Cache reads that found nothing"},
    [MC_CACHE_ERRORS] = {"vinbot_cache_errors_total",
                         "Cache operations that failed (served as misses)"},
    [MC_TG_SENT] = {"vinbot_telegram_sent_total", "Telegram messages delivered"},
    [MC_TG_RETRY_AFTER] = {"vinbot_telegram_retry_after_total", "Telegram 429 answers"},
    [MC_TG_BLOCKED] = {"vinbot_telegram_blocked_total", "Telegram 403 answers (bot blocked)"},
    [MC_TG_FAILED] = {"vinbot_telegram_failed_total", "Telegram sends that failed otherwise"},
    [MC_DB_RECONNECTS] = {"vinbot_db_reconnects_total", "Postgres reconnections"},
};

/* The statuses /webhook answers; anything else lands in "other". */
static const int webhook_statuses[] = {200, 400, 401, 404, 405, 413, 500, 503};
#define N_WEBHOOK_STATUS (ARRAY_LEN(webhook_statuses) + 1)

/* Processing latency buckets, in seconds: from a cached decode to a slow LLM answer. */
static const double bucket_le[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                   0.5,   1,      2.5,   5,    10,    30,   60};
#define N_BUCKETS ARRAY_LEN(bucket_le)

static atomic_llong counters[MC_COUNT];
static atomic_llong webhook[N_WEBHOOK_STATUS];
static atomic_llong up_calls[MU_COUNT], up_errors[MU_COUNT];
static atomic_llong hist_buckets[N_BUCKETS], hist_count, hist_sum_us;
static atomic_llong workers_busy;
static atomic_llong inbox_state[4] = {-1, -1, -1, -1};
static atomic_llong draining;

enum metrics_upstream metrics_upstream_of(const char *name)
{
    for (int i = 0; i < MU_COUNT; i++)
        if (strcmp(name, upstream_names[i]) == 0)
            return (enum metrics_upstream)i;
    return MU_OTHER;
}

void metrics_inc(enum metrics_counter c)
{
    atomic_fetch_add_explicit(&counters[c], 1, memory_order_relaxed);
}

void metrics_add(enum metrics_counter c, int64_t n)
{
    atomic_fetch_add_explicit(&counters[c], n, memory_order_relaxed);
}

int64_t metrics_get(enum metrics_counter c)
{
    return atomic_load_explicit(&counters[c], memory_order_relaxed);
}

void metrics_webhook_status(int status)
{
    size_t i = 0;
    while (i < ARRAY_LEN(webhook_statuses) && webhook_statuses[i] != status)
        i++;
    atomic_fetch_add_explicit(&webhook[i], 1, memory_order_relaxed);
}

void metrics_upstream(enum metrics_upstream u, bool error)
{
    atomic_fetch_add_explicit(&up_calls[u], 1, memory_order_relaxed);
    if (error)
        atomic_fetch_add_explicit(&up_errors[u], 1, memory_order_relaxed);
}

void metrics_processing_observe(int64_t usec)
{
    double s = (double)usec / 1e6;
    for (size_t i = 0; i < N_BUCKETS; i++) {
        if (s <= bucket_le[i]) {
            atomic_fetch_add_explicit(&hist_buckets[i], 1, memory_order_relaxed);
            break;
        }
    }
    atomic_fetch_add_explicit(&hist_count, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&hist_sum_us, usec, memory_order_relaxed);
}

void metrics_workers_busy_add(int delta)
{
    atomic_fetch_add_explicit(&workers_busy, delta, memory_order_relaxed);
}

void metrics_inbox_set(int64_t queued, int64_t working, int64_t done, int64_t dead)
{
    atomic_store(&inbox_state[0], queued);
    atomic_store(&inbox_state[1], working);
    atomic_store(&inbox_state[2], done);
    atomic_store(&inbox_state[3], dead);
}

void metrics_set_draining(bool d)
{
    atomic_store(&draining, d ? 1 : 0);
}

void metrics_reset(void)
{
    for (int i = 0; i < MC_COUNT; i++)
        atomic_store(&counters[i], 0);
    for (size_t i = 0; i < N_WEBHOOK_STATUS; i++)
        atomic_store(&webhook[i], 0);
    for (int i = 0; i < MU_COUNT; i++) {
        atomic_store(&up_calls[i], 0);
        atomic_store(&up_errors[i], 0);
    }
    for (size_t i = 0; i < N_BUCKETS; i++)
        atomic_store(&hist_buckets[i], 0);
    atomic_store(&hist_count, 0);
    atomic_store(&hist_sum_us, 0);
    atomic_store(&workers_busy, 0);
    metrics_inbox_set(-1, -1, -1, -1);
}

#define LD(x) ((long long)atomic_load_explicit(&(x), memory_order_relaxed))

int metrics_render(struct buf *b)
{
    int rc = 0;
    rc |= buf_puts(b, "# HELP vinbot_webhook_requests_total Webhook requests by HTTP status\n"
                      "# TYPE vinbot_webhook_requests_total counter\n");
    for (size_t i = 0; i < N_WEBHOOK_STATUS; i++) {
        if (i < ARRAY_LEN(webhook_statuses))
            rc |= buf_printf(b, "vinbot_webhook_requests_total{status=\"%d\"} %lld\n",
                             webhook_statuses[i], LD(webhook[i]));
        else
            rc |= buf_printf(b, "vinbot_webhook_requests_total{status=\"other\"} %lld\n",
                             LD(webhook[i]));
    }

    static const char *const states[4] = {"queued", "working", "done", "dead"};
    rc |= buf_puts(b, "# HELP vinbot_inbox_rows Inbox rows by state (as of the last sweep)\n"
                      "# TYPE vinbot_inbox_rows gauge\n");
    for (int i = 0; i < 4; i++) {
        long long v = LD(inbox_state[i]);
        if (v >= 0)
            rc |= buf_printf(b, "vinbot_inbox_rows{state=\"%s\"} %lld\n", states[i], v);
    }

    rc |= buf_puts(b, "# HELP vinbot_processing_seconds Time from claim to finish of an update\n"
                      "# TYPE vinbot_processing_seconds histogram\n");
    long long cum = 0;
    for (size_t i = 0; i < N_BUCKETS; i++) {
        cum += LD(hist_buckets[i]);
        rc |=
            buf_printf(b, "vinbot_processing_seconds_bucket{le=\"%g\"} %lld\n", bucket_le[i], cum);
    }
    rc |= buf_printf(b, "vinbot_processing_seconds_bucket{le=\"+Inf\"} %lld\n", LD(hist_count));
    rc |= buf_printf(b, "vinbot_processing_seconds_sum %.6f\n", (double)LD(hist_sum_us) / 1e6);
    rc |= buf_printf(b, "vinbot_processing_seconds_count %lld\n", LD(hist_count));

    rc |= buf_printf(b,
                     "# HELP vinbot_workers_busy Workers processing an update now\n"
                     "# TYPE vinbot_workers_busy gauge\nvinbot_workers_busy %lld\n",
                     LD(workers_busy));
    rc |= buf_printf(b,
                     "# HELP vinbot_draining 1 while shutting down\n"
                     "# TYPE vinbot_draining gauge\nvinbot_draining %lld\n",
                     LD(draining));

    rc |= buf_puts(b, "# HELP vinbot_upstream_calls_total Upstream HTTP requests by upstream\n"
                      "# TYPE vinbot_upstream_calls_total counter\n");
    for (int i = 0; i < MU_COUNT; i++)
        rc |= buf_printf(b, "vinbot_upstream_calls_total{upstream=\"%s\"} %lld\n",
                         upstream_names[i], LD(up_calls[i]));
    rc |= buf_puts(b, "# HELP vinbot_upstream_errors_total Upstream requests that failed "
                      "(transport, 429, 5xx)\n# TYPE vinbot_upstream_errors_total counter\n");
    for (int i = 0; i < MU_COUNT; i++)
        rc |= buf_printf(b, "vinbot_upstream_errors_total{upstream=\"%s\"} %lld\n",
                         upstream_names[i], LD(up_errors[i]));

    for (int i = 0; i < MC_COUNT; i++)
        rc |= buf_printf(b, "# HELP %s %s\n# TYPE %s counter\n%s %lld\n", counter_info[i].name,
                         counter_info[i].help, counter_info[i].name, counter_info[i].name,
                         LD(counters[i]));
    return rc ? -1 : 0;
}
