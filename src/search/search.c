/* search.c: see search.h.
 *
 * DESIGN: the cache holds the upstream's answer in NHTSA's own shape (the recalls API's
 * `results`, vPIC's `Results`), so one parser reads both a fresh answer and a cached one, and the
 * cached copy stays inspectable with redis-cli. Keys are lower-cased so "Honda" and "HONDA" share
 * an entry. */
#include "search/search.h"

#include <ctype.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache/cache.h"
#include "core/config.h"
#include "core/log.h"
#include "net/httpc.h"

static const char *jstr(json_object *o, const char *k)
{
    json_object *v;
    if (!o || !json_object_object_get_ex(o, k, &v) || json_object_is_type(v, json_type_null))
        return "";
    return json_object_get_string(v);
}

/* 02/02/2012 (NHTSA's dd/mm/yyyy) -> 2012-02-02; anything else -> "". */
static void iso_date(char out[16], const char *s)
{
    int d, m, y;
    out[0] = '\0';
    if (sscanf(s, "%d/%d/%d", &d, &m, &y) == 3 && d >= 1 && d <= 31 && m >= 1 && m <= 12 &&
        y > 1900 && y < 3000)
        snprintf(out, 16, "%04d-%02d-%02d", y, m, d);
}

int search_parse_recalls(const char *body, size_t len, struct recall_list *out)
{
    memset(out, 0, sizeof *out);
    json_tokener *tok = json_tokener_new();
    json_object *o = json_tokener_parse_ex(tok, body, (int)len);
    json_tokener_free(tok);
    json_object *arr;
    if (!o || !json_object_object_get_ex(o, "results", &arr) ||
        !json_object_is_type(arr, json_type_array)) {
        json_object_put(o);
        return -1;
    }
    size_t n = json_object_array_length(arr);
    json_object *cnt;
    out->total = (int)n;
    /* Count is the number NHTSA listed; our cached copy keeps at most SEARCH_MAX_RECALLS */
    if (json_object_object_get_ex(o, "Count", &cnt) && json_object_get_int(cnt) > (int)n)
        out->total = json_object_get_int(cnt);
    for (size_t i = 0; i < n && out->n < SEARCH_MAX_RECALLS; i++) {
        json_object *r = json_object_array_get_idx(arr, i);
        struct recall *rc = &out->items[out->n++];
        str_copy(rc->campaign, jstr(r, "NHTSACampaignNumber"), sizeof rc->campaign);
        iso_date(rc->date, jstr(r, "ReportReceivedDate"));
        str_copy(rc->component, jstr(r, "Component"), sizeof rc->component);
        str_copy(rc->summary, jstr(r, "Summary"), sizeof rc->summary);
        str_copy(rc->consequence, jstr(r, "Consequence"), sizeof rc->consequence);
        str_copy(rc->remedy, jstr(r, "Remedy"), sizeof rc->remedy);
        json_object *v;
        rc->park_it = json_object_object_get_ex(r, "parkIt", &v) && json_object_get_boolean(v);
    }
    json_object_put(o);
    return 0;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp((const char *)a, (const char *)b);
}

int search_parse_models(const char *body, size_t len, struct model_list *out)
{
    memset(out, 0, sizeof *out);
    json_tokener *tok = json_tokener_new();
    json_object *o = json_tokener_parse_ex(tok, body, (int)len);
    json_tokener_free(tok);
    json_object *arr;
    if (!o || !json_object_object_get_ex(o, "Results", &arr) ||
        !json_object_is_type(arr, json_type_array)) {
        json_object_put(o);
        return -1;
    }
    size_t n = json_object_array_length(arr);
    for (size_t i = 0; i < n && out->n < SEARCH_MAX_MODELS; i++) {
        const char *name = jstr(json_object_array_get_idx(arr, i), "Model_Name");
        if (!*name)
            continue;
        bool dup = false;
        for (int k = 0; k < out->n && !dup; k++)
            dup = strcmp(out->names[k], name) == 0;
        if (!dup)
            str_copy(out->names[out->n++], name, sizeof out->names[0]);
    }
    qsort(out->names, (size_t)out->n, sizeof out->names[0], cmp_names);
    json_object_put(o);
    return 0;
}

int search_recalls_to_json(const struct recall_list *l, struct buf *out)
{
    int rc = buf_printf(out, "{\"Count\":%d,\"results\":[", l->total);
    for (int i = 0; i < l->n; i++) {
        const struct recall *r = &l->items[i];
        char date[16] = "";
        int y, m, d;
        if (sscanf(r->date, "%d-%d-%d", &y, &m, &d) == 3)
            snprintf(date, sizeof date, "%02d/%02d/%04d", d, m, y);
        rc |= buf_puts(out, i ? ",{\"NHTSACampaignNumber\":" : "{\"NHTSACampaignNumber\":");
        rc |= buf_json_str(out, r->campaign);
        rc |= buf_puts(out, ",\"ReportReceivedDate\":");
        rc |= buf_json_str(out, date);
        rc |= buf_puts(out, ",\"Component\":");
        rc |= buf_json_str(out, r->component);
        rc |= buf_puts(out, ",\"Summary\":");
        rc |= buf_json_str(out, r->summary);
        rc |= buf_puts(out, ",\"Consequence\":");
        rc |= buf_json_str(out, r->consequence);
        rc |= buf_puts(out, ",\"Remedy\":");
        rc |= buf_json_str(out, r->remedy);
        rc |= buf_printf(out, ",\"parkIt\":%s}", r->park_it ? "true" : "false");
    }
    rc |= buf_puts(out, "]}");
    return rc ? -1 : 0;
}

int search_models_to_json(const struct model_list *l, struct buf *out)
{
    int rc = buf_printf(out, "{\"Count\":%d,\"Results\":[", l->n);
    for (int i = 0; i < l->n; i++) {
        rc |= buf_puts(out, i ? ",{\"Model_Name\":" : "{\"Model_Name\":");
        rc |= buf_json_str(out, l->names[i]);
        rc |= buf_puts(out, "}");
    }
    rc |= buf_puts(out, "]}");
    return rc ? -1 : 0;
}

static void lower_into(char *out, size_t n, const char *s)
{
    size_t i = 0;
    for (; s[i] && i + 1 < n; i++)
        out[i] = (char)tolower((unsigned char)s[i]);
    out[i] = '\0';
}

/* GET url; the body on success (caller frees) or NULL. */
static char *fetch(struct search_ctx *ctx, const char *upstream, const char *endpoint,
                   const char *url)
{
    struct httpc_req req = {
        .upstream = upstream, .endpoint = endpoint, .url = url, .log = ctx->log};
    struct httpc_resp resp;
    httpc_resp_init(&resp);
    char *body = NULL;
    if (httpc_do(ctx->http, &req, &resp) == 0 && resp.status == 200)
        body = buf_steal(&resp.body);
    else
        LOG_WARN(ctx->log, "search.unavailable", "%s %s: %s", upstream, endpoint,
                 resp.status ? "bad status" : resp.error);
    if (resp.status && resp.status != 200)
        LOG_WARN(ctx->log, "search.status", "%s %s answered HTTP %d", upstream, endpoint,
                 resp.status);
    httpc_resp_cleanup(&resp);
    return body;
}

enum search_status search_recalls(struct search_ctx *ctx, const char *make, const char *model,
                                  int year, struct recall_list *out)
{
    char id[256], key[320], lm[96], lmo[128];
    lower_into(lm, sizeof lm, make);
    lower_into(lmo, sizeof lmo, model);
    snprintf(id, sizeof id, "%s:%s:%d", lm, lmo, year);
    struct cache *cache = cache_key(key, sizeof key, "recalls", id) == 0 ? ctx->cache : NULL;
    ctx->cache_hit = false;
    char *val;
    size_t vlen;
    if (cache && cache_get(cache, key, &val, &vlen) == 1) {
        int rc = search_parse_recalls(val, vlen, out);
        free(val);
        if (rc == 0) {
            ctx->cache_hit = true;
            return SEARCH_OK;
        }
    }
    struct buf url;
    buf_init(&url, 2048);
    int rc =
        buf_printf(&url, "%s/recalls/recallsByVehicle?make=", ctx->cfg->nhtsa_recalls_api_base);
    rc |= httpc_urlencode(&url, make);
    rc |= buf_puts(&url, "&model=");
    rc |= httpc_urlencode(&url, model);
    rc |= buf_printf(&url, "&modelYear=%d", year);
    char *body = rc == 0 ? fetch(ctx, "recalls", "recallsByVehicle", url.data) : NULL;
    buf_cleanup(&url);
    if (!body || search_parse_recalls(body, strlen(body), out) < 0) {
        free(body);
        return SEARCH_UNAVAILABLE;
    }
    free(body);
    if (cache) {
        struct buf b;
        buf_init(&b, 256 * 1024);
        if (search_recalls_to_json(out, &b) == 0)
            (void)cache_set(cache, key, b.data, b.len, ctx->cfg->search_cache_ttl);
        buf_cleanup(&b);
    }
    return SEARCH_OK;
}

enum search_status search_models(struct search_ctx *ctx, const char *make, int year,
                                 struct model_list *out)
{
    char id[160], key[224], lm[96];
    lower_into(lm, sizeof lm, make);
    snprintf(id, sizeof id, "%s:%d", lm, year);
    struct cache *cache = cache_key(key, sizeof key, "models", id) == 0 ? ctx->cache : NULL;
    ctx->cache_hit = false;
    char *val;
    size_t vlen;
    if (cache && cache_get(cache, key, &val, &vlen) == 1) {
        int rc = search_parse_models(val, vlen, out);
        free(val);
        if (rc == 0) {
            ctx->cache_hit = true;
            return SEARCH_OK;
        }
    }
    struct buf url;
    buf_init(&url, 1024);
    int rc = buf_printf(&url, "%s/vehicles/GetModelsForMakeYear/make/", ctx->cfg->nhtsa_api_base);
    rc |= httpc_urlencode(&url, make);
    rc |= buf_printf(&url, "/modelyear/%d?format=json", year);
    char *body = rc == 0 ? fetch(ctx, "vpic", "GetModelsForMakeYear", url.data) : NULL;
    buf_cleanup(&url);
    if (!body || search_parse_models(body, strlen(body), out) < 0) {
        free(body);
        return SEARCH_UNAVAILABLE;
    }
    free(body);
    if (cache) {
        struct buf b;
        buf_init(&b, 64 * 1024);
        if (search_models_to_json(out, &b) == 0)
            (void)cache_set(cache, key, b.data, b.len, ctx->cfg->search_cache_ttl);
        buf_cleanup(&b);
    }
    return SEARCH_OK;
}
