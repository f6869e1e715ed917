#!/usr/bin/env bash
# test_webhook.sh: intake over HTTP with real Postgres and the fake Bot API: a webhook becomes a
# row and a reply, redeliveries are acknowledged once, bad requests get the right 4xx and store
# nothing, the probes and metrics answer, configuration and schema errors stop the start, and
# no secret reaches a log line.
source "$(dirname "$0")/lib.sh"

pg_start || exit 99
fake_tg_start || exit 99
"$VINBOT" migrate >"$TMP/migrate.log" 2>&1 || { cat "$TMP/migrate.log"; exit 99; }

TOKEN="123456:AAE-test-token-do-not-log"
SECRET="s3cr3t_Token-xyz"
vinbot_start a TELEGRAM_BOT_TOKEN="$TOKEN" TELEGRAM_WEBHOOK_SECRET="$SECRET" \
  TELEGRAM_WEBHOOK_URL="https://bot.example.com/webhook" || exit 99
P=$VB_PORT

# --- a webhook becomes a row and a reply
check_eq "webhook answers 200" "$(post "$P" "$(update_json 1001 42 hello)" "$SECRET")" 200
check_eq "row committed before the 200" "$(psql_q "select count(*) from updates where update_id = 1001")" 1
wait_for 10 bash -c "[[ \$('$TOOLS/tglog' '$FAKE_LOG' | awk -F'\t' '\$2 == 1001' | wc -l) -ge 1 ]]"
check_eq "reply sent to the chat, replying to the message" \
  "$("$TOOLS/tglog" "$FAKE_LOG" | awk -F'\t' '$2 == 1001 {print $1}' | head -n 1)" 42
check_eq "row marked done" "$(psql_q "select state from updates where update_id = 1001")" done
check_eq "user remembered" "$(psql_q "select first_name from users where user_id = 42")" Ann

# --- the same update twice gives one row and one reply
check_eq "redelivery acknowledged" "$(post "$P" "$(update_json 1001 42 hello)" "$SECRET")" 200
sleep 0.5
check_eq "redelivery not processed again" \
  "$("$TOOLS/tglog" "$FAKE_LOG" | awk -F'\t' '$2 == 1001' | wc -l)" 1
check "duplicate logged" grep -q '"event":"inbox.duplicate","update_id":1001' "$VB_LOG"

# --- authentication
check_eq "missing secret is 401" "$(post "$P" "$(update_json 1002 42 x)")" 401
check_eq "wrong secret is 401" "$(post "$P" "$(update_json 1003 42 x)" "wrong")" 401
check_eq "secret prefix is 401" "$(post "$P" "$(update_json 1004 42 x)" "${SECRET:0:5}")" 401
check_eq "nothing stored for bad secrets" \
  "$(psql_q "select count(*) from updates where update_id in (1002, 1003, 1004)")" 0

# --- shape and size
check_eq "not JSON is 400" "$(post "$P" 'hello there' "$SECRET")" 400
check_eq "JSON array is 400" "$(post "$P" '[1,2,3]' "$SECRET")" 400
check_eq "no update_id is 400" "$(post "$P" '{"message":{"text":"x"}}' "$SECRET")" 400
check_eq "string update_id is 400" "$(post "$P" '{"update_id":"7"}' "$SECRET")" 400
check_eq "float update_id is 400" "$(post "$P" '{"update_id":7.5}' "$SECRET")" 400
check_eq "truncated JSON is 400" "$(post "$P" '{"update_id":7,' "$SECRET")" 400
check_eq "empty body is 400" "$(post "$P" '' "$SECRET")" 400
check_eq "JSON Postgres refuses (NaN) is 400" "$(post "$P" '{"update_id":7,"x":NaN}' "$SECRET")" 400
check "refusal by Postgres logged" grep -q '"event":"inbox.rejected","update_id":7' "$VB_LOG"
head -c 1100000 /dev/zero | tr '\0' 'a' >"$TMP/big.json"
check_eq "oversized body is 413" "$(curl -s -o /dev/null -w '%{http_code}' -X POST \
  -H "X-Telegram-Bot-Api-Secret-Token: $SECRET" --data-binary @"$TMP/big.json" "$VB_URL/webhook")" 413
check_eq "oversized chunked body is 413" "$(curl -s -o /dev/null -w '%{http_code}' -X POST \
  -H 'Transfer-Encoding: chunked' -H "X-Telegram-Bot-Api-Secret-Token: $SECRET" \
  --data-binary @"$TMP/big.json" "$VB_URL/webhook")" 413
check_eq "GET /webhook is 405" "$(curl -s -o /dev/null -w '%{http_code}' "$VB_URL/webhook")" 405
check_eq "unknown path is 404" "$(curl -s -o /dev/null -w '%{http_code}' "$VB_URL/nope")" 404
check "rejections are logged" grep -q '"event":"webhook.rejected".*status=400' "$VB_LOG"
check_eq "nothing stored for bad bodies" "$(psql_q "select count(*) from updates")" 1

# --- unknown kinds are stored and marked done
check_eq "unknown kind accepted" \
  "$(post "$P" '{"update_id":1010,"guest_message":{"chat":{"id":5,"type":"private"}}}' "$SECRET")" 200
wait_for 5 bash -c "[[ \$(psql_q \"select state from updates where update_id = 1010\") == done ]]"
check_eq "unknown kind done" "$(psql_q "select state || ':' || kind from updates where update_id = 1010")" "done:guest_message"

# --- probes and metrics
health=$(curl -s "$VB_URL/health")
check "health body" grep -qE '^\{"status":"healthy","timestamp":[0-9]+,"service":"vinbot","version":"[^"]+"\}$' <<<"$health"
ready=$(curl -s "$VB_URL/ready")
check "ready body" grep -q '"status":"ready","dependencies":{"database":"ok","cache":"disabled","telegram_api":"ok"}' <<<"$ready"
metrics=$(curl -s "$VB_URL/metrics")
check "metrics: webhook 200s" grep -qE '^vinbot_webhook_requests_total\{status="200"\} [1-9]' <<<"$metrics"
check "metrics: webhook 401s" grep -qE '^vinbot_webhook_requests_total\{status="401"\} 3$' <<<"$metrics"
check "metrics: latency histogram" grep -q '^vinbot_processing_seconds_bucket{le="+Inf"}' <<<"$metrics"
check "metrics: upstream calls" grep -qE '^vinbot_upstream_calls_total\{upstream="telegram"\} [1-9]' <<<"$metrics"
check "metrics: workers busy" grep -q '^vinbot_workers_busy ' <<<"$metrics"
wait_for 8 bash -c "curl -s '$VB_URL/metrics' | grep -q '^vinbot_inbox_rows{state=\"done\"}'"
check "metrics: inbox rows by state" bash -c "curl -s '$VB_URL/metrics' | grep -q '^vinbot_inbox_rows{state=\"queued\"} 0'"

# --- setWebhook was called with our settings
setwh=$(grep '"method":"setWebhook"' "$FAKE_LOG" | head -n 1)
check "setWebhook url" grep -q '"url":"https://bot.example.com/webhook"' <<<"$setwh"
check "setWebhook secret_token" grep -q "\"secret_token\":\"$SECRET\"" <<<"$setwh"
check "setWebhook allowed_updates" grep -q '"allowed_updates":\["message","edited_message","callback_query","my_chat_member"\]' <<<"$setwh"
check "setWebhook max_connections" grep -q '"max_connections":40' <<<"$setwh"

# --- shutdown
vinbot_stop "$VB_PID"; check_eq "SIGTERM exits 0" "$VB_RC" 0
check "no secret in the log" bash -c "! grep -qF -e '$TOKEN' -e '$SECRET' -e '$DATABASE_URL' '$VB_LOG'"
check "config logged with secrets masked" grep -q 'TELEGRAM_BOT_TOKEN=\*\*\*' "$VB_LOG"
check "logs are JSON lines" bash -c "grep -v '^{\"ts\":\"' '$VB_LOG' | grep -vE '^(==|    #|SUMMARY|$)' | wc -l | grep -qx 0"
check "no sanitizer reports" no_sanitizer_reports "$VB_LOG"

# --- configuration errors: one message naming every wrong variable, exit 78
out=$(env -i PATH="$PATH" PORT=abc WORKERS=0 LOG_LEVEL=loud TELEGRAM_WEBHOOK_URL=http://x "$VINBOT" serve 2>&1)
rc=$?
check_eq "bad config exits 78" "$rc" 78
for v in PORT WORKERS LOG_LEVEL DATABASE_URL TELEGRAM_BOT_TOKEN TELEGRAM_WEBHOOK_URL; do
  check "bad config names $v" grep -q "$v" <<<"$out"
done

# --- serve refuses an unmigrated schema
as_pg "$PGBIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres empty
out=$(env -i PATH="$PATH" DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/empty" PORT="$(free_port)" \
  BIND_ADDRESS=127.0.0.1 "$VINBOT" serve 2>&1)
rc=$?
check_eq "unmigrated schema: exit 1" "$rc" 1
check "unmigrated schema: says run vinbot migrate" grep -q 'run `vinbot migrate`' <<<"$out"
check "migrate twice is a no-op" bash -c "'$VINBOT' migrate 2>&1 | grep -q '0 migrations applied now'"

t_done
