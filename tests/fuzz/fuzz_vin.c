// FUZZ_SRCS: src/vin/vin.c src/vin/wmi.c src/vin/extract.c
/* fuzz_vin.c: libFuzzer target over the VIN engine: extraction from arbitrary text, the
 * offline decoder on every match and on the whole input, and the JSON renderer. Invariants
 * checked (abort = finding): every extracted VIN (not a near miss) passes the strict syntax
 * check; match spans lie inside the text; the JSON always parses; a valid result has 17
 * characters and a holding check digit where one is required. */
#include <json-c/json.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "vin/extract.h"
#include "vin/vin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_json(const struct vin_result *r)
{
    struct buf b;
    buf_init(&b, 1 << 16);
    if (vin_result_to_json(r, &b) < 0)
        abort();
    json_object *o = json_tokener_parse(b.data);
    if (!o)
        abort();
    json_object_put(o);
    buf_cleanup(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    struct vin_match m[16];
    size_t n = vin_extract(text, size, m, 16);
    for (size_t i = 0; i < n && i < 16; i++) {
        if (m[i].start + m[i].len > size)
            abort();
        struct vin_result r;
        vin_decode_offline(m[i].vin, strlen(m[i].vin), 2026, &r);
        if (!m[i].near_miss && !r.syntax_ok)
            abort();
        check_json(&r);
    }
    struct vin_result r;
    bool valid = vin_decode_offline(text, size, 2026, &r);
    if (valid && (strlen(r.vin) != VIN_LEN || (r.check.required && !r.check.valid)))
        abort();
    check_json(&r);
    return 0;
}
