/* inbox_stress.c: the inbox under concurrency, against a real Postgres (DATABASE_URL).
 * Run by tests/integration/test_inbox.sh, also under ThreadSanitizer.
 *
 *  1. 8 threads submit 4,000 updates (200 chats x 20) at once through the group-commit
 *     writers: every one is STORED, in fewer commits than rows.
 *  2. The same 400 again: every one is DUPLICATE; no new rows.
 *  3. A payload jsonb refuses (\u0000) inside a batch of good ones: stored anyway (sanitised),
 *     and the good ones are not held back.
 *  4. 6 claimer threads claim, "process" and finish everything, while checking that no two
 *     updates of one chat are ever held at the same time and that each chat's updates are
 *     finished in update_id order. Some updates fail once (retry) before succeeding.
 *  5. Leases: a claimed row whose lease expires is rescued; requeue_owner takes back rows;
 *     release undoes an unstarted claim; prune deletes old finished rows.
 * Prints "N passed, N failed". */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/config.h"
#include "core/log.h"
#include "core/metrics.h"
#include "inbox/inbox.h"
#include "store/db.h"
#include "store/migrate.h"
#include "../unit/t.h"

#define CHATS 200
#define PER_CHAT 20
#define TOTAL (CHATS * PER_CHAT)
#define SUBMITTERS 8
#define CLAIMERS 6

static struct config cfg;
static struct inbox *ib;
static atomic_int woken;

static void on_wake(void *ud)
{
    (void)ud;
    atomic_fetch_add(&woken, 1);
}

struct slot {
    struct inbox_put put;
    char payload[256];
    char kind[16];
    _Atomic int result;
};

static struct slot slots[TOTAL];
static pthread_mutex_t done_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t done_cv = PTHREAD_COND_INITIALIZER;
static int done_count;

static void on_done(struct inbox_put *put, enum inbox_put_result r)
{
    struct slot *s = put->ud;
    atomic_store(&s->result, (int)r);
    pthread_mutex_lock(&done_mu);
    done_count++;
    pthread_cond_broadcast(&done_cv);
    pthread_mutex_unlock(&done_mu);
}

static int64_t id_of(int chat, int seq)
{
    return 10000 + (int64_t)seq * CHATS + chat;
}

static void fill(struct slot *s, int chat, int seq)
{
    int64_t id = id_of(chat, seq);
    snprintf(s->payload, sizeof s->payload,
             "{\"update_id\":%lld,\"message\":{\"message_id\":%d,\"chat\":{\"id\":%d,"
             "\"type\":\"private\"},\"text\":\"n%d\"}}",
             (long long)id, seq, 500 + chat, seq);
    strcpy(s->kind, "message");
    s->put = (struct inbox_put){.update_id = id,
                                .chat_id = 500 + chat,
                                .kind = s->kind,
                                .payload = s->payload,
                                .payload_len = strlen(s->payload),
                                .done = on_done,
                                .ud = s};
    atomic_store(&s->result, -1);
}

static void *submitter(void *arg)
{
    long t = (long)arg;
    for (int i = (int)t; i < TOTAL; i += SUBMITTERS) {
        int chat = i % CHATS, seq = i / CHATS;
        fill(&slots[i], chat, seq);
        inbox_submit(ib, &slots[i].put);
    }
    return NULL;
}

static void wait_done(int n)
{
    pthread_mutex_lock(&done_mu);
    while (done_count < n)
        pthread_cond_wait(&done_cv, &done_mu);
    pthread_mutex_unlock(&done_mu);
}

static int count(struct db *db, const char *sql)
{
    struct pg_result *r;
    if (db_exec(db, sql, 0, NULL, true, &r) != DB_OK)
        return -1;
    int v = (int)db_int64(r, 0, 0);
    db_result_free(r);
    return v;
}

/* ---- claimers ---- */

static pthread_mutex_t hold_mu = PTHREAD_MUTEX_INITIALIZER;
static int held[CHATS]; /* updates of each chat held right now */
static int64_t last_done[CHATS];
static atomic_int violations, order_violations, finished, claim_errors;
static _Atomic bool failed_once[TOTAL];

static void *claimer(void *arg)
{
    char owner[32];
    snprintf(owner, sizeof owner, "claimer-%ld", (long)arg);
    char err[256];
    struct db *db = db_connect(cfg.database_url, 5, err, sizeof err);
    if (!db) {
        atomic_fetch_add(&claim_errors, 1);
        return NULL;
    }
    int idle_rounds = 0;
    int64_t give_up = clock_mono_ms() + 60000;
    while (atomic_load(&finished) < TOTAL && idle_rounds < 400 && clock_mono_ms() < give_up) {
        struct inbox_item *items;
        int n;
        if (inbox_claim(db, owner, 30000, 4, &items, &n) < 0) {
            atomic_fetch_add(&claim_errors, 1);
            break;
        }
        if (n == 0) {
            idle_rounds++;
            clock_sleep_ms(5);
            continue;
        }
        idle_rounds = 0;
        for (int i = 0; i < n; i++) {
            int chat = (int)(items[i].chat_id - 500);
            pthread_mutex_lock(&hold_mu);
            if (++held[chat] > 1)
                atomic_fetch_add(&violations, 1);
            pthread_mutex_unlock(&hold_mu);
        }
        for (int i = 0; i < n; i++) {
            int chat = (int)(items[i].chat_id - 500);
            int idx = (int)((items[i].update_id - 10000) / CHATS) * CHATS + chat;
            bool fail = idx % 17 == 0 && !atomic_exchange(&failed_once[idx], true);
            pthread_mutex_lock(&hold_mu);
            held[chat]--;
            if (!fail) {
                if (items[i].update_id <= last_done[chat])
                    atomic_fetch_add(&order_violations, 1);
                last_done[chat] = items[i].update_id;
            }
            pthread_mutex_unlock(&hold_mu);
            int rc = fail ? inbox_retry(db, owner, items[i].update_id, 1, "simulated failure")
                          : inbox_done(db, owner, items[i].update_id);
            if (rc < 0)
                atomic_fetch_add(&claim_errors, 1);
            else if (!fail)
                atomic_fetch_add(&finished, 1);
            inbox_item_cleanup(&items[i]);
        }
        free(items);
    }
    db_close(db);
    return NULL;
}

int main(void)
{
    char err[1024];
    if (config_load(&cfg, CONFIG_SERVE, NULL, NULL, err, sizeof err) < 0) {
        fprintf(stderr, "config: %s\n", err);
        return 99;
    }
    log_init(LOG_LEVEL_WARN, NULL);
    struct db *db = db_connect(cfg.database_url, 5, err, sizeof err);
    if (!db || migrate_apply(db, err, sizeof err) < 0) {
        fprintf(stderr, "setup: %s\n", err);
        return 99;
    }

    /* 1. concurrent submissions, group commit */
    t_begin("concurrent submissions are all stored");
    ib = inbox_new(&cfg, on_wake, NULL);
    T_CHECK(inbox_start(ib) == 0);
    pthread_t th[SUBMITTERS];
    int64_t t0 = clock_mono_ns();
    for (long i = 0; i < SUBMITTERS; i++)
        pthread_create(&th[i], NULL, submitter, (void *)i);
    for (int i = 0; i < SUBMITTERS; i++)
        pthread_join(th[i], NULL);
    wait_done(TOTAL);
    double secs = (double)(clock_mono_ns() - t0) / 1e9;
    int stored = 0;
    for (int i = 0; i < TOTAL; i++)
        stored += atomic_load(&slots[i].result) == INBOX_STORED;
    T_EQ_INT(stored, TOTAL);
    T_EQ_INT(count(db, "SELECT count(*) FROM updates"), TOTAL);
    t_end();
    t_begin("group commit: fewer commits than rows");
    int64_t commits = metrics_get(MC_INBOX_COMMITS);
    printf("  %d rows in %lld commits (%.1f rows/commit), %.0f rows/s\n", TOTAL, (long long)commits,
           (double)TOTAL / (double)(commits ? commits : 1), TOTAL / secs);
    T_CHECK(commits > 0 && commits < TOTAL);
    T_CHECK(atomic_load(&woken) > 0);
    t_end();

    /* 2. duplicates */
    t_begin("redeliveries are duplicates");
    pthread_mutex_lock(&done_mu);
    done_count = 0;
    pthread_mutex_unlock(&done_mu);
    for (int i = 0; i < 400; i++) {
        fill(&slots[i], i % CHATS, i / CHATS);
        inbox_submit(ib, &slots[i].put);
    }
    wait_done(400);
    int dups = 0;
    for (int i = 0; i < 400; i++)
        dups += atomic_load(&slots[i].result) == INBOX_DUPLICATE;
    T_EQ_INT(dups, 400);
    T_EQ_INT(count(db, "SELECT count(*) FROM updates"), TOTAL);
    t_end();

    /* 3. one payload Postgres refuses, among good ones */
    t_begin("a payload jsonb refuses does not block its batch");
    static struct slot odd[3];
    pthread_mutex_lock(&done_mu);
    done_count = 0;
    pthread_mutex_unlock(&done_mu);
    for (int i = 0; i < 3; i++) {
        fill(&odd[i], 0, 0);
        odd[i].put.update_id = 90000 + i;
        odd[i].put.chat_id = 0;
        snprintf(odd[i].payload, sizeof odd[i].payload,
                 i == 1 ? "{\"update_id\":%d,\"poll\":{\"question\":\"nul \\u0000 here\"}}"
                        : "{\"update_id\":%d,\"poll\":{\"question\":\"fine\"}}",
                 90000 + i);
        odd[i].put.payload_len = strlen(odd[i].payload);
    }
    for (int i = 0; i < 3; i++)
        inbox_submit(ib, &odd[i].put);
    wait_done(3);
    for (int i = 0; i < 3; i++)
        T_EQ_INT(atomic_load(&odd[i].result), INBOX_STORED);
    T_EQ_INT(count(db, "SELECT count(*) FROM updates WHERE update_id >= 90000 AND chat_id IS NULL"),
             3);
    t_end();
    inbox_stop(ib);
    inbox_free(ib);

    /* 4. concurrent claims keep per-chat order */
    t_begin("concurrent claimers: one update per chat at a time, in order");
    /* the three chat-less rows are not part of this exercise */
    if (db_exec(db, "DELETE FROM updates WHERE update_id >= 90000", 0, NULL, true, NULL) != DB_OK)
        T_FAILF("delete: %s", db_error(db));
    pthread_t cl[CLAIMERS];
    for (long i = 0; i < CLAIMERS; i++)
        pthread_create(&cl[i], NULL, claimer, (void *)i);
    for (int i = 0; i < CLAIMERS; i++)
        pthread_join(cl[i], NULL);
    T_EQ_INT(atomic_load(&claim_errors), 0);
    T_EQ_INT(atomic_load(&finished), TOTAL);
    T_EQ_INT(atomic_load(&violations), 0);
    T_EQ_INT(atomic_load(&order_violations), 0);
    T_EQ_INT(count(db, "SELECT count(*) FROM updates WHERE state = 'done'"), TOTAL);
    T_CHECK(count(db, "SELECT count(*) FROM updates WHERE attempts = 2") > 0);
    t_end();

    /* 5. leases */
    t_begin("expired leases are rescued, owners requeued, claims released");
    if (db_exec(db,
                "INSERT INTO updates (update_id, chat_id, kind, payload) VALUES "
                "(95001, 7, 'message', '{}'), (95002, 8, 'message', '{}'), "
                "(95003, 9, 'message', '{}')",
                0, NULL, false, NULL) != DB_OK)
        T_FAILF("insert: %s", db_error(db));
    struct inbox_item *items;
    int n;
    T_EQ_INT(inbox_claim(db, "short", 1, 1, &items, &n), 0); /* 1 ms lease */
    T_EQ_INT(n, 1);
    for (int i = 0; i < n; i++)
        inbox_item_cleanup(&items[i]);
    free(items);
    clock_sleep_ms(20);
    T_EQ_INT(inbox_rescue(db, 8), 1);
    T_EQ_INT(count(db, "SELECT count(*) FROM updates WHERE state = 'queued'"), 3);
    T_EQ_INT(inbox_claim(db, "host:1", 60000, 2, &items, &n), 0);
    T_EQ_INT(n, 2);
    int64_t ids[1] = {items[0].update_id};
    T_EQ_INT(inbox_release(db, "host:1", ids, 1), 0);
    for (int i = 0; i < n; i++)
        inbox_item_cleanup(&items[i]);
    free(items);
    T_EQ_INT(inbox_requeue_owner(db, "host:1"), 1);
    T_EQ_INT(count(db, "SELECT count(*) FROM updates WHERE state = 'queued'"), 3);
    T_EQ_INT(count(db, "SELECT sum(attempts) FROM updates WHERE update_id >= 95000"), 2);
    /* dead after max attempts when a lease expires */
    T_EQ_INT(inbox_claim(db, "short", 1, 3, &items, &n), 0);
    for (int i = 0; i < n; i++)
        inbox_item_cleanup(&items[i]);
    free(items);
    clock_sleep_ms(20);
    T_EQ_INT(inbox_rescue(db, 2), 3);
    T_CHECK(count(db, "SELECT count(*) FROM updates WHERE state = 'dead'") >= 1);
    t_end();

    t_begin("prune deletes finished rows past retention");
    if (db_exec(db, "UPDATE updates SET done_at = now() - interval '8 days' WHERE state = 'done'",
                0, NULL, false, NULL) != DB_OK)
        T_FAILF("age: %s", db_error(db));
    T_EQ_INT(inbox_prune(db, 7, 100000), TOTAL);
    int64_t c[4];
    T_EQ_INT(inbox_counts(db, c), 0);
    T_EQ_INT(c[0] + c[1], 3 - c[3]);
    t_end();

    db_close(db);
    config_cleanup(&cfg);
    return t_done();
}
