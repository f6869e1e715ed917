/* metrics.h: process-wide counters, gauges and histograms, rendered as Prometheus text.
 *
 * Every metric is a fixed slot of atomics: recording is lock-free and safe from any thread,
 * and costs one atomic add. Label values come from small closed sets (HTTP status classes we
 * answer, known upstream names, inbox states), so the series count is bounded. */
#ifndef CORE_METRICS_H
#define CORE_METRICS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"

/* Upstreams we call, for upstream_calls_total / upstream_errors_total. */
enum metrics_upstream {
    MU_TELEGRAM,
    MU_VPIC,
    MU_AUTODEV,
    MU_RECALLS,
    MU_UPSTASH,
    MU_REDIS,
    MU_LLM,
    MU_OTHER,
    MU_COUNT
};

/* Plain counters. */
enum metrics_counter {
    MC_UPDATES_RECEIVED,  /* new rows committed by the webhook or poller */
    MC_UPDATES_DUPLICATE, /* deliveries of an update already stored */
    MC_UPDATES_DONE,      /* processed successfully */
    MC_UPDATES_RETRIED,   /* failed, scheduled again */
    MC_UPDATES_DEAD,      /* failed for the last time */
    MC_UPDATES_RESCUED,   /* expired leases taken back */
    MC_INBOX_COMMITS,     /* group commits */
    MC_INBOX_COMMIT_ROWS, /* rows in those commits */
    MC_CACHE_HITS,
    MC_CACHE_MISSES,
    MC_CACHE_ERRORS,
    MC_TG_SENT,        /* Telegram messages delivered */
    MC_TG_RETRY_AFTER, /* 429 answers */
    MC_TG_BLOCKED,     /* 403 answers: user blocked the bot */
    MC_TG_FAILED,      /* other failures */
    MC_DB_RECONNECTS,
    MC_COUNT
};

/* Map an upstream name ("telegram", "vpic", ...) to its slot; unknown names map to MU_OTHER. */
enum metrics_upstream metrics_upstream_of(const char *name);

void metrics_inc(enum metrics_counter c);
void metrics_add(enum metrics_counter c, int64_t n);
int64_t metrics_get(enum metrics_counter c);

/* One answered /webhook request with this HTTP status. */
void metrics_webhook_status(int status);
/* One upstream request (each retry counts); error = transport failure, 429 or 5xx. */
void metrics_upstream(enum metrics_upstream u, bool error);
/* How long one update took from claim to finish. */
void metrics_processing_observe(int64_t usec);
/* Workers currently processing an update. */
void metrics_workers_busy_add(int delta);
/* Inbox rows by state, as last counted by the sweeper (-1 = unknown). */
void metrics_inbox_set(int64_t queued, int64_t working, int64_t done, int64_t dead);
/* Whether the process is draining (1) or serving (0). */
void metrics_set_draining(bool draining);

/* Append the Prometheus text exposition of everything to out. Returns 0 or -1 (out full). */
int metrics_render(struct buf *out) MUST_CHECK;
/* Zero everything (tests). */
void metrics_reset(void);

#endif
