/* vin_bench.c: speed of the offline VIN engine, for `make bench`.
 *
 *  - decode: 1,000,000 VINs held in memory (nine in ten valid, from real WMIs; one in ten with a
 *    defect), vin_decode_offline on each; five runs, median VINs/s.
 *  - extraction: vin_extract over a realistic 4 KiB chat message holding two VINs; median time
 *    per call over 21 rounds of 20,000 calls.
 * Prints figures only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "vin/extract.h"
#include "vin/vin.h"

#define N 1000000
#define RUNS 5

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(void)
{
    static const char *const wmis[] = {"1HG", "1FT", "1G1", "5YJ", "JTD", "KMH", "WBA",
                                       "WVW", "3VW", "2T1", "LSV", "VF1", "ZFA", "SAL"};
    static const char alpha[] = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ";
    char *vins = malloc((size_t)N * 18);
    unsigned seed = 12345;
    for (int i = 0; i < N; i++) {
        char *v = vins + (size_t)i * 18;
        memcpy(v, wmis[i % 14], 3);
        for (int k = 3; k < 17; k++) {
            seed = seed * 1103515245u + 12345u;
            v[k] = alpha[(seed >> 16) % 33];
        }
        v[9] = "ABCDEFGHJKLMNPRS"[i % 16];
        v[8] = vin_check_digit(v);
        if (i % 10 == 9)
            v[4] = 'O'; /* a defect to explain */
        v[17] = '\0';
    }
    struct vin_result r;
    double rates[RUNS];
    long valid = 0;
    for (int run = 0; run < RUNS; run++) {
        int64_t t0 = clock_mono_ns();
        for (int i = 0; i < N; i++)
            valid += vin_decode_offline(vins + (size_t)i * 18, 17, 2026, &r);
        rates[run] = N / ((double)(clock_mono_ns() - t0) / 1e9);
    }
    qsort(rates, RUNS, sizeof rates[0], cmp_d);
    printf("vin engine: %.0f VINs/s decoded offline (median of %d runs over %d VINs; %ld valid)\n",
           rates[RUNS / 2], RUNS, N, valid / RUNS);

    /* a 4 KiB message: prose, punctuation, numbers, two VINs */
    char msg[4097];
    const char *chunk = "Hi! I'm looking at a used car, 2019, 45,000 miles, the seller says "
                        "it's clean. Price is $18,500 (negotiable). Phone 555-123-4567. ";
    size_t len = 0;
    while (len + strlen(chunk) < 4096) {
        memcpy(msg + len, chunk, strlen(chunk));
        len += strlen(chunk);
    }
    /* two VINs, each replacing a stretch of text between spaces */
    memcpy(msg + 100, " 1HGCM82633A004352 ", 19);
    memcpy(msg + 2000, " 5YJ3E1EA7KF317000 ", 19);
    while (len < 4096)
        msg[len++] = ' ';
    msg[len] = '\0';
    double per_call[21];
    struct vin_match m[8];
    size_t found = 0;
    for (int round = 0; round < 21; round++) {
        int64_t t0 = clock_mono_ns();
        for (int i = 0; i < 20000; i++)
            found += vin_extract(msg, len, m, 8);
        per_call[round] = (double)(clock_mono_ns() - t0) / 20000.0 / 1000.0;
    }
    qsort(per_call, 21, sizeof per_call[0], cmp_d);
    printf("vin extraction: %.2f us per 4 KiB message (median of 21 rounds; %zu matches per "
           "message)\n",
           per_call[10], found / (21 * 20000));
    free(vins);
    return 0;
}
