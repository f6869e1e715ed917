/* log.c: see log.h.
 *
 * DESIGN: a line is formatted on the caller's stack (a heap buffer only for long messages),
 * secrets are masked in the message, then the line goes out in one fwrite + fflush while the
 * stream is locked. The secret list and threshold are written once at start and only read
 * afterwards, so they need no lock. */
#include "core/log.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/util.h"

#define MAX_SECRETS 32
#define MAX_MSG (64 * 1024)

enum log_level log_threshold = LOG_LEVEL_INFO;
static FILE *log_out;
static char *secrets[MAX_SECRETS];
static size_t nsecrets;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

void log_init(enum log_level threshold, FILE *out)
{
    log_threshold = threshold;
    log_out = out;
}

void log_add_secret(const char *secret)
{
    if (!secret || strlen(secret) < 4 || nsecrets == MAX_SECRETS)
        return;
    for (size_t i = 0; i < nsecrets; i++)
        if (strcmp(secrets[i], secret) == 0)
            return;
    secrets[nsecrets++] = xstrdup(secret);
}

void log_clear_secrets(void)
{
    for (size_t i = 0; i < nsecrets; i++)
        XFREE(secrets[i]);
    nsecrets = 0;
}

bool log_level_parse(const char *name, enum log_level *out)
{
    for (size_t i = 0; i < ARRAY_LEN(level_names); i++) {
        if (strcmp(name, level_names[i]) == 0) {
            *out = (enum log_level)i;
            return true;
        }
    }
    return false;
}

const char *log_level_name(enum log_level lvl)
{
    return (unsigned)lvl < ARRAY_LEN(level_names) ? level_names[lvl] : "info";
}

/* Replace every occurrence of a registered secret in msg by ***. Returns msg itself when nothing
 * matched, else a heap string the caller frees (*owned set). */
static char *mask_secrets(char *msg, bool *owned)
{
    *owned = false;
    for (size_t i = 0; i < nsecrets; i++) {
        const char *s = secrets[i];
        if (!strstr(msg, s))
            continue;
        size_t slen = strlen(s);
        struct buf b;
        buf_init(&b, strlen(msg) + 1);
        const char *p = msg, *hit;
        while ((hit = strstr(p, s)) != NULL) {
            if (buf_append(&b, p, (size_t)(hit - p)) < 0 || buf_puts(&b, "***") < 0)
                break;
            p = hit + slen;
        }
        if (buf_puts(&b, p) < 0) {
            /* cannot happen: the masked text is never longer than the original */
        }
        if (*owned)
            free(msg);
        msg = buf_steal(&b);
        *owned = true;
    }
    return msg;
}

size_t log_format(char *out, size_t outlen, int64_t real_ms, enum log_level lvl,
                  const struct log_ctx *ctx, const char *event, const char *msg)
{
    struct buf b;
    char ts[25];
    clock_format_iso(real_ms, ts);
    buf_init(&b, MAX_MSG * 6 + 512);
    int rc = buf_printf(&b, "{\"ts\":\"%s\",\"level\":\"%s\",\"event\":", ts, log_level_name(lvl));
    rc |= buf_json_str(&b, event);
    if (ctx && ctx->update_id)
        rc |= buf_printf(&b, ",\"update_id\":%lld", (long long)ctx->update_id);
    if (ctx && ctx->chat_id)
        rc |= buf_printf(&b, ",\"chat_id\":%lld", (long long)ctx->chat_id);
    if (ctx && ctx->worker)
        rc |= buf_printf(&b, ",\"worker\":%d", ctx->worker);
    if (msg && *msg) {
        rc |= buf_puts(&b, ",\"msg\":");
        rc |= buf_json_str(&b, msg);
    }
    rc |= buf_puts(&b, "}\n");
    (void)rc; /* the cap is far above any line we build */
    size_t n = b.len < outlen ? b.len : outlen - 1;
    memcpy(out, b.data, n);
    out[n] = '\0';
    if (n && out[n - 1] != '\n')
        out[n - 1] = '\n';
    buf_cleanup(&b);
    return n;
}

void log_write(enum log_level lvl, const struct log_ctx *ctx, const char *event, const char *fmt,
               ...)
{
    char stackmsg[1024];
    char *msg = stackmsg;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(stackmsg, sizeof stackmsg, fmt, ap);
    va_end(ap);
    if (n < 0) {
        stackmsg[0] = '\0';
    } else if ((size_t)n >= sizeof stackmsg) {
        size_t len = (size_t)n < MAX_MSG ? (size_t)n : MAX_MSG;
        msg = xmalloc(len + 1);
        va_start(ap, fmt);
        vsnprintf(msg, len + 1, fmt, ap);
        va_end(ap);
    }
    bool masked;
    char *shown = mask_secrets(msg, &masked);

    size_t cap = strlen(shown) * 6 + 512;
    char stackline[2048];
    char *line = cap <= sizeof stackline ? stackline : xmalloc(cap);
    size_t len = log_format(line, cap <= sizeof stackline ? sizeof stackline : cap, clock_real_ms(),
                            lvl, ctx, event, shown);

    FILE *out = log_out ? log_out : stdout;
    flockfile(out);
    fwrite(line, 1, len, out);
    fflush(out);
    funlockfile(out);

    if (line != stackline)
        free(line);
    if (masked)
        free(shown);
    if (msg != stackmsg)
        free(msg);
}
