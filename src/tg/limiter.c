/* limiter.c: see limiter.h. */
#include "tg/limiter.h"

#include <pthread.h>
#include <string.h>

#include "core/util.h"

#define SLOTS 4096
#define GLOBAL_INTERVAL_MS 34   /* ~30 messages a second */
#define GLOBAL_BURST 30
#define PRIVATE_INTERVAL_MS 1000
#define GROUP_INTERVAL_MS 3000  /* 20 a minute */
#define CHAT_BURST 3

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static int64_t global_tat;
static struct {
    int64_t chat_id;
    int64_t tat;
} chats[SLOTS];

/* GCRA: a send at now is allowed when tat - burst*interval <= now; afterwards tat advances by
 * one interval from max(tat, now). Returns the wait. */
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
    pthread_mutex_lock(&mu);
    int64_t wait = gcra(&global_tat, now_ms, GLOBAL_INTERVAL_MS, GLOBAL_BURST);
    unsigned s = slot_of(chat_id);
    if (chats[s].chat_id != chat_id && chats[s].tat <= now_ms) {
        chats[s].chat_id = chat_id; /* the slot's previous chat is idle: take it over */
        chats[s].tat = 0;
    }
    int64_t cw = gcra(&chats[s].tat, now_ms + wait,
                      chat_id < 0 ? GROUP_INTERVAL_MS : PRIVATE_INTERVAL_MS, CHAT_BURST);
    pthread_mutex_unlock(&mu);
    return wait + cw;
}

void tg_limiter_penalize(int64_t chat_id, int64_t until_ms)
{
    pthread_mutex_lock(&mu);
    unsigned s = slot_of(chat_id);
    chats[s].chat_id = chat_id;
    /* Push the bucket so that the next reserve waits until until_ms even with a full burst. */
    int64_t tat = until_ms + (CHAT_BURST - 1) * (chat_id < 0 ? GROUP_INTERVAL_MS : PRIVATE_INTERVAL_MS);
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
