/* extract.h: finding VINs in what people write (pure).
 *
 * A message may hold a VIN alone, after /vin, inside a sentence, next to punctuation, several of
 * them, in lower case, or written in groups with spaces or hyphens ("1HGCM 82633 A004352").
 * vin_extract reports each VIN once, in order, with its byte span; and it reports near misses:
 * a run of 15-19 characters that looks like an attempt at a VIN (digits and letters mixed)
 * but is not one, so the bot can say "that looks like a VIN but ...". Ordinary words (no
 * digits) are never either. */
#ifndef VIN_EXTRACT_H
#define VIN_EXTRACT_H

#include <stdbool.h>
#include <stddef.h>

#include "vin/vin.h"

struct vin_match {
    size_t start, len;     /* byte span in the text (groups included) */
    bool near_miss;        /* looks like an attempt, but is not a valid-syntax VIN */
    char vin[VIN_LEN + 3]; /* the cleaned characters (upper case, no spaces or hyphens);
                            * for a near miss, up to 19 of them */
};

/* Scan text[0..len) and write up to cap matches (VINs and near misses, in order) to out.
 * Returns the number found, which may exceed cap (only cap are written). Runs in one pass; no
 * allocation. */
size_t vin_extract(const char *text, size_t len, struct vin_match *out, size_t cap);

#endif
