/* decode.c: see decode.h.
 *
 * DESIGN: decode_vin is a straight line of fallbacks, each able to end the search: cache,
 * Postgres, then the upstream chain under a single-flight lock. What the upstreams answer is
 * normalized once (vehicle.c) and then stored everywhere in that form. Nothing here holds a
 * database connection across an upstream call: each database step borrows from the pool and
 * gives back.
 *
 * When every online source fails, the offline answer is given and a short-lived marker is put
 * in the cache, so the callers waiting on the single-flight lock (and whoever asks again within
 * a minute) are answered at once instead of each timing out against a failing upstream. */
#include "decode/decode.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache/cache.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/log.h"
#include "net/httpc.h"
#include "store/db.h"

#define BREAKER_THRESHOLD 5
#define BREAKER_COOLDOWN_MS 30000
#define OFFLINE_MARKER_TTL_S 60
#define DB_BORROW_MS 2000

/* ---- circuit breakers ---- */

struct breaker {
    const char *name;
    atomic_int failures; /* consecutive */
    atomic_llong open_until_ms;
    atomic_int probing; /* a half-open probe is in flight */
};

static struct breaker breakers[] = {{.name = "nhtsa"}, {.name = "autodev"}};

void decode_breakers_reset(void)
{
    for (size_t i = 0; i < ARRAY_LEN(breakers); i++) {
        atomic_store(&breakers[i].failures, 0);
        atomic_store(&breakers[i].open_until_ms, 0);
        atomic_store(&breakers[i].probing, 0);
    }
}

static struct breaker *breaker_of(const char *name)
{
    return strcmp(name, "nhtsa") == 0 ? &breakers[0] : &breakers[1];
}

/* May we call this upstream now? After the threshold, no, until the cool-down has passed; then
 * one caller probes while the others keep skipping. */
static bool breaker_allow(struct breaker *b)
{
    if (atomic_load(&b->failures) < BREAKER_THRESHOLD)
        return true;
    if (clock_mono_ms() < atomic_load(&b->open_until_ms))
        return false;
    int expected = 0;
    return atomic_compare_exchange_strong(&b->probing, &expected, 1);
}

static void breaker_result(struct breaker *b, bool ok, const struct log_ctx *log)
{
    if (ok) {
        if (atomic_exchange(&b->failures, 0) >= BREAKER_THRESHOLD)
            LOG_INFO(log, "upstream.circuit_closed", "%s answers again", b->name);
        atomic_store(&b->probing, 0);
        return;
    }
    int f = atomic_fetch_add(&b->failures, 1) + 1;
    if (f >= BREAKER_THRESHOLD) {
        atomic_store(&b->open_until_ms, clock_mono_ms() + BREAKER_COOLDOWN_MS);
        atomic_store(&b->probing, 0);
        if (f == BREAKER_THRESHOLD)
            LOG_WARN(log, "upstream.circuit_open",
                     "%s failed %d times in a row; skipping it for %d s", b->name, f,
                     BREAKER_COOLDOWN_MS / 1000);
    }
}

/* ---- the two online decoders ---- */

/* Why an upstream gave no usable answer: the transport error, or the last status. */
static void unavailable(char *why, size_t whylen, const char *name, int rc,
                        const struct httpc_resp *resp)
{
    if (rc < 0)
        snprintf(why, whylen, "%s: unavailable (%s)", name, resp->error);
    else
        snprintf(why, whylen, "%s: unavailable (HTTP %d after %d attempt%s)", name, resp->status,
                 resp->attempts, resp->attempts == 1 ? "" : "s");
}

enum decode_status decode_vpic(struct decode_ctx *ctx, const char *vin, struct vehicle *v,
                               char **raw, char *why, size_t whylen)
{
    if (raw)
        *raw = NULL;
    const struct config *cfg = ctx->cfg;
    struct breaker *b = breaker_of("nhtsa");
    if (!breaker_allow(b)) {
        snprintf(why, whylen, "nhtsa: skipped (failing repeatedly; retried after a cool-down)");
        return DECODE_SKIPPED;
    }
    char *url = xasprintf("%s/vehicles/DecodeVinValues/%s?format=json", cfg->nhtsa_api_base, vin);
    struct httpc_req req = {
        .upstream = "vpic", .endpoint = "DecodeVinValues", .url = url, .log = ctx->log};
    struct httpc_resp resp;
    httpc_resp_init(&resp);
    int rc = httpc_do(ctx->http, &req, &resp);
    free(url);
    enum decode_status st = DECODE_UNAVAILABLE;
    char err[128];
    if (rc < 0 || resp.status != 200) {
        unavailable(why, whylen, "nhtsa", rc, &resp);
    } else if (vehicle_from_vpic(resp.body.data, resp.body.len, vin, v, err, sizeof err) < 0) {
        snprintf(why, whylen, "nhtsa: unusable answer (%s)", err);
    } else {
        st = DECODE_OK;
        if (raw)
            *raw = buf_steal(&resp.body);
    }
    breaker_result(b, st == DECODE_OK, ctx->log);
    httpc_resp_cleanup(&resp);
    return st;
}

enum decode_status decode_autodev(struct decode_ctx *ctx, const char *vin, struct vehicle *v,
                                  char **raw, char *why, size_t whylen)
{
    if (raw)
        *raw = NULL;
    const struct config *cfg = ctx->cfg;
    if (!*cfg->autodev_api_key) {
        snprintf(why, whylen, "autodev: not configured (no AUTODEV_API_KEY)");
        return DECODE_SKIPPED;
    }
    struct breaker *b = breaker_of("autodev");
    if (!breaker_allow(b)) {
        snprintf(why, whylen, "autodev: skipped (failing repeatedly; retried after a cool-down)");
        return DECODE_SKIPPED;
    }
    char *url = xasprintf("%s/vin/%s", cfg->autodev_api_base, vin);
    char *auth = xasprintf("Authorization: Bearer %s", cfg->autodev_api_key);
    const char *headers[] = {auth, NULL};
    struct httpc_req req = {
        .upstream = "autodev", .endpoint = "vin", .url = url, .headers = headers, .log = ctx->log};
    struct httpc_resp resp;
    httpc_resp_init(&resp);
    int rc = httpc_do(ctx->http, &req, &resp);
    free(url);
    free(auth);
    enum decode_status st = DECODE_UNAVAILABLE;
    char err[128];
    if (rc < 0) {
        unavailable(why, whylen, "autodev", rc, &resp);
    } else if (resp.status == 404 || resp.status == 400) {
        /* VIN_NOT_FOUND / INVALID_VIN_FORMAT: an answer, and the answer is "no such vehicle" */
        memset(v, 0, sizeof *v);
        str_copy(v->vin, vin, sizeof v->vin);
        str_copy(v->source, "autodev", sizeof v->source);
        v->found = false;
        st = DECODE_OK;
        if (raw)
            *raw = buf_steal(&resp.body);
    } else if (resp.status == 401 || resp.status == 403) {
        snprintf(why, whylen, "autodev: AUTODEV_API_KEY refused (HTTP %d)", resp.status);
        LOG_ERROR(ctx->log, "upstream.auth", "auto.dev refuses AUTODEV_API_KEY (HTTP %d)",
                  resp.status);
    } else if (resp.status != 200) {
        unavailable(why, whylen, "autodev", rc, &resp);
    } else if (vehicle_from_autodev(resp.body.data, resp.body.len, vin, v, err, sizeof err) < 0) {
        snprintf(why, whylen, "autodev: unusable answer (%s)", err);
    } else {
        st = DECODE_OK;
        if (raw)
            *raw = buf_steal(&resp.body);
    }
    breaker_result(b, st == DECODE_OK, ctx->log);
    httpc_resp_cleanup(&resp);
    return st;
}

/* ---- Postgres ---- */

static struct db *borrow(struct decode_ctx *ctx)
{
    if (!ctx->dbp)
        return NULL;
    char err[256];
    struct db *db = db_pool_get(ctx->dbp, DB_BORROW_MS, err, sizeof err);
    if (!db)
        LOG_WARN(ctx->log, "db.unavailable", "vehicles: %s", err);
    return db;
}

/* A stored decode still fresh enough to use. 1 with v filled, 0 otherwise. */
static int pg_fresh(struct decode_ctx *ctx, const char *vin, struct vehicle *v)
{
    struct db *db = borrow(ctx);
    if (!db)
        return 0;
    char ttl[24], neg[24];
    snprintf(ttl, sizeof ttl, "%lld", (long long)ctx->cfg->vin_cache_ttl);
    snprintf(neg, sizeof neg, "%lld", (long long)ctx->cfg->vin_negative_cache_ttl);
    const char *params[] = {vin, ttl, neg};
    struct pg_result *r = NULL;
    int found = 0;
    if (db_exec(db,
                "SELECT normalized::text FROM vehicles WHERE vin = $1 AND source <> 'offline' "
                "AND decoded_at > now() - (CASE WHEN found THEN $2::bigint ELSE $3::bigint END)"
                " * interval '1 second'",
                3, params, true, &r) == DB_OK) {
        if (db_ntuples(r) == 1) {
            const char *j = db_value(r, 0, 0);
            found = vehicle_from_json(j, strlen(j), v) == 0;
        }
        db_result_free(r);
    } else {
        LOG_WARN(ctx->log, "db.failed", "vehicles read: %s", db_error(db));
    }
    db_pool_put(ctx->dbp, db);
    return found;
}

static enum db_status pg_store_once(struct decode_ctx *ctx, const struct vehicle *v,
                                    const char *normalized, const char *raw)
{
    struct db *db = borrow(ctx);
    if (!db)
        return DB_DOWN;
    char year[16];
    snprintf(year, sizeof year, "%d", v->model_year);
    const char *params[] = {v->vin,
                            v->source,
                            v->found ? "true" : "false",
                            v->make,
                            v->model,
                            v->model_year ? year : NULL,
                            v->trim,
                            v->series,
                            v->body_class,
                            v->vehicle_type,
                            v->doors,
                            v->drive_type,
                            v->engine_cylinders,
                            v->displacement_l,
                            v->engine_hp,
                            v->fuel_type,
                            v->transmission,
                            v->plant_city,
                            v->plant_country,
                            v->manufacturer,
                            v->gvwr,
                            v->error_code,
                            v->error_text,
                            normalized,
                            raw};
    enum db_status st =
        db_exec(db,
                "INSERT INTO vehicles (vin, source, found, make, model, model_year, trim, series,"
                " body_class, vehicle_type, doors, drive_type, engine_cylinders, displacement_l,"
                " engine_hp, fuel_type, transmission, plant_city, plant_country, manufacturer,"
                " gvwr, error_code, error_text, normalized, raw, decoded_at) VALUES ($1, $2,"
                " $3::boolean, $4, $5, $6::integer, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,"
                " $17, $18, $19, $20, $21, $22, $23, $24::jsonb, $25::jsonb, now())"
                " ON CONFLICT (vin) DO UPDATE SET source = EXCLUDED.source, found = EXCLUDED.found,"
                " make = EXCLUDED.make, model = EXCLUDED.model, model_year = EXCLUDED.model_year,"
                " trim = EXCLUDED.trim, series = EXCLUDED.series, body_class = EXCLUDED.body_class,"
                " vehicle_type = EXCLUDED.vehicle_type, doors = EXCLUDED.doors,"
                " drive_type = EXCLUDED.drive_type, engine_cylinders = EXCLUDED.engine_cylinders,"
                " displacement_l = EXCLUDED.displacement_l, engine_hp = EXCLUDED.engine_hp,"
                " fuel_type = EXCLUDED.fuel_type, transmission = EXCLUDED.transmission,"
                " plant_city = EXCLUDED.plant_city, plant_country = EXCLUDED.plant_country,"
                " manufacturer = EXCLUDED.manufacturer, gvwr = EXCLUDED.gvwr,"
                " error_code = EXCLUDED.error_code, error_text = EXCLUDED.error_text,"
                " normalized = EXCLUDED.normalized, raw = EXCLUDED.raw, decoded_at = now()",
                25, params, true, NULL);
    if (st != DB_OK)
        LOG_WARN(ctx->log, "db.failed", "vehicles write: %s", db_error(db));
    db_pool_put(ctx->dbp, db);
    return st;
}

static void pg_store(struct decode_ctx *ctx, const struct vehicle *v, const char *normalized,
                     const char *raw)
{
    /* An upstream body Postgres will not take as jsonb (json-c is more lenient) is dropped
     * rather than losing the decode. */
    if (pg_store_once(ctx, v, normalized, raw) == DB_DATA && raw)
        (void)pg_store_once(ctx, v, normalized, NULL);
}

static void pg_record_lookup(struct decode_ctx *ctx, const char *vin, const char *source,
                             bool cache_hit)
{
    if (!ctx->dbp || !ctx->user_id)
        return;
    struct db *db = borrow(ctx);
    if (!db)
        return;
    char user[24], chat[24];
    snprintf(user, sizeof user, "%lld", (long long)ctx->user_id);
    snprintf(chat, sizeof chat, "%lld", (long long)ctx->chat_id);
    const char *params[] = {user, ctx->chat_id ? chat : NULL, vin, source,
                            cache_hit ? "true" : "false"};
    if (db_exec(db,
                "WITH cfg AS (SELECT set_config('synchronous_commit', 'off', true)) "
                "INSERT INTO lookups (user_id, chat_id, vin, source, cache_hit) "
                "SELECT $1::bigint, $2::bigint, $3, $4, $5::boolean FROM cfg",
                5, params, true, NULL) != DB_OK)
        LOG_WARN(ctx->log, "db.failed", "lookups write: %s", db_error(db));
    db_pool_put(ctx->dbp, db);
}

/* ---- the chain ---- */

static void note(struct decode_result *out, const char *why)
{
    if (out->nnotes < DECODE_MAX_NOTES)
        str_copy(out->notes[out->nnotes++], why, sizeof out->notes[0]);
}

/* Run the online chain in preference order. Returns true when a source answered. */
static bool chain(struct decode_ctx *ctx, const char *vin, const char *pref,
                  struct decode_result *out, char **raw_out)
{
    const char *order[2];
    if (strcmp(pref, "autodev") == 0) {
        order[0] = "autodev";
        order[1] = "nhtsa";
    } else {
        order[0] = "nhtsa";
        order[1] = "autodev";
    }
    for (int i = 0; i < 2; i++) {
        char why[160];
        enum decode_status st =
            strcmp(order[i], "nhtsa") == 0
                ? decode_vpic(ctx, vin, &out->vehicle, raw_out, why, sizeof why)
                : decode_autodev(ctx, vin, &out->vehicle, raw_out, why, sizeof why);
        if (st == DECODE_OK) {
            out->online = true;
            out->source = strcmp(order[i], "nhtsa") == 0 ? "nhtsa" : "autodev";
            return true;
        }
        note(out, why);
        if (st == DECODE_UNAVAILABLE)
            LOG_WARN(ctx->log, "decode.fallback", "%s", why);
    }
    return false;
}

static void cache_publish(struct decode_ctx *ctx, const char *key, const struct decode_result *out)
{
    if (!ctx->cache || !key)
        return;
    struct buf b;
    buf_init(&b, 16 * 1024);
    if (out->online) {
        if (vehicle_to_json(&out->vehicle, &b) == 0)
            (void)cache_set(ctx->cache, key, b.data, b.len,
                            out->vehicle.found ? ctx->cfg->vin_cache_ttl
                                               : ctx->cfg->vin_negative_cache_ttl);
    } else {
        /* every online source failed just now: tell the waiters, briefly */
        (void)cache_set(ctx->cache, key, "{\"offline\":true}", 16, OFFLINE_MARKER_TTL_S);
    }
    buf_cleanup(&b);
}

/* Use a cached value. Returns true when it answered. */
static bool from_cache_value(const char *val, size_t len, struct decode_result *out)
{
    if (strstr(val, "\"offline\":true")) {
        note(out, "online decoders failed moments ago; answering offline");
        out->source = "offline";
        return true;
    }
    if (vehicle_from_json(val, len, &out->vehicle) == 0) {
        out->online = true;
        out->source = strcmp(out->vehicle.source, "autodev") == 0 ? "autodev" : "nhtsa";
        return true;
    }
    return false;
}

void decode_vin(struct decode_ctx *ctx, const char *input, size_t len, const char *preference,
                struct decode_result *out)
{
    memset(out, 0, sizeof *out);
    out->source = "offline";
    out->cache =
        ctx->cache && strcmp(cache_backend_name(ctx->cache), "disabled") != 0 ? "miss" : "off";
    vin_decode_offline(input, len, 0, &out->offline);
    const char *pref = preference && *preference ? preference : ctx->cfg->default_decoder_service;
    if (!out->offline.syntax_ok)
        return; /* nothing an upstream could add to a malformed VIN */
    const char *vin = out->offline.vin;
    if (strcmp(pref, "offline") == 0) {
        out->cache = "off";
        note(out, "offline decoding chosen");
        pg_record_lookup(ctx, vin, "offline", false);
        return;
    }

    char key[64];
    bool cacheable = strcmp(out->cache, "miss") == 0 && cache_key(key, sizeof key, "vin", vin) == 0;
    char *val;
    size_t vlen;

    /* 2. cache */
    if (cacheable && cache_get(ctx->cache, key, &val, &vlen) == 1) {
        bool used = from_cache_value(val, vlen, out);
        free(val);
        if (used) {
            out->cache = "hit";
            pg_record_lookup(ctx, vin, out->source, true);
            return;
        }
    }
    /* 3. Postgres */
    if (pg_fresh(ctx, vin, &out->vehicle)) {
        out->online = true;
        out->source = strcmp(out->vehicle.source, "autodev") == 0 ? "autodev" : "nhtsa";
        cache_publish(ctx, cacheable ? key : NULL, out);
        pg_record_lookup(ctx, vin, out->source, false);
        return;
    }
    /* 4. single flight */
    char lock[64], token[CACHE_TOKEN_LEN + 1];
    if (cacheable && cache_key(lock, sizeof lock, "lock", vin) < 0)
        cacheable = false;
    int64_t budget_ms = 2 * ctx->cfg->upstream_deadline_ms;
    int locked = cacheable ? cache_lock(ctx->cache, lock, budget_ms + 5000, token) : -1;
    if (locked == 0) {
        if (cache_wait_for(ctx->cache, key, lock, budget_ms + 1000, &val, &vlen) == 1) {
            bool used = from_cache_value(val, vlen, out);
            free(val);
            if (used) {
                out->cache = "hit";
                pg_record_lookup(ctx, vin, out->source, true);
                return;
            }
        }
        LOG_WARN(ctx->log, "decode.wait_timeout",
                 "no answer from the caller decoding %s; "
                 "decoding it here",
                 vin);
    } else if (locked == 1 && cache_get(ctx->cache, key, &val, &vlen) == 1) {
        /* someone finished between our read and our lock */
        bool used = from_cache_value(val, vlen, out);
        free(val);
        if (used) {
            cache_unlock(ctx->cache, lock, token);
            out->cache = "hit";
            pg_record_lookup(ctx, vin, out->source, true);
            return;
        }
    }
    /* 5. the chain */
    char *raw = NULL;
    bool answered = chain(ctx, vin, pref, out, &raw);
    if (answered) {
        struct buf b;
        buf_init(&b, 16 * 1024);
        if (vehicle_to_json(&out->vehicle, &b) == 0)
            pg_store(ctx, &out->vehicle, b.data, raw);
        buf_cleanup(&b);
    }
    cache_publish(ctx, cacheable ? key : NULL, out);
    if (locked == 1)
        cache_unlock(ctx->cache, lock, token);
    free(raw);
    pg_record_lookup(ctx, vin, out->source, false);
    LOG_INFO(ctx->log, "vin.decoded", "vin=%s source=%s found=%d cache=%s", vin, out->source,
             out->online ? out->vehicle.found : -1, out->cache);
}

int decode_result_to_json(const struct decode_result *r, struct buf *out)
{
    struct buf off;
    buf_init(&off, 64 * 1024);
    if (vin_result_to_json(&r->offline, &off) < 0) {
        buf_cleanup(&off);
        return -1;
    }
    /* The offline object ends with ,"source":"offline"}: replace that tail with ours. */
    static const char tail[] = ",\"source\":\"offline\"}";
    size_t keep = off.len >= sizeof tail - 1 ? off.len - (sizeof tail - 1) : off.len;
    int rc = buf_append(out, off.data, keep);
    buf_cleanup(&off);
    rc |= buf_puts(out, ",\"source\":");
    rc |= buf_json_str(out, r->source);
    rc |= buf_puts(out, ",\"cache\":");
    rc |= buf_json_str(out, r->cache);
    rc |= buf_puts(out, ",\"vehicle\":");
    if (r->online)
        rc |= vehicle_to_json(&r->vehicle, out);
    else
        rc |= buf_puts(out, "null");
    rc |= buf_puts(out, ",\"notes\":[");
    for (int i = 0; i < r->nnotes; i++) {
        if (i)
            rc |= buf_puts(out, ",");
        rc |= buf_json_str(out, r->notes[i]);
    }
    rc |= buf_puts(out, "]}");
    return rc ? -1 : 0;
}
