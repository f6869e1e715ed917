/* fake_upstash.c: Upstash's Redis REST API in front of a real redis-server, for the tests.
 *
 *   fake_upstash --port-file FILE --redis-port N --token T [--log FILE]
 *
 * Speaks the REST forms of ../shared/docs/upstream-apis.md §5: POST / with the command as a JSON
 * array; POST /pipeline and /multi-exec with an array of commands; GET /<cmd>/<arg>/... path
 * style. Authorization: Bearer <token> (or ?_token=): 401 otherwise. Replies {"result":...} or
 * {"error":"..."} with HTTP 400 for a Redis error. Each request is forwarded to the real Redis
 * with hiredis (one connection per request thread), so TTLs, NX and EVAL are Redis's own.
 *
 * Control: POST /_control/fault {"status":500,"times":N} or {"hang_ms":N,"times":N};
 * DELETE /_control/fault. Every request is logged as a JSON line (token redacted). Listens on
 * 127.0.0.1 only; SIGTERM stops it. */
#include <arpa/inet.h>
#include <hiredis/hiredis.h>
#include <json-c/json.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/util.h"

static int redis_port = 6379;
static const char *token = "";
static FILE *log_file;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static int fault_status, fault_hang_ms, fault_times;
static volatile sig_atomic_t stop;

struct req {
    struct buf body;
};

static enum MHD_Result send_str(struct MHD_Connection *c, unsigned status, const char *body)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(body), unconst(body), MHD_RESPMEM_MUST_COPY);
    MHD_add_response_header(r, "Content-Type", "application/json");
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result send_json(struct MHD_Connection *c, unsigned status, json_object *o)
{
    enum MHD_Result r =
        send_str(c, status, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
    json_object_put(o);
    return r;
}

static json_object *reply_to_json(redisReply *r, bool *is_error)
{
    switch (r->type) {
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS: return json_object_new_string_len(r->str, (int)r->len);
    case REDIS_REPLY_INTEGER: return json_object_new_int64(r->integer);
    case REDIS_REPLY_ERROR:
        *is_error = true;
        return json_object_new_string_len(r->str, (int)r->len);
    case REDIS_REPLY_ARRAY: {
        json_object *a = json_object_new_array();
        for (size_t i = 0; i < r->elements; i++)
            json_object_array_add(a, reply_to_json(r->element[i], is_error));
        return a;
    }
    default: return NULL;
    }
}

/* Run one command (a JSON array of strings/numbers) on Redis; returns {"result":..} or
 * {"error":..} and sets *err when Redis said no. */
static json_object *run_command(redisContext *rc, json_object *cmd, bool *err)
{
    json_object *out = json_object_new_object();
    size_t n = cmd && json_object_is_type(cmd, json_type_array) ? json_object_array_length(cmd) : 0;
    if (n == 0 || n > 64) {
        *err = true;
        json_object_object_add(out, "error", json_object_new_string("ERR bad command"));
        return out;
    }
    const char *argv[64];
    size_t lens[64];
    for (size_t i = 0; i < n; i++) {
        json_object *a = json_object_array_get_idx(cmd, i);
        argv[i] = json_object_get_string(a);
        lens[i] = argv[i] ? strlen(argv[i]) : 0;
        if (!argv[i])
            argv[i] = "";
    }
    redisReply *r = redisCommandArgv(rc, (int)n, argv, lens);
    if (!r) {
        *err = true;
        json_object_object_add(out, "error", json_object_new_string("ERR backend unavailable"));
        return out;
    }
    bool is_error = false;
    json_object *v = reply_to_json(r, &is_error);
    freeReplyObject(r);
    if (is_error) {
        *err = true;
        json_object_object_add(out, "error", v);
    } else {
        json_object_object_add(out, "result", v);
    }
    return out;
}

static void log_request(const char *method, const char *url, const char *body, bool authed)
{
    pthread_mutex_lock(&mu);
    if (log_file) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "ts_ms", json_object_new_int64(clock_real_ms()));
        json_object_object_add(o, "service", json_object_new_string("upstash"));
        json_object_object_add(o, "http_method", json_object_new_string(method));
        json_object_object_add(o, "path", json_object_new_string(url));
        json_object_object_add(o, "authorized", json_object_new_boolean(authed));
        json_object_object_add(o, "body", json_object_new_string(body));
        fprintf(log_file, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
        fflush(log_file);
        json_object_put(o);
    }
    pthread_mutex_unlock(&mu);
}

static enum MHD_Result handle(struct MHD_Connection *c, const char *url, const char *method,
                              const char *body)
{
    if (strcmp(url, "/_control/fault") == 0) {
        pthread_mutex_lock(&mu);
        if (strcmp(method, "DELETE") == 0) {
            fault_status = fault_hang_ms = fault_times = 0;
        } else {
            json_object *o = json_tokener_parse(body), *v;
            fault_status =
                o && json_object_object_get_ex(o, "status", &v) ? json_object_get_int(v) : 0;
            fault_hang_ms =
                o && json_object_object_get_ex(o, "hang_ms", &v) ? json_object_get_int(v) : 0;
            fault_times =
                o && json_object_object_get_ex(o, "times", &v) ? json_object_get_int(v) : 1;
            json_object_put(o);
        }
        pthread_mutex_unlock(&mu);
        return send_str(c, 200, "{\"ok\":true}");
    }

    const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
    const char *qtok = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "_token");
    bool authed = (auth && strncmp(auth, "Bearer ", 7) == 0 && strcmp(auth + 7, token) == 0) ||
                  (qtok && strcmp(qtok, token) == 0);
    log_request(method, url, body, authed);

    pthread_mutex_lock(&mu);
    int status = 0, hang = 0;
    if (fault_times != 0) {
        status = fault_status;
        hang = fault_hang_ms;
        if (fault_times > 0)
            fault_times--;
    }
    pthread_mutex_unlock(&mu);
    if (hang)
        clock_sleep_ms(MIN(hang, 30000));
    if (status)
        return send_str(c, (unsigned)status, "{\"error\":\"injected fault\"}");
    if (!authed)
        return send_str(c, 401, "{\"error\":\"Unauthorized\"}");

    redisContext *rc = redisConnect("127.0.0.1", redis_port);
    if (!rc || rc->err) {
        redisFree(rc);
        return send_str(c, 503, "{\"error\":\"backend unavailable\"}");
    }
    enum MHD_Result ret;
    bool err = false;
    if (strcmp(url, "/") == 0 && strcmp(method, "POST") == 0) {
        json_object *cmd = json_tokener_parse(body);
        json_object *out = run_command(rc, cmd, &err);
        json_object_put(cmd);
        ret = send_json(c, err ? 400 : 200, out);
    } else if ((strcmp(url, "/pipeline") == 0 || strcmp(url, "/multi-exec") == 0) &&
               strcmp(method, "POST") == 0) {
        json_object *cmds = json_tokener_parse(body);
        json_object *arr = json_object_new_array();
        size_t n =
            cmds && json_object_is_type(cmds, json_type_array) ? json_object_array_length(cmds) : 0;
        for (size_t i = 0; i < n; i++) {
            bool e = false;
            json_object_array_add(arr, run_command(rc, json_object_array_get_idx(cmds, i), &e));
        }
        json_object_put(cmds);
        ret = send_json(c, 200, arr);
    } else if (strcmp(method, "GET") == 0 || strcmp(method, "POST") == 0) {
        /* path style: /set/foo/bar/EX/100 */
        json_object *cmd = json_object_new_array();
        char *copy = xstrdup(url + 1);
        for (char *save = NULL, *p = strtok_r(copy, "/", &save); p; p = strtok_r(NULL, "/", &save))
            json_object_array_add(cmd, json_object_new_string(p));
        free(copy);
        json_object *out = run_command(rc, cmd, &err);
        json_object_put(cmd);
        ret = send_json(c, err ? 400 : 200, out);
    } else {
        ret = send_str(c, 405, "{\"error\":\"Method Not Allowed\"}");
    }
    redisFree(rc);
    return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **req_cls)
{
    (void)cls;
    (void)version;
    struct req *q = *req_cls;
    if (!q) {
        q = xcalloc(1, sizeof *q);
        buf_init(&q->body, 8u << 20);
        *req_cls = q;
        return MHD_YES;
    }
    if (*upload_size) {
        if (buf_append(&q->body, upload, *upload_size) < 0)
            return MHD_NO;
        *upload_size = 0;
        return MHD_YES;
    }
    return handle(c, url, method, q->body.data ? q->body.data : "");
}

static void on_done(void *cls, struct MHD_Connection *c, void **req_cls,
                    enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    struct req *q = *req_cls;
    if (q) {
        buf_cleanup(&q->body);
        free(q);
    }
}

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

int main(int argc, char **argv)
{
    const char *port_file = NULL;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--port-file"))
            port_file = argv[i + 1];
        else if (!strcmp(argv[i], "--redis-port"))
            redis_port = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--token"))
            token = argv[i + 1];
        else if (!strcmp(argv[i], "--log"))
            log_file = fopen(argv[i + 1], "a");
        else {
            fprintf(stderr, "fake_upstash: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = 0};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ERROR_LOG, 0,
        NULL, NULL, on_request, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
        MHD_OPTION_NOTIFY_COMPLETED, on_done, NULL, MHD_OPTION_CONNECTION_TIMEOUT, 60u,
        MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "fake_upstash: cannot listen\n");
        return 1;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    if (port_file) {
        char tmp[1024];
        snprintf(tmp, sizeof tmp, "%s.tmp", port_file);
        FILE *f = fopen(tmp, "w");
        if (!f || fprintf(f, "%u\n", (unsigned)info->port) < 0 || fclose(f) != 0 ||
            rename(tmp, port_file) != 0)
            return 1;
    }
    while (!stop)
        pause();
    MHD_stop_daemon(d);
    if (log_file)
        fclose(log_file);
    return 0;
}
