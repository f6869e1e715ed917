/* render.h: the bot's replies as Telegram HTML (pure: no network, no database).
 *
 * Everything that did not come from our own templates (VINs as typed, upstream strings) is
 * escaped with tg_html_escape. Each tag opens and closes on one line, so tg_split_text can cut
 * a long reply at line breaks without breaking the markup. */
#ifndef BOT_RENDER_H
#define BOT_RENDER_H

#include "core/buf.h"
#include "core/util.h"

struct vin_result;
struct vehicle;

/* The card for one VIN decoded offline (no online data): validity, check digit explained,
 * what the VIN itself says (manufacturer, year, origin, plant, serial). Returns 0 or -1. */
int render_vin_card(struct buf *out, const struct vin_result *r) MUST_CHECK;

/* The reply for a VIN that is not valid: each problem on its own line, and what to do. */
int render_vin_problems(struct buf *out, const struct vin_result *r) MUST_CHECK;

/* The reply for text that looks like a VIN attempt but is not one (a near miss). */
int render_near_miss(struct buf *out, const char *text, const struct vin_result *r) MUST_CHECK;

#endif
