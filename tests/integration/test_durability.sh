#!/usr/bin/env bash
# test_durability.sh: nothing acknowledged is ever lost.
#  - Postgres stopped: /webhook and /ready answer 503; after Postgres returns, everything that
#    was queued is processed.
#  - kill -9 in the middle of a burst: after a restart, every acknowledged update is answered.
#  - SIGTERM in the middle of a burst: exit 0 within the deadline; unstarted work stays queued
#    and a restarted instance answers all of it.
source "$(dirname "$0")/lib.sh"

pg_start || exit 99
fake_tg_start || exit 99
"$VINBOT" migrate >"$TMP/migrate.log" 2>&1 || { cat "$TMP/migrate.log"; exit 99; }
TOKEN="555:durability-token"
COMMON=(TELEGRAM_BOT_TOKEN="$TOKEN" TELEGRAM_WEBHOOK_URL="https://bot.example.com/hook")

# answered_all FILE: every update id in FILE has at least one reply in the fake's log.
answered_all() {
  local missing
  missing=$(comm -23 <(sort -u "$1") <("$TOOLS/tglog" "$FAKE_LOG" | cut -f2 | sort -u) | wc -l)
  [[ $missing -eq 0 ]]
}
missing_count() { comm -23 <(sort -u "$1") <("$TOOLS/tglog" "$FAKE_LOG" | cut -f2 | sort -u) | wc -l; }

# ---------------------------------------------------------------- Postgres outage
vinbot_start a "${COMMON[@]}" || exit 99
# Telegram fails for now, so the next updates stay queued (retrying) while Postgres goes away.
fake_control POST /_control/fault '{"service":"telegram","method":"sendMessage","status":500,"times":-1}' >/dev/null
for i in 1 2 3 4 5; do post "$VB_PORT" "$(update_json $((2000 + i)) $((70 + i)) queued$i)" >/dev/null; done
check_eq "five updates queued" "$(psql_q "select count(*) from updates where update_id between 2001 and 2005 and state <> 'done'")" 5
pg_stop
check_eq "webhook 503 while Postgres is down" "$(post "$VB_PORT" "$(update_json 2100 80 lost)")" 503
sleep 1.2 # the /ready probe result may be reused for a second
check_eq "ready 503 while Postgres is down" "$(curl -s -o /dev/null -w '%{http_code}' "$VB_URL/ready")" 503
check "ready names the database" bash -c "curl -s '$VB_URL/ready' | grep -q '\"database\":\"down\"'"
check "health still 200" bash -c "[[ \$(curl -s -o /dev/null -w '%{http_code}' '$VB_URL/health') == 200 ]]"
pg_start_again
fake_control DELETE /_control/fault >/dev/null
check "ready again after Postgres returns" wait_for 15 ready_ok "$VB_PORT"
# Telegram redelivers until it gets a 2xx; the first try may still meet the writer reconnecting.
check "webhook stores again" wait_for 5 bash -c "[[ \$(curl -s -o /dev/null -w '%{http_code}' -X POST --data-binary '$(update_json 2101 81 back)' '$VB_URL/webhook') == 200 ]]"
printf '%s\n' 2001 2002 2003 2004 2005 2101 >"$TMP/outage.ids"
check "everything queued is answered" wait_for 30 answered_all "$TMP/outage.ids"
check_eq "the refused update was not stored" "$(psql_q "select count(*) from updates where update_id = 2100")" 0
vinbot_stop "$VB_PID"; check_eq "SIGTERM exits 0" "$VB_RC" 0
check "no sanitizer reports (outage)" no_sanitizer_reports "$VB_LOG"

# ---------------------------------------------------------------- kill -9 during a burst
# Slow replies (the fake delays sendMessage) keep work in flight when the process dies.
fake_control POST /_control/delay '{"service":"telegram","delay_ms":20}' >/dev/null
vinbot_start b "${COMMON[@]}" INBOX_LEASE_MS=3000 || exit 99
"$TOOLS/burst" --url "$VB_URL/webhook" --chats 40 --per-chat 10 --start-id 100000 \
  --concurrency 40 --retry-ms 30000 --acked "$TMP/kill9.acked" >"$TMP/burst-kill9.out" 2>&1 &
BURST=$!
wait_for 10 bash -c "[[ -s '$TMP/kill9.acked' && \$(wc -l <'$TMP/kill9.acked') -ge 100 ]]"
kill -KILL "$VB_PID"
wait "$VB_PID" 2>/dev/null
acked_at_kill=$(wc -l <"$TMP/kill9.acked")
sleep 0.5
# Restart the same instance (same INSTANCE_ID: host:port) so it takes back its own leases at once.
VB_FIXED_PORT=$VB_PORT vinbot_start b2 "${COMMON[@]}" INBOX_LEASE_MS=3000
check_eq "restart after kill -9, same port" "$?" 0
wait "$BURST"
check "burst fully acknowledged across the crash" grep -q 'failed=0' "$TMP/burst-kill9.out"
check "acknowledged before the kill: $acked_at_kill" test "$acked_at_kill" -gt 0
check "every acknowledged update is answered after kill -9" wait_for 60 answered_all "$TMP/kill9.acked"
echo "  (missing replies: $(missing_count "$TMP/kill9.acked"))"
check "own leases taken back at start" grep -q '"event":"inbox.requeued"' "$VB_LOG"
vinbot_stop "$VB_PID"; check_eq "SIGTERM exits 0 (after restart)" "$VB_RC" 0
check "no sanitizer reports (restart)" no_sanitizer_reports "$VB_LOG"

# ---------------------------------------------------------------- SIGTERM during a burst
fake_control POST /_control/delay '{"service":"telegram","delay_ms":50}' >/dev/null
vinbot_start c "${COMMON[@]}" SHUTDOWN_TIMEOUT_MS=3000 || exit 99
"$TOOLS/burst" --url "$VB_URL/webhook" --chats 30 --per-chat 10 --start-id 200000 \
  --concurrency 30 --retry-ms 0 --acked "$TMP/term.acked" >"$TMP/burst-term.out" 2>&1 &
BURST=$!
wait_for 10 bash -c "[[ -s '$TMP/term.acked' && \$(wc -l <'$TMP/term.acked') -ge 60 ]]"
t0=$(date +%s%N)
vinbot_stop "$VB_PID" 15; rc=$VB_RC
ms=$((($(date +%s%N) - t0) / 1000000))
wait "$BURST"
check_eq "SIGTERM mid-burst exits 0" "$rc" 0
check "exit within the 3 s deadline (+1 s): ${ms} ms" test "$ms" -lt 4000
check "drain logged" grep -q '"event":"shutdown.done"' "$VB_LOG"
check "no sanitizer reports (drain)" no_sanitizer_reports "$VB_LOG"
fake_control POST /_control/delay '{"service":"telegram","delay_ms":0}' >/dev/null
vinbot_start d "${COMMON[@]}" || exit 99
check "every update acknowledged before SIGTERM is answered" wait_for 60 answered_all "$TMP/term.acked"
echo "  (acked $(wc -l <"$TMP/term.acked"), missing replies: $(missing_count "$TMP/term.acked"))"
check_eq "nothing left queued" "$(psql_q "select count(*) from updates where state in ('queued','working')")" 0
vinbot_stop "$VB_PID"; check_eq "SIGTERM exits 0 (final)" "$VB_RC" 0

t_done
