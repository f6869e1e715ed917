/* db.c: see db.h.
 *
 * DESIGN: libpq's own types are `struct pg_conn` and `struct pg_result`, so the header can
 * forward-declare them and callers that only pass results around never include libpq-fe.h.
 * Connections are opened with PQconnectdbParams and expand_dbname, so DATABASE_URL may be a URL
 * or a key=value string, and we add application_name and connect_timeout on top of it.
 *
 * The pool is a mutex, a condition variable, a stack of idle connections and a count of open
 * ones. A borrower takes an idle connection, or opens a new one if fewer than `size` exist, or
 * waits. After a failed connect every borrower fails fast until a backoff delay has passed, so
 * 64 workers do not each spend a connect timeout against a dead server. */
#include "store/db.h"

#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/backoff.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/metrics.h"

/* Statements are prepared on first use and reused by pointer: every SQL text we run is a
 * string constant, so its address names it. A reset connection loses its prepared statements,
 * so the cache is emptied whenever the connection is reset. */
#define STMT_CACHE 32

struct db {
    PGconn *conn;
    char *conninfo;
    int64_t connect_timeout_s;
    char err[256];
    char sqlstate[6];
    const char *stmts[STMT_CACHE];
    int nstmts;
};

static PGconn *open_conn(const char *conninfo, int64_t connect_timeout_s)
{
    char timeout[24];
    snprintf(timeout, sizeof timeout, "%lld", (long long)connect_timeout_s);
    /* Defaults first, then DATABASE_URL (expanded from dbname), whose own settings win. No
     * GSSAPI negotiation unless asked for: it costs a Kerberos lookup per connection (and
     * loads Kerberos into memory) for a feature Fly and most hosts do not offer. */
    const char *const keys[] = {"gssencmode", "dbname", "application_name", "connect_timeout",
                                NULL};
    const char *const vals[] = {"disable", conninfo, "vinbot", timeout, NULL};
    return PQconnectdbParams(keys, vals, 1);
}

/* libpq messages end with a newline and may span lines; keep the first line. They never
 * contain the password, but may name host and database, which is fine to log. */
static void copy_pq_error(char *dst, size_t n, const char *msg)
{
    str_copy(dst, msg && *msg ? msg : "unknown error", n);
    char *nl = strchr(dst, '\n');
    if (nl)
        *nl = '\0';
}

/* Server notices (e.g. "relation already exists, skipping") go to our log, not to stderr. */
static void on_notice(void *arg, const char *message)
{
    (void)arg;
    char line[512];
    copy_pq_error(line, sizeof line, message);
    LOG_DEBUG(NULL, "db.notice", "%s", line);
}

struct db *db_connect(const char *conninfo, int64_t connect_timeout_s, char *err, size_t errlen)
{
    PGconn *c = open_conn(conninfo, connect_timeout_s);
    if (!c || PQstatus(c) != CONNECTION_OK) {
        copy_pq_error(err, errlen, c ? PQerrorMessage(c) : "out of memory");
        PQfinish(c);
        return NULL;
    }
    PQsetNoticeProcessor(c, on_notice, NULL);
    struct db *db = xcalloc(1, sizeof *db);
    db->conn = c;
    db->conninfo = xstrdup(conninfo);
    db->connect_timeout_s = connect_timeout_s;
    return db;
}

void db_close(struct db *db)
{
    if (!db)
        return;
    PQfinish(db->conn);
    free(db->conninfo);
    free(db);
}

struct pg_conn *db_pgconn(struct db *db)
{
    return db->conn;
}

bool db_healthy(struct db *db)
{
    return db && db->conn && PQstatus(db->conn) == CONNECTION_OK;
}

const char *db_error(const struct db *db)
{
    return db->err;
}

const char *db_sqlstate(const struct db *db)
{
    return db->sqlstate;
}

static enum db_status classify(struct db *db, PGresult *r)
{
    ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
        db->err[0] = '\0';
        db->sqlstate[0] = '\0';
        return DB_OK;
    }
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    str_copy(db->sqlstate, state ? state : "", sizeof db->sqlstate);
    copy_pq_error(db->err, sizeof db->err, r ? PQresultErrorMessage(r) : PQerrorMessage(db->conn));
    if (PQstatus(db->conn) != CONNECTION_OK)
        return DB_DOWN;
    /* 08: connection exception; 57P: operator intervention (shutdown, terminated backend). */
    if (state && (strncmp(state, "08", 2) == 0 || strncmp(state, "57P", 3) == 0))
        return DB_DOWN;
    if (state && (strncmp(state, "22", 2) == 0 || strncmp(state, "23", 2) == 0))
        return DB_DATA;
    return DB_ERROR;
}

/* Execute through the prepared-statement cache: prepare on first use, then PQexecPrepared. If
 * preparing fails (a broken connection, or a statement the server refuses), fall back to an
 * unnamed PQexecParams so the error is reported the usual way. */
static PGresult *run(struct db *db, const char *sql, int nparams, const char *const *values,
                     const int *lengths, const int *formats)
{
    int idx = -1;
    for (int i = 0; i < db->nstmts; i++)
        if (db->stmts[i] == sql)
            idx = i;
    if (idx < 0 && db->nstmts < STMT_CACHE) {
        char name[16];
        snprintf(name, sizeof name, "s%d", db->nstmts);
        PGresult *p = PQprepare(db->conn, name, sql, nparams, NULL);
        bool ok = p && PQresultStatus(p) == PGRES_COMMAND_OK;
        PQclear(p);
        if (ok) {
            idx = db->nstmts;
            db->stmts[db->nstmts++] = sql;
        }
    }
    if (idx < 0)
        return PQexecParams(db->conn, sql, nparams, NULL, values, lengths, formats, 0);
    char name[16];
    snprintf(name, sizeof name, "s%d", idx);
    return PQexecPrepared(db->conn, name, nparams, values, lengths, formats, 0);
}

enum db_status db_exec_bin(struct db *db, const char *sql, int nparams, const char *const *values,
                           const int *lengths, const int *formats, bool idempotent, PGresult **res)
{
    if (res)
        *res = NULL;
    for (int attempt = 0; attempt < 2; attempt++) {
        if (PQstatus(db->conn) != CONNECTION_OK) {
            PQreset(db->conn);
            db->nstmts = 0;
            metrics_inc(MC_DB_RECONNECTS);
            if (PQstatus(db->conn) != CONNECTION_OK) {
                copy_pq_error(db->err, sizeof db->err, PQerrorMessage(db->conn));
                db->sqlstate[0] = '\0';
                return DB_DOWN;
            }
        }
        PGresult *r = run(db, sql, nparams, values, lengths, formats);
        enum db_status st = classify(db, r);
        if (st == DB_OK) {
            if (res)
                *res = r;
            else
                PQclear(r);
            return DB_OK;
        }
        PQclear(r);
        /* Retry once on a fresh connection, but only statements that are safe to repeat: a
         * statement may have committed before the connection broke. */
        if (st != DB_DOWN || !idempotent || attempt == 1)
            return st;
    }
    return DB_DOWN;
}

enum db_status db_exec(struct db *db, const char *sql, int nparams, const char *const *params,
                       bool idempotent, PGresult **res)
{
    return db_exec_bin(db, sql, nparams, params, NULL, NULL, idempotent, res);
}

void db_result_free(PGresult *res)
{
    PQclear(res);
}

int db_ntuples(const PGresult *res)
{
    return PQntuples(res);
}

const char *db_value(const PGresult *res, int row, int col)
{
    return PQgetvalue(res, row, col);
}

bool db_isnull(const PGresult *res, int row, int col)
{
    return PQgetisnull(res, row, col) != 0;
}

int64_t db_int64(const PGresult *res, int row, int col)
{
    int64_t v = 0;
    if (!PQgetisnull(res, row, col) && !parse_int64(PQgetvalue(res, row, col), &v))
        v = 0;
    return v;
}

bool db_ping(const char *conninfo, int64_t timeout_s)
{
    char timeout[24];
    snprintf(timeout, sizeof timeout, "%lld", (long long)timeout_s);
    const char *const keys[] = {"gssencmode", "dbname", "connect_timeout", NULL};
    const char *const vals[] = {"disable", conninfo, timeout, NULL};
    return PQpingParams(keys, vals, 1) == PQPING_OK;
}

/* ---- pool ---- */

struct db_pool {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    char *conninfo;
    int64_t connect_timeout_s;
    int size, open;
    struct db **idle;
    int nidle;
    int64_t retry_at_ms; /* after a failed connect, fail fast until then */
    int failures;        /* consecutive failed connects, for the backoff */
    char last_err[256];
    struct rng rng;
};

struct db_pool *db_pool_new(const char *conninfo, int size, int64_t connect_timeout_s)
{
    struct db_pool *p = xcalloc(1, sizeof *p);
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    p->conninfo = xstrdup(conninfo);
    p->connect_timeout_s = connect_timeout_s;
    p->size = size;
    p->idle = xcalloc((size_t)size, sizeof *p->idle);
    rng_seed(&p->rng);
    return p;
}

void db_pool_free(struct db_pool *p)
{
    if (!p)
        return;
    for (int i = 0; i < p->nidle; i++)
        db_close(p->idle[i]);
    free(p->idle);
    free(p->conninfo);
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
    free(p);
}

struct db *db_pool_get(struct db_pool *p, int64_t timeout_ms, char *err, size_t errlen)
{
    int64_t deadline = clock_mono_ms() + timeout_ms;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        if (p->nidle > 0) {
            struct db *db = p->idle[--p->nidle];
            pthread_mutex_unlock(&p->mu);
            return db;
        }
        if (p->open < p->size) {
            int64_t now = clock_mono_ms();
            if (now < p->retry_at_ms) {
                str_copy(err, p->last_err, errlen);
                pthread_mutex_unlock(&p->mu);
                return NULL;
            }
            p->open++; /* reserve the slot, connect without holding the lock */
            pthread_mutex_unlock(&p->mu);
            char cerr[256];
            struct db *db = db_connect(p->conninfo, p->connect_timeout_s, cerr, sizeof cerr);
            pthread_mutex_lock(&p->mu);
            if (db) {
                if (p->failures)
                    LOG_INFO(NULL, "db.up", "Postgres reachable again");
                p->failures = 0;
                p->retry_at_ms = 0;
                pthread_mutex_unlock(&p->mu);
                return db;
            }
            p->open--;
            if (p->failures++ == 0)
                LOG_WARN(NULL, "db.down", "cannot connect to Postgres: %s", cerr);
            p->retry_at_ms = clock_mono_ms() + backoff_delay_ms(p->failures, 100, 5000, &p->rng);
            str_copy(p->last_err, cerr, sizeof p->last_err);
            str_copy(err, cerr, errlen);
            pthread_cond_signal(&p->cv); /* a waiter may try (and fail fast) too */
            pthread_mutex_unlock(&p->mu);
            return NULL;
        }
        int64_t left = deadline - clock_mono_ms();
        if (left <= 0) {
            str_copy(err, "no database connection free in time", errlen);
            pthread_mutex_unlock(&p->mu);
            return NULL;
        }
        struct timespec ts = clock_realtime_in(left);
        pthread_cond_timedwait(&p->cv, &p->mu, &ts);
    }
}

void db_pool_put(struct db_pool *p, struct db *db)
{
    if (!db)
        return;
    pthread_mutex_lock(&p->mu);
    if (db_healthy(db) && p->nidle < p->size) {
        p->idle[p->nidle++] = db;
        db = NULL;
    } else {
        p->open--;
    }
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
    db_close(db); /* a broken connection: its slot is free for a new one */
}
