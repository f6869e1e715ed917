/* main.c: command dispatch, start and stop order only. */
#include <stdio.h>
#include <string.h>

#include "core/config.h"
#include "version.h"

static int usage(FILE *out)
{
    fprintf(out, "usage: vinbot [serve | migrate | decode [--offline] [--json] VIN... | config "
                 "[--names] | version]\n");
    return out == stderr ? 2 : 0;
}

int main(int argc, char **argv)
{
    const char *cmd = argc > 1 ? argv[1] : "serve";
    if (strcmp(cmd, "config") == 0) {
        if (argc > 2 && strcmp(argv[2], "--names") == 0)
            config_print_names(stdout);
        else
            config_print_table(stdout);
        return 0;
    }
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        printf("vinbot %s\n", VINBOT_VERSION);
        return 0;
    }
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0)
        return usage(stdout);
    return usage(stderr);
}
