/* util.h: the few macros and allocation helpers every module uses.
 *
 * Out of memory is fatal (as in redis' zmalloc and kore_malloc): xmalloc and friends log one
 * line to stderr and abort(), so call sites never check for NULL after allocating. */
#ifndef CORE_UTIL_H
#define CORE_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#define MUST_CHECK __attribute__((warn_unused_result))
#define UNUSED(x) ((void)(x))
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

/* Free and NULL the pointer (curl's curlx_safefree). */
#define XFREE(p)                                                                                   \
    do {                                                                                           \
        free(p);                                                                                   \
        (p) = NULL;                                                                                \
    } while (0)

/* Drop const from a pointer for C APIs that take void * but only read through it (such as
 * MHD_create_response_from_buffer with MHD_RESPMEM_MUST_COPY). */
static inline void *unconst(const void *p)
{
    union {
        const void *c;
        void *m;
    } u = {.c = p};
    return u.m;
}

void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* printf into a fresh heap string; the caller frees it. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Copy src into dst (size dstsize), always NUL-terminating; returns strlen(src) like strlcpy. */
size_t str_copy(char *dst, const char *src, size_t dstsize);

/* Constant-time equality of two byte strings: the time depends only on the lengths, never on
 * where the first difference is. Used for the webhook secret. */
bool const_time_eq(const void *a, size_t alen, const void *b, size_t blen);

/* Parse a whole decimal int64 (optional leading '-'); false on junk, empty input or overflow. */
bool parse_int64(const char *s, int64_t *out);

#endif
