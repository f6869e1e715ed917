/* test_core.c: buffers, JSON-line logging, secret masking, constant-time compare. */
#include <json-c/json.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/util.h"
#include "t.h"

static void test_buf_cap(void)
{
    struct buf b;
    buf_init(&b, 8);
    T_EQ_INT(buf_puts(&b, "12345678"), 0);
    T_EQ_INT(buf_puts(&b, "9"), -1);
    T_EQ_INT(b.len, 8);
    T_EQ_STR(b.data, "12345678");
    buf_reset(&b);
    T_EQ_INT(b.len, 0);
    T_EQ_INT(buf_printf(&b, "%d-%s", 42, "x"), 0);
    T_EQ_STR(b.data, "42-x");
    T_EQ_INT(buf_printf(&b, "%s", "too long now"), -1);
    T_EQ_STR(b.data, "42-x");
    buf_cleanup(&b);
    buf_cleanup(&b); /* twice is safe */
    char *s = buf_steal(&b);
    T_EQ_STR(s, "");
    free(s);
}

static void test_json_escape(void)
{
    struct buf b;
    buf_init(&b, 1024);
    T_EQ_INT(buf_json_str(&b, "a\"b\\c\n\x01 é"), 0);
    T_EQ_STR(b.data, "\"a\\\"b\\\\c\\n\\u0001 é\"");
    buf_reset(&b);
    T_EQ_INT(buf_json_str(&b, NULL), 0);
    T_EQ_STR(b.data, "null");
    buf_cleanup(&b);
}

static void test_log_format(void)
{
    char line[512];
    struct log_ctx ctx = {.update_id = 812, .chat_id = -42, .worker = 3};
    size_t n = log_format(line, sizeof line, 1777636800123LL, LOG_LEVEL_INFO, &ctx, "vin.decoded",
                          "source=cache \"quoted\"");
    T_CHECK(n > 0 && line[n - 1] == '\n');
    T_EQ_STR(line,
             "{\"ts\":\"2026-05-01T12:00:00.123Z\",\"level\":\"info\",\"event\":\"vin.decoded\","
             "\"update_id\":812,\"chat_id\":-42,\"worker\":3,\"msg\":\"source=cache "
             "\\\"quoted\\\"\"}\n");
    /* every line is valid JSON */
    json_object *o = json_tokener_parse(line);
    T_CHECK(o && json_object_is_type(o, json_type_object));
    json_object_put(o);
    n = log_format(line, sizeof line, 0, LOG_LEVEL_ERROR, NULL, "x", "");
    T_EQ_STR(line, "{\"ts\":\"1970-01-01T00:00:00.000Z\",\"level\":\"error\",\"event\":\"x\"}\n");
}

static void test_log_truncates_to_valid_line(void)
{
    char line[64];
    size_t n = log_format(line, sizeof line, 0, LOG_LEVEL_INFO, NULL, "e",
                          "a very long message that does not fit in sixty-four bytes at all");
    T_EQ_INT(n, 63);
    T_EQ_INT(line[62], '\n');
}

static void test_log_masks_secrets(void)
{
    char *mem = NULL;
    size_t memlen = 0;
    FILE *f = open_memstream(&mem, &memlen);
    log_init(LOG_LEVEL_DEBUG, f);
    log_add_secret("123456:ABC-secret-token");
    log_add_secret("abc"); /* too short to mask safely: ignored */
    LOG_INFO(NULL, "tg.call",
             "POST https://api.telegram.org/bot123456:ABC-secret-token/sendMessage"
             " and again 123456:ABC-secret-token abc");
    LOG_DEBUG(NULL, "dbg", "shown at debug");
    log_init(LOG_LEVEL_WARN, f);
    LOG_INFO(NULL, "hidden", "below threshold");
    fflush(f);
    T_CHECK(strstr(mem, "ABC-secret-token") == NULL);
    T_CONTAINS(mem, "/bot***/sendMessage and again *** abc");
    T_CONTAINS(mem, "shown at debug");
    T_CHECK(strstr(mem, "below threshold") == NULL);
    fclose(f);
    free(mem);
    log_clear_secrets();
    log_init(LOG_LEVEL_INFO, NULL);
}

static void test_log_levels(void)
{
    enum log_level l;
    T_CHECK(log_level_parse("warn", &l) && l == LOG_LEVEL_WARN);
    T_CHECK(!log_level_parse("verbose", &l));
    T_EQ_STR(log_level_name(LOG_LEVEL_DEBUG), "debug");
}

static void test_const_time_eq(void)
{
    T_CHECK(const_time_eq("abc", 3, "abc", 3));
    T_CHECK(!const_time_eq("abd", 3, "abc", 3));
    T_CHECK(!const_time_eq("ab", 2, "abc", 3));
    T_CHECK(!const_time_eq("abcd", 4, "abc", 3));
    T_CHECK(!const_time_eq("", 0, "abc", 3));
    T_CHECK(const_time_eq("", 0, "", 0));
}

static void test_parse_int64(void)
{
    int64_t v;
    T_CHECK(parse_int64("-9007199254740993", &v) && v == -9007199254740993LL);
    T_CHECK(!parse_int64("12x", &v));
    T_CHECK(!parse_int64("", &v));
    T_CHECK(!parse_int64("99999999999999999999", &v));
}

static void test_clock(void)
{
    int64_t a = clock_mono_ns();
    clock_sleep_ms(2);
    T_CHECK(clock_mono_ns() - a >= 2000000);
    char ts[25];
    clock_format_iso(1700000000999LL, ts);
    T_EQ_STR(ts, "2023-11-14T22:13:20.999Z");
}

int main(void)
{
    T_RUN(test_buf_cap);
    T_RUN(test_json_escape);
    T_RUN(test_log_format);
    T_RUN(test_log_truncates_to_valid_line);
    T_RUN(test_log_masks_secrets);
    T_RUN(test_log_levels);
    T_RUN(test_const_time_eq);
    T_RUN(test_parse_int64);
    T_RUN(test_clock);
    return t_done();
}
