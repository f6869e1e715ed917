/* config.h: every setting, from the environment, in one table (config.c).
 *
 * config_load() runs once in main before any thread starts. It reads every variable, checks
 * types, ranges and the rules that tie variables together, and reports all problems at once.
 * Afterwards a `const struct config *` is passed down; nothing else calls getenv(). Strings in
 * the struct are owned by it (config_cleanup frees them); an unset optional string is "". */
#ifndef CORE_CONFIG_H
#define CORE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/log.h"

/* Exit status for a configuration error (sysexits.h EX_CONFIG). */
#define CONFIG_EXIT 78

/* What the process is about to do decides which variables are required. */
enum config_mode {
    CONFIG_SERVE,   /* vinbot serve: the service */
    CONFIG_MIGRATE, /* vinbot migrate: needs only the database */
    CONFIG_TOOL,    /* vinbot decode and other one-shot commands: nothing is required */
};

struct config {
    /* HTTP */
    int64_t port;
    char *bind_address;
    int64_t http_threads;
    int64_t http_max_connections;
    int64_t http_timeout_s;
    /* Stores */
    char *database_url;
    int64_t db_pool_size;
    char *redis_url;
    char *upstash_url;
    char *upstash_token;
    int64_t cache_timeout_ms;
    /* Telegram */
    char *telegram_bot_token;
    char *telegram_webhook_url;
    char *telegram_webhook_secret;
    char *telegram_api_base;
    int64_t telegram_max_connections;
    int64_t telegram_global_rate;
    int64_t telegram_chat_rate;
    int64_t admin_chat_id;
    /* Workers and the inbox */
    int64_t workers;
    int64_t shutdown_timeout_ms;
    char *instance_id;
    int64_t inbox_writers;
    int64_t inbox_max_attempts;
    int64_t inbox_lease_ms;
    int64_t inbox_sweep_ms;
    int64_t inbox_retry_base_ms;
    int64_t inbox_retry_max_ms;
    int64_t inbox_retention_days;
    /* Upstreams */
    char *nhtsa_api_base;
    char *nhtsa_recalls_api_base;
    char *autodev_api_base;
    char *autodev_api_key;
    char *default_decoder_service;
    int64_t upstream_connect_timeout_ms;
    int64_t upstream_timeout_ms;
    int64_t upstream_deadline_ms;
    int64_t upstream_max_body;
    /* VIN data and caching */
    char *vin_wmi_file;
    int64_t vin_cache_ttl;
    int64_t vin_negative_cache_ttl;
    int64_t search_cache_ttl;
    /* Logging */
    enum log_level log_level;
};

/* Look a variable up; returns NULL when unset. config_load uses getenv unless told otherwise. */
typedef const char *(*config_getter)(const char *name, void *ud);

/* Fill cfg from the environment (or from get/ud when get is not NULL). Returns 0, or -1 with
 * every problem listed in err (one per line, each naming its variable). cfg must be
 * config_cleanup'ed in both cases. */
int config_load(struct config *cfg, enum config_mode mode, config_getter get, void *ud, char *err,
                size_t errlen);
void config_cleanup(struct config *cfg);

/* Log the effective configuration (event config.effective), secrets shown as ***. Also
 * registers every secret value with log_add_secret. */
void config_log(const struct config *cfg);
/* Register every non-empty secret with log_add_secret (config_log does this too). */
void config_register_secrets(const struct config *cfg);

/* Print the table: name, default and description, one variable per line (vinbot config). */
void config_print_table(FILE *out);
/* Print just the names, one per line (the lint check compares them with .env.example). */
void config_print_names(FILE *out);

/* The decoder preference names accepted by DEFAULT_DECODER_SERVICE. */
bool config_decoder_valid(const char *name);

#endif
