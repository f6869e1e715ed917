/* main.c: command dispatch, start and stop order only.
 *
 *   vinbot [serve]     the service (default)
 *   vinbot migrate     apply database migrations and exit
 *   vinbot decode ...  decode VINs from the command line or stdin
 *   vinbot config      print the table of environment variables
 *
 * Start order for serve (STYLE.md §7): ignore SIGPIPE, load and check the configuration,
 * curl_global_init once, block SIGINT/SIGTERM before any thread exists (threads inherit the
 * mask), check the schema, then start the inbox writers, the worker pool, the HTTP listener
 * and the Telegram link, and wait for a signal in sigwait. Stop order is the reverse, with the
 * drain in the middle: /ready turns 503, the listener stops accepting, workers finish what
 * they hold within SHUTDOWN_TIMEOUT_MS, unstarted claims go back to the queue, the inbox
 * answers every pending delivery, exit 0. A second signal exits at once. */
#include <curl/curl.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bot/router.h"
#include "cache/cache.h"
#include "cmd/decode.h"
#include "core/backoff.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/log.h"
#include "core/metrics.h"
#include "http/server.h"
#include "inbox/inbox.h"
#include "store/db.h"
#include "store/migrate.h"
#include "tg/limiter.h"
#include "tg/poller.h"
#include "version.h"
#include "vin/vin.h"
#include "worker/pool.h"

#define STARTUP_DB_WAIT_MS 60000

static int usage(FILE *out)
{
    fprintf(out, "usage: vinbot [serve | migrate | decode [--offline] [--json] [VIN...] | "
                 "config [--names] | version]\n");
    return out == stderr ? 2 : 0;
}

/* Load the configuration for mode; on problems print them all and exit 78. */
static void load_config(struct config *cfg, enum config_mode mode)
{
    char err[8192];
    if (config_load(cfg, mode, NULL, NULL, err, sizeof err) < 0) {
        fprintf(stderr, "vinbot: invalid configuration (fix these environment variables):\n");
        for (char *line = strtok(err, "\n"); line; line = strtok(NULL, "\n"))
            fprintf(stderr, "  %s\n", line);
        config_cleanup(cfg);
        exit(CONFIG_EXIT);
    }
    log_init(cfg->log_level, NULL);
    config_register_secrets(cfg);
}

static int cmd_migrate(void)
{
    struct config cfg;
    load_config(&cfg, CONFIG_MIGRATE);
    char err[512];
    int rc = 1;
    struct db *db = db_connect(cfg.database_url, 5, err, sizeof err);
    if (!db) {
        LOG_ERROR(NULL, "migrate.connect", "cannot connect to Postgres: %s", err);
        goto out;
    }
    int n = migrate_apply(db, err, sizeof err);
    if (n < 0) {
        LOG_ERROR(NULL, "migrate.failed", "%s", err);
        goto out;
    }
    LOG_INFO(NULL, "migrate.done", "schema at version %d (%d migrations applied now)",
             migrate_latest(), n);
    rc = 0;
out:
    db_close(db);
    config_cleanup(&cfg);
    return rc;
}

/* Wait for Postgres and check the schema is current. Returns 0, or -1 after logging why. */
static int check_schema(const struct config *cfg, const sigset_t *signals)
{
    struct rng rng;
    rng_seed(&rng);
    int64_t give_up = clock_mono_ms() + STARTUP_DB_WAIT_MS;
    char err[512];
    for (int attempt = 1;; attempt++) {
        struct db *db = db_connect(cfg->database_url, 5, err, sizeof err);
        if (db) {
            int v = migrate_current(db, err, sizeof err);
            db_close(db);
            if (v < 0) {
                LOG_ERROR(NULL, "startup.schema", "cannot read the schema version: %s", err);
                return -1;
            }
            if (v < migrate_latest()) {
                LOG_ERROR(NULL, "startup.schema",
                          "the database schema is at version %d but this build needs %d: run "
                          "`vinbot migrate` first (entrypoint.sh does)",
                          v, migrate_latest());
                return -1;
            }
            if (v > migrate_latest())
                LOG_WARN(NULL, "startup.schema",
                         "the database schema (version %d) is newer than this build (%d); "
                         "continuing, migrations only add",
                         v, migrate_latest());
            return 0;
        }
        if (clock_mono_ms() >= give_up) {
            LOG_ERROR(NULL, "startup.db", "Postgres still unreachable after %d s: %s",
                      STARTUP_DB_WAIT_MS / 1000, err);
            return -1;
        }
        if (attempt == 1)
            LOG_WARN(NULL, "startup.db", "waiting for Postgres: %s", err);
        /* Wait, but let SIGTERM/SIGINT end the wait. */
        int64_t wait = backoff_delay_ms(attempt, 200, 5000, &rng);
        struct timespec ts = {.tv_sec = wait / 1000, .tv_nsec = (wait % 1000) * 1000000};
        if (sigtimedwait(signals, NULL, &ts) > 0) {
            LOG_INFO(NULL, "startup.aborted", "signal received while waiting for Postgres");
            return -1;
        }
    }
}

/* /ready's view of the cache: a fresh connection and a PING (results reused for a second). */
static const char *ready_cache_probe(const struct config *cfg)
{
    return cache_state_name(cache_probe(cfg, cfg->cache_timeout_ms));
}

static sigset_t stop_signals;

/* After the first signal: a second one ends the process at once. */
static void *second_signal(void *arg)
{
    (void)arg;
    int sig;
    if (sigwait(&stop_signals, &sig) == 0) {
        LOG_WARN(NULL, "shutdown.forced", "second signal (%d): exiting now", sig);
        _exit(1);
    }
    return NULL;
}

static int cmd_serve(void)
{
    int64_t t_start = clock_mono_ms();
    signal(SIGPIPE, SIG_IGN);
    /* Two malloc arenas instead of glibc's eight per core: the threads mostly wait, so they do
     * not contend, and fewer arenas keep the resident set small and flat. */
    mallopt(M_ARENA_MAX, 2);
    struct config cfg;
    load_config(&cfg, CONFIG_SERVE);
    config_log(&cfg);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        LOG_ERROR(NULL, "startup.curl", "curl_global_init failed");
        config_cleanup(&cfg);
        return 1;
    }
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);

    int rc = 1;
    struct db_pool *dbp = NULL;
    struct pool *pool = NULL;
    struct inbox *inbox = NULL;
    struct http_server *http = NULL;
    struct poller *poller = NULL;
    char err[512];

    if (*cfg.vin_wmi_file) {
        int n = vin_wmi_load_file(cfg.vin_wmi_file, err, sizeof err);
        if (n < 0) {
            LOG_ERROR(NULL, "startup.wmi", "VIN_WMI_FILE: %s", err);
            rc = CONFIG_EXIT;
            goto out;
        }
        LOG_INFO(NULL, "startup.wmi", "added %d WMIs from VIN_WMI_FILE", n);
    }
    if (check_schema(&cfg, &stop_signals) < 0)
        goto out;

    tg_limiter_configure(cfg.telegram_global_rate, cfg.telegram_chat_rate);
    dbp = db_pool_new(cfg.database_url, (int)cfg.db_pool_size, 5);
    pool = pool_new(&cfg, dbp);
    inbox = inbox_new(&cfg, pool_wake, pool);
    if (inbox_start(inbox) < 0 || pool_start(pool) < 0)
        goto out;
    http = http_start(&cfg, inbox, ready_cache_probe, err, sizeof err);
    if (!http) {
        LOG_ERROR(NULL, "startup.http", "%s", err);
        goto out;
    }
    if (*cfg.telegram_bot_token) {
        poller = poller_start(&cfg, inbox, router_set_username);
        if (!poller)
            LOG_ERROR(NULL, "startup.telegram", "cannot start the Telegram thread");
    } else {
        LOG_WARN(NULL, "startup.telegram",
                 "no TELEGRAM_BOT_TOKEN: nothing is sent to Telegram and no updates are fetched; "
                 "POST updates to /webhook to exercise the pipeline");
    }
    LOG_INFO(NULL, "service.started",
             "vinbot %s listening on %s:%u (workers=%lld db_pool=%lld inbox_writers=%lld "
             "instance=%s mode=%s) in %lld ms",
             VINBOT_VERSION, cfg.bind_address, http_port(http), (long long)cfg.workers,
             (long long)cfg.db_pool_size, (long long)cfg.inbox_writers, cfg.instance_id,
             !*cfg.telegram_bot_token    ? "no-telegram"
             : *cfg.telegram_webhook_url ? "webhook"
                                         : "polling",
             (long long)(clock_mono_ms() - t_start));

    int sig = 0;
    sigwait(&stop_signals, &sig);

    /* ---- drain ---- */
    int64_t deadline = clock_mono_ms() + cfg.shutdown_timeout_ms;
    LOG_INFO(NULL, "shutdown.start", "signal %d: draining (deadline %lld ms)", sig,
             (long long)cfg.shutdown_timeout_ms);
    pthread_t watcher;
    pthread_create(&watcher, NULL, second_signal, NULL);
    pthread_detach(watcher);
    http_set_draining(http);
    metrics_set_draining(true);
    http_quiesce(http);
    poller_stop(poller);
    poller = NULL;
    bool clean = pool_drain(pool, deadline);
    inbox_stop(inbox);
    http_stop(http);
    http = NULL;
    LOG_INFO(NULL, "shutdown.done", "%s in %lld ms",
             clean ? "all workers finished" : "workers still busy at the deadline (requeued)",
             (long long)(clock_mono_ms() - deadline + cfg.shutdown_timeout_ms));
    if (!clean) {
        /* Stragglers may still use the pool and the config: leave them to the exit. */
        fflush(stdout);
        _exit(0);
    }
    rc = 0;
out:
    poller_stop(poller);
    if (pool && rc != 0)
        pool_drain(pool, clock_mono_ms() + 1000);
    if (inbox)
        inbox_stop(inbox);
    http_stop(http);
    pool_free(pool);
    inbox_free(inbox);
    db_pool_free(dbp);
    curl_global_cleanup();
    config_cleanup(&cfg);
    return rc;
}

int main(int argc, char **argv)
{
    const char *cmd = argc > 1 ? argv[1] : "serve";
    if (strcmp(cmd, "serve") == 0)
        return cmd_serve();
    if (strcmp(cmd, "migrate") == 0)
        return cmd_migrate();
    if (strcmp(cmd, "decode") == 0)
        return cmd_decode(argc - 1, argv + 1);
    if (strcmp(cmd, "config") == 0) {
        if (argc > 2 && strcmp(argv[2], "--names") == 0)
            config_print_names(stdout);
        else
            config_print_table(stdout);
        return 0;
    }
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        printf("vinbot %s\n", VINBOT_VERSION);
        return 0;
    }
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0)
        return usage(stdout);
    return usage(stderr);
}
