/* render.c: see render.h. Plain, scannable cards: the VIN in bold, one fact per line, the
 * check digit explained in words, and the ambiguity of an offline model year said plainly. */
#include "bot/render.h"

#include <stdio.h>
#include <string.h>

#include "tg/format.h"
#include "vin/vin.h"

#define E(s) tg_html_escape(out, (s))

static int years_line(struct buf *out, const struct vin_result *r)
{
    int rc = 0;
    if (r->nyears == 1)
        rc |= buf_printf(out, "Model year: <b>%d</b>\n", r->model_years[0]);
    else if (r->nyears == 2)
        rc |= buf_printf(out, "Model year: <b>%d</b> or %d (position 10 repeats every 30 years)\n",
                         r->model_years[0], r->model_years[1]);
    else
        rc |= buf_puts(out, "Model year: not encoded in this VIN\n");
    return rc;
}

static int check_line(struct buf *out, const struct vin_result *r)
{
    if (r->check.valid)
        return buf_printf(out, "Check digit: %c \xe2\x9c\x85 (position 9 matches the other 16)\n",
                          r->check.actual);
    if (r->check.required)
        return buf_printf(out,
                          "Check digit: %c, but the other 16 characters give %c \xe2\x9d\x8c\n",
                          r->check.actual, r->check.expected);
    if ((r->check.actual >= '0' && r->check.actual <= '9') || r->check.actual == 'X')
        return buf_printf(out,
                          "Check digit: %c does not compute (expected %c); outside North "
                          "America makers need not use it\n",
                          r->check.actual, r->check.expected);
    return buf_printf(out,
                      "Check digit: none (position 9 is '%c', as is usual outside North "
                      "America)\n",
                      r->check.actual);
}

int render_vin_card(struct buf *out, const struct vin_result *r)
{
    int rc = buf_puts(out, "\xf0\x9f\x9a\x97 <b>");
    rc |= E(r->vin);
    rc |= buf_puts(out, "</b>\n");
    if (r->cleaned) {
        rc |= buf_puts(out, "<i>Read as ");
        rc |= E(r->vin);
        rc |= buf_puts(out, " (spaces, dashes and case tidied)</i>\n");
    }
    rc |= buf_puts(out, "\n");
    if (*r->maker.manufacturer) {
        rc |= buf_puts(out, "Maker: <b>");
        rc |= E(*r->maker.make ? r->maker.make : r->maker.manufacturer);
        rc |= buf_puts(out, "</b>");
        if (*r->maker.make && strcmp(r->maker.make, r->maker.manufacturer) != 0) {
            rc |= buf_puts(out, " (");
            rc |= E(r->maker.manufacturer);
            rc |= buf_puts(out, ")");
        }
        rc |= buf_puts(out, "\n");
        if (r->maker.type) {
            rc |= buf_puts(out, "Type: ");
            rc |= E(vin_type_name(r->maker.type));
            rc |= buf_puts(out, "\n");
        }
    } else {
        rc |= buf_puts(out, "Maker: not in my list (WMI ");
        rc |= E(r->wmi);
        rc |= buf_puts(out, ")\n");
    }
    rc |= years_line(out, r);
    if (*r->country || *r->region) {
        rc |= buf_puts(out, "Origin: ");
        rc |= E(*r->country ? r->country : r->region);
        if (*r->country && *r->region) {
            rc |= buf_puts(out, ", ");
            rc |= E(r->region);
        }
        rc |= buf_puts(out, "\n");
    }
    rc |= buf_printf(out, "Plant code: %c \xc2\xb7 Serial: ", r->plant);
    rc |= E(r->serial);
    rc |= buf_puts(out, "\n");
    rc |= check_line(out, r);
    for (int i = 0; i < r->nwarnings; i++) {
        rc |= buf_puts(out, "\xe2\x84\xb9\xef\xb8\x8f ");
        rc |= E(r->warnings[i]);
        rc |= buf_puts(out, "\n");
    }
    return rc ? -1 : 0;
}

int render_vin_problems(struct buf *out, const struct vin_result *r)
{
    int rc = 0;
    if (r->syntax_ok) {
        /* Well-formed, but the check digit says it was mistyped (North America). */
        rc |= buf_puts(out, "\xe2\x9a\xa0\xef\xb8\x8f <b>");
        rc |= E(r->vin);
        rc |= buf_puts(out, "</b> has a check digit problem.\n\n");
        rc |= buf_printf(out,
                         "Position 9 is %c, but the other 16 characters give %c: one "
                         "character was probably mistyped.\n",
                         r->check.actual, r->check.expected);
        if (r->check.ncandidates) {
            rc |= buf_puts(out, "Did you mean ");
            for (int i = 0; i < r->check.ncandidates; i++) {
                rc |= buf_puts(out, i == 0 ? "" : i + 1 == r->check.ncandidates ? " or " : ", ");
                rc |= buf_puts(out, "<code>");
                rc |= E(r->check.candidates[i]);
                rc |= buf_puts(out, "</code>");
            }
            rc |= buf_puts(out, "?\n");
        }
        rc |= buf_puts(out, "\nWhat the VIN says even so:\n");
        rc |= years_line(out, r);
        if (*r->maker.manufacturer) {
            rc |= buf_puts(out, "Maker: ");
            rc |= E(*r->maker.make ? r->maker.make : r->maker.manufacturer);
            rc |= buf_puts(out, "\n");
        }
        return rc ? -1 : 0;
    }
    rc |= buf_puts(out, "\xe2\x9a\xa0\xef\xb8\x8f That is not a valid VIN:\n");
    for (int i = 0; i < r->nerrors; i++) {
        rc |= buf_puts(out, "\xe2\x80\xa2 ");
        rc |= E(r->errors[i]);
        rc |= buf_puts(out, "\n");
    }
    for (int i = 0; i < r->nwarnings; i++) {
        rc |= buf_puts(out, "\xe2\x84\xb9\xef\xb8\x8f ");
        rc |= E(r->warnings[i]);
        rc |= buf_puts(out, "\n");
    }
    rc |= buf_puts(out, "\nA VIN has 17 characters: digits and capital letters, never I, O or Q. "
                        "It is on the dashboard behind the windshield and on the driver's door "
                        "pillar.");
    return rc ? -1 : 0;
}

int render_near_miss(struct buf *out, const char *text, const struct vin_result *r)
{
    int rc = buf_puts(out, "\xf0\x9f\xa4\x94 <code>");
    rc |= E(text);
    rc |= buf_puts(out, "</code> looks like a VIN, but:\n");
    for (int i = 0; i < r->nerrors; i++) {
        rc |= buf_puts(out, "\xe2\x80\xa2 ");
        rc |= E(r->errors[i]);
        rc |= buf_puts(out, "\n");
    }
    if (r->nerrors == 0)
        rc |= buf_puts(out, "\xe2\x80\xa2 it is not quite one\n");
    rc |= buf_puts(out, "Check it against the plate on the dashboard or the door pillar and send "
                        "it again.");
    return rc ? -1 : 0;
}
