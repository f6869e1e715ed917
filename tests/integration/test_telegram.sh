#!/usr/bin/env bash
# test_telegram.sh: the Bot API side of the pipeline against the fake.
#  - polling mode: deleteWebhook, then getUpdates into the same inbox and pipeline.
#  - 429 with retry_after: waited out, then delivered.
#  - 403: the user is marked blocked; the update is done.
#  - 400 entity error: resent as plain text.
#  - 5xx: the update is retried with backoff, then delivered; permanent failure: dead letter
#    with the last error, and an alert to ADMIN_CHAT_ID.
#  - my_chat_member kicked/member toggles the blocked flag.
source "$(dirname "$0")/lib.sh"

pg_start || exit 99
fake_tg_start || exit 99
"$VINBOT" migrate >"$TMP/migrate.log" 2>&1 || { cat "$TMP/migrate.log"; exit 99; }
export FAKE_LOG

# ---------------------------------------------------------------- polling mode
fake_control POST /_control/updates "[$(update_json 9001 61 polled-one),$(update_json 9002 62 polled-two)]" >/dev/null
vinbot_start poll TELEGRAM_BOT_TOKEN="888:polling" || exit 99
check "polled updates answered" wait_for 20 bash -c "[[ \$('$TOOLS/tglog' '$FAKE_LOG' | awk -F'\t' '\$2 == 9001 || \$2 == 9002' | wc -l) -eq 2 ]]"
check "deleteWebhook called first" grep -q '"method":"deleteWebhook"' "$FAKE_LOG"
check_eq "polled rows stored" "$(psql_q "select count(*) from updates where update_id in (9001, 9002)")" 2
fake_control POST /_control/updates "[$(update_json 9003 63 later)]" >/dev/null
check "a later update arrives through the long poll" wait_for 20 bash -c "'$TOOLS/tglog' '$FAKE_LOG' | awk -F'\t' '\$2 == 9003' | grep -q ."
t0=$(date +%s%N)
vinbot_stop "$VB_PID"; check_eq "SIGTERM exits 0 while long polling" "$VB_RC" 0
check "stop does not wait for the long poll: $((($(date +%s%N) - t0) / 1000000)) ms" test $((($(date +%s%N) - t0) / 1000000)) -lt 5000
check "no sanitizer reports (poll)" no_sanitizer_reports "$VB_LOG"

# ---------------------------------------------------------------- webhook mode errors
vinbot_start hook TELEGRAM_BOT_TOKEN="888:hook" TELEGRAM_WEBHOOK_URL="https://bot.example.com/hook" \
  ADMIN_CHAT_ID=999 INBOX_MAX_ATTEMPTS=3 || exit 99
P=$VB_PORT
replies_to() { "$TOOLS/tglog" "$FAKE_LOG" | awk -F'\t' -v id="$1" '$2 == id' | wc -l; }
export -f replies_to

# 429: waited out (retry_after 1 s), then delivered once.
fake_control POST /_control/fault '{"service":"telegram","method":"sendMessage","chat_id":64,"status":429,"retry_after":1,"times":1}' >/dev/null
t0=$(date +%s%N)
post "$P" "$(update_json 9101 64 rate)" >/dev/null
check "429: delivered after retry_after" wait_for 15 bash -c "[[ \$(replies_to 9101) -ge 2 ]]"
check "429: waited at least 1 s" test $((($(date +%s%N) - t0) / 1000000)) -ge 1000
check "429: logged" grep -q '"event":"reply.rate_limited"' "$VB_LOG"

# 403: user marked blocked, update done, no retry.
fake_control POST /_control/fault '{"service":"telegram","method":"sendMessage","chat_id":65,"status":403,"times":1}' >/dev/null
post "$P" "$(update_json 9102 65 blocked)" >/dev/null
check "403: user marked blocked" wait_for 10 bash -c "[[ \$(psql_q 'select blocked from users where user_id = 65') == t ]]"
check_eq "403: update done" "$(psql_q "select state from updates where update_id = 9102")" done

# my_chat_member: unblock, then block again.
mcm() { printf '{"update_id":%s,"my_chat_member":{"chat":{"id":65,"type":"private","first_name":"Ann"},"from":{"id":65,"is_bot":false,"first_name":"Ann"},"date":1732400000,"old_chat_member":{"status":"%s","user":{"id":1,"is_bot":true,"first_name":"vinbot"}},"new_chat_member":{"status":"%s","user":{"id":1,"is_bot":true,"first_name":"vinbot"}}}}' "$1" "$2" "$3"; }
post "$P" "$(mcm 9103 kicked member)" >/dev/null
check "unblock via my_chat_member" wait_for 10 bash -c "[[ \$(psql_q 'select blocked from users where user_id = 65') == f ]]"
post "$P" "$(mcm 9104 member kicked)" >/dev/null
check "block via my_chat_member" wait_for 10 bash -c "[[ \$(psql_q 'select blocked from users where user_id = 65') == t ]]"

# 400 entity error: resent as plain text (no parse_mode).
fake_control POST /_control/fault '{"service":"telegram","method":"sendMessage","chat_id":66,"status":400,"description":"Bad Request: can'"'"'t parse entities: Unsupported start tag \"x\" at byte offset 0","times":1}' >/dev/null
post "$P" "$(update_json 9105 66 entities)" >/dev/null
check "entity error: resent and delivered" wait_for 10 bash -c "[[ \$(replies_to 9105) -ge 2 ]]"
check "entity error: the resend has no parse_mode" bash -c "grep '\"chat_id\":66' '$FAKE_LOG' | tail -n 1 | grep -vq parse_mode"

# 500 twice, then OK: retried with backoff, delivered, done.
fake_control POST /_control/fault '{"service":"telegram","method":"sendMessage","chat_id":67,"status":500,"times":2}' >/dev/null
post "$P" "$(update_json 9106 67 flaky)" >/dev/null
check "5xx: retried until delivered" wait_for 20 bash -c "[[ \$(psql_q 'select state from updates where update_id = 9106') == done ]]"
check_eq "5xx: three attempts" "$(psql_q "select attempts from updates where update_id = 9106")" 3

# 500 forever: dead after INBOX_MAX_ATTEMPTS with the last error, admin alerted.
fake_control POST /_control/fault '{"service":"telegram","method":"sendMessage","chat_id":68,"status":500,"times":-1}' >/dev/null
post "$P" "$(update_json 9107 68 doomed)" >/dev/null
check "dead letter after 3 attempts" wait_for 20 bash -c "[[ \$(psql_q 'select state from updates where update_id = 9107') == dead ]]"
check "dead letter keeps the last error" bash -c "psql_q 'select last_error from updates where update_id = 9107' | grep -q 'sendMessage transient'"
check "admin alerted" wait_for 10 bash -c "'$TOOLS/tglog' '$FAKE_LOG' | awk -F'\t' '\$1 == 999' | grep -q 'update 9107'"
check "dead logged as an error" grep -q '"level":"error","event":"update.dead","update_id":9107' "$VB_LOG"
fake_control DELETE /_control/fault >/dev/null

# Telegram unreachable: the update is retried (the worker does not drop it).
vinbot_stop "$VB_PID"; check_eq "SIGTERM exits 0" "$VB_RC" 0
check "no sanitizer reports (hook)" no_sanitizer_reports "$VB_LOG"
check "token never logged" bash -c "! grep -q '888:hook' '$VB_LOG'"

t_done
