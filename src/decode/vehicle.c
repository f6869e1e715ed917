/* vehicle.c: see vehicle.h. The table `fields` drives both the JSON round trip and the vPIC
 * mapping, so a field added in one place exists in all three. */
#include "decode/vehicle.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define F(name, vpic)                                                                              \
    {                                                                                              \
#name, vpic, offsetof(struct vehicle, name), sizeof(((struct vehicle *)0)->name)           \
    }

static const struct field {
    const char *json; /* key in our JSON */
    const char *vpic; /* vPIC DecodeVinValues key, or NULL */
    size_t off, size;
} fields[] = {
    F(vin, "VIN"),
    F(source, NULL),
    F(make, "Make"),
    F(model, "Model"),
    F(trim, "Trim"),
    F(series, "Series"),
    F(body_class, "BodyClass"),
    F(vehicle_type, "VehicleType"),
    F(doors, "Doors"),
    F(drive_type, "DriveType"),
    F(engine_cylinders, "EngineCylinders"),
    F(displacement_l, "DisplacementL"),
    F(engine_hp, "EngineHP"),
    F(fuel_type, "FuelTypePrimary"),
    F(transmission, "TransmissionStyle"),
    F(plant_city, "PlantCity"),
    F(plant_country, "PlantCountry"),
    F(manufacturer, "Manufacturer"),
    F(gvwr, "GVWR"),
    F(safety, NULL),
    F(error_code, "ErrorCode"),
    F(error_text, "ErrorText"),
    F(suggested_vin, "SuggestedVIN"),
    F(note, NULL),
};

static char *field_ptr(struct vehicle *v, const struct field *f)
{
    return (char *)v + f->off;
}

static const char *field_cptr(const struct vehicle *v, const struct field *f)
{
    return (const char *)v + f->off;
}

/* Copy s into a fixed field, trimmed of surrounding spaces (vPIC pads some values). */
static void set_field(char *dst, size_t size, const char *s)
{
    if (!s)
        s = "";
    while (*s == ' ')
        s++;
    size_t n = strlen(s);
    while (n && s[n - 1] == ' ')
        n--;
    if (n >= size)
        n = size - 1;
    memcpy(dst, s, n);
    dst[n] = '\0';
}

int vehicle_to_json(const struct vehicle *v, struct buf *out)
{
    int rc = buf_puts(out, "{");
    for (size_t i = 0; i < ARRAY_LEN(fields); i++) {
        rc |= buf_printf(out, "%s\"%s\":", i ? "," : "", fields[i].json);
        rc |= buf_json_str(out, field_cptr(v, &fields[i]));
    }
    rc |= buf_printf(out, ",\"model_year\":%d,\"found\":%s,\"partial\":%s}", v->model_year,
                     v->found ? "true" : "false", v->partial ? "true" : "false");
    return rc ? -1 : 0;
}

int vehicle_from_json(const char *json, size_t len, struct vehicle *v)
{
    memset(v, 0, sizeof *v);
    json_tokener *tok = json_tokener_new();
    json_object *o = json_tokener_parse_ex(tok, json, (int)len);
    json_tokener_free(tok);
    if (!o || !json_object_is_type(o, json_type_object)) {
        json_object_put(o);
        return -1;
    }
    json_object *x;
    for (size_t i = 0; i < ARRAY_LEN(fields); i++)
        if (json_object_object_get_ex(o, fields[i].json, &x) &&
            json_object_is_type(x, json_type_string))
            set_field(field_ptr(v, &fields[i]), fields[i].size, json_object_get_string(x));
    if (json_object_object_get_ex(o, "model_year", &x))
        v->model_year = json_object_get_int(x);
    v->found = json_object_object_get_ex(o, "found", &x) && json_object_get_boolean(x);
    v->partial = json_object_object_get_ex(o, "partial", &x) && json_object_get_boolean(x);
    json_object_put(o);
    return strlen(v->vin) == 17 ? 0 : -1;
}

static const char *str_of(json_object *o, const char *key)
{
    json_object *x;
    if (!o || !json_object_object_get_ex(o, key, &x) || json_object_is_type(x, json_type_null))
        return "";
    return json_object_get_string(x);
}

/* The ErrorCode list, interpreted (upstream-apis.md §2.3). */
static void interpret_codes(struct vehicle *v)
{
    bool mistyped = false, limited = false, offroad = false, clean = true;
    char codes[sizeof v->error_code];
    str_copy(codes, v->error_code, sizeof codes);
    for (char *save = NULL, *c = strtok_r(codes, ", ", &save); c; c = strtok_r(NULL, ", ", &save)) {
        int code = atoi(c);
        if (code == 0)
            continue;
        clean = false;
        switch (code) {
        case 1:
        case 2:
        case 3:
        case 4:
        case 5:
        case 6:
        case 11:
        case 400: mistyped = true; break;
        case 7:
        case 8:
        case 14: limited = true; break;
        case 10: offroad = true; break;
        default: limited = true; break;
        }
    }
    if (clean)
        return;
    v->partial = true;
    if (offroad)
        set_field(v->note, sizeof v->note, "NHTSA says this is not a road-vehicle VIN");
    else if (mistyped)
        set_field(v->note, sizeof v->note,
                  "NHTSA could not confirm every character: the VIN may be mistyped, so treat "
                  "this decode as unconfirmed");
    else if (limited)
        set_field(v->note, sizeof v->note, "NHTSA has only limited data for this vehicle");
}

int vehicle_from_vpic(const char *body, size_t len, const char *vin, struct vehicle *v, char *err,
                      size_t errlen)
{
    memset(v, 0, sizeof *v);
    json_tokener *tok = json_tokener_new();
    json_object *o = json_tokener_parse_ex(tok, body, (int)len);
    json_tokener_free(tok);
    json_object *results, *r;
    if (!o || !json_object_object_get_ex(o, "Results", &results) ||
        !json_object_is_type(results, json_type_array) ||
        !(r = json_object_array_get_idx(results, 0)) || !json_object_is_type(r, json_type_object)) {
        snprintf(err, errlen, "not a vPIC DecodeVinValues answer");
        json_object_put(o);
        return -1;
    }
    for (size_t i = 0; i < ARRAY_LEN(fields); i++)
        if (fields[i].vpic)
            set_field(field_ptr(v, &fields[i]), fields[i].size, str_of(r, fields[i].vpic));
    set_field(v->vin, sizeof v->vin, vin);
    set_field(v->source, sizeof v->source, "nhtsa");
    v->model_year = atoi(str_of(r, "ModelYear"));
    const char *extra = str_of(r, "AdditionalErrorText");
    if (*extra && strlen(v->error_text) + strlen(extra) + 3 < sizeof v->error_text) {
        strcat(v->error_text, " ");
        strcat(v->error_text, extra);
    }
    /* SuggestedVIN marks doubtful positions with '!' and may be padded: keep it only when
     * it is a usable VIN. */
    if (strlen(v->suggested_vin) != 17 || strchr(v->suggested_vin, '!'))
        v->suggested_vin[0] = '\0';
    /* Safety equipment people ask about. */
    struct buf s;
    buf_init(&s, sizeof v->safety - 1);
    static const char *const safety[][2] = {
        {"ABS", "ABS"},
        {"ESC", "ESC"},
        {"AirBagLocFront", "front airbags"},
        {"AirBagLocSide", "side airbags"},
        {"AirBagLocCurtain", "curtain airbags"},
        {"BlindSpotMon", "blind-spot monitor"},
        {"ForwardCollisionWarning", "forward collision warning"}};
    for (size_t i = 0; i < ARRAY_LEN(safety); i++) {
        const char *val = str_of(r, safety[i][0]);
        if (*val && strcmp(val, "Not Applicable") != 0) {
            if (s.len && buf_puts(&s, " \xc2\xb7 ") < 0)
                break;
            if (buf_printf(&s, "%s: %s", safety[i][1], val) < 0)
                break;
        }
    }
    set_field(v->safety, sizeof v->safety, s.data ? s.data : "");
    buf_cleanup(&s);
    /* Found when vPIC names the make and model, whatever the codes say (a partial decode). */
    v->found = *v->make && *v->model;
    interpret_codes(v);
    json_object_put(o);
    return 0;
}

int vehicle_from_autodev(const char *body, size_t len, const char *vin, struct vehicle *v,
                         char *err, size_t errlen)
{
    memset(v, 0, sizeof *v);
    json_tokener *tok = json_tokener_new();
    json_object *o = json_tokener_parse_ex(tok, body, (int)len);
    json_tokener_free(tok);
    if (!o || !json_object_is_type(o, json_type_object)) {
        snprintf(err, errlen, "not an auto.dev answer");
        json_object_put(o);
        return -1;
    }
    set_field(v->vin, sizeof v->vin, vin);
    set_field(v->source, sizeof v->source, "autodev");
    json_object *x, *veh = NULL;
    bool valid = json_object_object_get_ex(o, "vinValid", &x) && json_object_get_boolean(x);
    json_object_object_get_ex(o, "vehicle", &veh);
    if (valid) {
        set_field(v->make, sizeof v->make, str_of(o, "make"));
        set_field(v->model, sizeof v->model, str_of(o, "model"));
        set_field(v->trim, sizeof v->trim, str_of(o, "trim"));
        set_field(v->series, sizeof v->series, str_of(o, "style"));
        set_field(v->plant_country, sizeof v->plant_country, str_of(o, "origin"));
        if (veh && json_object_is_type(veh, json_type_object)) {
            if (json_object_object_get_ex(veh, "year", &x))
                v->model_year = json_object_get_int(x); /* a number here, not a string */
            set_field(v->manufacturer, sizeof v->manufacturer, str_of(veh, "manufacturer"));
            if (!*v->make)
                set_field(v->make, sizeof v->make, str_of(veh, "make"));
            if (!*v->model)
                set_field(v->model, sizeof v->model, str_of(veh, "model"));
        }
        if (json_object_object_get_ex(o, "checksum", &x) && !json_object_get_boolean(x)) {
            v->partial = true;
            set_field(v->note, sizeof v->note,
                      "auto.dev reports a check digit mismatch: treat this decode as unconfirmed");
        }
    }
    v->found = valid && *v->make;
    json_object_put(o);
    return 0;
}
