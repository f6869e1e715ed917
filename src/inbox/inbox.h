/* inbox.h: the durable queue of Telegram updates, on Postgres (table `updates`).
 *
 * Two halves.
 *
 * Intake (writer.c): the webhook and the poller hand updates to inbox_submit. Writer threads,
 * each with its own connection, take everything queued and store it with ONE insert, so many
 * concurrent deliveries share one commit (group commit), then report each update's outcome
 * through its callback. Nothing is acknowledged to Telegram before that callback says
 * STORED or DUPLICATE.
 *
 * Work (queue.c): claiming, finishing, retrying and rescuing rows. A claim is a lease owned by
 * an instance; the claim query never hands out an update while an earlier update of the same
 * chat is still queued or being worked on, so each chat is processed in update_id order across
 * all workers and all instances. */
#ifndef INBOX_INBOX_H
#define INBOX_INBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/util.h"

struct config;
struct db;

enum inbox_put_result {
    INBOX_STORED,      /* committed now */
    INBOX_DUPLICATE,   /* already stored earlier: acknowledge, do not process again */
    INBOX_UNAVAILABLE, /* could not be stored (Postgres down, overloaded, stopping): 503 */
    INBOX_REJECTED,    /* Postgres refused the payload itself: 400 */
};

struct inbox_put;
typedef void (*inbox_done_fn)(struct inbox_put *put, enum inbox_put_result result);

/* One update to store. The caller owns it and everything it points to until `done` runs. */
struct inbox_put {
    int64_t update_id;
    int64_t chat_id; /* 0 = no chat */
    const char *kind;
    const char *payload; /* the Update JSON, already validated */
    size_t payload_len;
    inbox_done_fn done;     /* called exactly once, on a writer thread or the caller's */
    void *ud;               /* for the callback */
    struct inbox_put *next; /* private to the inbox */
};

struct inbox;

/* Called (from a writer thread) after new rows were committed, to wake the dispatcher. */
typedef void (*inbox_wake_fn)(void *ud);

/* Make an inbox writing to cfg->database_url with cfg->inbox_writers threads. Nothing starts
 * until inbox_start. */
struct inbox *inbox_new(const struct config *cfg, inbox_wake_fn wake, void *wake_ud);
/* Start the writer threads (they connect lazily). Returns 0 or -1. */
int inbox_start(struct inbox *ib) MUST_CHECK;
/* Queue put for storage; put->done runs exactly once. When the inbox is stopping or its queue
 * is full, done(INBOX_UNAVAILABLE) runs at once on the calling thread. Thread-safe. */
void inbox_submit(struct inbox *ib, struct inbox_put *put);
/* Store n updates and wait for all outcomes (the poller's path). results[i] receives each. */
void inbox_submit_wait(struct inbox *ib, struct inbox_put *puts, size_t n,
                       enum inbox_put_result *results);
/* Refuse new puts, store what is queued, join the writers. Safe to call twice. */
void inbox_stop(struct inbox *ib);
/* Free a stopped inbox; NULL is fine. */
void inbox_free(struct inbox *ib);
/* Whether the last write attempt reached Postgres (for /ready). */
bool inbox_db_ok(const struct inbox *ib);

/* ---- work side (queue.c); each call uses the given connection, one statement each ---- */

/* A claimed update. payload and kind are owned (inbox_item_cleanup frees them). */
struct inbox_item {
    int64_t update_id;
    int64_t chat_id;
    int attempts; /* including this one */
    char *kind;
    char *payload;
    size_t payload_len;
};

void inbox_item_cleanup(struct inbox_item *it);

/* Claim up to `limit` due updates for `owner` with a lease of lease_ms. On 0, *items is an
 * array of *n items (caller frees each with inbox_item_cleanup and the array with free). */
int inbox_claim(struct db *db, const char *owner, int64_t lease_ms, int limit,
                struct inbox_item **items, int *n) MUST_CHECK;
/* Finish a claimed update. Each returns 0 (also when the lease was lost meanwhile and someone
 * else owns the row: then nothing changes) or -1 on a database error. */
int inbox_done(struct db *db, const char *owner, int64_t update_id) MUST_CHECK;
int inbox_retry(struct db *db, const char *owner, int64_t update_id, int64_t delay_ms,
                const char *error) MUST_CHECK;
int inbox_dead(struct db *db, const char *owner, int64_t update_id, const char *error) MUST_CHECK;
/* Put a claimed update back for later without counting the attempt (it did not fail: Telegram
 * asked us to slow down). */
int inbox_defer(struct db *db, const char *owner, int64_t update_id, int64_t delay_ms,
                const char *note) MUST_CHECK;
/* Give back claimed updates that were never started (drain): queued again, attempt undone. */
int inbox_release(struct db *db, const char *owner, const int64_t *ids, int n) MUST_CHECK;
/* Requeue every row `owner` still holds (at start: the previous process with this instance id
 * died; at the end of a drain that ran out of time). Returns the number requeued or -1. */
int inbox_requeue_owner(struct db *db, const char *owner) MUST_CHECK;
/* Take back expired leases: queued again, or dead once max_attempts were used. Returns the
 * number rescued, or -1. */
int inbox_rescue(struct db *db, int max_attempts) MUST_CHECK;
/* Delete done and dead rows older than retention_days, at most `limit` rows. Returns the count
 * deleted, or -1. */
int inbox_prune(struct db *db, int64_t retention_days, int limit) MUST_CHECK;
/* Refresh the planner's statistics of the inbox table. The claim's plan depends on them: a
 * table that grew from empty to a large backlog since the last autovacuum round (up to a
 * minute) would be planned as if it were still empty. Returns 0 or -1. */
int inbox_analyze(struct db *db) MUST_CHECK;
/* Rows by state: queued, working, done, dead. Returns 0 or -1. */
int inbox_counts(struct db *db, int64_t counts[4]) MUST_CHECK;

#endif
