/* render.c: see render.h. Plain, scannable cards: the VIN in bold, one fact per line, the
 * check digit explained in words, and the ambiguity of an offline model year said plainly. */
#include "bot/render.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode/decode.h"
#include "search/search.h"
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

/* "label: value" when value is set. */
static int kv(struct buf *out, const char *label, const char *value)
{
    if (!value || !*value)
        return 0;
    int rc = buf_printf(out, "%s: ", label);
    rc |= E(value);
    return rc | buf_puts(out, "\n");
}

/* Join non-empty parts with " · " into one line. */
static int joined(struct buf *out, const char *label, const char *const *parts, size_t n)
{
    int rc = 0;
    bool first = true;
    for (size_t i = 0; i < n; i++) {
        if (!parts[i] || !*parts[i])
            continue;
        rc |= buf_puts(out, first ? "" : " \xc2\xb7 ");
        if (first)
            rc |= buf_printf(out, "%s: ", label);
        rc |= E(parts[i]);
        first = false;
    }
    return first ? rc : rc | buf_puts(out, "\n");
}

static const char *source_name(const char *s)
{
    return strcmp(s, "nhtsa") == 0 ? "NHTSA vPIC" : strcmp(s, "autodev") == 0 ? "auto.dev" : "";
}

int render_decode_card(struct buf *out, const struct decode_result *r)
{
    const struct vehicle *v = &r->vehicle;
    const struct vin_result *o = &r->offline;
    if (!r->online || !v->found) {
        int rc = render_vin_card(out, o);
        if (r->online && !v->found)
            rc |= buf_printf(out,
                             "\n%s has no record of this VIN; the facts above come from "
                             "the VIN itself.",
                             source_name(v->source));
        else if (r->nnotes && strcmp(r->notes[0], "offline decoding chosen") != 0)
            rc |= buf_puts(out, "\nThe online decoders are not answering right now, so this is "
                                "what the VIN itself says.");
        return rc ? -1 : 0;
    }
    int rc = buf_puts(out, "\xf0\x9f\x9a\x97 <b>");
    char year[8] = "";
    if (v->model_year)
        snprintf(year, sizeof year, "%d ", v->model_year);
    rc |= E(year);
    rc |= E(v->make);
    rc |= buf_puts(out, " ");
    rc |= E(v->model);
    if (*v->trim) {
        rc |= buf_puts(out, " ");
        rc |= E(v->trim);
    }
    rc |= buf_puts(out, "</b>\n<code>");
    rc |= E(o->vin);
    rc |= buf_puts(out, "</code>\n\n");
    char doors[24] = "";
    if (*v->doors)
        snprintf(doors, sizeof doors, "%s doors", v->doors);
    const char *body[] = {v->body_class, doors};
    rc |= joined(out, "Body", body, 2);
    rc |= kv(out, "Series", v->series);
    char cyl[24] = "", disp[24] = "", hp[24] = "";
    if (*v->engine_cylinders)
        snprintf(cyl, sizeof cyl, "%s cyl", v->engine_cylinders);
    if (*v->displacement_l) {
        double l = atof(v->displacement_l);
        snprintf(disp, sizeof disp, "%.1f L", l);
    }
    if (*v->engine_hp)
        snprintf(hp, sizeof hp, "%s hp", v->engine_hp);
    const char *engine[] = {cyl, disp, hp, v->fuel_type};
    rc |= joined(out, "Engine", engine, 4);
    const char *drive[] = {v->drive_type, v->transmission};
    rc |= joined(out, "Drive", drive, 2);
    const char *built[] = {v->plant_city, v->plant_country};
    rc |= joined(out, "Built in", built, 2);
    rc |= kv(out, "Manufacturer", v->manufacturer);
    rc |= kv(out, "Type", v->vehicle_type);
    rc |= kv(out, "GVWR", v->gvwr);
    rc |= kv(out, "Safety", v->safety);
    if (o->syntax_ok)
        rc |= check_line(out, o);
    if (v->model_year && o->nyears >= 1 && o->model_years[0] != v->model_year &&
        (o->nyears < 2 || o->model_years[1] != v->model_year))
        rc |= buf_printf(out, "Note: position 10 suggests %d, but %s has %d\n", o->model_years[0],
                         source_name(v->source), v->model_year);
    if (*v->note) {
        rc |= buf_puts(out, "\xe2\x84\xb9\xef\xb8\x8f ");
        rc |= E(v->note);
        rc |= buf_puts(out, "\n");
        if (*v->suggested_vin && strcmp(v->suggested_vin, o->vin) != 0) {
            rc |= buf_puts(out, "NHTSA suggests <code>");
            rc |= E(v->suggested_vin);
            rc |= buf_puts(out, "</code>\n");
        }
    }
    rc |= buf_printf(out, "\n<i>Decoded by %s%s.</i>", source_name(v->source),
                     strcmp(r->cache, "hit") == 0 ? " (cached)" : "");
    return rc ? -1 : 0;
}

int render_recalls(struct buf *out, const char *title, const struct recall_list *l)
{
    int rc = buf_puts(out, "\xf0\x9f\x94\x8e <b>Recalls for ");
    rc |= E(title);
    rc |= buf_puts(out, "</b>\n");
    if (l->total == 0)
        return rc | buf_puts(out, "\nNHTSA lists no recalls for this make, model and year.") ? -1
                                                                                             : 0;
    rc |= buf_printf(out, "NHTSA lists %d recall%s.\n", l->total, l->total == 1 ? "" : "s");
    for (int i = 0; i < l->n; i++) {
        const struct recall *x = &l->items[i];
        rc |= buf_puts(out, "\n<b>");
        rc |= E(x->campaign);
        rc |= buf_puts(out, "</b>");
        if (*x->date) {
            rc |= buf_puts(out, " (");
            rc |= E(x->date);
            rc |= buf_puts(out, ")");
        }
        if (*x->component) {
            rc |= buf_puts(out, ": ");
            rc |= E(x->component);
        }
        rc |= buf_puts(out, "\n");
        if (x->park_it)
            rc |= buf_puts(out, "\xe2\x9b\x94 NHTSA advises not to drive this vehicle until "
                                "it is repaired.\n");
        rc |= kv(out, "What", x->summary);
        rc |= kv(out, "Risk", x->consequence);
        rc |= kv(out, "Fix", x->remedy);
    }
    if (l->total > l->n)
        rc |= buf_printf(out, "\n(%d more not shown; see nhtsa.gov/recalls.)", l->total - l->n);
    rc |= buf_puts(out, "\nA dealer checks whether a recall was already done on this VIN.");
    return rc ? -1 : 0;
}

int render_models(struct buf *out, const char *make, int year, const struct model_list *l)
{
    int rc = buf_printf(out, "\xf0\x9f\x93\x8b <b>%d ", year);
    rc |= E(make);
    rc |= buf_puts(out, " models</b>\n");
    if (l->n == 0)
        return rc | buf_puts(out, "NHTSA lists no models for that make and year. Check the "
                                  "spelling of the make (for example: Honda, Ford, Toyota).")
                   ? -1
                   : 0;
    for (int i = 0; i < l->n; i++) {
        rc |= buf_puts(out, "\xe2\x80\xa2 ");
        rc |= E(l->names[i]);
        rc |= buf_puts(out, "\n");
    }
    return rc ? -1 : 0;
}
