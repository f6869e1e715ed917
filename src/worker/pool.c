/* pool.c: see pool.h.
 *
 * DESIGN: one mutex guards the hand-off queue and the counters; workers wait on work_cv, the
 * dispatcher on disp_cv. The queue never holds more items than there are idle workers, because
 * the dispatcher claims exactly `idle - queued` rows: a claimed row is always about to start,
 * so leases are not spent waiting in memory.
 *
 * The dispatcher queries Postgres only when it may find something: after a wake-up (a new
 * update was stored, or a worker finished one, which may free that chat's next update), when
 * its last claim came back full (there may be more), or when the sweep timer fires (rows from
 * other instances, retries coming due, expired leases). An idle service costs one small query
 * per sweep interval.
 *
 * Each worker thread has a small stack: it spends its life waiting on upstreams. */
#include "worker/pool.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "bot/bot.h"
#include "core/backoff.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/log.h"
#include "core/metrics.h"
#include "inbox/inbox.h"
#include "store/db.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define WORKER_STACK (2u << 20) /* sanitizers need room for their redzones and shadow frames */
#else
#define WORKER_STACK (256u << 10)
#endif

#define DB_BORROW_MS 5000
#define PRUNE_EVERY_MS 60000
#define PRUNE_BATCH 5000
#define COUNTS_EVERY_MS 5000
#define ALERT_EVERY_MS 60000

/* ANALYZE the inbox when this process has stored 2,000 new rows, then 20,000, 200,000...:
 * the claim's plan only goes wrong while the statistics describe a table ten times smaller than
 * the real one (a fresh deploy meeting its first burst); after that autovacuum keeps up, and
 * analyzing more often costs commit stalls (it invalidates every backend's cached plans). */
#define ANALYZE_FIRST_ROWS 2000

struct worker {
    struct pool *pool;
    struct bot_ctx ctx;
};

struct pool {
    const struct config *cfg;
    struct db_pool *dbp;

    pthread_mutex_t mu;
    pthread_cond_t work_cv, disp_cv, exit_cv;
    struct inbox_item *queue; /* ring of nworkers items */
    int qhead, qlen;
    int idle, busy, exited;
    bool wake_pending, stopping;

    int nworkers, started;
    pthread_t dispatcher;
    bool dispatcher_started;
    pthread_t *threads;
    struct worker *workers;

    /* rows this process must have stored before the dispatcher's next ANALYZE */
    int64_t analyze_at;

    /* dead-letter alerts to ADMIN_CHAT_ID, at most one a minute */
    pthread_mutex_t alert_mu;
    int64_t alert_last_ms;
    int alert_suppressed;
};

struct pool *pool_new(const struct config *cfg, struct db_pool *dbp)
{
    struct pool *p = xcalloc(1, sizeof *p);
    p->cfg = cfg;
    p->dbp = dbp;
    p->nworkers = (int)cfg->workers;
    p->analyze_at = ANALYZE_FIRST_ROWS;
    p->queue = xcalloc((size_t)p->nworkers, sizeof *p->queue);
    p->threads = xcalloc((size_t)p->nworkers, sizeof *p->threads);
    p->workers = xcalloc((size_t)p->nworkers, sizeof *p->workers);
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->work_cv, NULL);
    pthread_cond_init(&p->disp_cv, NULL);
    pthread_cond_init(&p->exit_cv, NULL);
    pthread_mutex_init(&p->alert_mu, NULL);
    return p;
}

void pool_wake(void *arg)
{
    struct pool *p = arg;
    pthread_mutex_lock(&p->mu);
    p->wake_pending = true;
    pthread_cond_signal(&p->disp_cv);
    pthread_mutex_unlock(&p->mu);
}

int pool_busy(struct pool *p)
{
    pthread_mutex_lock(&p->mu);
    int n = p->busy;
    pthread_mutex_unlock(&p->mu);
    return n;
}

/* ---- dispatcher ---- */

static void sweep(struct pool *p, struct db *db, int64_t now, int64_t *next_counts,
                  int64_t *next_prune)
{
    /* Keep the claim's plan right while the table grows faster than autovacuum looks. */
    int64_t received = metrics_get(MC_UPDATES_RECEIVED);
    if (received >= p->analyze_at) {
        if (inbox_analyze(db) == 0)
            LOG_INFO(NULL, "inbox.analyzed", "refreshed planner statistics after %lld new rows",
                     (long long)received);
        p->analyze_at = (received > ANALYZE_FIRST_ROWS ? received : ANALYZE_FIRST_ROWS) * 10;
    }
    int n = inbox_rescue(db, (int)p->cfg->inbox_max_attempts);
    if (n > 0) {
        metrics_add(MC_UPDATES_RESCUED, n);
        LOG_WARN(NULL, "inbox.rescued", "took back %d updates whose lease expired", n);
    }
    if (now >= *next_counts) {
        int64_t c[4];
        if (inbox_counts(db, c) == 0)
            metrics_inbox_set(c[0], c[1], c[2], c[3]);
        *next_counts = now + COUNTS_EVERY_MS;
    }
    if (now >= *next_prune) {
        int pruned = inbox_prune(db, p->cfg->inbox_retention_days, PRUNE_BATCH);
        if (pruned > 0)
            LOG_INFO(NULL, "inbox.pruned", "deleted %d finished updates older than %lld days",
                     pruned, (long long)p->cfg->inbox_retention_days);
        /* A full batch means more are waiting: come back at the next sweep, not in a minute. */
        *next_prune = now + (pruned == PRUNE_BATCH ? 0 : PRUNE_EVERY_MS);
    }
}

static void *dispatcher_main(void *arg)
{
    struct pool *p = arg;
    const struct config *cfg = p->cfg;
    int64_t next_sweep = 0, next_counts = 0, next_prune = clock_mono_ms() + 10000;
    int64_t db_retry_at = 0, next_claim = 0;
    int db_failures = 0;
    bool more = true; /* at start, assume there is work */
    struct rng rng;
    rng_seed(&rng);

    pthread_mutex_lock(&p->mu);
    while (!p->stopping) {
        int64_t now = clock_mono_ms();
        int want = p->idle - p->qlen;
        bool sweep_due = now >= next_sweep;
        bool db_wait = now < db_retry_at;
        /* Self-clocking: a wake-up claims no sooner than the last claim took, after it ended.
         * Cheap claims (the common case) run back to back; if claims get expensive (a backlog
         * of chats whose front update is waiting for a retry, which every claim must skip),
         * they take at most about half of one Postgres backend. */
        bool pace = now < next_claim && !more;
        if (!db_wait && (sweep_due || (want > 0 && !pace && (p->wake_pending || more)))) {
            if (want > 0)
                p->wake_pending = false;
            pthread_mutex_unlock(&p->mu);

            char err[256];
            struct inbox_item *items = NULL;
            int got = 0, rc = -1;
            int64_t claim_start = clock_mono_ns();
            struct db *db = db_pool_get(p->dbp, DB_BORROW_MS, err, sizeof err);
            if (db) {
                if (sweep_due)
                    sweep(p, db, now, &next_counts, &next_prune);
                rc = want > 0 ? inbox_claim(db, cfg->instance_id, cfg->inbox_lease_ms, want, &items,
                                            &got)
                              : 0;
                if (rc < 0)
                    str_copy(err, db_error(db), sizeof err);
                db_pool_put(p->dbp, db);
            }
            if (sweep_due)
                next_sweep = now + cfg->inbox_sweep_ms;
            int64_t claim_ns = clock_mono_ns() - claim_start;
            next_claim = clock_mono_ms() + claim_ns / 1000000;
            if (rc < 0) {
                db_failures++;
                db_retry_at =
                    clock_mono_ms() + backoff_delay_ms(db_failures, 100, cfg->inbox_sweep_ms, &rng);
                if (db_failures == 1)
                    LOG_WARN(NULL, "dispatch.db", "cannot claim updates: %s", err);
            } else if (db_failures) {
                db_failures = 0;
                db_retry_at = 0;
                LOG_INFO(NULL, "dispatch.db", "claiming updates again");
            }

            pthread_mutex_lock(&p->mu);
            more = got > 0 && got == want;
            if (p->stopping) {
                /* Claimed just as the drain began: give them straight back. */
                pthread_mutex_unlock(&p->mu);
                if (got > 0) {
                    int64_t *ids = xcalloc((size_t)got, sizeof *ids);
                    for (int i = 0; i < got; i++)
                        ids[i] = items[i].update_id;
                    struct db *rdb = db_pool_get(p->dbp, DB_BORROW_MS, err, sizeof err);
                    if (!rdb || inbox_release(rdb, cfg->instance_id, ids, got) < 0)
                        LOG_WARN(NULL, "dispatch.release",
                                 "could not give back %d updates; their lease will expire", got);
                    db_pool_put(p->dbp, rdb);
                    free(ids);
                }
                for (int i = 0; i < got; i++)
                    inbox_item_cleanup(&items[i]);
                free(items);
                pthread_mutex_lock(&p->mu);
                break;
            }
            for (int i = 0; i < got; i++) {
                int slot = (p->qhead + p->qlen) % p->nworkers;
                p->queue[slot] = items[i];
                p->qlen++;
                pthread_cond_signal(&p->work_cv);
            }
            free(items);
            continue;
        }
        /* Sleep until the next sweep, a reconnect attempt, or a wake-up. */
        int64_t until = next_sweep;
        if (db_wait && db_retry_at < until)
            until = db_retry_at;
        if (pace && p->wake_pending && next_claim < until)
            until = next_claim;
        int64_t left = until - now;
        if (left < 1)
            left = 1;
        struct timespec ts = clock_realtime_in(left);
        pthread_cond_timedwait(&p->disp_cv, &p->mu, &ts);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

/* ---- workers ---- */

static void alert_dead(struct pool *p, struct bot_ctx *ctx, const struct inbox_item *it,
                       const char *error)
{
    if (!p->cfg->admin_chat_id || !tg_api_enabled(&ctx->tg))
        return;
    int64_t now = clock_mono_ms();
    pthread_mutex_lock(&p->alert_mu);
    bool send = p->alert_last_ms == 0 || now - p->alert_last_ms >= ALERT_EVERY_MS;
    int suppressed = p->alert_suppressed;
    if (send) {
        p->alert_last_ms = now;
        p->alert_suppressed = 0;
    } else {
        p->alert_suppressed++;
    }
    pthread_mutex_unlock(&p->alert_mu);
    if (!send)
        return;
    char *text =
        xasprintf("vinbot alert: update %lld (chat %lld, %s) failed for the last time "
                  "after %d attempts: %s%s",
                  (long long)it->update_id, (long long)it->chat_id, it->kind, it->attempts, error,
                  suppressed ? " (more dead letters since the last alert: see "
                               "/metrics and the updates table)"
                             : "");
    struct tg_message_out m = {.chat_id = p->cfg->admin_chat_id, .text = text};
    struct tg_result res;
    if (tg_send_message(&ctx->tg, &m, &ctx->log, &res) < 0)
        LOG_WARN(&ctx->log, "alert.failed", "cannot alert the admin chat: %s", res.description);
    free(text);
}

static void finish(struct pool *p, struct bot_ctx *ctx, const struct inbox_item *it,
                   const struct bot_result *r)
{
    const struct config *cfg = p->cfg;
    char err[256];
    struct db *db = db_pool_get(p->dbp, DB_BORROW_MS, err, sizeof err);
    if (!db) {
        /* The row keeps its lease; when it expires the sweep hands it out again. */
        LOG_ERROR(&ctx->log, "update.finish_failed",
                  "cannot record the outcome (%s); the update will be retried after its lease",
                  err);
        return;
    }
    int rc;
    const char *what;
    bool dead = false;
    if (r->outcome == BOT_DONE) {
        rc = inbox_done(db, cfg->instance_id, it->update_id);
        what = "done";
        metrics_inc(MC_UPDATES_DONE);
    } else if (r->outcome == BOT_DEFER) {
        rc = inbox_defer(db, cfg->instance_id, it->update_id, r->min_delay_ms, r->error);
        what = "deferred";
        LOG_INFO(&ctx->log, "update.deferred", "%s; again in %lld ms", r->error,
                 (long long)r->min_delay_ms);
    } else if (r->outcome == BOT_DEAD || it->attempts >= cfg->inbox_max_attempts) {
        rc = inbox_dead(db, cfg->instance_id, it->update_id, r->error);
        what = "dead";
        dead = true;
        metrics_inc(MC_UPDATES_DEAD);
    } else {
        int64_t delay = backoff_delay_ms(it->attempts, cfg->inbox_retry_base_ms,
                                         cfg->inbox_retry_max_ms, &ctx->rng);
        if (delay < r->min_delay_ms)
            delay = r->min_delay_ms;
        rc = inbox_retry(db, cfg->instance_id, it->update_id, delay, r->error);
        what = "retry";
        metrics_inc(MC_UPDATES_RETRIED);
        LOG_WARN(&ctx->log, "update.retry", "attempt %d failed (%s); next in %lld ms", it->attempts,
                 r->error, (long long)delay);
    }
    if (rc < 0)
        LOG_ERROR(&ctx->log, "update.finish_failed", "cannot mark the update %s: %s", what,
                  db_error(db));
    db_pool_put(p->dbp, db);
    if (dead) {
        LOG_ERROR(&ctx->log, "update.dead", "giving up after %d attempts: %s", it->attempts,
                  r->error);
        alert_dead(p, ctx, it, r->error);
    }
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct pool *p = w->pool;
    struct bot_ctx *ctx = &w->ctx;

    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (p->qlen == 0 && !p->stopping) {
            p->idle++;
            if (p->wake_pending || p->idle == 1)
                pthread_cond_signal(&p->disp_cv);
            pthread_cond_wait(&p->work_cv, &p->mu);
            p->idle--;
        }
        if (p->qlen == 0)
            break; /* stopping, nothing handed to us */
        struct inbox_item it = p->queue[p->qhead];
        p->qhead = (p->qhead + 1) % p->nworkers;
        p->qlen--;
        p->busy++;
        pthread_mutex_unlock(&p->mu);

        metrics_workers_busy_add(1);
        ctx->log = (struct log_ctx){
            .update_id = it.update_id, .chat_id = it.chat_id, .worker = ctx->worker_id};
        int64_t t0 = clock_mono_ns();
        struct bot_result r = {.outcome = BOT_DONE};
        bot_handle(ctx, &it, &r);
        finish(p, ctx, &it, &r);
        int64_t us = (clock_mono_ns() - t0) / 1000;
        metrics_processing_observe(us);
        LOG_DEBUG(&ctx->log, "update.finished", "kind=%s outcome=%d attempts=%d us=%lld", it.kind,
                  (int)r.outcome, it.attempts, (long long)us);
        ctx->log = (struct log_ctx){.worker = ctx->worker_id};
        inbox_item_cleanup(&it);
        metrics_workers_busy_add(-1);

        pthread_mutex_lock(&p->mu);
        p->busy--;
        /* This chat's next update may be claimable now. */
        p->wake_pending = true;
        pthread_cond_signal(&p->disp_cv);
    }
    p->exited++;
    pthread_cond_broadcast(&p->exit_cv);
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

int pool_start(struct pool *p)
{
    const struct config *cfg = p->cfg;
    char err[256];
    struct db *db = db_pool_get(p->dbp, DB_BORROW_MS, err, sizeof err);
    if (db) {
        int n = inbox_requeue_owner(db, cfg->instance_id);
        if (n > 0)
            LOG_WARN(NULL, "inbox.requeued",
                     "%d updates were held by this instance (%s) when it last stopped; queued "
                     "again",
                     n, cfg->instance_id);
        db_pool_put(p->dbp, db);
    }

    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, WORKER_STACK);
    for (int i = 0; i < p->nworkers; i++) {
        struct worker *w = &p->workers[i];
        w->pool = p;
        if (bot_ctx_init(&w->ctx, i + 1, cfg, p->dbp) < 0) {
            LOG_ERROR(NULL, "pool.start", "cannot set up worker %d", i + 1);
            pthread_attr_destroy(&attr);
            return -1;
        }
        if (pthread_create(&p->threads[i], &attr, worker_main, w) != 0) {
            bot_ctx_cleanup(&w->ctx);
            LOG_ERROR(NULL, "pool.start", "cannot start worker thread %d", i + 1);
            pthread_attr_destroy(&attr);
            return -1;
        }
        p->started++;
    }
    pthread_attr_destroy(&attr);
    if (pthread_create(&p->dispatcher, NULL, dispatcher_main, p) != 0) {
        LOG_ERROR(NULL, "pool.start", "cannot start the dispatcher thread");
        return -1;
    }
    p->dispatcher_started = true;
    return 0;
}

bool pool_drain(struct pool *p, int64_t deadline_ms)
{
    const struct config *cfg = p->cfg;
    pthread_mutex_lock(&p->mu);
    p->stopping = true;
    /* Claimed but not started: back to the queue for the next instance. */
    int n = p->qlen;
    int64_t *ids = xcalloc((size_t)(n ? n : 1), sizeof *ids);
    for (int i = 0; i < n; i++) {
        struct inbox_item *it = &p->queue[(p->qhead + i) % p->nworkers];
        ids[i] = it->update_id;
        inbox_item_cleanup(it);
    }
    p->qlen = 0;
    pthread_cond_broadcast(&p->work_cv);
    pthread_cond_broadcast(&p->disp_cv);
    pthread_mutex_unlock(&p->mu);

    if (p->dispatcher_started) {
        pthread_join(p->dispatcher, NULL);
        p->dispatcher_started = false;
    }
    if (n > 0) {
        char err[256];
        struct db *db = db_pool_get(p->dbp, DB_BORROW_MS, err, sizeof err);
        if (!db || inbox_release(db, cfg->instance_id, ids, n) < 0)
            LOG_WARN(NULL, "drain.release",
                     "could not give back %d unstarted updates; their "
                     "lease will expire",
                     n);
        else
            LOG_INFO(NULL, "drain.released", "gave back %d claimed updates not yet started", n);
        db_pool_put(p->dbp, db);
    }
    free(ids);

    /* Wait for the workers to finish what they hold. */
    pthread_mutex_lock(&p->mu);
    while (p->exited < p->started) {
        int64_t left = deadline_ms - clock_mono_ms();
        if (left <= 0)
            break;
        struct timespec ts = clock_realtime_in(left);
        pthread_cond_timedwait(&p->exit_cv, &p->mu, &ts);
    }
    bool all = p->exited == p->started;
    int busy = p->busy;
    pthread_mutex_unlock(&p->mu);

    if (!all) {
        /* Out of time: hand what is still in progress to another instance. */
        char err[256];
        struct db *db = db_pool_get(p->dbp, 1000, err, sizeof err);
        int requeued = db ? inbox_requeue_owner(db, cfg->instance_id) : -1;
        db_pool_put(p->dbp, db);
        LOG_WARN(NULL, "drain.timeout",
                 "%d updates still in progress at the deadline; %d "
                 "requeued for another instance",
                 busy, requeued);
        return false;
    }
    for (int i = 0; i < p->started; i++) {
        pthread_join(p->threads[i], NULL);
        bot_ctx_cleanup(&p->workers[i].ctx);
    }
    p->started = 0;
    return true;
}

void pool_free(struct pool *p)
{
    if (!p)
        return;
    free(p->queue);
    free(p->threads);
    free(p->workers);
    pthread_cond_destroy(&p->work_cv);
    pthread_cond_destroy(&p->disp_cv);
    pthread_cond_destroy(&p->exit_cv);
    pthread_mutex_destroy(&p->mu);
    pthread_mutex_destroy(&p->alert_mu);
    free(p);
}
