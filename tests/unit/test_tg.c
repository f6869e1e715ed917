/* test_tg.c: Telegram Update parsing (peek and full parse, every kind we act on, malformed
 * deliveries), UTF-16 entity offsets, and the text helpers (HTML escaping, splitting at 4096,
 * plain-text fallback). */
#include "tg/format.h"
#include "tg/update.h"
#include "t.h"

struct pcase {
    const char *name, *json;
    int ok; /* 0 = must parse, -1 = must be refused */
    long long update_id, chat_id;
    const char *kind;
    const char *err; /* substring of the refusal */
};

static const struct pcase pcases[] = {
    {"private-message",
     "{\"update_id\":10000,\"message\":{\"date\":1441645532,\"chat\":{\"last_name\":\"Test\","
     "\"id\":1111111,\"first_name\":\"Test\",\"username\":\"Test\",\"type\":\"private\"},"
     "\"message_id\":1365,\"from\":{\"last_name\":\"Test\",\"id\":1111111,\"first_name\":"
     "\"Test\",\"username\":\"Test\",\"is_bot\":false},\"text\":\"/start\"}}",
     0, 10000, 1111111, "message", NULL},
    {"group-command",
     "{\"update_id\":2,\"message\":{\"message_id\":5,\"chat\":{\"id\":-1001234567890,\"type\":"
     "\"supergroup\",\"title\":\"Cars\"},\"from\":{\"id\":7,\"is_bot\":false,\"first_name\":\"A\"},"
     "\"text\":\"/vin@vinbot_bot 1HGCM82633A004352\",\"entities\":[{\"type\":\"bot_command\","
     "\"offset\":0,\"length\":15}]}}",
     0, 2, -1001234567890LL, "message", NULL},
    {"edited",
     "{\"update_id\":3,\"edited_message\":{\"message_id\":5,\"chat\":{\"id\":9,\"type\":"
     "\"private\"},\"text\":\"x\"}}",
     0, 3, 9, "edited_message", NULL},
    {"callback-with-message",
     "{\"update_id\":4,\"callback_query\":{\"id\":\"4382bfdwdsb323b2d9\",\"from\":{\"id\":1111111,"
     "\"is_bot\":false,\"first_name\":\"Test\"},\"data\":\"save:1HGCM82633A004352\","
     "\"message\":{\"message_id\":77,\"chat\":{\"id\":1111111,\"type\":\"private\"}}}}",
     0, 4, 1111111, "callback_query", NULL},
    {"callback-inline",
     "{\"update_id\":5,\"callback_query\":{\"id\":\"q\",\"from\":{\"id\":42,\"is_bot\":false,"
     "\"first_name\":\"T\"},\"inline_message_id\":\"1234csdbsk4839\",\"data\":\"d\"}}",
     0, 5, 42, "callback_query", NULL},
    {"my-chat-member-kicked",
     "{\"update_id\":6,\"my_chat_member\":{\"chat\":{\"id\":55,\"type\":\"private\"},\"from\":{"
     "\"id\":55,\"is_bot\":false,\"first_name\":\"A\"},\"date\":1,\"old_chat_member\":{"
     "\"status\":\"member\",\"user\":{\"id\":1,\"is_bot\":true,\"first_name\":\"b\"}},"
     "\"new_chat_member\":{\"status\":\"kicked\",\"user\":{\"id\":1,\"is_bot\":true,"
     "\"first_name\":\"b\"},\"until_date\":0}}}",
     0, 6, 55, "my_chat_member", NULL},
    {"channel-post",
     "{\"update_id\":7,\"channel_post\":{\"message_id\":1,\"sender_chat\":{\"id\":"
     "-100500,\"type\":\"channel\"},\"chat\":{\"id\":-100500,\"type\":\"channel\"},"
     "\"date\":1,\"text\":\"hello\"}}",
     0, 7, -100500, "channel_post", NULL},
    {"inline-query",
     "{\"update_id\":8,\"inline_query\":{\"id\":\"1\",\"from\":{\"id\":99,\"is_bot\":"
     "false,\"first_name\":\"A\"},\"query\":\"vin\",\"offset\":\"\"}}",
     0, 8, 99, "inline_query", NULL},
    {"poll-no-chat", "{\"update_id\":9,\"poll\":{\"id\":\"p\",\"question\":\"?\",\"options\":[]}}",
     0, 9, 0, "poll", NULL},
    {"future-kind",
     "{\"update_id\":10,\"guest_message\":{\"chat\":{\"id\":5,\"type\":\"private\"}}}", 0, 10, 5,
     "guest_message", NULL},
    {"reaction",
     "{\"update_id\":11,\"message_reaction\":{\"chat\":{\"id\":8,\"type\":\"private\"},"
     "\"message_id\":1,\"date\":1,\"old_reaction\":[],\"new_reaction\":[]}}",
     0, 11, 8, "message_reaction", NULL},
    {"join-request",
     "{\"update_id\":12,\"chat_join_request\":{\"chat\":{\"id\":-77,\"type\":"
     "\"supergroup\"},\"from\":{\"id\":3,\"is_bot\":false,\"first_name\":\"x\"},"
     "\"user_chat_id\":3,\"date\":1}}",
     0, 12, -77, "chat_join_request", NULL},
    {"update-id-only", "{\"update_id\":13}", 0, 13, 0, "none", NULL},
    {"big-ids",
     "{\"update_id\":9007199254740991,\"message\":{\"message_id\":1,\"chat\":{\"id\":"
     "-1009007199254740,\"type\":\"supergroup\"},\"text\":\"x\"}}",
     0, 9007199254740991LL, -1009007199254740LL, "message", NULL},
    {"whitespace-around", "  \n{\"update_id\":14,\"message\":{\"chat\":{\"id\":1}}}\n ", 0, 14, 1,
     "message", NULL},
    /* refusals */
    {"not-json", "hello", -1, 0, 0, NULL, "invalid JSON"},
    {"empty", "", -1, 0, 0, NULL, "invalid JSON"},
    {"array", "[1,2,3]", -1, 0, 0, NULL, "not a JSON object"},
    {"number", "42", -1, 0, 0, NULL, "invalid JSON"},
    {"string", "\"x\"", -1, 0, 0, NULL, "not a JSON object"},
    {"no-update-id", "{\"message\":{\"text\":\"x\"}}", -1, 0, 0, NULL, "update_id missing"},
    {"string-update-id", "{\"update_id\":\"7\"}", -1, 0, 0, NULL, "not an integer"},
    {"float-update-id", "{\"update_id\":7.5}", -1, 0, 0, NULL, "not an integer"},
    {"bool-update-id", "{\"update_id\":true}", -1, 0, 0, NULL, "not an integer"},
    {"null-update-id", "{\"update_id\":null}", -1, 0, 0, NULL, "not an integer"},
    {"truncated", "{\"update_id\":7,\"message\":{", -1, 0, 0, NULL, "invalid JSON"},
    {"trailing-garbage", "{\"update_id\":7} x", -1, 0, 0, NULL, "invalid JSON"},
    {"two-objects", "{\"update_id\":7}{\"update_id\":8}", -1, 0, 0, NULL, "invalid JSON"},
    /* json-c 0.16 accepts these even in strict mode; Postgres' jsonb refuses them when the
     * inbox stores them, and the webhook answers 400 then (test_webhook.sh) */
    {"single-quotes-json-c-accepts", "{'update_id':7}", 0, 7, 0, "none", NULL},
    {"nan-json-c-accepts", "{\"update_id\":7,\"x\":NaN}", 0, 7, 0, "x", NULL},
};

static void test_parse_table(void)
{
    for (size_t i = 0; i < ARRAY_LEN(pcases); i++) {
        const struct pcase *c = &pcases[i];
        t_begin(c->name);
        char err[128] = "";
        struct tg_update_peek pk;
        int rp = tg_update_peek(c->json, strlen(c->json), &pk, err, sizeof err);
        T_EQ_INT(rp, c->ok);
        if (c->ok == 0) {
            T_EQ_INT(pk.update_id, c->update_id);
            T_EQ_INT(pk.chat_id, c->chat_id);
            T_EQ_STR(pk.kind_name, c->kind);
        } else {
            T_CONTAINS(err, c->err);
        }
        struct tg_update u;
        int ru = tg_update_parse(c->json, strlen(c->json), &u, err, sizeof err);
        T_EQ_INT(ru, c->ok);
        if (ru == 0) {
            T_EQ_INT(u.update_id, c->update_id);
            T_EQ_INT(u.chat_id, c->chat_id);
            T_CHECK(u.message.text && u.callback.id && u.member.new_status);
            tg_update_cleanup(&u);
        }
        t_end();
    }
    /* A deeply nested body is refused, not recursed into forever. */
    t_begin("deep-nesting");
    char deep[4200];
    size_t n = 0;
    n += (size_t)snprintf(deep, sizeof deep, "{\"update_id\":1,\"x\":");
    for (int d = 0; d < 2000; d++)
        deep[n++] = '[';
    for (int d = 0; d < 2000; d++)
        deep[n++] = ']';
    deep[n++] = '}';
    deep[n] = '\0';
    char err[128];
    struct tg_update_peek pk;
    T_EQ_INT(tg_update_peek(deep, n, &pk, err, sizeof err), -1);
    t_end();
}

static void test_message_fields(void)
{
    const char *j = "{\"update_id\":2,\"message\":{\"message_id\":5,\"message_thread_id\":9,"
                    "\"chat\":{\"id\":-100,\"type\":\"supergroup\",\"title\":\"Cars\"},"
                    "\"from\":{\"id\":7,\"is_bot\":false,\"first_name\":\"Ann\",\"last_name\":"
                    "\"Lee\",\"username\":\"ann\",\"language_code\":\"de\"},"
                    "\"text\":\"/VIN@vinbot_bot  1hgcm82633a004352 \",\"entities\":[{\"type\":"
                    "\"bot_command\",\"offset\":0,\"length\":15}],\"reply_to_message\":{"
                    "\"message_id\":3,\"chat\":{\"id\":-100,\"type\":\"supergroup\"}}}}";
    struct tg_update u;
    char err[128];
    T_EQ_INT(tg_update_parse(j, strlen(j), &u, err, sizeof err), 0);
    T_EQ_STR(u.message.command, "/vin");
    T_EQ_STR(u.message.command_bot, "vinbot_bot");
    T_EQ_STR(u.message.command_args, "1hgcm82633a004352");
    T_EQ_STR(u.message.from.language_code, "de");
    T_EQ_STR(u.message.chat.title, "Cars");
    T_EQ_INT(u.message.message_thread_id, 9);
    T_EQ_INT(u.message.reply_to_message_id, 3);
    T_EQ_INT(u.user_id, 7);
    tg_update_cleanup(&u);

    /* a command without entities (the webhook guide's examples) */
    const char *j2 = "{\"update_id\":3,\"message\":{\"message_id\":1,\"chat\":{\"id\":1,\"type\":"
                     "\"private\"},\"text\":\"/start hello\"}}";
    T_EQ_INT(tg_update_parse(j2, strlen(j2), &u, err, sizeof err), 0);
    T_EQ_STR(u.message.command, "/start");
    T_EQ_STR(u.message.command_args, "hello");
    tg_update_cleanup(&u);

    /* a caption counts as text; forwards are recognised in both styles */
    const char *j3 = "{\"update_id\":4,\"message\":{\"message_id\":1,\"chat\":{\"id\":1,\"type\":"
                     "\"private\"},\"photo\":[],\"caption\":\"1HGCM82633A004352\","
                     "\"forward_origin\":{\"type\":\"user\",\"date\":1}}}";
    T_EQ_INT(tg_update_parse(j3, strlen(j3), &u, err, sizeof err), 0);
    T_CHECK(u.message.has_text && strcmp(u.message.text, "1HGCM82633A004352") == 0);
    T_CHECK(u.message.is_forward);
    T_EQ_STR(u.message.command, "");
    tg_update_cleanup(&u);

    /* wrong types are treated as absent */
    const char *j4 = "{\"update_id\":5,\"message\":{\"message_id\":\"x\",\"chat\":{\"id\":\"1\"},"
                     "\"text\":17,\"from\":[]}}";
    T_EQ_INT(tg_update_parse(j4, strlen(j4), &u, err, sizeof err), 0);
    T_EQ_INT(u.message.message_id, 0);
    T_EQ_INT(u.chat_id, 0);
    T_CHECK(!u.message.has_text);
    tg_update_cleanup(&u);

    /* anonymous group admin: from is the placeholder, sender_chat the group */
    const char *j5 = "{\"update_id\":6,\"message\":{\"message_id\":1,\"chat\":{\"id\":-5,\"type\":"
                     "\"supergroup\"},\"from\":{\"id\":1087968824,\"is_bot\":true,\"first_name\":"
                     "\"Group\",\"username\":\"GroupAnonymousBot\"},\"sender_chat\":{\"id\":-5,"
                     "\"type\":\"supergroup\"},\"text\":\"hi\"}}";
    T_EQ_INT(tg_update_parse(j5, strlen(j5), &u, err, sizeof err), 0);
    T_CHECK(u.message.from.is_bot);
    T_EQ_INT(u.message.sender_chat_id, -5);
    tg_update_cleanup(&u);
}

static void test_utf16_entities(void)
{
    /* "🚗 /vin x": the car is 4 UTF-8 bytes and 2 UTF-16 units */
    const char *text = "\xf0\x9f\x9a\x97 /vin x";
    size_t off, len;
    tg_utf16_span_to_bytes(text, strlen(text), 3, 4, &off, &len);
    T_EQ_INT(off, 5);
    T_EQ_INT(len, 4);
    /* "é" is 2 bytes, 1 unit; out-of-range spans are clamped */
    tg_utf16_span_to_bytes("\xc3\xa9"
                           "ab",
                           4, 1, 10, &off, &len);
    T_EQ_INT(off, 2);
    T_EQ_INT(len, 2);
    tg_utf16_span_to_bytes("ab", 2, 5, 1, &off, &len);
    T_EQ_INT(off, 2);
    T_EQ_INT(len, 0);
}

static void test_format(void)
{
    struct buf b;
    buf_init(&b, 1024);
    T_EQ_INT(tg_html_escape(&b, "<b>Tom & \"Jerry\"</b>"), 0);
    T_EQ_STR(b.data, "&lt;b&gt;Tom &amp; &quot;Jerry&quot;&lt;/b&gt;");
    buf_cleanup(&b);

    char *p = tg_html_to_plain("<b>F-150</b> &amp; co &lt;3 &#128663; &#x41;");
    T_EQ_STR(p, "F-150 & co <3 \xf0\x9f\x9a\x97 A");
    free(p);

    /* splitting: at newlines, within 4096 characters, counting UTF-8 characters */
    size_t line_len = 100;
    char *big = malloc(9000);
    size_t n = 0;
    while (n + line_len + 1 < 9000) {
        memset(big + n, 'a', line_len);
        n += line_len;
        big[n++] = '\n';
    }
    big[n] = '\0';
    size_t offs[8], lens[8];
    size_t parts = tg_split_text(big, 4096, offs, lens, 8);
    T_EQ_INT(parts, 3);
    size_t covered = 0;
    for (size_t i = 0; i < parts; i++) {
        T_CHECK(tg_utf8_chars(big + offs[i], lens[i]) <= 4096);
        T_CHECK(lens[i] == 0 || big[offs[i] + lens[i] - 1] != '\n');
        covered += lens[i];
    }
    T_CHECK(covered >= n - parts);
    free(big);

    /* a long line without spaces is cut between characters, never inside one */
    char *emoji = malloc(4 * 5000 + 1);
    for (int i = 0; i < 5000; i++)
        memcpy(emoji + 4 * i, "\xf0\x9f\x9a\x97", 4);
    emoji[4 * 5000] = '\0';
    parts = tg_split_text(emoji, 4096, offs, lens, 8);
    T_EQ_INT(parts, 2);
    T_EQ_INT(lens[0], 4 * 4096);
    T_EQ_INT(lens[1] % 4, 0);
    free(emoji);

    T_EQ_INT(tg_split_text("short", 4096, offs, lens, 8), 1);
    T_EQ_INT(tg_split_text("", 4096, offs, lens, 8), 0);
}

int main(void)
{
    test_parse_table();
    T_RUN(test_message_fields);
    T_RUN(test_utf16_entities);
    T_RUN(test_format);
    return t_done();
}
