/* db.h: Postgres connections and the small pool the workers borrow from.
 *
 * A struct db wraps one PGconn and is used by one thread at a time. db_exec runs one
 * parameterised statement ($1..$n, never SQL built with printf) and classifies the outcome; on
 * a broken connection it resets once and retries statements that are safe to repeat.
 *
 * The pool hands out at most DB_POOL_SIZE connections. Workers borrow one for a database step
 * and return it before any upstream call, so threads waiting on an LLM hold no connection.
 * Connections are made lazily; a broken one is dropped and remade on a later borrow, with
 * backoff so a Postgres outage is not hammered. */
#ifndef STORE_DB_H
#define STORE_DB_H

#include <stdbool.h>
#include <stdint.h>

#include "core/util.h"

struct pg_conn; /* libpq's PGconn, kept out of this header */
struct pg_result;

struct db;
struct db_pool;

enum db_status {
    DB_OK = 0, /* the statement succeeded */
    DB_DOWN,   /* no connection, or it broke: try again later */
    DB_DATA,   /* the statement failed on its data (SQLSTATE class 22 or 23) */
    DB_ERROR,  /* any other SQL error (a bug or a schema problem) */
};

/* Open a connection to conninfo (a postgres:// URL or key=value string). Returns NULL with the
 * reason in err (never the conninfo, which holds the password). */
struct db *db_connect(const char *conninfo, int64_t connect_timeout_s, char *err, size_t errlen);
/* Close and free; NULL is fine. */
void db_close(struct db *db);
/* The raw connection (to pass to PQ functions); borrowed. */
struct pg_conn *db_pgconn(struct db *db);
/* Whether the connection is usable. */
bool db_healthy(struct db *db);
/* The last error message (libpq's text, or ours); "" when none. Valid until the next call. */
const char *db_error(const struct db *db);
/* The last error's SQLSTATE ("" when none or not from the server). */
const char *db_sqlstate(const struct db *db);

/* Run sql with text parameters (NULL entries are SQL NULL). sql must be a string constant: it
 * is prepared on first use on each connection and reused by its address afterwards. On DB_OK, *res
 * (if res is not NULL) holds the result, which the caller frees with db_result_free; on other
 * statuses *res is NULL and db_error() says why. When the connection is broken the statement is
 * retried once after a reset only if `idempotent` is set. */
enum db_status db_exec(struct db *db, const char *sql, int nparams, const char *const *params,
                       bool idempotent, struct pg_result **res) MUST_CHECK;
/* The same with explicit lengths and formats (binary parameters). */
enum db_status db_exec_bin(struct db *db, const char *sql, int nparams, const char *const *values,
                           const int *lengths, const int *formats, bool idempotent,
                           struct pg_result **res) MUST_CHECK;
void db_result_free(struct pg_result *res);
/* Shorthands over a result. */
int db_ntuples(const struct pg_result *res);
const char *db_value(const struct pg_result *res, int row, int col);
bool db_isnull(const struct pg_result *res, int row, int col);
int64_t db_int64(const struct pg_result *res, int row, int col);

/* A pool of at most size connections to conninfo (copied). */
struct db_pool *db_pool_new(const char *conninfo, int size, int64_t connect_timeout_s);
/* Close every idle connection and free the pool. Every borrowed connection must have been
 * returned first. NULL is fine. */
void db_pool_free(struct db_pool *p);
/* Borrow a connection, waiting up to timeout_ms for one to be free. Returns NULL when none
 * became free, or when Postgres cannot be reached (err says why; reconnects are spaced out
 * with backoff across all borrowers). Thread-safe. */
struct db *db_pool_get(struct db_pool *p, int64_t timeout_ms, char *err, size_t errlen);
/* Return a borrowed connection. A connection that is no longer healthy is closed. */
void db_pool_put(struct db_pool *p, struct db *db);

/* Cheap liveness probe without a connection (PQping). True when the server accepts connections. */
bool db_ping(const char *conninfo, int64_t timeout_s);

#endif
