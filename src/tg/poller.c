/* poller.c: see poller.h. */
#include "tg/poller.h"

#include <json-c/json.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/backoff.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/log.h"
#include "inbox/inbox.h"
#include "net/httpc.h"
#include "tg/api.h"
#include "tg/update.h"

#define POLL_TIMEOUT_S 25

struct poller {
    const struct config *cfg;
    struct inbox *ib;
    void (*on_username)(const char *name);
    pthread_t thread;
    _Atomic bool stop;
    pthread_mutex_t mu;
    pthread_cond_t cv;
};

/* Sleep up to ms, waking early on stop. */
static void nap(struct poller *p, int64_t ms)
{
    int64_t until = clock_mono_ms() + ms;
    pthread_mutex_lock(&p->mu);
    while (!atomic_load(&p->stop)) {
        int64_t left = until - clock_mono_ms();
        if (left <= 0)
            break;
        struct timespec ts = clock_realtime_in(left);
        pthread_cond_timedwait(&p->cv, &p->mu, &ts);
    }
    pthread_mutex_unlock(&p->mu);
}

/* Store one getUpdates batch. Returns the next offset, or -1 when something could not be
 * stored (then the batch will be fetched again). */
static int64_t store_batch(struct poller *p, const char *json, int64_t offset)
{
    json_object *arr = json_tokener_parse(json);
    if (!arr || !json_object_is_type(arr, json_type_array)) {
        json_object_put(arr);
        LOG_WARN(NULL, "poll.garbage", "getUpdates result is not an array");
        return -1;
    }
    size_t n = json_object_array_length(arr);
    if (n == 0) {
        json_object_put(arr);
        return offset;
    }
    struct inbox_put *puts = xcalloc(n, sizeof *puts);
    struct tg_update_peek *peeks = xcalloc(n, sizeof *peeks);
    char **texts = xcalloc(n, sizeof *texts);
    enum inbox_put_result *results = xcalloc(n, sizeof *results);
    size_t m = 0;
    int64_t next = offset;
    for (size_t i = 0; i < n; i++) {
        json_object *u = json_object_array_get_idx(arr, i);
        const char *text = json_object_to_json_string_ext(u, JSON_C_TO_STRING_PLAIN);
        char err[128];
        struct tg_update_peek pk;
        if (tg_update_peek(text, strlen(text), &pk, err, sizeof err) < 0) {
            LOG_WARN(NULL, "poll.skipped",
                     "getUpdates returned something that is not an Update: %s", err);
            continue;
        }
        if (pk.update_id >= next)
            next = pk.update_id + 1;
        texts[m] = xstrdup(text);
        peeks[m] = pk;
        puts[m] = (struct inbox_put){.update_id = pk.update_id,
                                     .chat_id = pk.chat_id,
                                     .payload = texts[m],
                                     .payload_len = strlen(texts[m])};
        m++;
    }
    json_object_put(arr);
    for (size_t i = 0; i < m; i++)
        puts[i].kind = peeks[i].kind_name;
    inbox_submit_wait(p->ib, puts, m, results);
    bool ok = true;
    for (size_t i = 0; i < m; i++) {
        struct log_ctx ctx = {.update_id = puts[i].update_id, .chat_id = puts[i].chat_id};
        if (results[i] == INBOX_UNAVAILABLE)
            ok = false;
        else if (results[i] == INBOX_REJECTED)
            LOG_ERROR(&ctx, "poll.rejected", "Postgres refused this update; skipping it");
    }
    for (size_t i = 0; i < m; i++)
        free(texts[i]);
    free(texts);
    free(peeks);
    free(puts);
    free(results);
    return ok ? next : -1;
}

/* Ask Telegram who we are, so group commands addressed to other bots can be told apart. */
static void learn_username(struct poller *p, struct tg_api *api)
{
    struct tg_result res;
    char *json = NULL;
    if (tg_call(api, "getMe", "{}", 10000, NULL, &res, &json) == 0) {
        json_object *o = json_tokener_parse(json), *u;
        if (o && json_object_object_get_ex(o, "username", &u)) {
            if (p->on_username)
                p->on_username(json_object_get_string(u));
            LOG_INFO(NULL, "telegram.me", "bot username @%s", json_object_get_string(u));
        }
        json_object_put(o);
    } else {
        LOG_WARN(NULL, "telegram.me", "getMe failed (%s): %s", tg_status_name(res.status),
                 res.description);
    }
    free(json);
}

/* Webhook mode: register our URL with Telegram, retrying until it works or we stop. */
static void set_webhook(struct poller *p, struct tg_api *api, struct rng *rng)
{
    struct tg_result res;
    int failures = 0;
    while (!atomic_load(&p->stop)) {
        if (tg_set_webhook(api, p->cfg->telegram_webhook_url, p->cfg->telegram_webhook_secret,
                           p->cfg->telegram_max_connections, &res) == 0) {
            LOG_INFO(NULL, "webhook.set",
                     "Telegram will deliver updates to TELEGRAM_WEBHOOK_URL "
                     "(max_connections=%lld, secret %s)",
                     (long long)p->cfg->telegram_max_connections,
                     *p->cfg->telegram_webhook_secret ? "set" : "NOT set");
            return;
        }
        LOG_ERROR(NULL, "webhook.set_failed", "setWebhook failed (%s): %s; retrying",
                  tg_status_name(res.status), res.description);
        nap(p, backoff_delay_ms(++failures, 1000, 60000, rng));
    }
}

static void *poller_main(void *arg)
{
    struct poller *p = arg;
    struct httpc_opts o = {.connect_timeout_ms = p->cfg->upstream_connect_timeout_ms,
                           .timeout_ms = (POLL_TIMEOUT_S + 10) * 1000,
                           .deadline_ms = (POLL_TIMEOUT_S + 10) * 1000,
                           .max_body = (size_t)p->cfg->upstream_max_body};
    struct httpc *http = httpc_new(&o);
    if (!http) {
        LOG_ERROR(NULL, "poll.start", "cannot create an HTTP client");
        return NULL;
    }
    struct tg_api api;
    tg_api_init(&api, http, p->cfg);
    struct rng rng;
    rng_seed(&rng);
    struct tg_result res;
    int failures = 0;

    learn_username(p, &api);
    if (*p->cfg->telegram_webhook_url) {
        set_webhook(p, &api, &rng);
        httpc_free(http);
        return NULL;
    }
    while (!atomic_load(&p->stop)) {
        if (tg_delete_webhook(&api, &res) == 0)
            break;
        LOG_WARN(NULL, "poll.delete_webhook", "deleteWebhook failed (%s): %s",
                 tg_status_name(res.status), res.description);
        nap(p, backoff_delay_ms(++failures, 1000, 30000, &rng));
    }
    LOG_INFO(NULL, "poll.started", "long polling getUpdates (no TELEGRAM_WEBHOOK_URL set)");

    int64_t offset = 0;
    failures = 0;
    while (!atomic_load(&p->stop)) {
        char *json = NULL;
        if (tg_get_updates(&api, offset, POLL_TIMEOUT_S, &res, &json, &p->stop) < 0) {
            if (atomic_load(&p->stop))
                break;
            if (res.status == TG_CONFLICT)
                LOG_ERROR(NULL, "poll.conflict",
                          "Telegram refuses getUpdates: %s (another "
                          "instance polling, or a webhook set elsewhere)",
                          res.description);
            else if (failures == 0)
                LOG_WARN(NULL, "poll.failed", "getUpdates failed (%s): %s",
                         tg_status_name(res.status), res.description);
            int64_t wait = res.status == TG_RETRY_AFTER
                               ? res.retry_after_s * 1000
                               : backoff_delay_ms(++failures, 500, 30000, &rng);
            nap(p, wait);
            continue;
        }
        failures = 0;
        int64_t next = store_batch(p, json, offset);
        free(json);
        if (next < 0)
            nap(p, backoff_delay_ms(1, 1000, 5000, &rng)); /* not stored: fetch them again */
        else
            offset = next;
    }
    httpc_free(http);
    return NULL;
}

struct poller *poller_start(const struct config *cfg, struct inbox *ib,
                            void (*on_username)(const char *name))
{
    struct poller *p = xcalloc(1, sizeof *p);
    p->cfg = cfg;
    p->ib = ib;
    p->on_username = on_username;
    atomic_init(&p->stop, false);
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    if (pthread_create(&p->thread, NULL, poller_main, p) != 0) {
        pthread_cond_destroy(&p->cv);
        pthread_mutex_destroy(&p->mu);
        free(p);
        return NULL;
    }
    return p;
}

void poller_stop(struct poller *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    atomic_store(&p->stop, true);
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    pthread_join(p->thread, NULL);
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
    free(p);
}
