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

/* Set the pace: messages a second overall and to one private chat (groups get a third of the
 * chat rate: Telegram allows 20 a minute). 0 means unlimited. Call before any thread sends;
 * the defaults are 30 and 1, Telegram's published limits. */
void tg_limiter_configure(int64_t global_per_s, int64_t chat_per_s);
/* Reserve a send to chat_id at time now_ms (monotonic). Returns how many ms the caller must
 * wait before sending (0 = now). The slot is taken either way. */
int64_t tg_limiter_reserve(int64_t chat_id, int64_t now_ms);
/* Telegram answered 429: nothing more to chat_id before until_ms. */
void tg_limiter_penalize(int64_t chat_id, int64_t until_ms);
/* Forget all state (tests). */
void tg_limiter_reset(void);

#endif
