/* tglog.c: read the fake upstream's request log and print the Bot API calls of one method.
 *
 *   tglog LOGFILE [METHOD]      (METHOD defaults to sendMessage)
 *
 * One line per call, in the order the fake received them:
 *   <chat_id> TAB <reply_parameters.message_id or 0> TAB <text with newlines as \n>
 * Lets shell tests check replies without jq. */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static long long get_i64(json_object *o, const char *k)
{
    json_object *v;
    if (!o || !json_object_object_get_ex(o, k, &v))
        return 0;
    if (json_object_is_type(v, json_type_string))
        return atoll(json_object_get_string(v));
    return (long long)json_object_get_int64(v);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: tglog LOGFILE [METHOD]\n");
        return 2;
    }
    const char *method = argc > 2 ? argv[2] : "sendMessage";
    FILE *f = fopen(argv[1], "r");
    if (!f) {
        perror(argv[1]);
        return 2;
    }
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, f) > 0) {
        json_object *o = json_tokener_parse(line), *v, *body = NULL;
        if (!o)
            continue;
        if (!json_object_object_get_ex(o, "service", &v) ||
            strcmp(json_object_get_string(v), "telegram") != 0 ||
            !json_object_object_get_ex(o, "method", &v) ||
            strcasecmp(json_object_get_string(v), method) != 0) {
            json_object_put(o);
            continue;
        }
        json_object_object_get_ex(o, "body", &body);
        json_object *rp = NULL, *text = NULL;
        if (body)
            json_object_object_get_ex(body, "reply_parameters", &rp);
        if (body)
            json_object_object_get_ex(body, "text", &text);
        printf("%lld\t%lld\t", get_i64(body, "chat_id"), get_i64(rp, "message_id"));
        for (const char *p = text ? json_object_get_string(text) : ""; *p; p++) {
            if (*p == '\n')
                fputs("\\n", stdout);
            else if (*p == '\t')
                fputs("\\t", stdout);
            else
                putchar(*p);
        }
        putchar('\n');
        json_object_put(o);
    }
    free(line);
    fclose(f);
    return 0;
}
