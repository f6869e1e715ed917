#!/usr/bin/env bash
# test_bot.sh: what people get back, through the whole pipeline (webhook -> inbox -> worker ->
# fake Bot API): VIN cards, check-digit typos with suggestions, near misses, several VINs,
# commands, and silence in groups for messages without a VIN.
source "$(dirname "$0")/lib.sh"

pg_start || exit 99
fake_tg_start || exit 99
"$VINBOT" migrate >"$TMP/migrate.log" 2>&1 || { cat "$TMP/migrate.log"; exit 99; }
vinbot_start a TELEGRAM_BOT_TOKEN="42:bot" TELEGRAM_WEBHOOK_URL="https://bot.example.com/hook" \
  TELEGRAM_GLOBAL_RATE=0 TELEGRAM_CHAT_RATE=0 || exit 99
P=$VB_PORT
export FAKE_LOG

# send ID CHAT TEXT [TYPE]: post a message, wait for its update to be done.
send() {
  local type=${4:-private}
  local body
  body=$(printf '{"update_id":%s,"message":{"message_id":%s,"from":{"id":%s,"is_bot":false,"first_name":"Ann"},"chat":{"id":%s,"type":"%s"},"date":1732400000,"text":"%s"}}' "$1" "$1" "${3:+$2}" "$2" "$type" "$3")
  [[ $(post "$P" "$body") == 200 ]] || return 1
  wait_for 10 bash -c "[[ \$(psql_q 'select state from updates where update_id = $1') == done ]]"
}
# reply_to ID: the texts answering message ID (newlines as \n).
reply_to() { "$TOOLS/tglog" "$FAKE_LOG" | awk -F'\t' -v id="$1" '$2 == id {print $3}'; }
chat_msgs() { "$TOOLS/tglog" "$FAKE_LOG" | awk -F'\t' -v c="$1" '$1 == c {print $3}'; }
export -f reply_to chat_msgs

send 1 100 "1HGCM82633A004352"
r=$(reply_to 1)
check "card: year, make, model, trim" grep -q '<b>2003 HONDA Accord EX-V6</b>' <<<"$r"
check "card: the VIN" grep -q '<code>1HGCM82633A004352</code>' <<<"$r"
check "card: body and doors" grep -q 'Body: Coupe · 2 doors' <<<"$r"
check "card: engine" grep -q 'Engine: 6 cyl · 3.0 L · 240 hp · Gasoline' <<<"$r"
check "card: plant" grep -q 'Built in: MARYSVILLE · UNITED STATES (USA)' <<<"$r"
check "card: the check digit explained" grep -q 'Check digit: 3 ✅' <<<"$r"
check "card: the source" grep -q 'Decoded by NHTSA vPIC' <<<"$r"
check "card: sent as HTML" grep -q '"parse_mode":"HTML"' "$FAKE_LOG"
check "card: a Recalls button" grep -q '"callback_data":"rc:1HGCM82633A004352"' "$FAKE_LOG"

send 2 100 "my vin is 1hgcm 82633 a004352, thanks"
r=$(reply_to 2)
check "VIN in a sentence, grouped and lower case" grep -q '<code>1HGCM82633A004352</code>' <<<"$r"
check "second time: from the database" grep -q 'Decoded by NHTSA vPIC' <<<"$r"
check_eq "one vPIC call for both" "$(grep -c '"path":"/api/vehicles/DecodeVinValues/1HGCM82633A004352"' "$FAKE_LOG")" 1

send 3 100 "1HGCM82633A004353"
r=$(reply_to 3)
check "typo: check digit problem named" grep -q 'has a check digit problem' <<<"$r"
check "typo: expected digit" grep -q 'Position 9 is 3, but the other 16 characters give 5' <<<"$r"
check "typo: suggestion" grep -q 'Did you mean <code>1HGCM82653A004353</code>' <<<"$r"

send 4 100 "1HGCO82633A004352"
r=$(reply_to 4)
check "forbidden letter named with its position" grep -q 'contains the letter O at position 5: VINs never use I, O or Q; did you mean 0?' <<<"$r"

send 5 100 "is this right: 1HGCM82633A00435"
r=$(reply_to 5)
check "near miss explained" grep -q 'looks like a VIN, but:.*too short: 16 characters, a VIN has 17' <<<"$r"

send 6 100 "1HGCM82633A004352 JH4KA7561PC008269 1G4AH59H45G118341 WVWZZZ1JZXW000001"
check_eq "several VINs: three cards and a note" "$(reply_to 6 | wc -l)" 4
check "several VINs: the note" bash -c "reply_to 6 | grep -q 'up to 3 VINs per message'"

send 7 100 "/vin WVWZZZ1JZXW000001"
r=$(reply_to 7)
check "/vin: a VIN vPIC does not know gets the offline card" grep -q "Check digit: none (position 9 is 'Z'" <<<"$r"
send 8 100 "/vin"
check "/vin without a VIN says how" bash -c "reply_to 8 | grep -q 'Send the VIN after the command'"
send 9 100 "/start"
check "/start welcomes" bash -c "chat_msgs 100 | grep -q 'I decode vehicle identification numbers'"
send 10 100 "/help"
check "/help lists commands" bash -c "reply_to 10 | grep -q '/vin'"
send 11 100 "/frobnicate"
check "unknown command" bash -c "reply_to 11 | grep -q \"I don't know that command\""
send 12 100 "hello there"
check "no VIN: says what a VIN looks like" bash -c "reply_to 12 | grep -q \"I didn't find a VIN\""
send 13 100 "order 12345678901234567"
check "17 digits in a sentence are not a VIN" bash -c "reply_to 13 | grep -q \"I didn't find a VIN\""

send 20 -500 "hello group" supergroup
send 21 -500 "/start@other_bot" supergroup
send 22 -500 "the car is 1HGCM82633A004352" supergroup
check_eq "group: silent without a VIN" "$(reply_to 20 | wc -l)" 0
check_eq "group: a command for another bot is ignored" "$(reply_to 21 | wc -l)" 0
check "group: a VIN gets a card" bash -c "reply_to 22 | grep -q '<code>1HGCM82633A004352</code>'"

# recalls: the button, the command, none found
cb='{"update_id":30,"callback_query":{"id":"cbq-1","from":{"id":100,"is_bot":false,"first_name":"Ann"},"data":"rc:1HGCM82633A004352","message":{"message_id":1,"chat":{"id":100,"type":"private"}}}}'
check_eq "button press accepted" "$(post "$P" "$cb")" 200
check "button: answered" wait_for 10 grep -q '"method":"answerCallbackQuery".*"callback_query_id":"cbq-1"' "$FAKE_LOG"
check "button: recalls listed" wait_for 10 bash -c "chat_msgs 100 | grep -q 'Recalls for 2003 HONDA Accord.*04V176000.*19V182000'"
check "button: park-it warning" bash -c "chat_msgs 100 | grep -q 'advises not to drive this vehicle'"
check "recalls: one upstream call" test "$(grep -c '"service":"recalls"' "$FAKE_LOG")" -eq 1
send 31 100 "/recalls 1HGCM82633A004352"
check "/recalls: listed" bash -c "reply_to 31 | grep -q 'NHTSA lists 2 recalls'"
check "/recalls: no second upstream call" test "$(grep -c '"service":"recalls"' "$FAKE_LOG")" -le 2
send 32 100 "/recalls 5YJ3E1EA2KF317000"
check "/recalls: none" bash -c "reply_to 32 | grep -q 'NHTSA lists no recalls'"
send 33 100 "/recalls"
check "/recalls without a VIN says how" bash -c "reply_to 33 | grep -q 'Send the VIN after the command'"

# models
send 40 100 "/models honda 2020"
check "/models: sorted, no duplicates" bash -c "reply_to 40 | grep -o '• [A-Za-z-]*' | tr '\n' ' ' | grep -q '• Accord • CR-V • Civic • Odyssey • Pilot '"
send 41 100 "/models honda"
check "/models without a year says how" bash -c "reply_to 41 | grep -q '/models honda 2020'"

# a VIN vPIC has no record of; a partial decode
send 50 100 "1ZZZZZ0Z4MA123456"
check "no record: said so, offline facts given" bash -c "reply_to 50 | grep -q 'NHTSA vPIC has no record of this VIN'"
send 51 100 "1FTFW1ET9DFC10312"
check "partial decode: limited data noted" bash -c "reply_to 51 | grep -q 'only limited data'"
check "lookups recorded" test "$(psql_q "select count(*) from lookups where user_id = 100")" -ge 5
check "vehicles stored" test "$(psql_q "select count(*) from vehicles where found")" -ge 3

vinbot_stop "$VB_PID"; check_eq "SIGTERM exits 0" "$VB_RC" 0
check "no sanitizer reports" no_sanitizer_reports "$VB_LOG"
t_done
