/* decode.c: the decode command (see decode.h).
 *
 * DESIGN: a filter. Each input becomes one line of JSON, in input order, written through a
 * large stdout buffer; a file of a million VINs streams through in constant memory. Without
 * --offline the online decoder chain answers when it is configured (cmd_decode_online, set by
 * the decode module); with --offline, or when no chain is linked in, the offline engine does. */
#include "cmd/decode.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/decode_online.h"
#include "core/buf.h"
#include "core/config.h"
#include "core/log.h"
#include "vin/vin.h"

static int usage(void)
{
    fprintf(stderr, "usage: vinbot decode [--offline] [--json] [VIN...]\n"
                    "  Decodes each VIN given, or each line of standard input, and prints one\n"
                    "  JSON object per input. --offline uses only the built-in engine.\n");
    return 2;
}

int cmd_decode(int argc, char **argv)
{
    bool offline = false;
    int first = 1;
    for (; first < argc && argv[first][0] == '-' && argv[first][1] == '-'; first++) {
        if (strcmp(argv[first], "--offline") == 0)
            offline = true;
        else if (strcmp(argv[first], "--json") == 0)
            continue; /* JSON is the only output format; accepted for scripts that ask */
        else if (strcmp(argv[first], "--") == 0) {
            first++;
            break;
        } else {
            fprintf(stderr, "vinbot decode: unknown option %s\n", argv[first]);
            return usage();
        }
    }

    struct config cfg;
    char err[4096];
    if (config_load(&cfg, CONFIG_TOOL, NULL, NULL, err, sizeof err) < 0) {
        fprintf(stderr, "vinbot decode: invalid configuration:\n%s\n", err);
        config_cleanup(&cfg);
        return CONFIG_EXIT;
    }
    /* Log lines (warnings from upstreams) go to stderr: stdout is the JSON stream. */
    log_init(cfg.log_level, stderr);
    config_register_secrets(&cfg);
    if (*cfg.vin_wmi_file && vin_wmi_load_file(cfg.vin_wmi_file, err, sizeof err) < 0) {
        fprintf(stderr, "vinbot decode: VIN_WMI_FILE: %s\n", err);
        config_cleanup(&cfg);
        return CONFIG_EXIT;
    }

    struct decode_online *online = NULL;
    if (!offline && cmd_decode_online_open)
        online = cmd_decode_online_open(&cfg);

    static char outbuf[1 << 20];
    setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);
    struct buf line;
    buf_init(&line, 1 << 20);
    int year = vin_current_year();
    struct vin_result r;

    char *in = NULL;
    size_t cap = 0;
    for (int i = first;; i++) {
        const char *text;
        size_t len;
        if (first < argc) {
            if (i >= argc)
                break;
            text = argv[i];
            len = strlen(text);
        } else {
            ssize_t n = getline(&in, &cap, stdin);
            if (n < 0)
                break;
            while (n > 0 && (in[n - 1] == '\n' || in[n - 1] == '\r'))
                n--;
            in[n] = '\0';
            text = in;
            len = (size_t)n;
        }
        buf_reset(&line);
        if (online) {
            if (cmd_decode_online_run(online, text, len, &line) < 0)
                buf_reset(&line);
        }
        if (line.len == 0) {
            vin_decode_offline(text, len, year, &r);
            if (vin_result_to_json(&r, &line) < 0)
                continue; /* cannot happen: the buffer is far larger than any result */
        }
        fwrite(line.data, 1, line.len, stdout);
        fputc('\n', stdout);
    }
    free(in);
    buf_cleanup(&line);
    if (online)
        cmd_decode_online_close(online);
    config_cleanup(&cfg);
    if (fflush(stdout) != 0)
        return 1;
    return 0;
}

struct decode_online *(*cmd_decode_online_open)(const struct config *cfg);
int (*cmd_decode_online_run)(struct decode_online *d, const char *input, size_t len,
                             struct buf *out);
void (*cmd_decode_online_close)(struct decode_online *d);
