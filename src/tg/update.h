/* update.h: Telegram Update parsing (pure: json-c only, no network).
 *
 * Two entry points. tg_update_peek is what the webhook handler calls on every delivery: one
 * parse, shape checks, and the three facts the inbox stores next to the payload (update_id,
 * chat_id, kind). tg_update_parse is what a worker calls: the whole Update copied into plain C
 * structs (json-c objects never outlive the call, see STYLE.md on json-c and threads).
 *
 * Both are safe to call from any thread at once; they share no state. */
#ifndef TG_UPDATE_H
#define TG_UPDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/util.h"

/* The kinds vinbot acts on, then everything else Telegram sends (kept and marked done). */
enum tg_update_kind {
    TG_UPD_UNKNOWN = 0, /* a key we do not know (Telegram keeps adding kinds) */
    TG_UPD_MESSAGE,
    TG_UPD_EDITED_MESSAGE,
    TG_UPD_CALLBACK_QUERY,
    TG_UPD_MY_CHAT_MEMBER,
    TG_UPD_CHAT_MEMBER,
    TG_UPD_CHANNEL_POST,
    TG_UPD_EDITED_CHANNEL_POST,
    TG_UPD_BUSINESS_CONNECTION,
    TG_UPD_BUSINESS_MESSAGE,
    TG_UPD_EDITED_BUSINESS_MESSAGE,
    TG_UPD_DELETED_BUSINESS_MESSAGES,
    TG_UPD_MESSAGE_REACTION,
    TG_UPD_MESSAGE_REACTION_COUNT,
    TG_UPD_INLINE_QUERY,
    TG_UPD_CHOSEN_INLINE_RESULT,
    TG_UPD_SHIPPING_QUERY,
    TG_UPD_PRE_CHECKOUT_QUERY,
    TG_UPD_PURCHASED_PAID_MEDIA,
    TG_UPD_POLL,
    TG_UPD_POLL_ANSWER,
    TG_UPD_CHAT_JOIN_REQUEST,
    TG_UPD_CHAT_BOOST,
    TG_UPD_REMOVED_CHAT_BOOST,
    TG_UPD_KIND_COUNT
};

/* The Update's kind as Telegram names it ("message", "callback_query", ...); "unknown" for
 * TG_UPD_UNKNOWN. The string is static. */
const char *tg_update_kind_name(enum tg_update_kind kind);

/* What the webhook needs to store a delivery. */
struct tg_update_peek {
    int64_t update_id;
    int64_t chat_id; /* 0 when the update belongs to no chat (inline query, poll...) */
    enum tg_update_kind kind;
    char kind_name[40]; /* Telegram's key, also for kinds we do not know (truncated) */
};

/* Check that json[0..len) is a JSON object with an integer update_id and fill out. The kind is
 * the first key other than update_id; the chat is taken from wherever that kind keeps it
 * (message.chat.id, callback_query.message.chat.id, my_chat_member.chat.id, ...; for a
 * callback query without a message, and for kinds that carry a user but no chat, the user's id
 * is used when the update is private to that user, else 0).
 * Returns 0, or -1 with a short reason in err ("not a JSON object", "update_id missing",
 * "update_id is not an integer", "invalid JSON at offset N"). Never logs. */
int tg_update_peek(const char *json, size_t len, struct tg_update_peek *out, char *err,
                   size_t errlen) MUST_CHECK;

struct tg_user {
    int64_t id; /* 0 when absent */
    bool is_bot;
    char *first_name; /* owned; "" when absent, never NULL after a successful parse */
    char *last_name;
    char *username;
    char *language_code;
};

struct tg_chat {
    int64_t id;
    char *type; /* "private" | "group" | "supergroup" | "channel"; owned */
    char *title;
    char *username;
};

struct tg_entity {
    char *type;                      /* "bot_command", "url", ...; owned */
    int offset, length;              /* UTF-16 code units, as Telegram sends them */
    size_t byte_offset, byte_length; /* the same span in the UTF-8 text (clamped to the text) */
};

struct tg_message {
    int64_t message_id;
    int64_t date;
    int64_t message_thread_id; /* 0 when absent */
    struct tg_chat chat;
    struct tg_user from;        /* from.id == 0 when absent (channel posts) */
    int64_t sender_chat_id;     /* anonymous admins and channels; 0 when absent */
    char *text;                 /* text, or the caption of a media message; "" when none; owned */
    bool has_text;              /* text or caption present */
    struct tg_entity *entities; /* owned array */
    size_t n_entities;
    bool is_forward; /* forward_origin or the old forward_* fields present */
    int64_t reply_to_message_id;
    /* The leading bot command, if the text starts with one: "/start" (lower-cased, the
     * @botname suffix removed into command_bot), and the rest of the text, trimmed. Found from
     * a bot_command entity at offset 0, or from the text itself when entities are missing. */
    char *command;      /* "" when none; owned */
    char *command_bot;  /* "your_bot" from /start@your_bot; "" when none */
    char *command_args; /* "" when none */
};

struct tg_callback_query {
    char *id; /* owned */
    struct tg_user from;
    char *data; /* "" when absent */
    bool has_message;
    int64_t message_id;      /* of the message carrying the button */
    struct tg_chat chat;     /* that message's chat (id 0 when no message) */
    char *inline_message_id; /* "" when absent */
};

struct tg_chat_member_updated {
    struct tg_chat chat;
    struct tg_user from;
    int64_t date;
    int64_t member_user_id;
    char *old_status; /* "member", "kicked", "left", "administrator", ... */
    char *new_status;
};

struct tg_update {
    int64_t update_id;
    enum tg_update_kind kind;
    char kind_name[40];
    int64_t chat_id; /* as tg_update_peek */
    int64_t user_id; /* the person who caused the update; 0 when unknown */
    /* Filled according to kind: message for MESSAGE, EDITED_MESSAGE, CHANNEL_POST,
     * EDITED_CHANNEL_POST, BUSINESS_MESSAGE, EDITED_BUSINESS_MESSAGE; callback for
     * CALLBACK_QUERY; member for MY_CHAT_MEMBER and CHAT_MEMBER. */
    struct tg_message message;
    struct tg_callback_query callback;
    struct tg_chat_member_updated member;
};

/* Parse a whole Update. On 0, u owns copies of every string (free with tg_update_cleanup);
 * on -1, err says why and u needs no cleanup (calling it anyway is safe). Unknown kinds parse
 * successfully with kind TG_UPD_UNKNOWN and kind_name set. */
int tg_update_parse(const char *json, size_t len, struct tg_update *u, char *err,
                    size_t errlen) MUST_CHECK;
void tg_update_cleanup(struct tg_update *u);

/* Convert a UTF-16 offset/length inside UTF-8 text to bytes (clamped to the text). Exposed for
 * the tests and for the bot when it slices entities. */
void tg_utf16_span_to_bytes(const char *text, size_t text_len, int off16, int len16,
                            size_t *byte_off, size_t *byte_len);

#endif
