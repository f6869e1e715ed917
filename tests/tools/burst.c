/* burst.c: deliver a burst of webhook updates the way Telegram does.
 *
 *   burst --url http://127.0.0.1:P/webhook [--secret S] --chats K --per-chat M
 *         [--start-id N] [--chat-base B] [--concurrency C] [--retry-ms T] [--acked FILE]
 *         [--text-prefix P]
 *
 * K chats, M text messages each. Like Telegram, a chat's next update is sent only after the
 * previous one was acknowledged (2xx), while different chats go in parallel (C threads, each
 * owning a set of chats). update_id = start + seq*K + chat_index, so ids rise within a chat;
 * message_id = update_id, so a reply (reply_parameters.message_id) names the update it answers.
 * Chat ids are B+chat_index (B = --chat-base, default 1000; private chats).
 *
 * A failed delivery (connection error or non-2xx) is retried every 100 ms until --retry-ms has
 * passed since it first failed (Telegram's redelivery), then the tool gives up on that chat.
 * Every acknowledged update_id is written to --acked, one per line. Prints a summary line
 * "sent=N acked=N failed=N" and exits 0 when everything was acknowledged, 1 otherwise.
 * Traffic goes only where --url points; every loop is bounded by counts and --retry-ms. */
#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *url, *secret = "", *prefix = "msg", *acked_path;
static long chats = 10, per_chat = 10, concurrency = 10, retry_ms = 0;
static long long start_id = 1, chat_base = 1000;
static atomic_long n_sent, n_acked, n_failed;
static pthread_mutex_t acked_mu = PTHREAD_MUTEX_INITIALIZER;
static FILE *acked;

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static size_t discard(char *p, size_t s, size_t n, void *ud)
{
    (void)p;
    (void)ud;
    return s * n;
}

static int post(CURL *c, struct curl_slist *hdrs, const char *body)
{
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 2000L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    atomic_fetch_add(&n_sent, 1);
    if (curl_easy_perform(c) != CURLE_OK)
        return 0;
    long code = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    return (int)code;
}

static void *run(void *arg)
{
    long t = (long)arg;
    CURL *c = curl_easy_init();
    struct curl_slist *hdrs = curl_slist_append(NULL, "Content-Type: application/json");
    char hdr[400];
    if (*secret) {
        snprintf(hdr, sizeof hdr, "X-Telegram-Bot-Api-Secret-Token: %s", secret);
        hdrs = curl_slist_append(hdrs, hdr);
    }
    char body[1024];
    for (long chat = t; chat < chats; chat += concurrency) {
        long long chat_id = chat_base + chat;
        for (long seq = 0; seq < per_chat; seq++) {
            long long id = start_id + seq * chats + chat;
            snprintf(body, sizeof body,
                     "{\"update_id\":%lld,\"message\":{\"message_id\":%lld,\"from\":{\"id\":%lld,"
                     "\"is_bot\":false,\"first_name\":\"Load\",\"last_name\":\"Test\","
                     "\"username\":\"load%lld\",\"language_code\":\"en\"},\"chat\":{\"id\":%lld,"
                     "\"first_name\":\"Load\",\"last_name\":\"Test\",\"username\":\"load%lld\","
                     "\"type\":\"private\"},\"date\":1732400000,\"text\":\"%s %lld\"}}",
                     id, id, chat_id, chat_id, chat_id, chat_id, prefix, id);
            long long first_fail = 0;
            for (;;) {
                int code = post(c, hdrs, body);
                if (code >= 200 && code < 300) {
                    atomic_fetch_add(&n_acked, 1);
                    if (acked) {
                        pthread_mutex_lock(&acked_mu);
                        fprintf(acked, "%lld\n", id);
                        fflush(acked);
                        pthread_mutex_unlock(&acked_mu);
                    }
                    break;
                }
                long long now = now_ms();
                if (!first_fail)
                    first_fail = now;
                if (now - first_fail >= retry_ms) {
                    atomic_fetch_add(&n_failed, 1);
                    goto next_chat; /* Telegram would hold the chat's later updates back too */
                }
                usleep(100 * 1000);
            }
        }
    next_chat:;
    }
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(c);
    return NULL;
}

int main(int argc, char **argv)
{
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *k = argv[i], *v = argv[i + 1];
        if (!strcmp(k, "--url"))
            url = v;
        else if (!strcmp(k, "--secret"))
            secret = v;
        else if (!strcmp(k, "--chats"))
            chats = atol(v);
        else if (!strcmp(k, "--per-chat"))
            per_chat = atol(v);
        else if (!strcmp(k, "--start-id"))
            start_id = atoll(v);
        else if (!strcmp(k, "--chat-base"))
            chat_base = atoll(v);
        else if (!strcmp(k, "--concurrency"))
            concurrency = atol(v);
        else if (!strcmp(k, "--retry-ms"))
            retry_ms = atol(v);
        else if (!strcmp(k, "--acked"))
            acked_path = v;
        else if (!strcmp(k, "--text-prefix"))
            prefix = v;
        else {
            fprintf(stderr, "burst: unknown option %s\n", k);
            return 2;
        }
    }
    if (!url || chats < 1 || per_chat < 1 || concurrency < 1 || chats * per_chat > 10000000) {
        fprintf(stderr, "burst: --url and positive --chats/--per-chat/--concurrency needed\n");
        return 2;
    }
    if (concurrency > chats)
        concurrency = chats;
    if (acked_path && !(acked = fopen(acked_path, "a"))) {
        perror(acked_path);
        return 2;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    pthread_t *th = calloc((size_t)concurrency, sizeof *th);
    for (long i = 0; i < concurrency; i++)
        pthread_create(&th[i], NULL, run, (void *)i);
    for (long i = 0; i < concurrency; i++)
        pthread_join(th[i], NULL);
    free(th);
    if (acked)
        fclose(acked);
    curl_global_cleanup();
    printf("sent=%ld acked=%ld failed=%ld\n", atomic_load(&n_sent), atomic_load(&n_acked),
           atomic_load(&n_failed));
    return atomic_load(&n_failed) ? 1 : 0;
}
