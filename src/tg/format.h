/* format.h: text helpers for Bot API messages (pure).
 *
 * Our templates are HTML (parse_mode=HTML): everything we did not write ourselves goes through
 * tg_html_escape. A message is at most 4096 characters; tg_split_text cuts longer texts at
 * line breaks (then spaces, then anywhere between UTF-8 characters). tg_html_to_plain turns our
 * HTML back into plain text for the resend after a "can't parse entities" error. */
#ifndef TG_FORMAT_H
#define TG_FORMAT_H

#include <stddef.h>

#include "core/buf.h"
#include "core/util.h"

#define TG_MAX_MESSAGE_CHARS 4096

/* Append s with <, > and & escaped (and " for use inside attributes). Returns 0 or -1. */
int tg_html_escape(struct buf *out, const char *s) MUST_CHECK;
/* Plain text of our HTML: tags dropped, the four entities and numeric ones decoded. The caller
 * frees the result. */
char *tg_html_to_plain(const char *html);
/* Number of Unicode code points in UTF-8 text (invalid bytes count one each). */
size_t tg_utf8_chars(const char *s, size_t len);

/* Split text into parts of at most max_chars code points. Cuts after the last newline that
 * fits, else the last space, else at a character boundary. Parts are returned as offsets and
 * lengths into text (no copies); the function returns the number of parts written to
 * offs/lens (at most cap), or the number needed if that is more than cap. An HTML text must
 * keep each tag within one line for the cuts to stay valid; our renderers do. */
size_t tg_split_text(const char *text, size_t max_chars, size_t *offs, size_t *lens, size_t cap);

#endif
