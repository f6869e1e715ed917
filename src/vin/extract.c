/* extract.c: see extract.h.
 *
 * DESIGN: one pass over the text with a 256-entry class table. Alphanumeric runs ("words") are
 * the unit. A word of exactly 17 VIN characters with at least one digit and one letter is a VIN
 * (seventeen digits in a sentence are an order or account number far more often than a VIN;
 * a message that is nothing but a VIN is decoded whatever it holds, by the bot). Otherwise,
 * consecutive words joined by a single space or hyphen are tried as groups of a VIN written in
 * pieces: pieces of 2 characters or more, at most 5 of them, adding up to exactly 17 VIN
 * characters with at least 3 digits. A word (or such a group) of 15-19 alphanumerics with at
 * least 3 digits and 2 letters that is not a VIN is a near miss. Anything touching other
 * letters or digits is not a VIN: "x1HGCM82633A004352" is one 18-character word. */
#include "vin/extract.h"

#include <string.h>

enum { C_OTHER = 0, C_DIGIT = 1, C_UPPER = 2, C_LOWER = 3 };

static const unsigned char cls[256] = {
    ['0'] = C_DIGIT, ['1'] = C_DIGIT, ['2'] = C_DIGIT, ['3'] = C_DIGIT, ['4'] = C_DIGIT,
    ['5'] = C_DIGIT, ['6'] = C_DIGIT, ['7'] = C_DIGIT, ['8'] = C_DIGIT, ['9'] = C_DIGIT,
    ['A'] = C_UPPER, ['B'] = C_UPPER, ['C'] = C_UPPER, ['D'] = C_UPPER, ['E'] = C_UPPER,
    ['F'] = C_UPPER, ['G'] = C_UPPER, ['H'] = C_UPPER, ['I'] = C_UPPER, ['J'] = C_UPPER,
    ['K'] = C_UPPER, ['L'] = C_UPPER, ['M'] = C_UPPER, ['N'] = C_UPPER, ['O'] = C_UPPER,
    ['P'] = C_UPPER, ['Q'] = C_UPPER, ['R'] = C_UPPER, ['S'] = C_UPPER, ['T'] = C_UPPER,
    ['U'] = C_UPPER, ['V'] = C_UPPER, ['W'] = C_UPPER, ['X'] = C_UPPER, ['Y'] = C_UPPER,
    ['Z'] = C_UPPER, ['a'] = C_LOWER, ['b'] = C_LOWER, ['c'] = C_LOWER, ['d'] = C_LOWER,
    ['e'] = C_LOWER, ['f'] = C_LOWER, ['g'] = C_LOWER, ['h'] = C_LOWER, ['i'] = C_LOWER,
    ['j'] = C_LOWER, ['k'] = C_LOWER, ['l'] = C_LOWER, ['m'] = C_LOWER, ['n'] = C_LOWER,
    ['o'] = C_LOWER, ['p'] = C_LOWER, ['q'] = C_LOWER, ['r'] = C_LOWER, ['s'] = C_LOWER,
    ['t'] = C_LOWER, ['u'] = C_LOWER, ['v'] = C_LOWER, ['w'] = C_LOWER, ['x'] = C_LOWER,
    ['y'] = C_LOWER, ['z'] = C_LOWER,
};

/* A word: an alphanumeric run. Its digit and letter counts are computed only when the word
 * could be (part of) a VIN: most words in prose never need them. */
struct word {
    size_t start, len;
    int digits, letters; /* -1 until counted */
};

static void count(const char *text, struct word *w)
{
    if (w->digits >= 0)
        return;
    int d = 0;
    for (size_t i = 0; i < w->len; i++)
        d += cls[(unsigned char)text[w->start + i]] == C_DIGIT;
    w->digits = d;
    w->letters = (int)w->len - d;
}

#define MAX_PIECES 5
#define MIN_PIECE 2

static char upper(char c)
{
    return cls[(unsigned char)c] == C_LOWER ? (char)(c - 'a' + 'A') : c;
}

/* Copy up to n characters of the pieces into out (upper-cased); returns whether all are in the
 * VIN alphabet. */
static bool gather(const char *text, const struct word *w, int npieces, char *out, size_t n)
{
    size_t k = 0;
    bool ok = true;
    for (int i = 0; i < npieces; i++) {
        for (size_t j = 0; j < w[i].len && k < n; j++) {
            char c = upper(text[w[i].start + j]);
            out[k++] = c;
            ok &= vin_char_ok(c);
        }
    }
    out[k] = '\0';
    return ok;
}

static void emit(struct vin_match *out, size_t cap, size_t *n, size_t start, size_t end, bool near,
                 const char *text, const struct word *w, int npieces)
{
    if (*n < cap) {
        struct vin_match *m = &out[*n];
        m->start = start;
        m->len = end - start;
        m->near_miss = near;
        gather(text, w, npieces, m->vin, near ? VIN_LEN + 2 : VIN_LEN);
    }
    (*n)++;
}

size_t vin_extract(const char *text, size_t len, struct vin_match *out, size_t cap)
{
    size_t found = 0;
    /* The last words joined to each other by one space or hyphen, in a ring (no copying per
     * word): WIN(j) is the j-th of the nwin words in the window, oldest first. */
    struct word ring[8];
    unsigned end = 0; /* words pushed so far */
    int nwin = 0;
#define WIN(j) ring[(end - (unsigned)nwin + (unsigned)(j)) & 7u]
    size_t covered = 0; /* text before this offset is already part of a reported match */
    size_t i = 0;

    while (i < len) {
        /* skip to the next word */
        while (i < len && cls[(unsigned char)text[i]] == C_OTHER)
            i++;
        if (i >= len)
            break;
        size_t start = i;
        while (i < len && cls[(unsigned char)text[i]] != C_OTHER)
            i++;

        /* Is it joined to the previous word by exactly one space or hyphen? */
        bool joined = nwin > 0 && WIN(nwin - 1).start + WIN(nwin - 1).len + 1 == start &&
                      (text[start - 1] == ' ' || text[start - 1] == '-');
        if (!joined)
            nwin = 0;
        ring[end & 7u] = (struct word){start, i - start, -1, -1};
        end++;
        if (nwin < MAX_PIECES)
            nwin++;
        struct word *w = &WIN(nwin - 1);

        /* A whole word that is a VIN. */
        if (w->len >= 15 && w->len <= 19)
            count(text, w);
        if (w->len == VIN_LEN && w->digits >= 1 && w->letters >= 1) {
            char tmp[VIN_LEN + 1];
            if (gather(text, w, 1, tmp, VIN_LEN)) {
                emit(out, cap, &found, w->start, w->start + w->len, false, text, w, 1);
                covered = w->start + w->len;
                nwin = 0;
                continue;
            }
        }
        /* Groups end with a piece holding digits: the last characters of every VIN are
         * digits (49 CFR 565), and of an attempt at one too. Prose stops here. */
        bool group_end = nwin >= 2 && w->len >= MIN_PIECE;
        if (group_end) {
            count(text, w);
            group_end = w->digits > 0;
        }
        /* A VIN in pieces ending with this word: the first window suffix reaching 17. */
        if (group_end) {
            size_t total = 0;
            int k;
            for (k = nwin - 1; k >= 0; k--) {
                if (WIN(k).len < MIN_PIECE || WIN(k).start < covered)
                    break;
                total += WIN(k).len;
                if (total >= VIN_LEN)
                    break;
            }
            int pieces = nwin - k;
            if (k >= 0 && total == VIN_LEN && pieces >= 2) {
                int dsum = 0, lsum = 0;
                struct word piece[MAX_PIECES];
                for (int q = 0; q < pieces; q++) {
                    count(text, &WIN(k + q));
                    piece[q] = WIN(k + q);
                    dsum += piece[q].digits;
                    lsum += piece[q].letters;
                }
                char tmp[VIN_LEN + 1];
                if (dsum >= 3 && lsum >= 1 && gather(text, piece, pieces, tmp, VIN_LEN)) {
                    emit(out, cap, &found, piece[0].start, w->start + w->len, false, text, piece,
                         pieces);
                    covered = w->start + w->len;
                    nwin = 0;
                    continue;
                }
            }
        }
        /* A near miss: a single word that looks like an attempt. */
        if (w->len >= 15 && w->len <= 19 && w->digits >= 3 && w->letters >= 2 &&
            w->start >= covered) {
            emit(out, cap, &found, w->start, w->start + w->len, true, text, w, 1);
            covered = w->start + w->len;
            nwin = 0;
            continue;
        }
        /* A near miss in pieces: 15-19 characters in pieces that all carry digits, at the end
         * of the group (the next character does not continue it). */
        if (group_end) {
            size_t total = 0;
            int dsum = 0, lsum = 0, k;
            for (k = nwin - 1; k >= 0 && WIN(k).len >= MIN_PIECE && WIN(k).start >= covered; k--) {
                count(text, &WIN(k));
                if (WIN(k).digits == 0)
                    break;
                total += WIN(k).len;
                dsum += WIN(k).digits;
                lsum += WIN(k).letters;
            }
            k++;
            int pieces = nwin - k;
            bool group_ends = i >= len || !((text[i] == ' ' || text[i] == '-') && i + 1 < len &&
                                            cls[(unsigned char)text[i + 1]] != C_OTHER);
            if (group_ends && pieces >= 2 && total >= 15 && total <= 19 && dsum >= 5 && lsum >= 2) {
                struct word piece[MAX_PIECES];
                for (int q = 0; q < pieces; q++)
                    piece[q] = WIN(k + q);
                emit(out, cap, &found, piece[0].start, w->start + w->len, true, text, piece,
                     pieces);
                covered = w->start + w->len;
                nwin = 0;
            }
        }
    }
#undef WIN
    return found;
}
