/* queue.c: claiming and finishing inbox rows (the work half of inbox.h).
 *
 * DESIGN: the claim is one statement. It picks due queued rows, oldest first, skipping rows
 * another claimer has locked (FOR UPDATE SKIP LOCKED), and skipping any row that is not the
 * oldest open (queued or working) update of its chat. That last rule gives per-chat order without
 * any lock of our own: while update 7 of a chat is queued or working, update 8 of the same chat is
 * invisible to every claimer in every instance, and a chat's second row in one batch is
 * excluded by its first. Updates without a chat (chat_id NULL) are never held back.
 *
 * Finishing checks the lease owner, so a worker whose lease expired (and whose row was
 * rescued and claimed by someone else) cannot overwrite the new owner's state.
 *
 * Claims and finishes do not need to survive a Postgres crash: losing one means the update is
 * processed again, which at-least-once delivery allows. So these transactions set
 * synchronous_commit off and do not wait for a WAL flush; only the intake insert does. */
#include "inbox/inbox.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "store/db.h"

/* SET LOCAL needs a transaction; a single statement with a CTE is one, but SET LOCAL cannot be
 * part of it. set_config(..., true) inside the statement does the same for that transaction.
 *
 * "The oldest open update of its chat" is written as a correlated min() rather than NOT EXISTS
 * on purpose: NOT EXISTS becomes an anti-join whose plan depends on table statistics, and with
 * the statistics of a fresh, empty table (a new deploy meeting its first burst) Postgres chose
 * to scan every open row for every candidate. The min() stays a subplan keyed on chat_id, one
 * short index probe per candidate whatever the statistics say.
 *
 * The UPDATE finds the claimed rows through `= ANY (ARRAY(...))`, an index lookup per id. A
 * plain join with the CTE lets the generic plan of the prepared statement (which cannot know
 * LIMIT $2) pick a merge join that walks the primary key from its start: a scan of every done
 * row kept for deduplication, on every claim. */
static const char claim_sql[] =
    "WITH cfg AS (SELECT set_config('synchronous_commit', 'off', true)), "
    "c AS ("
    "  SELECT u.update_id FROM updates u"
    "  WHERE u.state = 'queued' AND u.next_attempt_at <= now()"
    "    AND (u.chat_id IS NULL OR u.update_id = ("
    "      SELECT min(p.update_id) FROM updates p"
    "      WHERE p.chat_id = u.chat_id AND p.state IN ('queued', 'working')))"
    "  ORDER BY u.next_attempt_at, u.update_id"
    "  LIMIT $2"
    "  FOR UPDATE OF u SKIP LOCKED) "
    "UPDATE updates SET state = 'working', attempts = updates.attempts + 1,"
    "  lease_owner = $1, lease_expires_at = now() + $3::bigint * interval '1 millisecond' "
    "FROM cfg WHERE updates.update_id = ANY (ARRAY(SELECT update_id FROM c)) "
    "RETURNING updates.update_id, coalesce(updates.chat_id, 0), updates.attempts,"
    "  updates.kind, updates.payload::text";

void inbox_item_cleanup(struct inbox_item *it)
{
    XFREE(it->kind);
    XFREE(it->payload);
}

int inbox_claim(struct db *db, const char *owner, int64_t lease_ms, int limit,
                struct inbox_item **items, int *n)
{
    char lim[16], lease[24];
    snprintf(lim, sizeof lim, "%d", limit);
    snprintf(lease, sizeof lease, "%lld", (long long)lease_ms);
    const char *params[] = {owner, lim, lease};
    struct pg_result *r = NULL;
    *items = NULL;
    *n = 0;
    if (db_exec(db, claim_sql, 3, params, false, &r) != DB_OK)
        return -1;
    int rows = db_ntuples(r);
    if (rows > 0) {
        struct inbox_item *v = xcalloc((size_t)rows, sizeof *v);
        for (int i = 0; i < rows; i++) {
            v[i].update_id = db_int64(r, i, 0);
            v[i].chat_id = db_int64(r, i, 1);
            v[i].attempts = (int)db_int64(r, i, 2);
            v[i].kind = xstrdup(db_value(r, i, 3));
            v[i].payload = xstrdup(db_value(r, i, 4));
            v[i].payload_len = strlen(v[i].payload);
        }
        /* RETURNING order is unspecified: hand them out oldest first. */
        for (int i = 1; i < rows; i++) {
            struct inbox_item t = v[i];
            int j = i - 1;
            while (j >= 0 && v[j].update_id > t.update_id) {
                v[j + 1] = v[j];
                j--;
            }
            v[j + 1] = t;
        }
        *items = v;
        *n = rows;
    }
    db_result_free(r);
    return 0;
}

static int finish(struct db *db, const char *sql, int nparams, const char *const *params)
{
    return db_exec(db, sql, nparams, params, true, NULL) == DB_OK ? 0 : -1;
}

int inbox_done(struct db *db, const char *owner, int64_t update_id)
{
    char id[24];
    snprintf(id, sizeof id, "%lld", (long long)update_id);
    const char *params[] = {id, owner};
    return finish(db,
                  "WITH cfg AS (SELECT set_config('synchronous_commit', 'off', true)) "
                  "UPDATE updates SET state = 'done', done_at = now(), lease_owner = NULL,"
                  " lease_expires_at = NULL FROM cfg "
                  "WHERE update_id = $1 AND lease_owner = $2 AND state = 'working'",
                  2, params);
}

int inbox_retry(struct db *db, const char *owner, int64_t update_id, int64_t delay_ms,
                const char *error)
{
    char id[24], delay[24];
    snprintf(id, sizeof id, "%lld", (long long)update_id);
    snprintf(delay, sizeof delay, "%lld", (long long)delay_ms);
    const char *params[] = {id, owner, delay, error};
    return finish(db,
                  "WITH cfg AS (SELECT set_config('synchronous_commit', 'off', true)) "
                  "UPDATE updates SET state = 'queued', lease_owner = NULL,"
                  " lease_expires_at = NULL, last_error = $4,"
                  " next_attempt_at = now() + $3::bigint * interval '1 millisecond' FROM cfg "
                  "WHERE update_id = $1 AND lease_owner = $2 AND state = 'working'",
                  4, params);
}

int inbox_defer(struct db *db, const char *owner, int64_t update_id, int64_t delay_ms,
                const char *note)
{
    char id[24], delay[24];
    snprintf(id, sizeof id, "%lld", (long long)update_id);
    snprintf(delay, sizeof delay, "%lld", (long long)delay_ms);
    const char *params[] = {id, owner, delay, note};
    return finish(db,
                  "WITH cfg AS (SELECT set_config('synchronous_commit', 'off', true)) "
                  "UPDATE updates SET state = 'queued', lease_owner = NULL,"
                  " lease_expires_at = NULL, last_error = $4,"
                  " attempts = greatest(updates.attempts - 1, 0),"
                  " next_attempt_at = now() + $3::bigint * interval '1 millisecond' FROM cfg "
                  "WHERE update_id = $1 AND lease_owner = $2 AND state = 'working'",
                  4, params);
}

int inbox_dead(struct db *db, const char *owner, int64_t update_id, const char *error)
{
    char id[24];
    snprintf(id, sizeof id, "%lld", (long long)update_id);
    const char *params[] = {id, owner, error};
    return finish(db,
                  "UPDATE updates SET state = 'dead', done_at = now(), lease_owner = NULL,"
                  " lease_expires_at = NULL, last_error = $3 "
                  "WHERE update_id = $1 AND lease_owner = $2 AND state = 'working'",
                  3, params);
}

int inbox_release(struct db *db, const char *owner, const int64_t *ids, int n)
{
    if (n == 0)
        return 0;
    /* The ids as an array literal of integers: digits and commas only. */
    size_t cap = (size_t)n * 21 + 3;
    char *arr = xmalloc(cap);
    size_t len = 0;
    arr[len++] = '{';
    for (int i = 0; i < n; i++)
        len += (size_t)snprintf(arr + len, cap - len, "%s%lld", i ? "," : "", (long long)ids[i]);
    arr[len++] = '}';
    arr[len] = '\0';
    const char *params[] = {arr, owner};
    int rc = finish(db,
                    "UPDATE updates SET state = 'queued', attempts = greatest(attempts - 1, 0),"
                    " lease_owner = NULL, lease_expires_at = NULL "
                    "WHERE update_id = ANY($1::int8[]) AND lease_owner = $2 AND state = 'working'",
                    2, params);
    free(arr);
    return rc;
}

static int count_rows(struct db *db, const char *sql, int nparams, const char *const *params)
{
    struct pg_result *r = NULL;
    if (db_exec(db, sql, nparams, params, true, &r) != DB_OK)
        return -1;
    int n = db_ntuples(r);
    db_result_free(r);
    return n;
}

int inbox_requeue_owner(struct db *db, const char *owner)
{
    const char *params[] = {owner};
    return count_rows(db,
                      "UPDATE updates SET state = 'queued', lease_owner = NULL,"
                      " lease_expires_at = NULL, next_attempt_at = now(),"
                      " last_error = 'requeued: the process holding it stopped' "
                      "WHERE state = 'working' AND lease_owner = $1 RETURNING update_id",
                      1, params);
}

int inbox_rescue(struct db *db, int max_attempts)
{
    char max[16];
    snprintf(max, sizeof max, "%d", max_attempts);
    const char *params[] = {max};
    return count_rows(db,
                      "UPDATE updates SET"
                      " state = CASE WHEN attempts >= $1::int THEN 'dead' ELSE 'queued' END,"
                      " done_at = CASE WHEN attempts >= $1::int THEN now() END,"
                      " last_error = 'lease of ' || coalesce(lease_owner, '?') || ' expired',"
                      " lease_owner = NULL, lease_expires_at = NULL, next_attempt_at = now() "
                      "WHERE state = 'working' AND lease_expires_at < now() RETURNING update_id",
                      1, params);
}

int inbox_prune(struct db *db, int64_t retention_days, int limit)
{
    char days[24], lim[16];
    snprintf(days, sizeof days, "%lld", (long long)retention_days);
    snprintf(lim, sizeof lim, "%d", limit);
    const char *params[] = {days, lim};
    return count_rows(db,
                      "DELETE FROM updates WHERE update_id IN ("
                      " SELECT update_id FROM updates WHERE state IN ('done', 'dead')"
                      " AND done_at < now() - $1::bigint * interval '1 day' LIMIT $2::int) "
                      "RETURNING update_id",
                      2, params);
}

int inbox_counts(struct db *db, int64_t counts[4])
{
    /* queued, working and dead are small (partial indexes); done grows to days of traffic, so
     * it is estimated from the planner's statistics instead of counted. */
    struct pg_result *r = NULL;
    if (db_exec(db,
                "SELECT (SELECT count(*) FROM updates WHERE state = 'queued'),"
                " (SELECT count(*) FROM updates WHERE state = 'working'),"
                " (SELECT count(*) FROM updates WHERE state = 'dead'),"
                " (SELECT greatest(reltuples::bigint, 0) FROM pg_class"
                "  WHERE oid = 'updates'::regclass)",
                0, NULL, true, &r) != DB_OK)
        return -1;
    counts[0] = db_int64(r, 0, 0);
    counts[1] = db_int64(r, 0, 1);
    counts[3] = db_int64(r, 0, 2);
    int64_t total = db_int64(r, 0, 3);
    counts[2] = total - counts[0] - counts[1] - counts[3];
    if (counts[2] < 0)
        counts[2] = 0;
    db_result_free(r);
    return 0;
}

int inbox_analyze(struct db *db)
{
    return db_exec(db, "ANALYZE updates", 0, NULL, true, NULL) == DB_OK ? 0 : -1;
}
