/* log.h: JSON lines on stdout, one event per line.
 *
 *   {"ts":"2026-05-01T12:00:00.123Z","level":"info","event":"vin.decoded","update_id":812,
 *    "chat_id":42,"worker":3,"msg":"source=cache"}
 *
 * Each line is built in memory and written with a single fwrite under flockfile(), so lines
 * from different threads never interleave. The LOG_* macros test the level before formatting.
 * Event names are constants you can grep. Every value registered with log_add_secret() is
 * replaced by *** wherever it appears in a message, as a last line of defence: callers must
 * still never format a URL that holds the bot token, a database URL or an API key. */
#ifndef CORE_LOG_H
#define CORE_LOG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

enum log_level { LOG_LEVEL_DEBUG, LOG_LEVEL_INFO, LOG_LEVEL_WARN, LOG_LEVEL_ERROR };

/* What a line is about. Zero fields are omitted: Telegram update and chat ids are never 0, and
 * workers are numbered from 1. */
struct log_ctx {
    int64_t update_id;
    int64_t chat_id;
    int worker;
};

extern enum log_level log_threshold;

/* Set the threshold and the stream (NULL = stdout). Call before any thread starts. */
void log_init(enum log_level threshold, FILE *out);
/* Register a secret to mask in every later message (copied). Empty strings and strings shorter
 * than 4 bytes are ignored. Call before any thread starts. */
void log_add_secret(const char *secret);
/* Forget all registered secrets (tests). */
void log_clear_secrets(void);
/* "debug" | "info" | "warn" | "error" → level; false when the name is unknown. */
bool log_level_parse(const char *name, enum log_level *out);
const char *log_level_name(enum log_level lvl);

/* Write one line. ctx may be NULL. Thread-safe. */
void log_write(enum log_level lvl, const struct log_ctx *ctx, const char *event, const char *fmt,
               ...) __attribute__((format(printf, 4, 5)));

/* Format one line into out (at most outlen bytes, NUL-terminated, newline included); returns the
 * length. log_write uses it; tests call it directly. */
size_t log_format(char *out, size_t outlen, int64_t real_ms, enum log_level lvl,
                  const struct log_ctx *ctx, const char *event, const char *msg);

#define LOG_AT(lvl, ctx, event, ...)                                                               \
    do {                                                                                           \
        if ((lvl) >= log_threshold)                                                                \
            log_write((lvl), (ctx), (event), __VA_ARGS__);                                         \
    } while (0)
#define LOG_DEBUG(ctx, event, ...) LOG_AT(LOG_LEVEL_DEBUG, ctx, event, __VA_ARGS__)
#define LOG_INFO(ctx, event, ...) LOG_AT(LOG_LEVEL_INFO, ctx, event, __VA_ARGS__)
#define LOG_WARN(ctx, event, ...) LOG_AT(LOG_LEVEL_WARN, ctx, event, __VA_ARGS__)
#define LOG_ERROR(ctx, event, ...) LOG_AT(LOG_LEVEL_ERROR, ctx, event, __VA_ARGS__)

#endif
