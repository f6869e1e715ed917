/* vehicle.h: what an online decoder tells us about a VIN, normalized (pure).
 *
 * vPIC and auto.dev answer in different shapes (strings vs numbers, flat vs nested); both are
 * mapped into one struct vehicle of plain strings so that the cache, Postgres, the CLI and the
 * bot read one thing. The struct is plain data (fixed arrays): it can be copied, and a JSON
 * round trip (vehicle_to_json / vehicle_from_json) restores it exactly; that JSON is what the
 * cache and the vehicles.normalized column hold. */
#ifndef DECODE_VEHICLE_H
#define DECODE_VEHICLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/util.h"

struct vehicle {
    char vin[18];
    char source[12]; /* "nhtsa" | "autodev" */
    bool found;      /* false: the source knows no such vehicle */
    bool partial;    /* decoded, but the source flagged problems (see error_*) */
    char make[64];
    char model[96];
    int model_year; /* 0 = unknown */
    char trim[96];
    char series[96];
    char body_class[96];
    char vehicle_type[64];
    char doors[8];
    char drive_type[64];
    char engine_cylinders[8];
    char displacement_l[16];
    char engine_hp[16];
    char fuel_type[64];
    char transmission[64];
    char plant_city[64];
    char plant_country[64];
    char manufacturer[128];
    char gvwr[96];
    char
        safety[256]; /* "ABS: Standard · ESC: Standard · airbags: 1st Row (Driver and Passenger)" */
    char error_code[32]; /* vPIC ErrorCode ("0", "1,11", ...) */
    char error_text[512];
    char suggested_vin[24]; /* vPIC SuggestedVIN (trimmed), "" when none */
    char note[256];         /* what the error codes mean for the person, "" when clean */
};

/* Append v as one JSON object. Returns 0 or -1 when out is full. */
int vehicle_to_json(const struct vehicle *v, struct buf *out) MUST_CHECK;
/* Fill v from JSON made by vehicle_to_json. Returns 0 or -1 when it is not such an object. */
int vehicle_from_json(const char *json, size_t len, struct vehicle *v) MUST_CHECK;

/* Map a vPIC DecodeVinValues answer (the whole body) into v. Returns 0 when it parsed (found
 * says whether vPIC knows the vehicle), -1 when the body is not a vPIC answer (err says why).
 * The ErrorCode list is interpreted as upstream-apis.md §2.3 recommends. */
int vehicle_from_vpic(const char *body, size_t len, const char *vin, struct vehicle *v, char *err,
                      size_t errlen) MUST_CHECK;
/* Map an auto.dev /vin answer. Same contract. */
int vehicle_from_autodev(const char *body, size_t len, const char *vin, struct vehicle *v,
                         char *err, size_t errlen) MUST_CHECK;

#endif
