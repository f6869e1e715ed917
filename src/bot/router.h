/* router.h: what the bot does with a message or a button press. */
#ifndef BOT_ROUTER_H
#define BOT_ROUTER_H

#include "bot/bot.h"

struct tg_update;

/* A message (or business message): commands, VINs in the text, or free text. */
void router_message(struct bot_ctx *ctx, const struct tg_update *u, struct bot_result *out);
/* An inline keyboard button press. Always answers the callback query. */
void router_callback(struct bot_ctx *ctx, const struct tg_update *u, struct bot_result *out);

/* Remember our bot username (from getMe) so that group commands for other bots are ignored.
 * Any thread; called once at start. */
void router_set_username(const char *name);

#endif
