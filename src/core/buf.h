/* buf.h: a growable byte buffer with a hard maximum (curl's dynbuf).
 *
 * Every buffer fed from the network is created with the most it may ever hold; an append that
 * would pass it fails and leaves the buffer as it was. The contents are always NUL-terminated,
 * so a buffer of text can be handed to string functions directly. */
#ifndef CORE_BUF_H
#define CORE_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "core/util.h"

struct buf {
    char *data; /* NUL-terminated; NULL until the first append */
    size_t len; /* bytes used, not counting the NUL */
    size_t cap; /* bytes allocated */
    size_t max; /* the most len may reach */
};

/* Start an empty buffer that will never hold more than max bytes. Allocates nothing. */
void buf_init(struct buf *b, size_t max);
/* Free the contents; safe on a zeroed or already cleaned buffer. The buffer is empty afterwards
 * and may be reused with the same max. */
void buf_cleanup(struct buf *b);
/* Forget the contents but keep the allocation. */
void buf_reset(struct buf *b);

/* Append n bytes. Returns 0, or -1 (buffer unchanged) when max would be passed. */
int buf_append(struct buf *b, const void *p, size_t n) MUST_CHECK;
int buf_puts(struct buf *b, const char *s) MUST_CHECK;
int buf_printf(struct buf *b, const char *fmt, ...) MUST_CHECK
    __attribute__((format(printf, 2, 3)));
int buf_vprintf(struct buf *b, const char *fmt, va_list ap) MUST_CHECK;
/* Append s as the inside of a JSON string (quotes not included): escapes ", \ and control
 * characters; bytes >= 0x80 pass through (the input is expected to be UTF-8). */
int buf_json_escape(struct buf *b, const char *s, size_t n) MUST_CHECK;
/* Append "s" (quoted, escaped) or null when s is NULL. */
int buf_json_str(struct buf *b, const char *s) MUST_CHECK;

/* Hand the contents to the caller (who frees them) and leave the buffer empty. Never NULL. */
char *buf_steal(struct buf *b);

#endif
