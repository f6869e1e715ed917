/* migrate.c: see migrate.h.
 *
 * The advisory lock key is a constant derived from the name "vinbot.migrate"; the lock is a
 * session lock taken before reading the current version, so a second instance waits, then
 * finds nothing left to do. Each migration's SQL runs as a simple query (several statements
 * allowed) inside BEGIN/COMMIT with its bookkeeping row, so a failure leaves no half-applied
 * migration behind. */
#include "store/migrate.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <string.h>

#include "core/log.h"
#include "store/db.h"

#define MIGRATE_LOCK_KEY "7236182635561517"

int migrate_latest(void)
{
    return migrations_count > 0 ? migrations[migrations_count - 1].version : 0;
}

/* Run a multi-statement script with PQexec (the only place we use it: constant SQL from our
 * own migration files, never built from input). */
static int exec_script(PGconn *c, const char *sql, char *err, size_t errlen)
{
    PGresult *r = PQexec(c, sql);
    ExecStatusType st = PQresultStatus(r);
    int rc = 0;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        snprintf(err, errlen, "%s", PQresultErrorMessage(r));
        char *nl = strchr(err, '\n');
        if (nl)
            *nl = '\0';
        rc = -1;
    }
    PQclear(r);
    return rc;
}

int migrate_current(struct db *db, char *err, size_t errlen)
{
    struct pg_result *r = NULL;
    if (db_exec(db, "SELECT to_regclass('schema_migrations') IS NOT NULL", 0, NULL, true, &r) !=
        DB_OK) {
        snprintf(err, errlen, "%s", db_error(db));
        return -1;
    }
    bool exists = strcmp(db_value(r, 0, 0), "t") == 0;
    db_result_free(r);
    if (!exists)
        return 0;
    if (db_exec(db, "SELECT coalesce(max(version), 0) FROM schema_migrations", 0, NULL, true, &r) !=
        DB_OK) {
        snprintf(err, errlen, "%s", db_error(db));
        return -1;
    }
    int v = (int)db_int64(r, 0, 0);
    db_result_free(r);
    return v;
}

/* Release the lock; if the connection broke, the session (and its lock) is gone anyway. */
static void unlock(struct db *db)
{
    const char *params[] = {MIGRATE_LOCK_KEY};
    if (db_exec(db, "SELECT pg_advisory_unlock($1::bigint)", 1, params, false, NULL) != DB_OK)
        LOG_WARN(NULL, "migrate.unlock", "cannot release the migration lock: %s", db_error(db));
}

int migrate_apply(struct db *db, char *err, size_t errlen)
{
    PGconn *c = db_pgconn(db);
    int applied = 0;
    const char *lock_params[] = {MIGRATE_LOCK_KEY};

    if (db_exec(db, "SELECT pg_advisory_lock($1::bigint)", 1, lock_params, false, NULL) != DB_OK) {
        snprintf(err, errlen, "cannot take the migration lock: %s", db_error(db));
        return -1;
    }
    if (exec_script(c,
                    "CREATE TABLE IF NOT EXISTS schema_migrations ("
                    " version integer PRIMARY KEY, name text NOT NULL,"
                    " applied_at timestamptz NOT NULL DEFAULT now())",
                    err, errlen) < 0)
        goto fail;
    int current = migrate_current(db, err, errlen);
    if (current < 0)
        goto fail;
    for (int i = 0; i < migrations_count; i++) {
        const struct migration *m = &migrations[i];
        if (m->version <= current)
            continue;
        char verr[512];
        if (exec_script(c, "BEGIN", verr, sizeof verr) < 0 ||
            exec_script(c, m->sql, verr, sizeof verr) < 0) {
            snprintf(err, errlen, "migration %s failed: %s", m->name, verr);
            char ignored[64];
            (void)exec_script(c, "ROLLBACK", ignored, sizeof ignored);
            goto fail;
        }
        char vbuf[16];
        snprintf(vbuf, sizeof vbuf, "%d", m->version);
        const char *params[] = {vbuf, m->name};
        if (db_exec(db, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", 2, params,
                    false, NULL) != DB_OK ||
            exec_script(c, "COMMIT", verr, sizeof verr) < 0) {
            snprintf(err, errlen, "migration %s failed to commit: %s", m->name,
                     db_error(db)[0] ? db_error(db) : verr);
            char ignored[64];
            (void)exec_script(c, "ROLLBACK", ignored, sizeof ignored);
            goto fail;
        }
        LOG_INFO(NULL, "migrate.applied", "applied %s", m->name);
        applied++;
    }
    unlock(db);
    return applied;
fail:
    unlock(db);
    return -1;
}
