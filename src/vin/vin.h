/* vin.h: everything we can say about a VIN without asking anyone (pure: no network).
 *
 * The rules are ../shared/docs/vin-rules.md (49 CFR 565, ISO 3779/3780): syntax, the check
 * digit, the model year with the position-7 rule, region and country from positions 1-2, the
 * manufacturer from the WMI (positions 1-3, or 1-3 + 12-14 when position 3 is 9), plant and
 * serial. vin_decode_offline fills one struct vin_result; vin_result_to_json renders it for
 * the CLI, the cache and the bot.
 *
 * Two layers, kept apart as the rules ask: vin_clean is the chat layer's forgiveness (trim,
 * upper-case, drop spaces and hyphens); the validator inside vin_decode_offline is strict and
 * explains every defect it finds with its position.
 *
 * Thread-safety: everything here may be called from any thread, except vin_wmi_load_file, which
 * must run once before threads start. */
#ifndef VIN_VIN_H
#define VIN_VIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/util.h"

#define VIN_LEN 17
#define VIN_MAX_MSGS 8
#define VIN_MSG_LEN 160
#define VIN_MAX_CANDIDATES 3

/* Vehicle type as the WMI registers it (it gates the position-7 model-year rule). */
enum vin_vehicle_type {
    VIN_TYPE_UNKNOWN = 0,
    VIN_TYPE_CAR,         /* passenger car */
    VIN_TYPE_MPV,         /* multipurpose passenger vehicle (SUVs, vans) */
    VIN_TYPE_TRUCK,       /* truck, light unless marked heavy */
    VIN_TYPE_HEAVY_TRUCK, /* truck over 10,000 lb GVWR */
    VIN_TYPE_BUS,
    VIN_TYPE_MOTORCYCLE,
    VIN_TYPE_TRAILER,
    VIN_TYPE_INCOMPLETE,
    VIN_TYPE_LSV, /* low-speed vehicle */
    VIN_TYPE_OFFROAD,
};

struct vin_wmi_info {
    const char *manufacturer;
    const char *country; /* where the WMI is registered; may be "" */
    const char *make;    /* one make, or several joined with " / " */
    enum vin_vehicle_type type;
};

struct vin_result {
    char input[64];        /* what was given (truncated for display) */
    char vin[VIN_LEN + 1]; /* the cleaned 17 characters; "" when cleaning did not give 17 */
    bool cleaned;          /* vin differs from the input (spaces, hyphens, case were changed) */
    bool valid;            /* no errors: a well-formed VIN whose check digit holds where required */
    bool syntax_ok;        /* 17 characters of the VIN alphabet (decoding below is meaningful) */
    char errors[VIN_MAX_MSGS][VIN_MSG_LEN];
    int nerrors;
    char warnings[VIN_MAX_MSGS][VIN_MSG_LEN];
    int nwarnings;

    struct {
        char expected; /* '0'-'9' or 'X'; 0 when not computable */
        char actual;   /* position 9 as written */
        bool valid;    /* expected == actual */
        bool required; /* North American VIN: a wrong check digit is an error */
        char candidates[VIN_MAX_CANDIDATES][VIN_LEN + 1]; /* one-typo corrections that fit */
        int ncandidates;
    } check;

    int model_years[2]; /* most probable first */
    int nyears;         /* 0 = unknown, 1 = certain, 2 = ambiguous */

    const char *region;        /* "North America", "Europe", ... ("" when unassigned) */
    const char *country;       /* country of the code (positions 1-2), "" when unassigned */
    char wmi[7];               /* "1HG", or "1J9644" for a small manufacturer */
    struct vin_wmi_info maker; /* manufacturer ("" when the WMI is not in our tables) */
    char vds[6];               /* positions 4-8 */
    char plant;                /* position 11 */
    char serial[7];            /* positions 12-17, or 15-17 for a small manufacturer */
};

/* The chat layer: copy in to out without surrounding whitespace, inner spaces and hyphens, with
 * ASCII letters upper-cased. out holds at most outlen-1 characters (longer input is cut).
 * Returns the cleaned length (before cutting). */
size_t vin_clean(const char *in, size_t len, char *out, size_t outlen);

/* The check digit of 17 characters of the VIN alphabet ('0'-'9' or 'X'), or 0 when a
 * character is outside the alphabet. Position 9 itself is ignored. */
char vin_check_digit(const char *vin17);

/* The value of one VIN character in the check-digit sum (49 CFR 565.15 transliteration), or -1
 * for a character outside the alphabet (I, O, Q, punctuation...). */
int vin_char_value(char c);
/* Whether c is in the VIN alphabet (0-9, A-Z without I, O, Q). */
bool vin_char_ok(char c);

/* The model-year code of position 10: 0-29 for A..Y, 1..9 (without I O Q U Z and 0), -1 if c is
 * not a year code. Years are 1980 + i and 2010 + i. */
int vin_year_index(char c);

/* Region of position 1 ("" for 0 and other unassigned characters). */
const char *vin_region(char c);
/* Country of positions 1-2 (ISO 3780 ranges), "" when unassigned. */
const char *vin_country(char c1, char c2);
/* Whether the first character makes this a North American VIN (1-5, and 7 in the newer
 * allocation). */
bool vin_is_north_american(char c);

/* Look up a WMI ("1HG", or a 6-character small-manufacturer key). Returns NULL when unknown.
 * The result is borrowed from the table and lives until exit. */
const struct vin_wmi_info *vin_wmi_lookup(const char *wmi);
/* Add the rows of a CSV file (header line, then wmi,manufacturer,country,vehicle_type,make;
 * extra columns are ignored; quotes per RFC 4180) to the table; rows override built-in entries
 * with the same WMI. Call once, before any thread starts. Returns the number of rows added, or
 * -1 with the reason (file and line) in err. */
int vin_wmi_load_file(const char *path, char *err, size_t errlen) MUST_CHECK;
/* Number of built-in WMIs (for the docs and tests). */
size_t vin_wmi_builtin_count(void);
/* Map a vehicle type name ("Passenger Car", "Multipurpose Passenger Vehicle (MPV)", "Truck",
 * ...) to the enum; VIN_TYPE_UNKNOWN for anything else. */
enum vin_vehicle_type vin_type_from_name(const char *name);
const char *vin_type_name(enum vin_vehicle_type t);

/* Decode input as the chat layer would (cleaned first) with no network. current_year bounds
 * the model year ("never in the future": candidates after current_year + 1 are dropped); pass
 * 0 to use the clock. Always fills r; returns true when r->valid. */
bool vin_decode_offline(const char *input, size_t len, int current_year, struct vin_result *r);

/* Append r as one JSON object (the keys of `vinbot decode`, "source":"offline"). Returns 0 or
 * -1 when out is full. */
int vin_result_to_json(const struct vin_result *r, struct buf *out) MUST_CHECK;

/* The current calendar year (UTC) from the clock. */
int vin_current_year(void);

#endif
