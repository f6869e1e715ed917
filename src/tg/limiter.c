/* limiter.c: see limiter.h. */
#include "tg/limiter.h"

#include <pthread.h>
#include <string.h>

#include "core/util.h"

#define SLOTS 4096
#define GLOBAL_BURST 30
#define CHAT_BURST 3

/* Intervals in microseconds (so high test rates stay exact); 0 = unlimited. */
static int64_t global_interval_us = 1000000 / 30;
static int64_t private_interval_us = 1000000;
static int64_t group_interval_us = 3000000;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static int64_t global_tat; /* in microseconds */
static struct {
    int64_t chat_id;
    int64_t tat;
} chats[SLOTS];

void tg_limiter_configure(int64_t global_per_s, int64_t chat_per_s)
{
    pthread_mutex_lock(&mu);
    global_interval_us = global_per_s > 0 ? 1000000 / global_per_s : 0;
    private_interval_us = chat_per_s > 0 ? 1000000 / chat_per_s : 0;
    group_interval_us = private_interval_us * 3;
    pthread_mutex_unlock(&mu);
}

/* GCRA: a send at now is allowed when tat - burst*interval <= now; afterwards tat advances by
 * one interval from max(tat, now). Returns the wait. All in microseconds. */
static int64_t gcra(int64_t *tat, int64_t now, int64_t interval, int64_t burst)
{
    int64_t t = *tat > now ? *tat : now;
    int64_t allow_at = t - (burst - 1) * interval;
    int64_t wait = allow_at > now ? allow_at - now : 0;
    *tat = t + interval;
    return wait;
}

static unsigned slot_of(int64_t chat_id)
{
    uint64_t h = (uint64_t)chat_id * 0x9E3779B97F4A7C15ULL;
    return (unsigned)(h >> 52) % SLOTS;
}

int64_t tg_limiter_reserve(int64_t chat_id, int64_t now_ms)
{
    int64_t now = now_ms * 1000;
    pthread_mutex_lock(&mu);
    int64_t wait = gcra(&global_tat, now, global_interval_us, GLOBAL_BURST);
    unsigned s = slot_of(chat_id);
    if (chats[s].chat_id != chat_id && chats[s].tat <= now) {
        chats[s].chat_id = chat_id; /* the slot's previous chat is idle: take it over */
        chats[s].tat = 0;
    }
    int64_t cw = gcra(&chats[s].tat, now + wait,
                      chat_id < 0 ? group_interval_us : private_interval_us, CHAT_BURST);
    pthread_mutex_unlock(&mu);
    return (wait + cw + 999) / 1000;
}

void tg_limiter_penalize(int64_t chat_id, int64_t until_ms)
{
    pthread_mutex_lock(&mu);
    unsigned s = slot_of(chat_id);
    chats[s].chat_id = chat_id;
    /* Push the bucket so that the next reserve waits until until_ms even with a full burst
     * (with an unlimited rate, one interval of 1 ms stands in). */
    int64_t interval = chat_id < 0 ? group_interval_us : private_interval_us;
    if (interval == 0)
        interval = 1000;
    int64_t tat = until_ms * 1000 + (CHAT_BURST - 1) * interval;
    if (chats[s].tat < tat)
        chats[s].tat = tat;
    pthread_mutex_unlock(&mu);
}

void tg_limiter_reset(void)
{
    pthread_mutex_lock(&mu);
    global_tat = 0;
    memset(chats, 0, sizeof chats);
    pthread_mutex_unlock(&mu);
}
