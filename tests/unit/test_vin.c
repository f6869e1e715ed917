/* test_vin.c: the offline VIN engine, table-driven from tests/fixtures/vin/cases.tsv (one case
 * per row), plus extraction from chat text, properties of the check digit, JSON rendering and
 * the VIN_WMI_FILE extension (with ../shared/data/wmi.csv when it is there). */
#include <json-c/json.h>

#include "core/buf.h"
#include "vin/extract.h"
#include "vin/vin.h"
#include "t.h"

#define YEAR 2026 /* "now" for the future-year rule, so the cases do not age */

static void unescape(char *s)
{
    char *d = s;
    for (char *p = s; *p; p++) {
        if (p[0] == '\\' && p[1] == 't') {
            *d++ = '\t';
            p++;
        } else if (p[0] == '\\' && p[1] == 'n') {
            *d++ = '\n';
            p++;
        } else {
            *d++ = *p;
        }
    }
    *d = '\0';
}

static bool has_msg(const char (*msgs)[VIN_MSG_LEN], int n, const char *needle)
{
    for (int i = 0; i < n; i++)
        if (strstr(msgs[i], needle))
            return true;
    return false;
}

static void check_row(char **f, int nf)
{
    const char *name = f[0];
    char input[256];
    str_copy(input, f[1], sizeof input);
    unescape(input);
    struct vin_result r;
    bool valid = vin_decode_offline(input, strlen(input), YEAR, &r);
    t_begin(name);
    if (nf < 9) {
        T_FAILF("row has %d fields", nf);
        t_end();
        return;
    }
    T_EQ_INT(valid, atoi(f[2]));
    T_EQ_INT(r.valid, atoi(f[2]));
    if (strcmp(f[3], "*") != 0)
        T_EQ_STR(r.vin, f[3]);
    if (strcmp(f[4], "*") != 0 && *f[4]) {
        char want = f[4][0];
        T_EQ_INT(r.check.expected, want);
    }
    if (strcmp(f[5], "*") != 0) {
        char years[64] = "";
        for (int i = 0; i < r.nyears; i++)
            snprintf(years + strlen(years), sizeof years - strlen(years), "%s%d", i ? "," : "",
                     r.model_years[i]);
        T_EQ_STR(years, f[5]);
    }
    if (strcmp(f[6], "*") != 0)
        T_EQ_STR(r.maker.make, f[6]);
    if (strcmp(f[7], "*") != 0)
        T_EQ_STR(r.region, f[7]);
    if (strcmp(f[8], "*") != 0)
        T_EQ_STR(r.country, f[8]);
    if (nf > 9 && *f[9]) {
        char needles[512];
        str_copy(needles, f[9], sizeof needles);
        for (char *save = NULL, *n = strtok_r(needles, "|", &save); n;
             n = strtok_r(NULL, "|", &save)) {
            const char *want = n + 2;
            switch (n[0]) {
            case 'E':
                if (!has_msg(r.errors, r.nerrors, want))
                    T_FAILF("no error containing \"%s\" (first: \"%s\")", want,
                            r.nerrors ? r.errors[0] : "");
                break;
            case 'W':
                if (!has_msg(r.warnings, r.nwarnings, want))
                    T_FAILF("no warning containing \"%s\" (first: \"%s\")", want,
                            r.nwarnings ? r.warnings[0] : "");
                break;
            case 'C': {
                bool found = false;
                for (int i = 0; i < r.check.ncandidates; i++)
                    found |= strcmp(r.check.candidates[i], want) == 0;
                if (!found)
                    T_FAILF("candidate %s not offered", want);
                break;
            }
            case 'S': T_EQ_STR(r.serial, want); break;
            case 'K': T_EQ_STR(r.wmi, want); break;
            default: T_FAILF("unknown expectation %s", n);
            }
        }
    }
    /* Invariants of every result */
    T_CHECK(r.valid == (r.nerrors == 0));
    if (r.valid)
        T_EQ_INT(strlen(r.vin), VIN_LEN);
    if (!r.valid && r.check.required && r.syntax_ok)
        T_CHECK(r.check.ncandidates <= VIN_MAX_CANDIDATES);
    for (int i = 0; i < r.check.ncandidates; i++)
        T_EQ_INT(vin_check_digit(r.check.candidates[i]), r.check.candidates[i][8]);
    for (int i = 0; i < r.nyears; i++)
        T_CHECK(r.model_years[i] <= YEAR + 1 && r.model_years[i] >= 1980);
    struct buf b;
    buf_init(&b, 1 << 16);
    T_EQ_INT(vin_result_to_json(&r, &b), 0);
    json_object *o = json_tokener_parse(b.data);
    T_CHECK(o && json_object_is_type(o, json_type_object));
    json_object *v;
    T_CHECK(o && json_object_object_get_ex(o, "source", &v) &&
            strcmp(json_object_get_string(v), "offline") == 0);
    json_object_put(o);
    buf_cleanup(&b);
    t_end();
}

static int run_table(void)
{
    FILE *f = fopen("tests/fixtures/vin/cases.tsv", "r");
    if (!f) {
        fprintf(stderr, "cannot open tests/fixtures/vin/cases.tsv (run from the repo root)\n");
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int rows = 0;
    while ((n = getline(&line, &cap, f)) > 0) {
        if (line[0] == '#' || line[0] == '\n')
            continue;
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        char *fields[12];
        int nf = 0;
        char *p = line;
        while (nf < 12) {
            fields[nf++] = p;
            char *tab = strchr(p, '\t');
            if (!tab)
                break;
            *tab = '\0';
            p = tab + 1;
        }
        check_row(fields, nf);
        rows++;
    }
    free(line);
    fclose(f);
    return rows;
}

/* ---- extraction ---- */

struct xcase {
    const char *name, *text;
    int n;             /* matches expected */
    const char *first; /* cleaned VIN of the first match, or NULL */
    bool first_near;   /* first match is a near miss */
};

static const struct xcase xcases[] = {
    {"x-plain", "1HGCM82633A004352", 1, "1HGCM82633A004352", false},
    {"x-command", "/vin 1HGCM82633A004352", 1, "1HGCM82633A004352", false},
    {"x-sentence", "my car is 1HGCM82633A004352, what is it?", 1, "1HGCM82633A004352", false},
    {"x-parens", "(1HGCM82633A004352)", 1, "1HGCM82633A004352", false},
    {"x-quotes", "\"1HGCM82633A004352\".", 1, "1HGCM82633A004352", false},
    {"x-lower", "vin: 1hgcm82633a004352 thanks", 1, "1HGCM82633A004352", false},
    {"x-groups-spaces", "it's 1HGCM 82633 A004352 ok", 1, "1HGCM82633A004352", false},
    {"x-groups-hyphens", "1HGCM-82633-A004352", 1, "1HGCM82633A004352", false},
    {"x-groups-lower", "1hg cm826 33a 004352", 1, "1HGCM82633A004352", false},
    {"x-two", "1HGCM82633A004352 and 1G4AH59H45G118341.", 2, "1HGCM82633A004352", false},
    {"x-three-lines", "1HGCM82633A004352\nJH4KA7561PC008269\nWVWZZZ1JZXW000001!", 3,
     "1HGCM82633A004352", false},
    {"x-emoji", "\xf0\x9f\x9a\x97 1HGCM82633A004352 \xf0\x9f\x91\x8d", 1, "1HGCM82633A004352",
     false},
    {"x-glued-letter", "x1HGCM82633A004352", 1, "X1HGCM82633A004352", true},
    {"x-16", "check 1HGCM82633A00435 please", 1, "1HGCM82633A00435", true},
    {"x-with-O", "1HGCM82633A0O4352", 1, "1HGCM82633A0O4352", true},
    {"x-19", "1HGCM82633A00435299", 1, "1HGCM82633A00435299", true},
    {"x-words", "internationalization is a long word", 0, NULL, false},
    {"x-phone", "call 555 123 4567 tomorrow", 0, NULL, false},
    {"x-digits-17", "order 12345678901234567 shipped", 0, NULL, false},
    {"x-empty", "", 0, NULL, false},
    {"x-short-words", "hi there, how are you today?", 0, NULL, false},
    {"x-url", "see https://example.com/cars/1HGCM82633A004352/info", 1, "1HGCM82633A004352", false},
    {"x-newline-split", "1HGCM82633\nA004352", 0, NULL, false},
    {"x-ten-words", "a b c d e f g h i j k", 0, NULL, false},
    {"x-tracking", "UPS 1Z999AA10123456784", 1, "1Z999AA10123456784", true},
    {"x-digit-groups", "phone 123-456-7890-1234-567 now", 0, NULL, false},
};

static void test_extract(void)
{
    for (size_t i = 0; i < ARRAY_LEN(xcases); i++) {
        const struct xcase *c = &xcases[i];
        t_begin(c->name);
        struct vin_match m[8];
        size_t n = vin_extract(c->text, strlen(c->text), m, 8);
        T_EQ_INT(n, c->n);
        if (c->first && n > 0) {
            T_EQ_STR(m[0].vin, c->first);
            T_EQ_INT(m[0].near_miss, c->first_near);
            T_CHECK(m[0].start + m[0].len <= strlen(c->text));
        }
        for (size_t k = 0; k < n && k < 8; k++) {
            if (!m[k].near_miss) {
                struct vin_result r;
                vin_decode_offline(m[k].vin, strlen(m[k].vin), YEAR, &r);
                T_CHECK(r.syntax_ok);
            }
        }
        t_end();
    }
}

static void test_extract_spans(void)
{
    const char *t = "a 1HGCM 82633 A004352 b";
    struct vin_match m[2];
    T_EQ_INT(vin_extract(t, strlen(t), m, 2), 1);
    T_EQ_INT(m[0].start, 2);
    T_EQ_INT(m[0].len, 19);
    /* cap smaller than the number found: the count is still right */
    const char *many = "1HGCM82633A004352 1G4AH59H45G118341 JH4KA7561PC008269";
    T_EQ_INT(vin_extract(many, strlen(many), m, 1), 3);
    T_EQ_STR(m[0].vin, "1HGCM82633A004352");
}

/* ---- properties ---- */

static void test_check_digit_catches_single_substitutions(void)
{
    /* Every substitution by a character of a different value changes the sum by a non-zero
     * multiple of the weight, which 11 (a prime) cannot absorb unless the weight is 0. */
    const char *v = "1HGCM82633A004352";
    static const char alpha[] = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ";
    int caught = 0, total = 0;
    for (int pos = 0; pos < VIN_LEN; pos++) {
        if (pos == 8)
            continue;
        for (const char *a = alpha; *a; a++) {
            if (vin_char_value(*a) == vin_char_value(v[pos]))
                continue;
            char w[VIN_LEN + 1];
            memcpy(w, v, sizeof w);
            w[pos] = *a;
            total++;
            caught += vin_check_digit(w) != w[8];
        }
    }
    T_EQ_INT(caught, total);
    /* characters of equal value are interchangeable (vin-rules.md §4.3) */
    T_EQ_INT(vin_char_value('A'), vin_char_value('J'));
    T_EQ_INT(vin_char_value('S'), vin_char_value('2'));
    T_EQ_INT(vin_char_value('R'), 9);
    T_EQ_INT(vin_char_value('I'), -1);
    T_EQ_INT(vin_char_value('o'), -1);
}

static void test_clean(void)
{
    char out[32];
    T_EQ_INT(vin_clean("  1hg-cm 82633 ", 15, out, sizeof out), 10);
    T_EQ_STR(out, "1HGCM82633");
    T_EQ_INT(vin_clean("abcdefghijklmnopqrstuvwxyz0123456789", 36, out, 8), 36);
    T_EQ_STR(out, "ABCDEFG");
}

static void test_regions_and_countries(void)
{
    T_EQ_STR(vin_country('2', 'A'), "Canada");
    T_EQ_STR(vin_country('2', '5'), "Canada");
    T_EQ_STR(vin_country('2', '6'), "");
    T_EQ_STR(vin_country('A', 'Z'), "Cyprus");
    T_EQ_STR(vin_country('A', '1'), "Cyprus");
    T_EQ_STR(vin_country('U', '0'), "Bosnia and Herzegovina");
    T_EQ_STR(vin_country('S', 'N'), "Germany");
    T_EQ_STR(vin_country('3', '8'), "Puerto Rico");
    T_EQ_STR(vin_country('E', 'A'), "");
    T_EQ_STR(vin_region('7'), "North America");
    T_EQ_STR(vin_region('0'), "");
    T_EQ_STR(vin_region('6'), "Oceania");
}

static void test_wmi_table(void)
{
    T_CHECK(vin_wmi_builtin_count() >= 300);
    const struct vin_wmi_info *w = vin_wmi_lookup("5YJ");
    T_CHECK(w && strcmp(w->make, "Tesla") == 0 && w->type == VIN_TYPE_CAR);
    T_CHECK(vin_wmi_lookup("KND") && strstr(vin_wmi_lookup("KND")->make, "Hyundai"));
    T_CHECK(vin_wmi_lookup("ZZZ") == NULL);
    T_EQ_INT(vin_type_from_name("Multipurpose Passenger Vehicle (MPV)"), VIN_TYPE_MPV);
    T_EQ_INT(vin_type_from_name("Trailer"), VIN_TYPE_TRAILER);
    T_EQ_INT(vin_type_from_name("spaceship"), VIN_TYPE_UNKNOWN);
}

static void test_wmi_file(void)
{
    char err[512];
    /* a file of ours: header with extra columns, quotes, an override of a built-in row */
    char path[] = "/tmp/vinbot-wmi-XXXXXX";
    int fd = mkstemp(path);
    FILE *f = fdopen(fd, "w");
    fputs("wmi,manufacturer,country,vehicle_type,truck_type,make,source\n"
          "1M8,\"MOTOR COACH INDUSTRIES, INC.\",United States,Bus,,MCI,test\n"
          "1Z9123,\"TINY \"\"SHOP\"\" LLC\",United States,Passenger Car,,Tiny|Tinier,test\n"
          "5YJ,TESLA OVERRIDE,United States,Passenger Car,,Tesla,test\n"
          "3AL,FREIGHTLINER MEXICO,Mexico,Truck,heavy,Freightliner,test\n",
          f);
    fclose(f);
    T_EQ_INT(vin_wmi_load_file(path, err, sizeof err), 4);
    /* a truck WMI marked heavy: the position-7 rule does not apply, both years are given */
    T_CHECK(vin_wmi_lookup("3AL") && vin_wmi_lookup("3AL")->type == VIN_TYPE_HEAVY_TRUCK);
    char heavy[] = "3ALACWDT0LDLA1234";
    heavy[8] = vin_check_digit(heavy);
    struct vin_result hr;
    vin_decode_offline(heavy, VIN_LEN, YEAR, &hr);
    T_EQ_INT(hr.nyears, 2);
    const struct vin_wmi_info *w = vin_wmi_lookup("1M8");
    T_CHECK(w && strcmp(w->manufacturer, "MOTOR COACH INDUSTRIES, INC.") == 0 &&
            w->type == VIN_TYPE_BUS);
    w = vin_wmi_lookup("1Z9123");
    T_CHECK(w && strcmp(w->manufacturer, "TINY \"SHOP\" LLC") == 0 &&
            strcmp(w->make, "Tiny / Tinier") == 0);
    w = vin_wmi_lookup("5YJ");
    T_CHECK(w && strcmp(w->manufacturer, "TESLA OVERRIDE") == 0);
    /* the small-manufacturer key is used: positions 1-3 + 12-14 */
    struct vin_result r;
    char v[] = "1Z9AB1CD0GA123456";
    v[8] = vin_check_digit(v);
    vin_decode_offline(v, VIN_LEN, YEAR, &r);
    T_EQ_STR(r.wmi, "1Z9123");
    T_EQ_STR(r.maker.manufacturer, "TINY \"SHOP\" LLC");
    T_EQ_STR(r.serial, "456");
    /* a bad row names its line */
    f = fopen(path, "w");
    fputs("wmi,manufacturer\n1HG,Honda\nTOOLONGWMI,X\n", f);
    fclose(f);
    T_EQ_INT(vin_wmi_load_file(path, err, sizeof err), -1);
    T_CONTAINS(err, ":3:");
    T_CHECK(vin_wmi_lookup("1M8") != NULL); /* earlier rows survive a failed load */
    remove(path);
    T_EQ_INT(vin_wmi_load_file("/nonexistent/wmi.csv", err, sizeof err), -1);
    T_CONTAINS(err, "No such file");
}

static void test_shared_wmi_csv(void)
{
    const char *path = "../shared/data/wmi.csv";
    FILE *f = fopen(path, "r");
    if (!f) {
        printf("note: %s is absent; the NHTSA WMI list case is skipped\n", path);
        return;
    }
    fclose(f);
    char err[512];
    int n = vin_wmi_load_file(path, err, sizeof err);
    if (n < 0)
        T_FAILF("%s", err);
    T_CHECK(n > 10000);
    /* a 6-character small-manufacturer key from NHTSA's list */
    T_CHECK(vin_wmi_lookup("1J9001") != NULL);
}

static void test_json_shape(void)
{
    struct vin_result r;
    vin_decode_offline("1HGCM82633A004352", 17, YEAR, &r);
    struct buf b;
    buf_init(&b, 1 << 16);
    T_EQ_INT(vin_result_to_json(&r, &b), 0);
    static const char *const keys[] = {"input",    "vin",         "valid",        "errors",
                                       "warnings", "check_digit", "model_year",   "region",
                                       "country",  "wmi",         "manufacturer", "make",
                                       "plant",    "serial",      "source"};
    json_object *o = json_tokener_parse(b.data);
    for (size_t i = 0; i < ARRAY_LEN(keys); i++) {
        json_object *v;
        if (!o || !json_object_object_get_ex(o, keys[i], &v))
            T_FAILF("key %s missing in %s", keys[i], b.data);
    }
    json_object *cd;
    T_CHECK(json_object_object_get_ex(o, "check_digit", &cd) && json_object_object_length(cd) >= 4);
    json_object_put(o);
    buf_cleanup(&b);
}

int main(void)
{
    int rows = run_table();
    if (rows < 0)
        return 99;
    printf("%d table cases\n", rows);
    test_extract();
    T_RUN(test_extract_spans);
    T_RUN(test_check_digit_catches_single_substitutions);
    T_RUN(test_clean);
    T_RUN(test_regions_and_countries);
    T_RUN(test_wmi_table);
    T_RUN(test_json_shape);
    T_RUN(test_wmi_file);
    T_RUN(test_shared_wmi_csv);
    return t_done();
}
