/* vin.c: see vin.h. The offline decoder, in the order of vin-rules.md §10.
 *
 * DESIGN: character classes, values and year codes are constant 256-entry tables, so validating and
 * scoring a VIN is a handful of table loads per character with no branches on the alphabet.
 * A valid VIN takes no snprintf and no allocation on its way through; messages are formatted
 * only for what is wrong. The result struct is plain data that can be copied or cached. */
#include "vin/vin.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* ---- tables ---- */

/* Transliteration (49 CFR 565.15), stored plus one so that the zero of every character we do
 * not list means "not in the VIN alphabet" (I, O, Q, lower case, punctuation): value = v - 1. */
static const unsigned char value1[256] = {
    ['0'] = 1, ['1'] = 2, ['2'] = 3,  ['3'] = 4,  ['4'] = 5,  ['5'] = 6, ['6'] = 7,
    ['7'] = 8, ['8'] = 9, ['9'] = 10, ['A'] = 2,  ['B'] = 3,  ['C'] = 4, ['D'] = 5,
    ['E'] = 6, ['F'] = 7, ['G'] = 8,  ['H'] = 9,  ['J'] = 2,  ['K'] = 3, ['L'] = 4,
    ['M'] = 5, ['N'] = 6, ['P'] = 8,  ['R'] = 10, ['S'] = 3,  ['T'] = 4, ['U'] = 5,
    ['V'] = 6, ['W'] = 7, ['X'] = 8,  ['Y'] = 9,  ['Z'] = 10,
};

/* Model-year codes of position 10, plus one: index i means 1980 + i or 2010 + i. */
static const unsigned char year1[256] = {
    ['A'] = 1,  ['B'] = 2,  ['C'] = 3,  ['D'] = 4,  ['E'] = 5,  ['F'] = 6,  ['G'] = 7,  ['H'] = 8,
    ['J'] = 9,  ['K'] = 10, ['L'] = 11, ['M'] = 12, ['N'] = 13, ['P'] = 14, ['R'] = 15, ['S'] = 16,
    ['T'] = 17, ['V'] = 18, ['W'] = 19, ['X'] = 20, ['Y'] = 21, ['1'] = 22, ['2'] = 23, ['3'] = 24,
    ['4'] = 25, ['5'] = 26, ['6'] = 27, ['7'] = 28, ['8'] = 29, ['9'] = 30,
};

static const int weights[VIN_LEN] = {8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2};

int vin_char_value(char c)
{
    return (int)value1[(unsigned char)c] - 1;
}

bool vin_char_ok(char c)
{
    return value1[(unsigned char)c] != 0;
}

int vin_year_index(char c)
{
    return (int)year1[(unsigned char)c] - 1;
}

char vin_check_digit(const char *v)
{
    int sum = 0;
    for (int i = 0; i < VIN_LEN; i++) {
        if (i == 8)
            continue;
        int val = (int)value1[(unsigned char)v[i]] - 1;
        if (val < 0)
            return 0;
        sum += val * weights[i];
    }
    int r = sum % 11;
    return r == 10 ? 'X' : (char)('0' + r);
}

int vin_current_year(void)
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    return tm.tm_year + 1900;
}

/* ---- regions and countries (vin-rules.md §7, §8) ---- */

bool vin_is_north_american(char c)
{
    return (c >= '1' && c <= '5') || c == '7';
}

const char *vin_region(char c)
{
    if (c >= 'A' && c <= 'H')
        return "Africa";
    if (c >= 'J' && c <= 'R')
        return "Asia";
    if (c >= 'S' && c <= 'Z')
        return "Europe";
    if (vin_is_north_american(c))
        return "North America";
    if (c == '6')
        return "Oceania";
    if (c == '8' || c == '9')
        return "South America";
    return "";
}

/* Position of a second character in ISO 3780 range order: A..Z without I O Q, then 1..9,
 * then 0. -1 for anything else. */
static int order2(char c)
{
    static const char seq[] = "ABCDEFGHJKLMNPRSTUVWXYZ1234567890";
    const char *p = c ? strchr(seq, c) : NULL;
    return p ? (int)(p - seq) : -1;
}

struct range {
    char first, from, to;
    const char *country;
};

/* The current allocation as vin-rules.md §8 gives it (after idlesign/vininfo, ISO 3780). */
static const struct range ranges[] = {
    {'A', 'A', 'H', "South Africa"},   {'A', 'J', 'K', "Ivory Coast"},
    {'A', 'L', 'M', "Lesotho"},        {'A', 'N', 'P', "Botswana"},
    {'A', 'R', 'S', "Namibia"},        {'A', 'T', 'U', "Madagascar"},
    {'A', 'V', 'W', "Mauritius"},      {'A', 'X', 'Y', "Tunisia"},
    {'A', 'Z', '1', "Cyprus"},         {'A', '2', '3', "Zimbabwe"},
    {'A', '4', '5', "Mozambique"},     {'B', 'A', 'B', "Angola"},
    {'B', 'F', 'G', "Kenya"},          {'B', 'L', 'L', "Nigeria"},
    {'B', 'R', 'R', "Algeria"},        {'B', '3', '4', "Libya"},
    {'C', 'A', 'B', "Egypt"},          {'C', 'F', 'G', "Morocco"},
    {'C', 'L', 'M', "Zambia"},         {'D', 'A', 'E', "Egypt"},
    {'H', 'A', '0', "China"},          {'J', 'A', '0', "Japan"},
    {'K', 'F', 'H', "Israel"},         {'K', 'L', 'R', "South Korea"},
    {'K', 'S', 'T', "Jordan"},         {'L', 'A', '0', "China"},
    {'M', 'A', 'E', "India"},          {'M', 'F', 'K', "Indonesia"},
    {'M', 'L', 'R', "Thailand"},       {'M', 'S', 'S', "Myanmar"},
    {'M', 'U', 'U', "Mongolia"},       {'M', 'X', 'X', "Kazakhstan"},
    {'M', '1', '6', "India"},          {'N', 'A', 'E', "Iran"},
    {'N', 'F', 'G', "Pakistan"},       {'N', 'J', 'J', "Iraq"},
    {'N', 'L', 'R', "Turkey"},         {'N', 'S', 'T', "Uzbekistan"},
    {'N', 'U', 'U', "Azerbaijan"},     {'N', 'Y', 'Y', "Armenia"},
    {'N', '1', '5', "Iran"},           {'P', 'A', 'C', "Philippines"},
    {'P', 'F', 'G', "Singapore"},      {'P', 'L', 'R', "Malaysia"},
    {'P', 'S', 'T', "Bangladesh"},     {'R', 'A', 'B', "United Arab Emirates"},
    {'R', 'F', 'K', "Taiwan"},         {'R', 'L', 'N', "Vietnam"},
    {'R', 'P', 'P', "Laos"},           {'R', 'S', 'T', "Saudi Arabia"},
    {'R', 'U', 'W', "Russia"},         {'R', '1', '1', "Hong Kong"},
    {'S', 'A', 'M', "United Kingdom"}, {'S', 'N', 'T', "Germany"},
    {'S', 'U', 'Z', "Poland"},         {'S', '1', '2', "Latvia"},
    {'S', '3', '3', "South Ossetia"},  {'T', 'A', 'H', "Switzerland"},
    {'T', 'J', 'P', "Czech Republic"}, {'T', 'R', 'V', "Hungary"},
    {'T', 'W', '2', "Portugal"},       {'T', '3', '5', "Serbia and Montenegro"},
    {'T', '6', '6', "Andorra"},        {'U', 'A', 'C', "Spain"},
    {'U', 'H', 'M', "Denmark"},        {'U', 'N', 'R', "Ireland"},
    {'U', 'U', 'W', "Romania"},        {'U', '1', '2', "North Macedonia"},
    {'U', '5', '7', "Slovakia"},       {'U', '8', '0', "Bosnia and Herzegovina"},
    {'V', 'A', 'E', "Austria"},        {'V', 'F', 'R', "France"},
    {'V', 'S', 'W', "Spain"},          {'V', 'X', '2', "Serbia"},
    {'V', '3', '5', "Croatia"},        {'V', '6', '8', "Estonia"},
    {'W', 'A', '0', "Germany"},        {'X', 'A', 'C', "Bulgaria"},
    {'X', 'D', 'E', "Russia"},         {'X', 'F', 'H', "Greece"},
    {'X', 'J', 'K', "Russia"},         {'X', 'L', 'R', "Netherlands"},
    {'X', 'S', 'W', "Russia"},         {'X', 'X', 'Y', "Luxembourg"},
    {'X', 'Z', '0', "Russia"},         {'Y', 'A', 'E', "Belgium"},
    {'Y', 'F', 'K', "Finland"},        {'Y', 'N', 'N', "Malta"},
    {'Y', 'S', 'W', "Sweden"},         {'Y', 'X', '2', "Norway"},
    {'Y', '3', '5', "Belarus"},        {'Y', '6', '8', "Ukraine"},
    {'Z', 'A', 'U', "Italy"},          {'Z', 'X', 'Z', "Slovenia"},
    {'Z', '1', '1', "San Marino"},     {'Z', '3', '5', "Lithuania"},
    {'Z', '6', '0', "Russia"},         {'1', 'A', '0', "United States"},
    {'4', 'A', '0', "United States"},  {'5', 'A', '0', "United States"},
    {'7', 'A', '0', "United States"},  {'2', 'A', '5', "Canada"},
    {'3', 'A', 'X', "Mexico"},         {'3', '5', '5', "Dominican Republic"},
    {'3', '6', '6', "Honduras"},       {'3', '7', '7', "Panama"},
    {'3', '8', '9', "Puerto Rico"},    {'6', 'A', 'X', "Australia"},
    {'6', 'Y', '1', "New Zealand"},    {'8', 'A', 'E', "Argentina"},
    {'8', 'F', 'G', "Chile"},          {'8', 'L', 'N', "Ecuador"},
    {'8', 'S', 'T', "Peru"},           {'8', 'X', 'Z', "Venezuela"},
    {'8', '2', '2', "Bolivia"},        {'9', 'A', 'E', "Brazil"},
    {'9', 'F', 'G', "Colombia"},       {'9', 'S', 'V', "Uruguay"},
    {'9', '2', '9', "Brazil"},
};

const char *vin_country(char c1, char c2)
{
    int o = order2(c2);
    if (o < 0)
        return "";
    for (size_t i = 0; i < ARRAY_LEN(ranges); i++) {
        const struct range *r = &ranges[i];
        if (r->first == c1 && o >= order2(r->from) && o <= order2(r->to))
            return r->country;
    }
    return "";
}

/* ---- cleaning and messages ---- */

size_t vin_clean(const char *in, size_t len, char *out, size_t outlen)
{
    size_t n = 0;
    size_t start = 0, end = len;
    while (start < end &&
           (in[start] == ' ' || in[start] == '\t' || in[start] == '\n' || in[start] == '\r'))
        start++;
    while (end > start && (in[end - 1] == ' ' || in[end - 1] == '\t' || in[end - 1] == '\n' ||
                           in[end - 1] == '\r'))
        end--;
    for (size_t i = start; i < end; i++) {
        char c = in[i];
        if (c == ' ' || c == '-' || c == '\t')
            continue;
        if (c >= 'a' && c <= 'z')
            c = (char)(c - 'a' + 'A');
        if (n + 1 < outlen)
            out[n] = c;
        n++;
    }
    if (outlen)
        out[n < outlen ? n : outlen - 1] = '\0';
    return n;
}

static void add_msg(char (*msgs)[VIN_MSG_LEN], int *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void add_msg(char (*msgs)[VIN_MSG_LEN], int *n, const char *fmt, ...)
{
    if (*n >= VIN_MAX_MSGS)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msgs[*n], VIN_MSG_LEN, fmt, ap);
    va_end(ap);
    (*n)++;
}

#define ERR(r, ...) add_msg((r)->errors, &(r)->nerrors, __VA_ARGS__)
#define WARN(r, ...) add_msg((r)->warnings, &(r)->nwarnings, __VA_ARGS__)

/* Describe one character that is not allowed, as a person would want to hear it. */
static void bad_char(struct vin_result *r, char c, int pos)
{
    switch (c) {
    case 'I':
        ERR(r, "contains the letter I at position %d: VINs never use I, O or Q; did you mean 1?",
            pos);
        break;
    case 'O':
        ERR(r, "contains the letter O at position %d: VINs never use I, O or Q; did you mean 0?",
            pos);
        break;
    case 'Q':
        ERR(r, "contains the letter Q at position %d: VINs never use I, O or Q; did you mean 0?",
            pos);
        break;
    case '*': ERR(r, "has a * at position %d: a full VIN has no unknown characters", pos); break;
    default:
        if ((unsigned char)c < 0x20 || (unsigned char)c >= 0x7f)
            ERR(r, "has a character that is not a digit or a letter at position %d", pos);
        else
            ERR(r, "has '%c' at position %d: a VIN has only digits and capital letters", c, pos);
    }
}

/* Visually confusable characters, for check-digit typo candidates: what a person may have
 * typed instead of what was printed. */
static const char *confusable(char c)
{
    switch (c) {
    case '0': return "DU8";
    case '1': return "7LJT";
    case '2': return "Z7";
    case '3': return "8B";
    case '4': return "A9";
    case '5': return "S6";
    case '6': return "GB5";
    case '7': return "1T2";
    case '8': return "B30";
    case '9': return "4P";
    case 'A': return "4";
    case 'B': return "863";
    case 'C': return "G";
    case 'D': return "0";
    case 'G': return "6C";
    case 'J': return "1";
    case 'L': return "1";
    case 'M': return "N";
    case 'N': return "M";
    case 'P': return "R9";
    case 'R': return "P";
    case 'S': return "5";
    case 'T': return "71";
    case 'U': return "V0";
    case 'V': return "UY";
    case 'Y': return "V";
    case 'Z': return "2";
    default: return "";
    }
}

/* Up to VIN_MAX_CANDIDATES VINs that differ from v in one character and pass the check digit:
 * first the check digit itself mistyped, then confusable characters elsewhere. */
static void typo_candidates(struct vin_result *r)
{
    char v[VIN_LEN + 1];
    memcpy(v, r->vin, sizeof v);
    /* the check digit itself */
    if (r->check.expected) {
        memcpy(r->check.candidates[r->check.ncandidates], v, sizeof v);
        r->check.candidates[r->check.ncandidates++][8] = r->check.expected;
    }
    for (int pos = 0; pos < VIN_LEN && r->check.ncandidates < VIN_MAX_CANDIDATES; pos++) {
        if (pos == 8)
            continue;
        char orig = v[pos];
        for (const char *alt = confusable(orig); *alt; alt++) {
            v[pos] = *alt;
            if (vin_check_digit(v) == v[8]) {
                memcpy(r->check.candidates[r->check.ncandidates++], v, sizeof v);
                if (r->check.ncandidates == VIN_MAX_CANDIDATES)
                    break;
            }
        }
        v[pos] = orig;
    }
}

/* Whether the position-7 rule applies (vin-rules.md §5.2 step 1). */
static bool year_rule_applies(const struct vin_result *r)
{
    if (!vin_is_north_american(r->vin[0]))
        return false;
    switch (r->maker.type) {
    case VIN_TYPE_CAR:
    case VIN_TYPE_MPV:
    case VIN_TYPE_TRUCK: return true;
    default: return false;
    }
}

static void model_year(struct vin_result *r, int current_year)
{
    int i = vin_year_index(r->vin[9]);
    if (i < 0) {
        if (vin_is_north_american(r->vin[0]))
            WARN(r, "position 10 ('%c') is not a model-year code; model year unknown", r->vin[9]);
        return;
    }
    if (year_rule_applies(r)) {
        bool letter7 = r->vin[6] >= 'A' && r->vin[6] <= 'Z';
        int y = (letter7 ? 2010 : 1980) + i;
        if (y <= current_year + 1) {
            r->model_years[0] = y;
            r->nyears = 1;
            return;
        }
        /* The rule points to the future: the VIN breaks the rule (or we were told the wrong
         * vehicle type). Fall back to the candidates. */
    }
    int later = 2010 + i, earlier = 1980 + i;
    if (later <= current_year + 1) {
        r->model_years[r->nyears++] = later;
        r->model_years[r->nyears++] = earlier;
    } else {
        r->model_years[r->nyears++] = earlier;
    }
}

bool vin_decode_offline(const char *input, size_t len, int current_year, struct vin_result *r)
{
    memset(r, 0, sizeof *r);
    if (current_year <= 0)
        current_year = vin_current_year();
    size_t shown = len < sizeof r->input - 1 ? len : sizeof r->input - 1;
    memcpy(r->input, input, shown);
    r->input[shown] = '\0';
    r->region = "";
    r->country = "";
    r->maker.manufacturer = r->maker.country = r->maker.make = "";

    char clean[VIN_LEN + 8];
    size_t n = vin_clean(input, len, clean, sizeof clean);
    if (n == 0) {
        ERR(r, "empty: send the 17 characters of the VIN");
        return false;
    }
    /* clean holds at most sizeof clean - 1 characters of a longer input */
    r->cleaned = n != len || memcmp(clean, input, MIN(n, sizeof clean - 1)) != 0;
    if (n != VIN_LEN) {
        if (n < VIN_LEN)
            ERR(r, "too short: %zu character%s, a VIN has 17", n, n == 1 ? "" : "s");
        else
            ERR(r, "too long: %zu characters, a VIN has 17", n);
        if (n >= 11 && n <= 13)
            WARN(r, "%zu characters looks like a pre-1981 VIN; those had no standard format", n);
    }
    /* Every character outside the alphabet, by position (of the cleaned text). */
    size_t checked = n < sizeof clean - 1 ? n : sizeof clean - 1;
    for (size_t i = 0; i < checked; i++)
        if (!value1[(unsigned char)clean[i]])
            bad_char(r, clean[i], (int)i + 1);
    if (r->nerrors)
        return false;

    memcpy(r->vin, clean, VIN_LEN + 1);
    r->syntax_ok = true;
    const char *v = r->vin;

    /* WMI, region, country */
    bool small = v[2] == '9';
    memcpy(r->wmi, v, 3);
    if (small)
        memcpy(r->wmi + 3, v + 11, 3);
    const struct vin_wmi_info *w = small ? vin_wmi_lookup(r->wmi) : NULL;
    if (!w) {
        char w3[4] = {v[0], v[1], v[2], 0};
        w = vin_wmi_lookup(w3);
    }
    if (w)
        r->maker = *w;
    r->region = vin_region(v[0]);
    r->country = vin_country(v[0], v[1]);
    if (!*r->region)
        WARN(r, "position 1 ('%c') is not assigned to any region", v[0]);

    /* VDS, plant, serial */
    memcpy(r->vds, v + 3, 5);
    r->plant = v[10];
    memcpy(r->serial, small ? v + 14 : v + 11, small ? 3 : 6);

    /* Check digit */
    r->check.actual = v[8];
    r->check.expected = vin_check_digit(v);
    r->check.valid = r->check.expected == v[8];
    r->check.required = vin_is_north_american(v[0]);
    if (!r->check.valid) {
        if (r->check.required) {
            ERR(r, "check digit is %c but should be %c: probably a typo", v[8], r->check.expected);
            typo_candidates(r);
        } else if ((v[8] >= '0' && v[8] <= '9') || v[8] == 'X') {
            WARN(r,
                 "check digit does not compute (%c, expected %c); outside North America it "
                 "is not always used",
                 v[8], r->check.expected);
        } else {
            WARN(r, "no check digit in position 9 ('%c'): not used in this market", v[8]);
        }
    }

    /* Model year */
    model_year(r, current_year);
    if (r->nyears == 2 && vin_is_north_american(v[0]) && r->maker.type == VIN_TYPE_UNKNOWN)
        WARN(r, "model year %d or %d: the vehicle type is unknown, so position 7 cannot tell",
             r->model_years[0], r->model_years[1]);

    r->valid = r->nerrors == 0;
    return r->valid;
}

/* ---- JSON ---- */

static int json_msgs(struct buf *b, const char (*msgs)[VIN_MSG_LEN], int n)
{
    int rc = buf_puts(b, "[");
    for (int i = 0; i < n; i++) {
        if (i)
            rc |= buf_puts(b, ",");
        rc |= buf_json_str(b, msgs[i]);
    }
    return rc | buf_puts(b, "]");
}

static int json_str_or_null(struct buf *b, const char *s)
{
    return s && *s ? buf_json_str(b, s) : buf_puts(b, "null");
}

static int json_char_or_null(struct buf *b, char c)
{
    char s[2] = {c, 0};
    return c ? buf_json_str(b, s) : buf_puts(b, "null");
}

int vin_result_to_json(const struct vin_result *r, struct buf *b)
{
    int rc = buf_puts(b, "{\"input\":");
    rc |= buf_json_str(b, r->input);
    rc |= buf_puts(b, ",\"vin\":");
    rc |= json_str_or_null(b, r->vin);
    rc |= buf_printf(b, ",\"valid\":%s,\"errors\":", r->valid ? "true" : "false");
    rc |= json_msgs(b, r->errors, r->nerrors);
    rc |= buf_puts(b, ",\"warnings\":");
    rc |= json_msgs(b, r->warnings, r->nwarnings);
    rc |= buf_puts(b, ",\"check_digit\":");
    if (r->syntax_ok) {
        rc |= buf_puts(b, "{\"expected\":");
        rc |= json_char_or_null(b, r->check.expected);
        rc |= buf_puts(b, ",\"actual\":");
        rc |= json_char_or_null(b, r->check.actual);
        rc |= buf_printf(b, ",\"valid\":%s,\"required\":%s", r->check.valid ? "true" : "false",
                         r->check.required ? "true" : "false");
        if (r->check.ncandidates) {
            rc |= buf_puts(b, ",\"candidates\":[");
            for (int i = 0; i < r->check.ncandidates; i++) {
                if (i)
                    rc |= buf_puts(b, ",");
                rc |= buf_json_str(b, r->check.candidates[i]);
            }
            rc |= buf_puts(b, "]");
        }
        rc |= buf_puts(b, "}");
    } else {
        rc |= buf_puts(b, "null");
    }
    rc |= buf_puts(b, ",\"model_year\":[");
    for (int i = 0; i < r->nyears; i++)
        rc |= buf_printf(b, "%s%d", i ? "," : "", r->model_years[i]);
    rc |= buf_puts(b, "],\"region\":");
    rc |= json_str_or_null(b, r->region);
    rc |= buf_puts(b, ",\"country\":");
    rc |= json_str_or_null(b, r->country);
    rc |= buf_puts(b, ",\"wmi\":");
    rc |= json_str_or_null(b, r->wmi);
    rc |= buf_puts(b, ",\"manufacturer\":");
    rc |= json_str_or_null(b, r->maker.manufacturer);
    rc |= buf_puts(b, ",\"make\":");
    rc |= json_str_or_null(b, r->maker.make);
    rc |= buf_puts(b, ",\"vehicle_type\":");
    rc |= json_str_or_null(b, r->maker.type ? vin_type_name(r->maker.type) : "");
    rc |= buf_puts(b, ",\"plant\":");
    rc |= json_char_or_null(b, r->syntax_ok ? r->plant : 0);
    rc |= buf_puts(b, ",\"serial\":");
    rc |= json_str_or_null(b, r->serial);
    rc |= buf_puts(b, ",\"source\":\"offline\"}");
    return rc ? -1 : 0;
}
