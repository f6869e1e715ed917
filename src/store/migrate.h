/* migrate.h: schema migrations, compiled into the binary from migrations/NNNN_name.sql.
 *
 * migrate_apply takes a session advisory lock (so two instances starting together never
 * race), creates schema_migrations if needed, and applies each missing migration in order,
 * each in its own transaction together with its schema_migrations row. migrate_check tells
 * `vinbot serve` whether the schema is current, without changing anything. */
#ifndef STORE_MIGRATE_H
#define STORE_MIGRATE_H

#include <stddef.h>

#include "core/util.h"

struct db;

struct migration {
    int version;
    const char *name;
    const char *sql;
};

/* The embedded migrations, in version order (generated at build time). */
extern const struct migration migrations[];
extern const int migrations_count;

/* The newest embedded version (0 when there are none). */
int migrate_latest(void);

/* Apply every missing migration. Returns the number applied (0 when up to date), or -1 with
 * the reason in err. Logs one line per migration applied. */
int migrate_apply(struct db *db, char *err, size_t errlen) MUST_CHECK;

/* The schema version recorded in the database: 0 when schema_migrations does not exist, -1 on
 * error (err says why). */
int migrate_current(struct db *db, char *err, size_t errlen) MUST_CHECK;

#endif
