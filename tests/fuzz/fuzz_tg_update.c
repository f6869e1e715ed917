// FUZZ_SRCS: src/tg/update.c
/* fuzz_tg_update.c: libFuzzer target over Telegram Update parsing: tg_update_peek (the webhook
 * hot path) and tg_update_parse must agree, never crash, and always leave every string field
 * set after a successful parse. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tg/update.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *json = (const char *)data;
    char err[128];
    struct tg_update_peek pk;
    int rp = tg_update_peek(json, size, &pk, err, sizeof err);
    struct tg_update u;
    int ru = tg_update_parse(json, size, &u, err, sizeof err);
    if ((rp == 0) != (ru == 0))
        abort();
    if (ru == 0) {
        if (u.update_id != pk.update_id || u.chat_id != pk.chat_id || u.kind != pk.kind)
            abort();
        if (!u.message.text || !u.message.command || !u.callback.data || !u.member.new_status)
            abort();
        for (size_t i = 0; i < u.message.n_entities; i++)
            if (u.message.entities[i].byte_offset + u.message.entities[i].byte_length >
                strlen(u.message.text))
                abort();
        tg_update_cleanup(&u);
    }
    return 0;
}
