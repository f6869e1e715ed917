/* test_config.c: the environment table: defaults, types, ranges, rules, every problem at once. */
#include "core/config.h"
#include "core/util.h"
#include "t.h"

/* A fake environment: NULL-terminated pairs. */
static const char *lookup(const char *name, void *ud)
{
    const char **kv = ud;
    for (; kv[0]; kv += 2)
        if (strcmp(kv[0], name) == 0)
            return kv[1];
    return NULL;
}

static void test_defaults(void)
{
    const char *env[] = {"DATABASE_URL", "postgres://u:p@localhost/db", NULL};
    struct config c;
    char err[1024];
    T_EQ_INT(config_load(&c, CONFIG_SERVE, lookup, env, err, sizeof err), 0);
    T_EQ_INT(c.port, 8080);
    T_EQ_INT(c.workers, 64);
    T_EQ_INT(c.db_pool_size, 8);
    T_EQ_STR(c.telegram_api_base, "https://api.telegram.org");
    T_EQ_STR(c.redis_url, "");
    T_EQ_INT(c.log_level, LOG_LEVEL_INFO);
    T_EQ_INT(c.vin_cache_ttl, 30 * 24 * 3600);
    T_EQ_STR(c.default_decoder_service, "nhtsa");
    T_CHECK(strstr(c.instance_id, ":8080") != NULL);
    config_cleanup(&c);
}

static void test_every_problem_listed(void)
{
    const char *env[] = {"PORT",
                         "http",
                         "WORKERS",
                         "0",
                         "LOG_LEVEL",
                         "loud",
                         "TELEGRAM_WEBHOOK_URL",
                         "http://example.com/webhook",
                         "TELEGRAM_WEBHOOK_SECRET",
                         "has spaces!",
                         "UPSTASH_REDIS_REST_URL",
                         "https://x.upstash.io",
                         "REDIS_URL",
                         "rediss://secure",
                         NULL};
    struct config c;
    char err[4096];
    T_EQ_INT(config_load(&c, CONFIG_SERVE, lookup, env, err, sizeof err), -1);
    T_CONTAINS(err, "PORT: \"http\" is not an integer");
    T_CONTAINS(err, "WORKERS: 0 is out of range [1, 1024]");
    T_CONTAINS(err, "LOG_LEVEL");
    T_CONTAINS(err, "DATABASE_URL: required");
    T_CONTAINS(err, "TELEGRAM_BOT_TOKEN: required when TELEGRAM_WEBHOOK_URL");
    T_CONTAINS(err, "TELEGRAM_WEBHOOK_URL: Telegram only delivers to https://");
    T_CONTAINS(err, "TELEGRAM_WEBHOOK_SECRET");
    T_CONTAINS(err, "UPSTASH_REDIS_REST_TOKEN: required");
    T_CONTAINS(err, "REDIS_URL: must be a redis://");
    config_cleanup(&c);
}

static void test_secret_values_never_echoed(void)
{
    const char *env[] = {"DATABASE_URL",
                         "postgres://u:hunter2@db/x",
                         "ADMIN_CHAT_ID",
                         "notanumber",
                         "TELEGRAM_BOT_TOKEN",
                         "1:SECRET",
                         NULL};
    struct config c;
    char err[1024];
    T_EQ_INT(config_load(&c, CONFIG_SERVE, lookup, env, err, sizeof err), -1);
    T_CONTAINS(err, "ADMIN_CHAT_ID");
    T_CHECK(strstr(err, "hunter2") == NULL);
    T_CHECK(strstr(err, "SECRET") == NULL);
    config_cleanup(&c);
}

static void test_modes(void)
{
    const char *env[] = {NULL};
    struct config c;
    char err[1024];
    T_EQ_INT(config_load(&c, CONFIG_TOOL, lookup, env, err, sizeof err), 0);
    config_cleanup(&c);
    T_EQ_INT(config_load(&c, CONFIG_MIGRATE, lookup, env, err, sizeof err), -1);
    T_CONTAINS(err, "DATABASE_URL");
    config_cleanup(&c);
}

static void test_empty_means_unset(void)
{
    const char *env[] = {
        "DATABASE_URL", "host=/tmp dbname=x", "PORT", "", "INSTANCE_ID", "me", NULL};
    struct config c;
    char err[1024];
    T_EQ_INT(config_load(&c, CONFIG_SERVE, lookup, env, err, sizeof err), 0);
    T_EQ_INT(c.port, 8080);
    T_EQ_STR(c.instance_id, "me");
    config_cleanup(&c);
}

static void test_log_effective_masks(void)
{
    const char *env[] = {"DATABASE_URL", "postgres://u:pw-7788@db/x", "TELEGRAM_BOT_TOKEN",
                         "999:TOKENVALUE", NULL};
    struct config c;
    char err[1024];
    T_EQ_INT(config_load(&c, CONFIG_SERVE, lookup, env, err, sizeof err), 0);
    char *mem = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&mem, &len);
    log_init(LOG_LEVEL_INFO, f);
    config_log(&c);
    fflush(f);
    T_CONTAINS(mem, "DATABASE_URL=***");
    T_CONTAINS(mem, "TELEGRAM_BOT_TOKEN=***");
    T_CONTAINS(mem, "PORT=8080");
    T_CHECK(strstr(mem, "TOKENVALUE") == NULL && strstr(mem, "pw-7788") == NULL);
    fclose(f);
    free(mem);
    log_clear_secrets();
    log_init(LOG_LEVEL_INFO, NULL);
    config_cleanup(&c);
}

int main(void)
{
    T_RUN(test_defaults);
    T_RUN(test_every_problem_listed);
    T_RUN(test_secret_values_never_echoed);
    T_RUN(test_modes);
    T_RUN(test_empty_means_unset);
    T_RUN(test_log_effective_masks);
    return t_done();
}
