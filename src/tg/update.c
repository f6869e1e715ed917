/* update.c: see update.h.
 *
 * DESIGN: one json_tokener pass per call, in strict mode (what Postgres' jsonb accepts, json-c
 * accepts too), with trailing garbage refused. The peek reads only update_id, the kind key and
 * the chat id; the full parse copies every field we use into owned C strings so the json-c
 * tree is released before the call returns (json-c refcounts are not thread-safe, and nothing
 * here outlives the call). Wrong types are treated as absent, except update_id, which must be
 * an integer: a delivery without one is not a Telegram Update. */
#include "tg/update.h"

#include <ctype.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 64

static const char *const kind_names[TG_UPD_KIND_COUNT] = {
    [TG_UPD_UNKNOWN] = "unknown",
    [TG_UPD_MESSAGE] = "message",
    [TG_UPD_EDITED_MESSAGE] = "edited_message",
    [TG_UPD_CALLBACK_QUERY] = "callback_query",
    [TG_UPD_MY_CHAT_MEMBER] = "my_chat_member",
    [TG_UPD_CHAT_MEMBER] = "chat_member",
    [TG_UPD_CHANNEL_POST] = "channel_post",
    [TG_UPD_EDITED_CHANNEL_POST] = "edited_channel_post",
    [TG_UPD_BUSINESS_CONNECTION] = "business_connection",
    [TG_UPD_BUSINESS_MESSAGE] = "business_message",
    [TG_UPD_EDITED_BUSINESS_MESSAGE] = "edited_business_message",
    [TG_UPD_DELETED_BUSINESS_MESSAGES] = "deleted_business_messages",
    [TG_UPD_MESSAGE_REACTION] = "message_reaction",
    [TG_UPD_MESSAGE_REACTION_COUNT] = "message_reaction_count",
    [TG_UPD_INLINE_QUERY] = "inline_query",
    [TG_UPD_CHOSEN_INLINE_RESULT] = "chosen_inline_result",
    [TG_UPD_SHIPPING_QUERY] = "shipping_query",
    [TG_UPD_PRE_CHECKOUT_QUERY] = "pre_checkout_query",
    [TG_UPD_PURCHASED_PAID_MEDIA] = "purchased_paid_media",
    [TG_UPD_POLL] = "poll",
    [TG_UPD_POLL_ANSWER] = "poll_answer",
    [TG_UPD_CHAT_JOIN_REQUEST] = "chat_join_request",
    [TG_UPD_CHAT_BOOST] = "chat_boost",
    [TG_UPD_REMOVED_CHAT_BOOST] = "removed_chat_boost",
};

const char *tg_update_kind_name(enum tg_update_kind kind)
{
    return (unsigned)kind < TG_UPD_KIND_COUNT ? kind_names[kind] : "unknown";
}

static enum tg_update_kind kind_of(const char *key)
{
    for (int i = 1; i < TG_UPD_KIND_COUNT; i++)
        if (strcmp(key, kind_names[i]) == 0)
            return (enum tg_update_kind)i;
    return TG_UPD_UNKNOWN;
}

/* ---- json-c helpers: a wrong type is the same as absent ---- */

static json_object *get(json_object *o, const char *key)
{
    json_object *v;
    if (!o || !json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, key, &v))
        return NULL;
    return v;
}

static json_object *get_obj(json_object *o, const char *key)
{
    json_object *v = get(o, key);
    return v && json_object_is_type(v, json_type_object) ? v : NULL;
}

static int64_t get_int(json_object *o, const char *key)
{
    json_object *v = get(o, key);
    return v && json_object_is_type(v, json_type_int) ? json_object_get_int64(v) : 0;
}

static bool get_bool(json_object *o, const char *key)
{
    json_object *v = get(o, key);
    return v && json_object_is_type(v, json_type_boolean) && json_object_get_boolean(v);
}

/* An owned copy of a string field; "" when absent or not a string. */
static char *dup_str(json_object *o, const char *key)
{
    json_object *v = get(o, key);
    if (!v || !json_object_is_type(v, json_type_string))
        return xstrdup("");
    return xstrndup(json_object_get_string(v), (size_t)json_object_get_string_len(v));
}

/* Parse json[0..len) strictly as one JSON value. Returns the root (caller puts it) or NULL
 * with the reason in err. */
static json_object *parse_root(const char *json, size_t len, char *err, size_t errlen)
{
    if (len > (size_t)0x7fffffff) {
        snprintf(err, errlen, "body too large");
        return NULL;
    }
    json_tokener *tok = json_tokener_new_ex(MAX_DEPTH);
    if (!tok) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
    json_object *root = json_tokener_parse_ex(tok, json, (int)len);
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    size_t used = json_tokener_get_parse_end(tok);
    if (!root || jerr != json_tokener_success) {
        if (jerr == json_tokener_continue)
            snprintf(err, errlen, "invalid JSON: unexpected end of input");
        else
            snprintf(err, errlen, "invalid JSON at offset %zu: %s", used,
                     json_tokener_error_desc(jerr));
        json_object_put(root);
        json_tokener_free(tok);
        return NULL;
    }
    /* Only whitespace may follow the value. */
    for (size_t i = used; i < len; i++) {
        if (!isspace((unsigned char)json[i])) {
            snprintf(err, errlen, "invalid JSON: trailing characters at offset %zu", i);
            json_object_put(root);
            json_tokener_free(tok);
            return NULL;
        }
    }
    json_tokener_free(tok);
    if (!json_object_is_type(root, json_type_object)) {
        snprintf(err, errlen, "not a JSON object");
        json_object_put(root);
        return NULL;
    }
    return root;
}

static int read_update_id(json_object *root, int64_t *id, char *err, size_t errlen)
{
    json_object *v;
    if (!json_object_object_get_ex(root, "update_id", &v)) {
        snprintf(err, errlen, "update_id missing");
        return -1;
    }
    if (!json_object_is_type(v, json_type_int)) {
        snprintf(err, errlen, "update_id is not an integer");
        return -1;
    }
    *id = json_object_get_int64(v);
    return 0;
}

/* The kind key: the first key that is not update_id. */
static const char *kind_key(json_object *root, json_object **val)
{
    json_object_object_foreach(root, key, v)
    {
        if (strcmp(key, "update_id") != 0) {
            *val = v;
            return key;
        }
    }
    *val = NULL;
    return NULL;
}

/* Where each kind keeps its chat (and, failing that, the person). */
static int64_t chat_of(enum tg_update_kind kind, json_object *body)
{
    switch (kind) {
    case TG_UPD_MESSAGE:
    case TG_UPD_EDITED_MESSAGE:
    case TG_UPD_CHANNEL_POST:
    case TG_UPD_EDITED_CHANNEL_POST:
    case TG_UPD_BUSINESS_MESSAGE:
    case TG_UPD_EDITED_BUSINESS_MESSAGE:
    case TG_UPD_MY_CHAT_MEMBER:
    case TG_UPD_CHAT_MEMBER:
    case TG_UPD_MESSAGE_REACTION:
    case TG_UPD_MESSAGE_REACTION_COUNT:
    case TG_UPD_CHAT_JOIN_REQUEST:
    case TG_UPD_CHAT_BOOST:
    case TG_UPD_REMOVED_CHAT_BOOST:
    case TG_UPD_DELETED_BUSINESS_MESSAGES: return get_int(get_obj(body, "chat"), "id");
    case TG_UPD_CALLBACK_QUERY: {
        int64_t c = get_int(get_obj(get_obj(body, "message"), "chat"), "id");
        /* An inline-message button has no chat; its presser is the conversation. */
        return c ? c : get_int(get_obj(body, "from"), "id");
    }
    case TG_UPD_INLINE_QUERY:
    case TG_UPD_CHOSEN_INLINE_RESULT:
    case TG_UPD_SHIPPING_QUERY:
    case TG_UPD_PRE_CHECKOUT_QUERY:
    case TG_UPD_PURCHASED_PAID_MEDIA:
        /* Private to the person: their id is the chat we would answer in. */
        return get_int(get_obj(body, "from"), "id");
    case TG_UPD_POLL_ANSWER: return get_int(get_obj(body, "user"), "id");
    default:
        /* Unknown kinds: a chat if there is one, else none. */
        return get_int(get_obj(body, "chat"), "id");
    }
}

/* Parse json and read what both entry points need. On success returns the root (caller puts
 * it) with out filled and *body pointing at the kind's object (borrowed from root). */
static json_object *peek_root(const char *json, size_t len, struct tg_update_peek *out,
                              json_object **body, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    *body = NULL;
    json_object *root = parse_root(json, len, err, errlen);
    if (!root)
        return NULL;
    if (read_update_id(root, &out->update_id, err, errlen) < 0) {
        json_object_put(root);
        return NULL;
    }
    const char *key = kind_key(root, body);
    out->kind = key ? kind_of(key) : TG_UPD_UNKNOWN;
    str_copy(out->kind_name, key ? key : "none", sizeof out->kind_name);
    out->chat_id = key ? chat_of(out->kind, *body) : 0;
    return root;
}

int tg_update_peek(const char *json, size_t len, struct tg_update_peek *out, char *err,
                   size_t errlen)
{
    json_object *body;
    json_object *root = peek_root(json, len, out, &body, err, errlen);
    if (!root)
        return -1;
    json_object_put(root);
    return 0;
}

/* ---- full parse ---- */

static void user_parse(json_object *o, struct tg_user *u)
{
    u->id = get_int(o, "id");
    u->is_bot = get_bool(o, "is_bot");
    u->first_name = dup_str(o, "first_name");
    u->last_name = dup_str(o, "last_name");
    u->username = dup_str(o, "username");
    u->language_code = dup_str(o, "language_code");
}

static void user_cleanup(struct tg_user *u)
{
    XFREE(u->first_name);
    XFREE(u->last_name);
    XFREE(u->username);
    XFREE(u->language_code);
}

static void chat_parse(json_object *o, struct tg_chat *c)
{
    c->id = get_int(o, "id");
    c->type = dup_str(o, "type");
    c->title = dup_str(o, "title");
    c->username = dup_str(o, "username");
}

static void chat_cleanup(struct tg_chat *c)
{
    XFREE(c->type);
    XFREE(c->title);
    XFREE(c->username);
}

void tg_utf16_span_to_bytes(const char *text, size_t text_len, int off16, int len16,
                            size_t *byte_off, size_t *byte_len)
{
    size_t i = 0;
    long units = 0;
    const unsigned char *s = (const unsigned char *)text;
    /* Advance over whole characters until `off16` code units are consumed. A character at or
     * above U+10000 takes four UTF-8 bytes and two UTF-16 units. */
    while (i < text_len && units < off16) {
        size_t n = s[i] < 0x80 ? 1 : s[i] < 0xE0 ? 2 : s[i] < 0xF0 ? 3 : 4;
        units += n == 4 ? 2 : 1;
        i += n;
    }
    if (i > text_len)
        i = text_len;
    size_t start = i;
    long end_units = units + (len16 > 0 ? len16 : 0);
    while (i < text_len && units < end_units) {
        size_t n = s[i] < 0x80 ? 1 : s[i] < 0xE0 ? 2 : s[i] < 0xF0 ? 3 : 4;
        units += n == 4 ? 2 : 1;
        i += n;
    }
    if (i > text_len)
        i = text_len;
    *byte_off = start;
    *byte_len = i - start;
}

/* Split "/cmd@bot rest" at the start of text into the three command fields. */
static void command_parse(struct tg_message *m, size_t cmd_len)
{
    const char *t = m->text;
    size_t at = 1;
    while (at < cmd_len && t[at] != '@')
        at++;
    char *cmd = xstrndup(t, at);
    for (char *p = cmd; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    m->command = cmd;
    m->command_bot = at < cmd_len ? xstrndup(t + at + 1, cmd_len - at - 1) : xstrdup("");
    const char *rest = t + cmd_len;
    while (*rest && isspace((unsigned char)*rest))
        rest++;
    size_t rlen = strlen(rest);
    while (rlen && isspace((unsigned char)rest[rlen - 1]))
        rlen--;
    m->command_args = xstrndup(rest, rlen);
}

static void message_parse(json_object *o, struct tg_message *m)
{
    m->message_id = get_int(o, "message_id");
    m->date = get_int(o, "date");
    m->message_thread_id = get_int(o, "message_thread_id");
    chat_parse(get_obj(o, "chat"), &m->chat);
    user_parse(get_obj(o, "from"), &m->from);
    m->sender_chat_id = get_int(get_obj(o, "sender_chat"), "id");
    json_object *text = get(o, "text");
    const char *ents_key = "entities";
    if (!text || !json_object_is_type(text, json_type_string)) {
        text = get(o, "caption");
        ents_key = "caption_entities";
    }
    m->has_text = text && json_object_is_type(text, json_type_string);
    m->text = m->has_text
                  ? xstrndup(json_object_get_string(text), (size_t)json_object_get_string_len(text))
                  : xstrdup("");
    size_t tlen = strlen(m->text);

    json_object *ents = get(o, ents_key);
    if (ents && json_object_is_type(ents, json_type_array)) {
        size_t n = json_object_array_length(ents);
        m->entities = xcalloc(n ? n : 1, sizeof *m->entities);
        for (size_t i = 0; i < n; i++) {
            json_object *e = json_object_array_get_idx(ents, i);
            if (!e || !json_object_is_type(e, json_type_object))
                continue;
            struct tg_entity *te = &m->entities[m->n_entities++];
            te->type = dup_str(e, "type");
            te->offset = (int)get_int(e, "offset");
            te->length = (int)get_int(e, "length");
            tg_utf16_span_to_bytes(m->text, tlen, te->offset, te->length, &te->byte_offset,
                                   &te->byte_length);
        }
    }
    m->is_forward = get(o, "forward_origin") || get(o, "forward_from") ||
                    get(o, "forward_from_chat") || get(o, "forward_date") ||
                    get(o, "forward_sender_name");
    m->reply_to_message_id = get_int(get_obj(o, "reply_to_message"), "message_id");

    /* The leading command: the bot_command entity at offset 0, or the text itself. */
    size_t cmd_len = 0;
    for (size_t i = 0; i < m->n_entities; i++) {
        if (m->entities[i].offset == 0 && strcmp(m->entities[i].type, "bot_command") == 0) {
            cmd_len = m->entities[i].byte_length;
            break;
        }
    }
    if (!cmd_len && m->text[0] == '/' && isalpha((unsigned char)m->text[1])) {
        cmd_len = 1;
        while (m->text[cmd_len] && !isspace((unsigned char)m->text[cmd_len]))
            cmd_len++;
    }
    if (cmd_len > 1 && m->text[0] == '/') {
        command_parse(m, cmd_len);
    } else {
        m->command = xstrdup("");
        m->command_bot = xstrdup("");
        m->command_args = xstrdup("");
    }
}

static void message_cleanup(struct tg_message *m)
{
    chat_cleanup(&m->chat);
    user_cleanup(&m->from);
    XFREE(m->text);
    for (size_t i = 0; i < m->n_entities; i++)
        XFREE(m->entities[i].type);
    XFREE(m->entities);
    m->n_entities = 0;
    XFREE(m->command);
    XFREE(m->command_bot);
    XFREE(m->command_args);
}

static void callback_parse(json_object *o, struct tg_callback_query *cb)
{
    cb->id = dup_str(o, "id");
    user_parse(get_obj(o, "from"), &cb->from);
    cb->data = dup_str(o, "data");
    json_object *msg = get_obj(o, "message");
    cb->has_message = msg != NULL;
    cb->message_id = get_int(msg, "message_id");
    chat_parse(get_obj(msg, "chat"), &cb->chat);
    cb->inline_message_id = dup_str(o, "inline_message_id");
}

static void member_parse(json_object *o, struct tg_chat_member_updated *mu)
{
    chat_parse(get_obj(o, "chat"), &mu->chat);
    user_parse(get_obj(o, "from"), &mu->from);
    mu->date = get_int(o, "date");
    json_object *newm = get_obj(o, "new_chat_member");
    mu->member_user_id = get_int(get_obj(newm, "user"), "id");
    mu->old_status = dup_str(get_obj(o, "old_chat_member"), "status");
    mu->new_status = dup_str(newm, "status");
}

/* Give every string field of the struct a value, so consumers never see NULL. */
static void fill_empty(struct tg_update *u)
{
    struct tg_message *m = &u->message;
    if (!m->text) {
        chat_parse(NULL, &m->chat);
        user_parse(NULL, &m->from);
        m->text = xstrdup("");
        m->command = xstrdup("");
        m->command_bot = xstrdup("");
        m->command_args = xstrdup("");
    }
    if (!u->callback.id) {
        struct tg_callback_query *cb = &u->callback;
        cb->id = xstrdup("");
        user_parse(NULL, &cb->from);
        cb->data = xstrdup("");
        chat_parse(NULL, &cb->chat);
        cb->inline_message_id = xstrdup("");
    }
    if (!u->member.new_status) {
        chat_parse(NULL, &u->member.chat);
        user_parse(NULL, &u->member.from);
        u->member.old_status = xstrdup("");
        u->member.new_status = xstrdup("");
    }
}

int tg_update_parse(const char *json, size_t len, struct tg_update *u, char *err, size_t errlen)
{
    memset(u, 0, sizeof *u);
    struct tg_update_peek pk;
    json_object *body;
    json_object *root = peek_root(json, len, &pk, &body, err, errlen);
    if (!root)
        return -1;
    u->update_id = pk.update_id;
    u->kind = pk.kind;
    u->chat_id = pk.chat_id;
    memcpy(u->kind_name, pk.kind_name, sizeof u->kind_name);
    body = body && json_object_is_type(body, json_type_object) ? body : NULL;

    switch (u->kind) {
    case TG_UPD_MESSAGE:
    case TG_UPD_EDITED_MESSAGE:
    case TG_UPD_CHANNEL_POST:
    case TG_UPD_EDITED_CHANNEL_POST:
    case TG_UPD_BUSINESS_MESSAGE:
    case TG_UPD_EDITED_BUSINESS_MESSAGE:
        message_parse(body, &u->message);
        u->user_id = u->message.from.id;
        break;
    case TG_UPD_CALLBACK_QUERY:
        callback_parse(body, &u->callback);
        u->user_id = u->callback.from.id;
        break;
    case TG_UPD_MY_CHAT_MEMBER:
    case TG_UPD_CHAT_MEMBER:
        member_parse(body, &u->member);
        u->user_id = u->member.from.id;
        break;
    case TG_UPD_POLL_ANSWER: u->user_id = get_int(get_obj(body, "user"), "id"); break;
    default: u->user_id = get_int(get_obj(body, "from"), "id"); break;
    }
    fill_empty(u);
    json_object_put(root);
    return 0;
}

void tg_update_cleanup(struct tg_update *u)
{
    message_cleanup(&u->message);
    XFREE(u->callback.id);
    user_cleanup(&u->callback.from);
    XFREE(u->callback.data);
    chat_cleanup(&u->callback.chat);
    XFREE(u->callback.inline_message_id);
    chat_cleanup(&u->member.chat);
    user_cleanup(&u->member.from);
    XFREE(u->member.old_status);
    XFREE(u->member.new_status);
}
