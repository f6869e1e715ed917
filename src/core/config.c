/* config.c: the one table of environment variables (redis static_configs[], pgbouncer
 * bouncer_params[]).
 *
 * DESIGN: each row names a variable, its type, default, range and whether it is a secret, and
 * where it lands in struct config. config_load walks the table once, collecting every problem
 * instead of stopping at the first, then applies the rules that tie variables together
 * ("required when"). The lint check (tests/lint.sh) compares the names printed by
 * `vinbot config --names` with .env.example, so the two cannot drift apart. */
#include "core/config.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/util.h"

enum var_type {
    T_STR,    /* any string */
    T_URL,    /* http:// or https:// */
    T_DBURL,  /* postgres://, postgresql:// or a libpq key=value string */
    T_REDIS,  /* redis:// */
    T_INT,    /* decimal integer in [min, max] */
    T_LEVEL,  /* log level name */
    T_DECODER /* nhtsa | autodev | offline */
};

struct var {
    const char *name;
    enum var_type type;
    const char *def; /* NULL = unset by default */
    int64_t min, max;
    bool secret;
    size_t off;
    const char *help;
};

#define S(field) offsetof(struct config, field)
#define NOLIM 0, 0

static const struct var vars[] = {
    /* HTTP */
    {"PORT", T_INT, "8080", 1, 65535, false, S(port),
     "HTTP port for /webhook, /health, /ready, /metrics"},
    {"BIND_ADDRESS", T_STR, "0.0.0.0", NOLIM, false, S(bind_address), "IPv4 address to listen on"},
    {"HTTP_THREADS", T_INT, "0", 0, 64, false, S(http_threads),
     "HTTP server threads; 0 = one per CPU"},
    {"HTTP_MAX_CONNECTIONS", T_INT, "1024", 16, 65536, false, S(http_max_connections),
     "most open HTTP connections at once"},
    {"HTTP_TIMEOUT_S", T_INT, "30", 1, 3600, false, S(http_timeout_s),
     "idle HTTP connection timeout, seconds"},
    /* Stores */
    {"DATABASE_URL", T_DBURL, NULL, NOLIM, true, S(database_url),
     "Postgres connection string (required to serve)"},
    {"DB_POOL_SIZE", T_INT, "8", 1, 200, false, S(db_pool_size),
     "Postgres connections shared by the workers"},
    {"REDIS_URL", T_REDIS, NULL, NOLIM, true, S(redis_url),
     "redis://[user:pass@]host:port/db cache; unset = no Redis"},
    {"UPSTASH_REDIS_REST_URL", T_URL, NULL, NOLIM, false, S(upstash_url),
     "Upstash REST endpoint, used when REDIS_URL is unset"},
    {"UPSTASH_REDIS_REST_TOKEN", T_STR, NULL, NOLIM, true, S(upstash_token),
     "Upstash REST token (required with the URL)"},
    {"CACHE_TIMEOUT_MS", T_INT, "250", 10, 60000, false, S(cache_timeout_ms),
     "cache connect and command timeout"},
    /* Telegram */
    {"TELEGRAM_BOT_TOKEN", T_STR, NULL, NOLIM, true, S(telegram_bot_token),
     "bot token from @BotFather; unset = no Telegram"},
    {"TELEGRAM_WEBHOOK_URL", T_URL, NULL, NOLIM, false, S(telegram_webhook_url),
     "public HTTPS URL of /webhook; unset = long polling"},
    {"TELEGRAM_WEBHOOK_SECRET", T_STR, NULL, NOLIM, true, S(telegram_webhook_secret),
     "secret token Telegram echoes in X-Telegram-Bot-Api-Secret-Token"},
    {"TELEGRAM_API_BASE", T_URL, "https://api.telegram.org", NOLIM, false, S(telegram_api_base),
     "Bot API base URL"},
    {"TELEGRAM_MAX_CONNECTIONS", T_INT, "40", 1, 100, false, S(telegram_max_connections),
     "setWebhook max_connections"},
    {"TELEGRAM_GLOBAL_RATE", T_INT, "30", 0, 100000, false, S(telegram_global_rate),
     "messages a second to Telegram overall; 0 = unpaced"},
    {"TELEGRAM_CHAT_RATE", T_INT, "1", 0, 100000, false, S(telegram_chat_rate),
     "messages a second to one private chat (groups: a third); 0 = unpaced"},
    {"ADMIN_CHAT_ID", T_INT, "0", INT64_MIN, INT64_MAX, false, S(admin_chat_id),
     "chat that receives operator alerts; 0 = none"},
    /* Workers and the inbox */
    {"WORKERS", T_INT, "64", 1, 1024, false, S(workers), "worker threads processing updates"},
    {"SHUTDOWN_TIMEOUT_MS", T_INT, "8000", 100, 600000, false, S(shutdown_timeout_ms),
     "drain deadline after SIGTERM/SIGINT"},
    {"INSTANCE_ID", T_STR, NULL, NOLIM, false, S(instance_id),
     "lease owner name; default FLY_MACHINE_ID or hostname, plus :PORT"},
    {"INBOX_WRITERS", T_INT, "2", 1, 16, false, S(inbox_writers),
     "group-commit writer threads (each owns a connection)"},
    {"INBOX_MAX_ATTEMPTS", T_INT, "8", 1, 100, false, S(inbox_max_attempts),
     "attempts before an update is marked dead"},
    {"INBOX_LEASE_MS", T_INT, "120000", 1000, 3600000, false, S(inbox_lease_ms),
     "how long a claim lasts before another worker may take it"},
    {"INBOX_SWEEP_MS", T_INT, "1000", 50, 60000, false, S(inbox_sweep_ms),
     "poll interval for other instances' rows and expired leases"},
    {"INBOX_RETRY_BASE_MS", T_INT, "2000", 10, 3600000, false, S(inbox_retry_base_ms),
     "first retry delay (doubles, with jitter)"},
    {"INBOX_RETRY_MAX_MS", T_INT, "600000", 10, 86400000, false, S(inbox_retry_max_ms),
     "longest retry delay"},
    {"INBOX_RETENTION_DAYS", T_INT, "7", 1, 3650, false, S(inbox_retention_days),
     "days done and dead rows are kept for deduplication"},
    /* Upstreams */
    {"NHTSA_API_BASE", T_URL, "https://vpic.nhtsa.dot.gov/api", NOLIM, false, S(nhtsa_api_base),
     "NHTSA vPIC base URL"},
    {"NHTSA_RECALLS_API_BASE", T_URL, "https://api.nhtsa.gov", NOLIM, false,
     S(nhtsa_recalls_api_base), "NHTSA recalls API base URL"},
    {"AUTODEV_API_BASE", T_URL, "https://api.auto.dev", NOLIM, false, S(autodev_api_base),
     "auto.dev API base URL"},
    {"AUTODEV_API_KEY", T_STR, NULL, NOLIM, true, S(autodev_api_key),
     "auto.dev API key; unset = auto.dev not used"},
    {"DEFAULT_DECODER_SERVICE", T_DECODER, "nhtsa", NOLIM, false, S(default_decoder_service),
     "nhtsa | autodev | offline"},
    {"UPSTREAM_CONNECT_TIMEOUT_MS", T_INT, "3000", 50, 60000, false, S(upstream_connect_timeout_ms),
     "connect timeout for upstream calls"},
    {"UPSTREAM_TIMEOUT_MS", T_INT, "10000", 100, 300000, false, S(upstream_timeout_ms),
     "timeout of one upstream request"},
    {"UPSTREAM_DEADLINE_MS", T_INT, "20000", 100, 600000, false, S(upstream_deadline_ms),
     "deadline for one upstream call including retries"},
    {"UPSTREAM_MAX_BODY", T_INT, "4194304", 1024, 268435456, false, S(upstream_max_body),
     "largest upstream response body, bytes"},
    /* VIN data and caching */
    {"VIN_WMI_FILE", T_STR, NULL, NOLIM, false, S(vin_wmi_file),
     "extra WMI CSV (wmi,manufacturer,country,vehicle_type,make)"},
    {"VIN_CACHE_TTL", T_INT, "2592000", 1, 315360000, false, S(vin_cache_ttl),
     "seconds a decoded VIN stays cached (30 days)"},
    {"VIN_NEGATIVE_CACHE_TTL", T_INT, "3600", 1, 315360000, false, S(vin_negative_cache_ttl),
     "seconds a 'no such vehicle' answer stays cached"},
    {"SEARCH_CACHE_TTL", T_INT, "3600", 1, 315360000, false, S(search_cache_ttl),
     "seconds recall and model search results stay cached"},
    /* Logging */
    {"LOG_LEVEL", T_LEVEL, "info", NOLIM, false, S(log_level), "debug | info | warn | error"},
};

static const char *getenv_getter(const char *name, void *ud)
{
    UNUSED(ud);
    return getenv(name);
}

static int addf(struct buf *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int addf(struct buf *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (buf_vprintf(err, fmt, ap) < 0) {
        /* the error list is capped; the first problems are the ones shown */
    }
    va_end(ap);
    if (buf_puts(err, "\n") < 0) {
        /* as above */
    }
    return 1;
}

bool config_decoder_valid(const char *name)
{
    return strcmp(name, "nhtsa") == 0 || strcmp(name, "autodev") == 0 ||
           strcmp(name, "offline") == 0;
}

static bool has_prefix(const char *s, const char *p)
{
    return strncmp(s, p, strlen(p)) == 0;
}

/* Parse one variable's text into its field. Returns the number of problems found (0 or 1). */
static int parse_var(const struct var *v, const char *text, struct config *cfg, struct buf *err)
{
    char *base = (char *)cfg;
    switch (v->type) {
    case T_STR:
    case T_URL:
    case T_DBURL:
    case T_REDIS: {
        if (v->type == T_URL && *text && !has_prefix(text, "http://") &&
            !has_prefix(text, "https://"))
            return addf(err, "%s: must be an http:// or https:// URL", v->name);
        if (v->type == T_DBURL && *text && !has_prefix(text, "postgres://") &&
            !has_prefix(text, "postgresql://") && !strchr(text, '='))
            return addf(err, "%s: must be a postgres:// URL or a libpq key=value string", v->name);
        if (v->type == T_REDIS && *text && !has_prefix(text, "redis://"))
            return addf(err,
                        "%s: must be a redis:// URL (hiredis 0.14 has no TLS; use the "
                        "Upstash REST variables for rediss://)",
                        v->name);
        char **field = (char **)(base + v->off);
        free(*field);
        *field = xstrdup(text);
        return 0;
    }
    case T_INT: {
        int64_t n;
        if (!parse_int64(text, &n))
            return addf(err, "%s: \"%s\" is not an integer", v->name, v->secret ? "***" : text);
        if (!(v->min == 0 && v->max == 0) && (n < v->min || n > v->max))
            return addf(err, "%s: %lld is out of range [%lld, %lld]", v->name, (long long)n,
                        (long long)v->min, (long long)v->max);
        *(int64_t *)(base + v->off) = n;
        return 0;
    }
    case T_LEVEL: {
        enum log_level lvl;
        if (!log_level_parse(text, &lvl))
            return addf(err, "%s: \"%s\" is not one of debug, info, warn, error", v->name, text);
        *(enum log_level *)(base + v->off) = lvl;
        return 0;
    }
    case T_DECODER:
        if (!config_decoder_valid(text))
            return addf(err, "%s: \"%s\" is not one of nhtsa, autodev, offline", v->name, text);
        char **field = (char **)(base + v->off);
        free(*field);
        *field = xstrdup(text);
        return 0;
    }
    return 0;
}

static bool secret_token_ok(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > 256)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-'))
            return false;
    }
    return true;
}

static void default_instance_id(struct config *cfg, config_getter get, void *ud)
{
    char host[256] = "";
    const char *fly = get("FLY_MACHINE_ID", ud);
    if (fly && *fly)
        str_copy(host, fly, sizeof host);
    else if (gethostname(host, sizeof host - 1) != 0 || !*host)
        str_copy(host, "vinbot", sizeof host);
    host[sizeof host - 1] = '\0';
    free(cfg->instance_id);
    /* The port makes two instances on one host distinct: they cannot share a listener. */
    cfg->instance_id = xasprintf("%s:%lld", host, (long long)cfg->port);
}

int config_load(struct config *cfg, enum config_mode mode, config_getter get, void *ud, char *err,
                size_t errlen)
{
    struct buf e;
    int problems = 0;

    memset(cfg, 0, sizeof *cfg);
    buf_init(&e, errlen > 0 ? errlen - 1 : 0);
    if (!get)
        get = getenv_getter;

    for (size_t i = 0; i < ARRAY_LEN(vars); i++) {
        const struct var *v = &vars[i];
        if (v->type == T_STR || v->type == T_URL || v->type == T_DBURL || v->type == T_REDIS ||
            v->type == T_DECODER) {
            char **field = (char **)((char *)cfg + v->off);
            *field = xstrdup("");
        }
        const char *text = get(v->name, ud);
        if (text && !*text)
            text = NULL; /* an empty variable means unset, as in most shells' env files */
        if (text) {
            problems += parse_var(v, text, cfg, &e);
        } else if (v->def) {
            if (parse_var(v, v->def, cfg, &e))
                problems++; /* a bad default is a bug; report it like any other problem */
        }
    }

    /* Rules that tie variables together. */
    if (mode != CONFIG_TOOL && !*cfg->database_url)
        problems += addf(&e, "DATABASE_URL: required (postgres://user:pass@host:5432/db)");
    if (mode == CONFIG_SERVE) {
        if (*cfg->telegram_webhook_url && !*cfg->telegram_bot_token)
            problems += addf(&e, "TELEGRAM_BOT_TOKEN: required when TELEGRAM_WEBHOOK_URL is set");
        if (*cfg->telegram_webhook_url && !has_prefix(cfg->telegram_webhook_url, "https://"))
            problems += addf(&e, "TELEGRAM_WEBHOOK_URL: Telegram only delivers to https:// URLs");
    }
    if (*cfg->telegram_webhook_secret && !secret_token_ok(cfg->telegram_webhook_secret))
        problems +=
            addf(&e, "TELEGRAM_WEBHOOK_SECRET: must be 1-256 characters of A-Z a-z 0-9 _ -");
    if (*cfg->upstash_url && !*cfg->upstash_token)
        problems +=
            addf(&e, "UPSTASH_REDIS_REST_TOKEN: required when UPSTASH_REDIS_REST_URL is set");
    if (*cfg->upstash_token && !*cfg->upstash_url)
        problems +=
            addf(&e, "UPSTASH_REDIS_REST_URL: required when UPSTASH_REDIS_REST_TOKEN is set");
    if (cfg->inbox_retry_max_ms < cfg->inbox_retry_base_ms)
        problems += addf(&e, "INBOX_RETRY_MAX_MS: must not be below INBOX_RETRY_BASE_MS");
    if (cfg->upstream_deadline_ms < cfg->upstream_timeout_ms)
        problems += addf(&e, "UPSTREAM_DEADLINE_MS: must not be below UPSTREAM_TIMEOUT_MS");
    if (strcmp(cfg->default_decoder_service, "autodev") == 0 && !*cfg->autodev_api_key)
        problems += addf(&e, "AUTODEV_API_KEY: required when DEFAULT_DECODER_SERVICE=autodev");
    if (!*cfg->instance_id)
        default_instance_id(cfg, get, ud);

    if (errlen) {
        str_copy(err, e.data ? e.data : "", errlen);
        size_t n = strlen(err);
        if (n && err[n - 1] == '\n')
            err[n - 1] = '\0';
    }
    buf_cleanup(&e);
    return problems ? -1 : 0;
}

void config_cleanup(struct config *cfg)
{
    for (size_t i = 0; i < ARRAY_LEN(vars); i++) {
        const struct var *v = &vars[i];
        if (v->type == T_STR || v->type == T_URL || v->type == T_DBURL || v->type == T_REDIS ||
            v->type == T_DECODER) {
            char **field = (char **)((char *)cfg + vars[i].off);
            XFREE(*field);
        }
    }
}

void config_register_secrets(const struct config *cfg)
{
    for (size_t i = 0; i < ARRAY_LEN(vars); i++) {
        if (!vars[i].secret || vars[i].type == T_INT)
            continue;
        const char *val = *(char *const *)((const char *)cfg + vars[i].off);
        if (val && *val)
            log_add_secret(val);
    }
}

void config_log(const struct config *cfg)
{
    struct buf b;
    buf_init(&b, 64 * 1024);
    config_register_secrets(cfg);
    for (size_t i = 0; i < ARRAY_LEN(vars); i++) {
        const struct var *v = &vars[i];
        const char *p = (const char *)cfg + v->off;
        int rc = buf_printf(&b, "%s%s=", i ? " " : "", v->name);
        if (v->type == T_INT)
            rc |= buf_printf(&b, "%lld", (long long)*(const int64_t *)p);
        else if (v->type == T_LEVEL)
            rc |= buf_puts(&b, log_level_name(*(const enum log_level *)p));
        else if (v->secret)
            rc |= buf_puts(&b, **(char *const *)p ? "***" : "");
        else
            rc |= buf_puts(&b, *(char *const *)p);
        (void)rc;
    }
    LOG_INFO(NULL, "config.effective", "%s", b.data ? b.data : "");
    buf_cleanup(&b);
}

void config_print_table(FILE *out)
{
    for (size_t i = 0; i < ARRAY_LEN(vars); i++)
        fprintf(out, "%-28s %-32s %s%s\n", vars[i].name, vars[i].def ? vars[i].def : "(unset)",
                vars[i].help, vars[i].secret ? " [secret]" : "");
}

void config_print_names(FILE *out)
{
    for (size_t i = 0; i < ARRAY_LEN(vars); i++)
        fprintf(out, "%s\n", vars[i].name);
}
