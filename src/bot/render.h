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
struct decode_result;
struct recall_list;
struct model_list;

/* The card for one VIN decoded offline (no online data): validity, check digit explained,
 * what the VIN itself says (manufacturer, year, origin, plant, serial). Returns 0 or -1. */
int render_vin_card(struct buf *out, const struct vin_result *r) MUST_CHECK;

/* The reply for a VIN that is not valid: each problem on its own line, and what to do. */
int render_vin_problems(struct buf *out, const struct vin_result *r) MUST_CHECK;

/* The reply for text that looks like a VIN attempt but is not one (a near miss). */
int render_near_miss(struct buf *out, const char *text, const struct vin_result *r) MUST_CHECK;

/* The card for a decode through the chain: the vehicle as the online source describes it (year,
 * make, model, trim, body, engine, drive, plant, safety), what the VIN itself says (check digit,
 * origin), and which source answered. Falls back to render_vin_card's content offline. */
int render_decode_card(struct buf *out, const struct decode_result *r) MUST_CHECK;

/* Recalls for a vehicle (title names it). total > n means the list was cut. */
int render_recalls(struct buf *out, const char *title, const struct recall_list *l) MUST_CHECK;
/* Models of a make in a year. */
int render_models(struct buf *out, const char *make, int year,
                  const struct model_list *l) MUST_CHECK;

#endif
