#!/usr/bin/env bash
# test_concurrency.sh: order and exactly-one answers under concurrency.
#  - per-chat order: many chats at once, many workers; each chat's replies come in update order.
#  - two vinbot instances on one database share a burst: nothing lost, nothing answered twice,
#    and both instances did part of the work.
source "$(dirname "$0")/lib.sh"

pg_start || exit 99
fake_tg_start || exit 99
"$VINBOT" migrate >"$TMP/migrate.log" 2>&1 || { cat "$TMP/migrate.log"; exit 99; }
COMMON=(TELEGRAM_BOT_TOKEN="777:concurrency" TELEGRAM_WEBHOOK_URL="https://bot.example.com/hook")

# in_order: for every chat, the reply_to ids in the fake's log are strictly increasing.
in_order() {
  "$TOOLS/tglog" "$FAKE_LOG" | awk -F'\t' '$2 >= '"$1"' && $2 < '"$2"' {
      if (($1 in last) && $2 <= last[$1]) { bad++; print "out of order: chat " $1 ": " last[$1] " then " $2 }
      last[$1] = $2 }
    END { exit bad > 0 }'
}
replies_between() { "$TOOLS/tglog" "$FAKE_LOG" | awk -F'\t' -v a="$1" -v b="$2" '$2 >= a && $2 < b' | wc -l; }
dup_replies_between() {
  "$TOOLS/tglog" "$FAKE_LOG" | awk -F'\t' -v a="$1" -v b="$2" '$2 >= a && $2 < b {print $2}' | sort | uniq -d | wc -l
}

export -f replies_between dup_replies_between
export TOOLS FAKE_LOG

# ---------------------------------------------------------------- per-chat order
# Replies take a little time, so a chat's updates pile up in the inbox while workers are busy.
fake_control POST /_control/delay '{"service":"telegram","delay_ms":5}' >/dev/null
vinbot_start a "${COMMON[@]}" WORKERS=32 DB_POOL_SIZE=6 || exit 99
"$TOOLS/burst" --url "$VB_URL/webhook" --chats 20 --per-chat 25 --start-id 300000 \
  --concurrency 20 --acked "$TMP/order.acked" >"$TMP/burst-order.out" 2>&1
check "burst acknowledged" grep -q 'failed=0' "$TMP/burst-order.out"
check "all 500 answered" wait_for 60 bash -c "[[ \$(replies_between 300000 400000) -ge 500 ]]"
check "each chat answered in update order" in_order 300000 400000
check_eq "no update answered twice" "$(dup_replies_between 300000 400000)" 0
vinbot_stop "$VB_PID"; check_eq "SIGTERM exits 0" "$VB_RC" 0
check "no sanitizer reports (order)" no_sanitizer_reports "$VB_LOG"

# ---------------------------------------------------------------- two instances, one database
vinbot_start one "${COMMON[@]}" WORKERS=16 || exit 99
vinbot_start two "${COMMON[@]}" WORKERS=16 || exit 99
# Half the chats deliver to each instance (Telegram sees one URL; the proxy spreads connections).
"$TOOLS/burst" --url "http://127.0.0.1:$VB_PORT_one/webhook" --chats 25 --per-chat 20 \
  --start-id 500000 --concurrency 25 --acked "$TMP/two.acked" >"$TMP/burst-one.out" 2>&1 &
B1=$!
"$TOOLS/burst" --url "http://127.0.0.1:$VB_PORT_two/webhook" --chats 25 --per-chat 20 \
  --chat-base 3000 --start-id 600000 --concurrency 25 --acked "$TMP/two.acked" >"$TMP/burst-two.out" 2>&1 &
B2=$!
wait $B1 $B2
check "both bursts acknowledged" bash -c "grep -q failed=0 '$TMP/burst-one.out' && grep -q failed=0 '$TMP/burst-two.out'"
check "all 1000 answered" wait_for 60 bash -c "[[ \$(replies_between 500000 700000) -ge 1000 ]]"
check_eq "none answered twice across instances" "$(dup_replies_between 500000 700000)" 0
check "order holds across instances" in_order 500000 700000
check_eq "rows all done" "$(psql_q "select count(*) from updates where update_id >= 500000 and state <> 'done'")" 0
# Both instances claimed work: each one's claims show in its metrics.
m1=$(curl -s "http://127.0.0.1:$VB_PORT_one/metrics" | awk '$1 == "vinbot_updates_done_total" {print $2}')
m2=$(curl -s "http://127.0.0.1:$VB_PORT_two/metrics" | awk '$1 == "vinbot_updates_done_total" {print $2}')
echo "  (instance one finished $m1, instance two $m2)"
check "both instances did work" test "${m1:-0}" -gt 0 -a "${m2:-0}" -gt 0
vinbot_stop "$VB_PID_one"; check_eq "instance one exits 0" "$VB_RC" 0
vinbot_stop "$VB_PID_two"; check_eq "instance two exits 0" "$VB_RC" 0
check "no sanitizer reports (one)" no_sanitizer_reports "$VB_LOG_one"
check "no sanitizer reports (two)" no_sanitizer_reports "$VB_LOG_two"

t_done
