/* writer.c: group commit of incoming updates (the intake half of inbox.h).
 *
 * DESIGN: callers append to one mutex-protected list and return; they never touch Postgres.
 * INBOX_WRITERS threads each own a connection. A writer takes everything queued (up to
 * BATCH_MAX), inserts it with one statement built from four binary arrays:
 *
 *   INSERT INTO updates (update_id, chat_id, kind, payload)
 *   SELECT ... FROM unnest($1::int8[], $2::int8[], $3::text[], $4::text[]) ...
 *   ON CONFLICT (update_id) DO NOTHING RETURNING update_id
 *
 * A single statement in autocommit is one transaction, hence one WAL flush for the whole batch.
 * While one writer waits for its flush, the next batch accumulates and another writer takes
 * it, so the batch size adapts to the load by itself: one row when idle, hundreds under a burst.
 * RETURNING tells which rows are new; the others were already stored (duplicates).
 *
 * If Postgres refuses the batch because of one payload (a data error, such as a \u0000 escape
 * that jsonb rejects), the rows are retried one by one so the bad one cannot block the rest.
 * The queue is bounded: past QUEUE_MAX waiting updates, new ones are refused at once (503) and
 * Telegram redelivers them later. */
#include "inbox/inbox.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/backoff.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/log.h"
#include "core/metrics.h"
#include "store/db.h"

#define QUEUE_MAX 8192
#define BATCH_MAX 512
#define PARALLEL_MIN_QUEUE 64 /* queued updates that make a second writer start a batch */
#define CONNECT_TIMEOUT_S 3
#define SLOW_COMMIT_MS 20 /* a group commit slower than this is logged */

#define OID_INT8 20
#define OID_TEXT 25

static const char insert_sql[] =
    "INSERT INTO updates (update_id, chat_id, kind, payload) "
    "SELECT u, NULLIF(c, 0), k, p::jsonb "
    "FROM unnest($1::int8[], $2::int8[], $3::text[], $4::text[]) AS t(u, c, k, p) "
    "ON CONFLICT (update_id) DO NOTHING RETURNING update_id";

struct inbox {
    char *conninfo;
    int nwriters;
    inbox_wake_fn wake;
    void *wake_ud;

    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct inbox_put *head, *tail;
    size_t queued;
    bool stopping;
    int busy_writers;          /* writers inside write_batch */
    int64_t refused_logged_ms; /* last "queue full" warning, to log it once a second at most */

    pthread_t *threads;
    int started;
    atomic_bool db_ok;
    atomic_bool failing; /* writes are failing: log the first failure and the recovery only */
};

struct inbox *inbox_new(const struct config *cfg, inbox_wake_fn wake, void *wake_ud)
{
    struct inbox *ib = xcalloc(1, sizeof *ib);
    ib->conninfo = xstrdup(cfg->database_url);
    ib->nwriters = (int)cfg->inbox_writers;
    ib->wake = wake;
    ib->wake_ud = wake_ud;
    pthread_mutex_init(&ib->mu, NULL);
    pthread_cond_init(&ib->cv, NULL);
    atomic_init(&ib->db_ok, true);
    atomic_init(&ib->failing, false);
    return ib;
}

bool inbox_db_ok(const struct inbox *ib)
{
    return atomic_load(&ib->db_ok);
}

void inbox_submit(struct inbox *ib, struct inbox_put *put)
{
    put->next = NULL;
    pthread_mutex_lock(&ib->mu);
    if (ib->stopping || ib->queued >= QUEUE_MAX) {
        bool full = !ib->stopping;
        int64_t now = clock_mono_ms();
        bool log_it = full && now - ib->refused_logged_ms >= 1000;
        if (log_it)
            ib->refused_logged_ms = now;
        pthread_mutex_unlock(&ib->mu);
        if (log_it)
            LOG_WARN(NULL, "inbox.full", "%d updates waiting for Postgres; refusing more (503)",
                     QUEUE_MAX);
        put->done(put, INBOX_UNAVAILABLE);
        return;
    }
    if (ib->tail)
        ib->tail->next = put;
    else
        ib->head = put;
    ib->tail = put;
    ib->queued++;
    pthread_cond_signal(&ib->cv);
    pthread_mutex_unlock(&ib->mu);
}

/* ---- the synchronous variant, for the poller ---- */

struct waiter {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    size_t left;
    enum inbox_put_result *results;
    struct inbox_put *base;
};

static void waiter_done(struct inbox_put *put, enum inbox_put_result r)
{
    struct waiter *w = put->ud;
    pthread_mutex_lock(&w->mu);
    w->results[put - w->base] = r;
    if (--w->left == 0)
        pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

void inbox_submit_wait(struct inbox *ib, struct inbox_put *puts, size_t n,
                       enum inbox_put_result *results)
{
    struct waiter w = {.left = n, .results = results, .base = puts};
    pthread_mutex_init(&w.mu, NULL);
    pthread_cond_init(&w.cv, NULL);
    for (size_t i = 0; i < n; i++) {
        puts[i].done = waiter_done;
        puts[i].ud = &w;
        inbox_submit(ib, &puts[i]);
    }
    pthread_mutex_lock(&w.mu);
    while (w.left > 0)
        pthread_cond_wait(&w.cv, &w.mu);
    pthread_mutex_unlock(&w.mu);
    pthread_cond_destroy(&w.cv);
    pthread_mutex_destroy(&w.mu);
}

/* ---- binary array parameters (the format of array_recv) ---- */

static void put_be32(struct buf *b, uint32_t v)
{
    uint32_t be = htonl(v);
    if (buf_append(b, &be, 4) < 0)
        abort(); /* sized in advance: cannot happen */
}

static void put_be64(struct buf *b, uint64_t v)
{
    put_be32(b, (uint32_t)(v >> 32));
    put_be32(b, (uint32_t)v);
}

static void array_header(struct buf *b, uint32_t oid, size_t n)
{
    put_be32(b, 1);           /* dimensions */
    put_be32(b, 0);           /* no NULLs */
    put_be32(b, oid);         /* element type */
    put_be32(b, (uint32_t)n); /* length of dimension 1 */
    put_be32(b, 1);           /* lower bound */
}

static void array_int8(struct buf *b, const int64_t *v, size_t n)
{
    array_header(b, OID_INT8, n);
    for (size_t i = 0; i < n; i++) {
        put_be32(b, 8);
        put_be64(b, (uint64_t)v[i]);
    }
}

static void array_text(struct buf *b, const char *const *s, const size_t *len, size_t n)
{
    array_header(b, OID_TEXT, n);
    for (size_t i = 0; i < n; i++) {
        put_be32(b, (uint32_t)len[i]);
        if (buf_append(b, s[i], len[i]) < 0)
            abort();
    }
}

/* ---- one batch ---- */

struct writer {
    struct inbox *ib;
    struct db *db;
    int64_t retry_at_ms; /* no reconnect before this, after a failed one */
    int failures;
    struct rng rng;
    /* scratch, reused across batches */
    int64_t ids[BATCH_MAX], chats[BATCH_MAX];
    const char *kinds[BATCH_MAX], *payloads[BATCH_MAX];
    size_t kind_lens[BATCH_MAX], payload_lens[BATCH_MAX];
    enum inbox_put_result results[BATCH_MAX];
};

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Insert puts[0..n) in one statement. Fills w->results. Returns the db status. */
static enum db_status insert_rows(struct writer *w, struct inbox_put **puts, size_t n)
{
    size_t payload_total = 0;
    for (size_t i = 0; i < n; i++) {
        w->ids[i] = puts[i]->update_id;
        w->chats[i] = puts[i]->chat_id;
        w->kinds[i] = puts[i]->kind;
        w->kind_lens[i] = strlen(puts[i]->kind);
        w->payloads[i] = puts[i]->payload;
        w->payload_lens[i] = puts[i]->payload_len;
        payload_total += puts[i]->payload_len + w->kind_lens[i];
    }
    struct buf a_ids, a_chats, a_kinds, a_payloads;
    buf_init(&a_ids, 20 + n * 12);
    buf_init(&a_chats, 20 + n * 12);
    buf_init(&a_kinds, 20 + n * 4 + payload_total);
    buf_init(&a_payloads, 20 + n * 4 + payload_total);
    array_int8(&a_ids, w->ids, n);
    array_int8(&a_chats, w->chats, n);
    array_text(&a_kinds, w->kinds, w->kind_lens, n);
    array_text(&a_payloads, w->payloads, w->payload_lens, n);

    const char *values[4] = {a_ids.data, a_chats.data, a_kinds.data, a_payloads.data};
    int lengths[4] = {(int)a_ids.len, (int)a_chats.len, (int)a_kinds.len, (int)a_payloads.len};
    int formats[4] = {1, 1, 1, 1};
    struct pg_result *res = NULL;
    /* Safe to repeat after a broken connection (db_exec resets and retries once): if the first
     * try committed before the connection broke, the second inserts nothing and reports the
     * rows as duplicates, which are acknowledged all the same. Only the wake-up is lost, and
     * the dispatcher's sweep finds the rows within INBOX_SWEEP_MS. */
    enum db_status st = db_exec_bin(w->db, insert_sql, 4, values, lengths, formats, true, &res);
    buf_cleanup(&a_ids);
    buf_cleanup(&a_chats);
    buf_cleanup(&a_kinds);
    buf_cleanup(&a_payloads);
    if (st != DB_OK)
        return st;

    /* Rows returned are new; every other put is a redelivery. An update_id twice in one batch
     * is stored once: the first put gets STORED, the second DUPLICATE. */
    int nret = db_ntuples(res);
    int64_t *inserted = xmalloc(sizeof(int64_t) * (size_t)(nret ? nret : 1));
    bool *used = xcalloc((size_t)(nret ? nret : 1), sizeof(bool));
    for (int i = 0; i < nret; i++)
        inserted[i] = db_int64(res, i, 0);
    db_result_free(res);
    qsort(inserted, (size_t)nret, sizeof *inserted, cmp_i64);
    for (size_t i = 0; i < n; i++) {
        int64_t *hit = bsearch(&w->ids[i], inserted, (size_t)nret, sizeof *inserted, cmp_i64);
        if (hit && !used[hit - inserted]) {
            used[hit - inserted] = true;
            w->results[i] = INBOX_STORED;
        } else {
            w->results[i] = INBOX_DUPLICATE;
        }
    }
    free(inserted);
    free(used);
    return DB_OK;
}

/* Postgres' jsonb refuses the escape \u0000, which JSON allows. Replace it by \ufffd (same
 * length) in a copy; returns NULL when the payload has none. */
static char *without_nul_escapes(const char *p, size_t len)
{
    char *copy = NULL;
    for (size_t i = 0; i + 6 <= len; i++) {
        if (p[i] == '\\' && (i == 0 || p[i - 1] != '\\') && memcmp(p + i + 1, "u0000", 5) == 0) {
            if (!copy) {
                copy = xmalloc(len + 1);
                memcpy(copy, p, len);
                copy[len] = '\0';
            }
            memcpy(copy + i + 1, "ufffd", 5);
        }
    }
    return copy;
}

/* After a data error on the batch: one statement per row, so only the bad row fails. */
static enum db_status insert_one_by_one(struct writer *w, struct inbox_put **puts, size_t n)
{
    enum inbox_put_result out[BATCH_MAX];
    for (size_t i = 0; i < n; i++) {
        enum db_status st = insert_rows(w, &puts[i], 1);
        if (st == DB_DATA) {
            char *fixed = without_nul_escapes(puts[i]->payload, puts[i]->payload_len);
            if (fixed) {
                struct inbox_put copy = *puts[i];
                struct inbox_put *pc = &copy;
                copy.payload = fixed;
                st = insert_rows(w, &pc, 1);
                free(fixed);
            }
        }
        if (st == DB_OK) {
            out[i] = w->results[0];
        } else if (st == DB_DATA) {
            struct log_ctx ctx = {.update_id = puts[i]->update_id, .chat_id = puts[i]->chat_id};
            LOG_WARN(&ctx, "inbox.rejected", "Postgres refused the payload: %s", db_error(w->db));
            out[i] = INBOX_REJECTED;
        } else {
            return st;
        }
    }
    memcpy(w->results, out, n * sizeof *out);
    return DB_OK;
}

static void write_batch(struct writer *w, struct inbox_put **puts, size_t n)
{
    struct inbox *ib = w->ib;
    enum db_status st = DB_DOWN;
    char err[256] = "";

    if (!db_healthy(w->db)) {
        db_close(w->db);
        w->db = NULL;
        if (clock_mono_ms() >= w->retry_at_ms) {
            w->db = db_connect(ib->conninfo, CONNECT_TIMEOUT_S, err, sizeof err);
            if (!w->db) {
                w->failures++;
                w->retry_at_ms = clock_mono_ms() + backoff_delay_ms(w->failures, 20, 500, &w->rng);
            } else {
                w->failures = 0;
            }
        } else {
            str_copy(err, "Postgres unreachable (waiting before reconnecting)", sizeof err);
        }
    }
    int64_t t0 = clock_mono_ms();
    if (w->db) {
        st = insert_rows(w, puts, n);
        if (st == DB_DATA)
            st = insert_one_by_one(w, puts, n);
        if (st != DB_OK)
            str_copy(err, db_error(w->db), sizeof err);
    }

    int64_t took = clock_mono_ms() - t0;
    if (took >= SLOW_COMMIT_MS)
        LOG_WARN(NULL, "inbox.slow_commit", "storing %zu updates took %lld ms", n, (long long)took);
    size_t stored = 0;
    if (st == DB_OK) {
        atomic_store(&ib->db_ok, true);
        if (atomic_exchange(&ib->failing, false))
            LOG_INFO(NULL, "inbox.recovered", "storing updates again");
        metrics_inc(MC_INBOX_COMMITS);
        metrics_add(MC_INBOX_COMMIT_ROWS, (int64_t)n);
        for (size_t i = 0; i < n; i++) {
            if (w->results[i] == INBOX_STORED) {
                stored++;
            } else if (w->results[i] == INBOX_DUPLICATE) {
                metrics_inc(MC_UPDATES_DUPLICATE);
                struct log_ctx ctx = {.update_id = puts[i]->update_id, .chat_id = puts[i]->chat_id};
                LOG_INFO(&ctx, "inbox.duplicate",
                         "redelivery of a stored update; not processed again");
            }
        }
        metrics_add(MC_UPDATES_RECEIVED, (int64_t)stored);
    } else {
        if (st == DB_DOWN || !db_healthy(w->db)) {
            atomic_store(&ib->db_ok, false);
            db_close(w->db);
            w->db = NULL;
        }
        if (!atomic_exchange(&ib->failing, true))
            LOG_ERROR(NULL, "inbox.write_failed",
                      "cannot store updates (answering 503 until Postgres is back): %s", err);
        for (size_t i = 0; i < n; i++)
            w->results[i] = INBOX_UNAVAILABLE;
    }

    /* Wake the dispatcher before answering: the rows are committed either way. */
    if (stored && ib->wake)
        ib->wake(ib->wake_ud);
    for (size_t i = 0; i < n; i++)
        puts[i]->done(puts[i], w->results[i]);
}

static void *writer_main(void *arg)
{
    struct writer *w = arg;
    struct inbox *ib = w->ib;
    struct inbox_put *batch[BATCH_MAX];

    pthread_mutex_lock(&ib->mu);
    for (;;) {
        /* A second writer joins in only when the first cannot keep up: splitting a modest
         * stream between writers halves the batches and doubles the commits, which costs
         * Postgres more than it saves. */
        while (!ib->stopping &&
               (!ib->head || (ib->busy_writers > 0 && ib->queued < PARALLEL_MIN_QUEUE)))
            pthread_cond_wait(&ib->cv, &ib->mu);
        if (!ib->head)
            break; /* stopping and nothing left */
        size_t n = 0;
        while (ib->head && n < BATCH_MAX) {
            batch[n++] = ib->head;
            ib->head = ib->head->next;
        }
        if (!ib->head)
            ib->tail = NULL;
        ib->queued -= n;
        ib->busy_writers++;
        pthread_mutex_unlock(&ib->mu);
        write_batch(w, batch, n);
        pthread_mutex_lock(&ib->mu);
        ib->busy_writers--;
        if (ib->head)
            pthread_cond_broadcast(&ib->cv); /* an idle writer may take what piled up */
    }
    pthread_mutex_unlock(&ib->mu);
    db_close(w->db);
    free(w);
    return NULL;
}

int inbox_start(struct inbox *ib)
{
    ib->threads = xcalloc((size_t)ib->nwriters, sizeof *ib->threads);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 1 << 20);
    for (int i = 0; i < ib->nwriters; i++) {
        struct writer *w = xcalloc(1, sizeof *w);
        w->ib = ib;
        rng_seed(&w->rng);
        if (pthread_create(&ib->threads[i], &attr, writer_main, w) != 0) {
            free(w);
            pthread_attr_destroy(&attr);
            LOG_ERROR(NULL, "inbox.start", "cannot start writer thread %d", i + 1);
            return -1;
        }
        ib->started++;
    }
    pthread_attr_destroy(&attr);
    return 0;
}

void inbox_stop(struct inbox *ib)
{
    pthread_mutex_lock(&ib->mu);
    ib->stopping = true;
    pthread_cond_broadcast(&ib->cv);
    pthread_mutex_unlock(&ib->mu);
    for (int i = 0; i < ib->started; i++)
        pthread_join(ib->threads[i], NULL);
    ib->started = 0;
    /* Never started (or every writer failed to start): answer whatever is still queued. */
    pthread_mutex_lock(&ib->mu);
    struct inbox_put *p = ib->head;
    ib->head = ib->tail = NULL;
    ib->queued = 0;
    pthread_mutex_unlock(&ib->mu);
    while (p) {
        struct inbox_put *next = p->next;
        p->done(p, INBOX_UNAVAILABLE);
        p = next;
    }
}

void inbox_free(struct inbox *ib)
{
    if (!ib)
        return;
    free(ib->threads);
    free(ib->conninfo);
    pthread_cond_destroy(&ib->cv);
    pthread_mutex_destroy(&ib->mu);
    free(ib);
}
