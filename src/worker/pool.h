/* pool.h: the worker pool and its dispatcher.
 *
 * One dispatcher thread claims updates from the inbox (as many as there are idle workers, in
 * one statement) and hands them to WORKERS threads through an in-memory queue. Workers process
 * an update (bot_handle), finish its row (done, retry with backoff, or dead), and wake the
 * dispatcher, since finishing one update of a chat may make that chat's next one claimable.
 *
 * The dispatcher also runs the periodic sweep every INBOX_SWEEP_MS: it looks for rows other
 * instances stored, takes back expired leases, refreshes the inbox gauges and prunes old rows.
 * In-process wake-ups (pool_wake) make a new update start within about a millisecond.
 *
 * Threads: pool_wake may be called from any thread; the rest from the main thread. */
#ifndef WORKER_POOL_H
#define WORKER_POOL_H

#include <stdbool.h>
#include <stdint.h>

#include "core/util.h"

struct config;
struct db_pool;
struct pool;

struct pool *pool_new(const struct config *cfg, struct db_pool *dbp);
/* Requeue what this instance held before (a previous process with the same INSTANCE_ID died),
 * then start the dispatcher and the workers. Returns 0 or -1. */
int pool_start(struct pool *p) MUST_CHECK;
/* New work may be available. Cheap; any thread. */
void pool_wake(void *pool);
/* Stop claiming, give back claimed updates no worker has started, and wait up to
 * deadline_ms (monotonic clock) for the workers to finish what they hold. Returns true when
 * every worker finished in time; otherwise the rows still held are requeued for another
 * instance and false is returned (the caller then exits without joining the stragglers). */
bool pool_drain(struct pool *p, int64_t deadline_ms);
/* Free a drained pool. Only after pool_drain returned true. */
void pool_free(struct pool *p);
/* Workers currently processing an update. */
int pool_busy(struct pool *p);

#endif
