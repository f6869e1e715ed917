/* poller.h: how updates get from Telegram to us, when a token is configured.
 *
 * Webhook mode (TELEGRAM_WEBHOOK_URL set): a thread calls setWebhook with our URL, secret token,
 * allowed_updates and max_connections, retrying with backoff until Telegram accepts it; the
 * updates then arrive on POST /webhook.
 *
 * Polling mode (a token but no public URL: a laptop, a private box):
 * At start it calls deleteWebhook (getUpdates is refused while a webhook is set), then one
 * thread loops on getUpdates and stores every update in the inbox, the same way the webhook
 * does. The offset advances only past updates that are committed, so an update Telegram handed
 * us is never confirmed before it is durable: after a crash or a Postgres outage, Telegram
 * hands the same updates out again. */
#ifndef TG_POLLER_H
#define TG_POLLER_H

struct config;
struct inbox;
struct poller;

/* Start the thread. It first asks getMe who we are and passes the bot's username to
 * on_username (may be NULL). Returns NULL if the thread cannot start. */
struct poller *poller_start(const struct config *cfg, struct inbox *ib,
                            void (*on_username)(const char *name));
/* Stop polling (aborts a pending long poll) and join the thread. NULL is fine. */
void poller_stop(struct poller *p);

#endif
