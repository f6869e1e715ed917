/* limiter.h: pacing of outgoing Telegram messages (one per process, thread-safe).
 *
 * Telegram allows about 30 messages a second overall, about one a second per private chat with
 * short bursts, and 20 a minute per group (upstream-apis.md §1.9); past that it answers 429
 * with retry_after. The limiter spaces our sends so we rarely get there, using the generic
 * cell rate algorithm (GCRA: one "theoretical arrival time" per bucket): a global bucket and a
 * per-chat bucket (chats hash into a fixed table; two chats sharing a slot only pace each
 * other a little more than needed). A 429 pushes that chat's bucket to its retry_after. */
#ifndef TG_LIMITER_H
#define TG_LIMITER_H

#include <stdint.h>

/* Reserve a send to chat_id at time now_ms (monotonic). Returns how many ms the caller must
 * wait before sending (0 = now). The slot is taken either way. */
int64_t tg_limiter_reserve(int64_t chat_id, int64_t now_ms);
/* Telegram answered 429: nothing more to chat_id before until_ms. */
void tg_limiter_penalize(int64_t chat_id, int64_t until_ms);
/* Forget all state (tests). */
void tg_limiter_reset(void);

#endif
