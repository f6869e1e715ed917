/* search.h: NHTSA recalls for a make, model and year, and vPIC's model catalog for a make and
 * year, normalized and cached for SEARCH_CACHE_TTL (1 hour).
 *
 * Results are plain structs; search_*_json renders them for the cache (and the round trip
 * restores them). A failed upstream is SEARCH_UNAVAILABLE: the bot then says recalls cannot be
 * checked right now, never that there are none. */
#ifndef SEARCH_SEARCH_H
#define SEARCH_SEARCH_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"
#include "core/util.h"

struct config;
struct httpc;
struct cache;
struct log_ctx;

#define SEARCH_MAX_RECALLS 50
#define SEARCH_MAX_MODELS 200

struct recall {
    char campaign[24]; /* NHTSACampaignNumber, e.g. 12V036000 */
    char date[16];     /* ReportReceivedDate as YYYY-MM-DD ("" when unparseable) */
    char component[160];
    char summary[1024];
    char consequence[768];
    char remedy[768];
    bool park_it; /* NHTSA advises not to drive it */
};

/* Large (about 140 KiB): allocate it on the heap, not on a worker's small stack. */
struct recall_list {
    int n;     /* recalls kept (at most SEARCH_MAX_RECALLS) */
    int total; /* recalls NHTSA listed */
    struct recall items[SEARCH_MAX_RECALLS];
};

struct model_list {
    int n;
    char names[SEARCH_MAX_MODELS][64];
};

enum search_status { SEARCH_OK, SEARCH_UNAVAILABLE };

struct search_ctx {
    const struct config *cfg;
    struct httpc *http;
    struct cache *cache; /* may be NULL */
    const struct log_ctx *log;
    bool cache_hit; /* set by the last call */
};

/* Recalls for make/model/year (case-insensitive). */
enum search_status search_recalls(struct search_ctx *ctx, const char *make, const char *model,
                                  int year, struct recall_list *out);
/* Model names vPIC lists for make and year, sorted. */
enum search_status search_models(struct search_ctx *ctx, const char *make, int year,
                                 struct model_list *out);

/* Parse upstream bodies (exposed for the tests). 0 or -1 when the body is not such an answer. */
int search_parse_recalls(const char *body, size_t len, struct recall_list *out) MUST_CHECK;
int search_parse_models(const char *body, size_t len, struct model_list *out) MUST_CHECK;
/* Cache form. */
int search_recalls_to_json(const struct recall_list *l, struct buf *out) MUST_CHECK;
int search_models_to_json(const struct model_list *l, struct buf *out) MUST_CHECK;

#endif
