/* decode.c: the decode command (see decode.h).
 *
 * DESIGN: a filter. Each input becomes one line of JSON, in input order, written through a
 * large stdout buffer; a file of a million VINs streams through in constant memory. Without
 * --offline each VIN goes through the full decoder chain (decode_vin): the cache when REDIS_URL
 * or the Upstash variables are set, Postgres when DATABASE_URL is set and migrated, then vPIC,
 * auto.dev and the offline engine. With nothing configured it still works: vPIC at its public
 * address, no cache, no database. With --offline only the built-in engine answers. */

#include "cmd/decode.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "cache/cache.h"
#include "core/buf.h"
#include "core/config.h"
#include "core/log.h"
#include "decode/decode.h"
#include "net/httpc.h"
#include "store/db.h"
#include "store/migrate.h"
#include "vin/vin.h"

/* The online path's handles, for the whole run. */
struct online {
    struct httpc *http;
    struct cache *cache;
    struct db_pool *dbp;
    struct decode_ctx ctx;
};

static void online_open(struct online *o, const struct config *cfg)
{
    memset(o, 0, sizeof *o);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    struct httpc_opts opts = {.connect_timeout_ms = cfg->upstream_connect_timeout_ms,
                              .timeout_ms = cfg->upstream_timeout_ms,
                              .deadline_ms = cfg->upstream_deadline_ms,
                              .max_body = (size_t)cfg->upstream_max_body};
    o->http = httpc_new(&opts);
    o->cache = cache_new(cfg, o->http);
    if (*cfg->database_url) {
        char err[256];
        struct db *db = db_connect(cfg->database_url, 5, err, sizeof err);
        int v = db ? migrate_current(db, err, sizeof err) : -1;
        db_close(db);
        if (v >= 2)
            o->dbp = db_pool_new(cfg->database_url, 1, 5);
        else
            LOG_WARN(NULL, "decode.db", "not using DATABASE_URL (%s)",
                     v < 0 ? err : "schema not migrated: run vinbot migrate");
    }
    o->ctx = (struct decode_ctx){.cfg = cfg, .http = o->http, .cache = o->cache, .dbp = o->dbp};
}

static void online_close(struct online *o)
{
    cache_free(o->cache);
    httpc_free(o->http);
    db_pool_free(o->dbp);
    curl_global_cleanup();
}

static int usage(void)
{
    fprintf(stderr, "usage: vinbot decode [--offline] [--json] [VIN...]\n"
                    "  Decodes each VIN given, or each line of standard input, and prints one\n"
                    "  JSON object per input. --offline uses only the built-in engine.\n");
    return 2;
}

int cmd_decode(int argc, char **argv)
{
    bool offline = false;
    int first = 1;
    for (; first < argc && argv[first][0] == '-' && argv[first][1] == '-'; first++) {
        if (strcmp(argv[first], "--offline") == 0)
            offline = true;
        else if (strcmp(argv[first], "--json") == 0)
            continue; /* JSON is the only output format; accepted for scripts that ask */
        else if (strcmp(argv[first], "--") == 0) {
            first++;
            break;
        } else {
            fprintf(stderr, "vinbot decode: unknown option %s\n", argv[first]);
            return usage();
        }
    }

    struct config cfg;
    char err[4096];
    if (config_load(&cfg, CONFIG_TOOL, NULL, NULL, err, sizeof err) < 0) {
        fprintf(stderr, "vinbot decode: invalid configuration:\n%s\n", err);
        config_cleanup(&cfg);
        return CONFIG_EXIT;
    }
    /* Log lines (warnings from upstreams) go to stderr: stdout is the JSON stream. */
    log_init(cfg.log_level, stderr);
    config_register_secrets(&cfg);
    if (*cfg.vin_wmi_file && vin_wmi_load_file(cfg.vin_wmi_file, err, sizeof err) < 0) {
        fprintf(stderr, "vinbot decode: VIN_WMI_FILE: %s\n", err);
        config_cleanup(&cfg);
        return CONFIG_EXIT;
    }

    struct online online;
    if (!offline)
        online_open(&online, &cfg);
    struct decode_result *dr = offline ? NULL : xmalloc(sizeof *dr);

    static char outbuf[1 << 20];
    setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);
    struct buf line;
    buf_init(&line, 1 << 20);
    int year = vin_current_year();
    struct vin_result r;

    char *in = NULL;
    size_t cap = 0;
    for (int i = first;; i++) {
        const char *text;
        size_t len;
        if (first < argc) {
            if (i >= argc)
                break;
            text = argv[i];
            len = strlen(text);
        } else {
            ssize_t n = getline(&in, &cap, stdin);
            if (n < 0)
                break;
            while (n > 0 && (in[n - 1] == '\n' || in[n - 1] == '\r'))
                n--;
            in[n] = '\0';
            text = in;
            len = (size_t)n;
        }
        buf_reset(&line);
        int rc;
        if (dr) {
            decode_vin(&online.ctx, text, len, NULL, dr);
            rc = decode_result_to_json(dr, &line);
        } else {
            vin_decode_offline(text, len, year, &r);
            rc = vin_result_to_json(&r, &line);
        }
        if (rc < 0)
            continue; /* cannot happen: the buffer is far larger than any result */
        fwrite(line.data, 1, line.len, stdout);
        fputc('\n', stdout);
    }
    free(in);
    buf_cleanup(&line);
    if (dr) {
        free(dr);
        online_close(&online);
    }
    config_cleanup(&cfg);
    if (fflush(stdout) != 0)
        return 1;
    return 0;
}
