/* format.c: see format.h. */
#include "tg/format.h"

#include <stdlib.h>
#include <string.h>

int tg_html_escape(struct buf *out, const char *s)
{
    const char *run = s;
    for (; *s; s++) {
        const char *rep = NULL;
        switch (*s) {
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '&': rep = "&amp;"; break;
        case '"': rep = "&quot;"; break;
        default: continue;
        }
        if (buf_append(out, run, (size_t)(s - run)) < 0 || buf_puts(out, rep) < 0)
            return -1;
        run = s + 1;
    }
    return buf_append(out, run, (size_t)(s - run));
}

/* Encode code point cp as UTF-8 into out. */
static int put_utf8(struct buf *out, unsigned long cp)
{
    char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        u[0] = (char)(0xF0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    return buf_append(out, u, n);
}

char *tg_html_to_plain(const char *html)
{
    struct buf b;
    size_t len = strlen(html);
    buf_init(&b, len + 1);
    int rc = 0;
    for (const char *p = html; *p && rc == 0;) {
        if (*p == '<') {
            const char *end = strchr(p, '>');
            if (end) {
                p = end + 1;
                continue;
            }
        } else if (*p == '&') {
            const char *semi = strchr(p, ';');
            if (semi && semi - p <= 10) {
                size_t n = (size_t)(semi - p) + 1;
                if (n == 4 && memcmp(p, "&lt;", 4) == 0) {
                    rc = buf_append(&b, "<", 1);
                } else if (n == 4 && memcmp(p, "&gt;", 4) == 0) {
                    rc = buf_append(&b, ">", 1);
                } else if (n == 5 && memcmp(p, "&amp;", 5) == 0) {
                    rc = buf_append(&b, "&", 1);
                } else if (n == 6 && memcmp(p, "&quot;", 6) == 0) {
                    rc = buf_append(&b, "\"", 1);
                } else if (p[1] == '#') {
                    char *endp;
                    unsigned long cp = p[2] == 'x' || p[2] == 'X' ? strtoul(p + 3, &endp, 16)
                                                                  : strtoul(p + 2, &endp, 10);
                    if (endp == semi && cp > 0 && cp <= 0x10FFFF)
                        rc = put_utf8(&b, cp);
                    else
                        rc = buf_append(&b, p, n);
                } else {
                    rc = buf_append(&b, p, n);
                }
                p += n;
                continue;
            }
        }
        rc = buf_append(&b, p, 1);
        p++;
    }
    return buf_steal(&b);
}

size_t tg_utf8_chars(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            n++;
    return n;
}

size_t tg_split_text(const char *text, size_t max_chars, size_t *offs, size_t *lens, size_t cap)
{
    size_t len = strlen(text), pos = 0, parts = 0;
    while (pos < len) {
        /* Find the byte end of the longest prefix with at most max_chars characters. */
        size_t i = pos, chars = 0;
        while (i < len) {
            size_t j = i + 1;
            while (j < len && ((unsigned char)text[j] & 0xC0) == 0x80)
                j++;
            if (chars + 1 > max_chars)
                break;
            chars++;
            i = j;
        }
        size_t end = i;
        if (end < len) {
            /* Prefer the last newline, then the last space, in the second half of the part. */
            size_t cut = 0;
            for (size_t k = end; k > pos + (end - pos) / 2; k--) {
                if (text[k - 1] == '\n') {
                    cut = k;
                    break;
                }
            }
            if (!cut)
                for (size_t k = end; k > pos + (end - pos) / 2; k--)
                    if (text[k - 1] == ' ') {
                        cut = k;
                        break;
                    }
            if (cut)
                end = cut;
        }
        if (parts < cap) {
            offs[parts] = pos;
            lens[parts] = end - pos;
            /* Trailing newlines at a cut would show as blank space. */
            while (lens[parts] > 0 && text[pos + lens[parts] - 1] == '\n')
                lens[parts]--;
        }
        parts++;
        pos = end;
    }
    return parts;
}
