#!/usr/bin/env bash
# test_decode.sh: the decoder chain with real Redis and Postgres and the fake upstreams:
#  - cache miss then hit, with the TTLs set (30 days; 1 hour for "no such vehicle")
#  - the Postgres copy answers when the cache is empty
#  - 50 concurrent lookups of one uncached VIN (two processes, 25 threads each) make exactly
#    one upstream call
#  - vPIC down -> auto.dev -> offline, each answer labelled with why the others did not answer
#  - the circuit breaker stops calling a failing upstream
#  - Redis stopped -> still answers; Redis back -> the cache is used again
#  - all of it again with Upstash REST (fake_upstash in front of Redis) instead of Redis
#  - no log line holds the auto.dev key, the Upstash token or the Redis password
source "$(dirname "$0")/lib.sh"

pg_start || exit 99
fake_tg_start || exit 99
"$VINBOT" migrate >"$TMP/migrate.log" 2>&1 || { cat "$TMP/migrate.log"; exit 99; }
KEY=sk_ad_test_$RANDOM$RANDOM
TOKEN=upstash_$RANDOM$RANDOM
PASS=redispw$RANDOM

start_redis() { # PORT [password]
  redis-server --port "$1" --bind 127.0.0.1 --save '' --appendonly no --dir "$TMP" \
    ${2:+--requirepass "$2"} --logfile "$TMP/redis-$1.log" --daemonize yes --pidfile "$TMP/redis-$1.pid"
  wait_for 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
}
stop_redis() { kill "$(cat "$TMP/redis-$1.pid")" 2>/dev/null; wait_for 10 bash -c "! (exec 3<>/dev/tcp/127.0.0.1/$1)" 2>/dev/null; }
rcli() { redis-cli -p "$RPORT" ${RPASS:+-a "$RPASS" --no-auth-warning} "$@"; }
trap 'stop_redis $RPORT 2>/dev/null; stop_redis $UPORT 2>/dev/null; cleanup' EXIT

RPORT=$(free_port)
UPORT=$(free_port)
start_redis "$RPORT" "$PASS" || exit 99
start_redis "$UPORT" || exit 99
"$TOOLS/fake_upstash" --port-file "$TMP/upstash.port" --redis-port "$UPORT" --token "$TOKEN" \
  --log "$TMP/upstash.log" &
CLEANUP_PIDS+=($!)
wait_for 10 test -s "$TMP/upstash.port" || exit 99
UPSTASH_URL="http://127.0.0.1:$(cat "$TMP/upstash.port")"

HONDA=1HGCM82633A004352
TESLA=5YJ3E1EA2KF317000
NOSUCH=1ZZZZZ0Z4MA123456

vpic_calls() { grep -c "\"path\":\"/api/vehicles/DecodeVinValues/$1\"" "$FAKE_LOG"; }
autodev_calls() { grep -c "\"path\":\"/vin/$1\"" "$FAKE_LOG"; }

for backend in redis upstash; do
  if [[ $backend == redis ]]; then
    CACHE_ENV=(REDIS_URL="redis://:$PASS@127.0.0.1:$RPORT/0")
    CPORT=$RPORT RPASS=$PASS
  else
    CACHE_ENV=(UPSTASH_REDIS_REST_URL="$UPSTASH_URL" UPSTASH_REDIS_REST_TOKEN="$TOKEN")
    CPORT=$UPORT RPASS=
  fi
  RPORT_SAVED=$RPORT
  RPORT=$CPORT
  # a fresh start for each backend: empty cache, no stored vehicles, breakers closed
  rcli flushall >/dev/null
  psql_q "truncate vehicles, lookups" >/dev/null
  fake_control DELETE /_control/fault >/dev/null
  dec() { # [VAR=VALUE...] [VIN...]: decode with this backend; stderr to a log checked for secrets
    local envs=() args=()
    for a in "$@"; do if [[ $a == *=* ]]; then envs+=("$a"); else args+=("$a"); fi; done
    env -i PATH="$PATH" DATABASE_URL="$DATABASE_URL" "${CACHE_ENV[@]}" \
      NHTSA_API_BASE="$FAKE_URL/api" AUTODEV_API_BASE="$FAKE_URL" NHTSA_RECALLS_API_BASE="$FAKE_URL" \
      UPSTREAM_TIMEOUT_MS=2000 UPSTREAM_DEADLINE_MS=3000 CACHE_TIMEOUT_MS=300 "${envs[@]}" \
      "$VINBOT" decode "${args[@]}" 2>>"$TMP/decode-$backend.log"
  }

  before=$(vpic_calls $HONDA)
  out=$(dec "$HONDA")
  check "$backend: first decode from vPIC, cache miss" grep -q '"source":"nhtsa","cache":"miss"' <<<"$out"
  check "$backend: normalized vehicle" grep -q '"vehicle":{"vin":"1HGCM82633A004352","source":"nhtsa","make":"HONDA","model":"Accord"' <<<"$out"
  out=$(dec "$HONDA")
  check "$backend: second decode is a cache hit" grep -q '"source":"nhtsa","cache":"hit"' <<<"$out"
  check_eq "$backend: one vPIC call" "$(($(vpic_calls $HONDA) - before))" 1
  ttl=$(rcli ttl "vinbot:v1:vin:$HONDA")
  check "$backend: decoded VIN cached for 30 days ($ttl s)" test "$ttl" -gt 2591000 -a "$ttl" -le 2592000
  dec "$NOSUCH" >/dev/null
  ttl=$(rcli ttl "vinbot:v1:vin:$NOSUCH")
  check "$backend: 'no such vehicle' cached for 1 hour ($ttl s)" test "$ttl" -gt 3500 -a "$ttl" -le 3600
  check "$backend: vehicles row stored with the raw answer" test "$(psql_q "select count(*) from vehicles where vin = '$HONDA' and raw ? 'Results'")" -eq 1

  # the Postgres copy answers when the cache is empty
  rcli del "vinbot:v1:vin:$HONDA" >/dev/null
  before=$(vpic_calls $HONDA)
  out=$(dec "$HONDA")
  check "$backend: Postgres copy used (no vPIC call)" test "$(vpic_calls $HONDA)" -eq "$before"
  check "$backend: ... and labelled as a cache miss" grep -q '"source":"nhtsa","cache":"miss"' <<<"$out"
  check "$backend: ... and the cache refilled" test "$(rcli exists "vinbot:v1:vin:$HONDA")" -eq 1

  # 50 concurrent lookups of one uncached VIN, two processes: one upstream call
  before=$(vpic_calls $TESLA)
  fake_control POST /_control/delay '{"service":"vpic","delay_ms":200}' >/dev/null
  racers=()
  for p in 1 2; do
    env -i PATH="$PATH" DATABASE_URL="$DATABASE_URL" "${CACHE_ENV[@]}" NHTSA_API_BASE="$FAKE_URL/api" \
      CACHE_TIMEOUT_MS=1000 DB_POOL_SIZE=4 "$TOOLS/decode_check" race "$TESLA" 25 >"$TMP/race-$backend-$p.out" 2>>"$TMP/decode-$backend.log" &
    racers+=($!)
  done
  wait "${racers[@]}"
  fake_control POST /_control/delay '{"service":"vpic","delay_ms":0}' >/dev/null
  cat "$TMP/race-$backend-1.out" "$TMP/race-$backend-2.out" | sed 's/^/  /'
  check_eq "$backend: 50 concurrent lookups, one vPIC call" "$(($(vpic_calls $TESLA) - before))" 1
  check "$backend: every racer got the decode" bash -c "cat '$TMP'/race-$backend-*.out | grep -c 'nhtsa=25' | grep -qx 2"

  # fallbacks: vPIC down -> auto.dev; both down -> offline; each labelled
  rcli flushall >/dev/null
  psql_q "truncate vehicles" >/dev/null
  fake_control POST /_control/fault '{"service":"vpic","method":"DecodeVinValues","status":503,"times":-1}' >/dev/null
  out=$(dec AUTODEV_API_KEY="$KEY" "$TESLA")
  check "$backend: vPIC down -> auto.dev answers" grep -q '"source":"autodev"' <<<"$out"
  check "$backend: ... with why vPIC did not" grep -q '"notes":\["nhtsa: unavailable (HTTP 503' <<<"$out"
  check "$backend: ... the key sent as a bearer header" grep -q "\"authorization\":\"Bearer $KEY\"" "$FAKE_LOG"
  rcli flushall >/dev/null
  psql_q "truncate vehicles" >/dev/null
  fake_control POST /_control/fault '{"service":"autodev","status":500,"times":-1}' >/dev/null
  out=$(dec AUTODEV_API_KEY="$KEY" "$TESLA")
  check "$backend: both down -> offline" grep -q '"source":"offline"' <<<"$out"
  check "$backend: ... the offline facts still given" grep -q '"model_year":\[2019\].*"make":"Tesla"' <<<"$out"
  check "$backend: ... both reasons" grep -q '"notes":\["nhtsa: unavailable.*","autodev: unavailable' <<<"$out"
  out=$(dec "$TESLA")
  check "$backend: within a minute, the failure is remembered (no new calls)" grep -q 'online decoders failed moments ago' <<<"$out"
  rcli flushall >/dev/null
  out=$(dec "$TESLA")
  check "$backend: without a key, auto.dev is 'not configured'" grep -q 'autodev: not configured' <<<"$out"

  # the breaker: after 5 failures in a row vPIC is skipped, not called
  rcli flushall >/dev/null
  # European VINs: no check digit required, so each goes online
  seq_vins=$(for i in 1 2 3 4 5 6 7; do printf 'WVWZZZ1JZ3W00000%s\n' "$i"; done)
  before=$(grep -c '"service":"vpic"' "$FAKE_LOG")
  out=$(dec UPSTREAM_DEADLINE_MS=300 UPSTREAM_TIMEOUT_MS=200 <<<"$seq_vins")
  calls=$(($(grep -c '"service":"vpic"' "$FAKE_LOG") - before))
  check "$backend: breaker opens after 5 failures" bash -c "grep -c 'nhtsa: skipped (failing repeatedly' <<<'$out' | grep -qx 2"
  echo "  (vPIC saw $calls requests for 7 VINs)"
  fake_control DELETE /_control/fault >/dev/null

  # vPIC misbehaving in each way the fake can: each ends in an answer, and says why
  if [[ $backend == redis ]]; then
    rcli flushall >/dev/null; psql_q "truncate vehicles" >/dev/null
    fake_control POST /_control/fault '{"service":"vpic","method":"DecodeVinValues","status":429,"retry_after":1,"times":1}' >/dev/null
    out=$(dec "$HONDA")
    check "vPIC 429 with Retry-After: waited, retried, answered" grep -q '"source":"nhtsa"' <<<"$out"
    check "... the retry logged" grep -q '"event":"upstream.retry".*upstream=vpic.*status=429.*wait_ms=1000' "$TMP/decode-$backend.log"
    rcli flushall >/dev/null; psql_q "truncate vehicles" >/dev/null
    fake_control POST /_control/fault '{"service":"vpic","method":"DecodeVinValues","hang":true,"delay_ms":5000,"times":-1}' >/dev/null
    t0=$(date +%s%N)
    out=$(dec UPSTREAM_TIMEOUT_MS=300 UPSTREAM_DEADLINE_MS=700 "$HONDA")
    ms=$((($(date +%s%N) - t0) / 1000000))
    check "vPIC hangs: offline answer within the deadline (${ms} ms)" bash -c "grep -q '\"source\":\"offline\"' <<<'$out' && [[ $ms -lt 3000 ]]"
    check "... the timeout named" grep -q 'nhtsa: unavailable (Operation timed out' <<<"$out"
    fake_control DELETE /_control/fault >/dev/null
    rcli flushall >/dev/null; psql_q "truncate vehicles" >/dev/null
    fake_control POST /_control/fault '{"service":"vpic","method":"DecodeVinValues","status":200,"body":"{\"Results\": not json","times":-1}' >/dev/null
    out=$(dec "$HONDA")
    check "vPIC garbage: offline answer, reason given" grep -q 'nhtsa: unusable answer (not a vPIC DecodeVinValues answer)' <<<"$out"
    fake_control DELETE /_control/fault >/dev/null
    rcli flushall >/dev/null; psql_q "truncate vehicles" >/dev/null
    fake_control POST /_control/fault '{"service":"vpic","method":"DecodeVinValues","status":200,"body_size":300000,"times":-1}' >/dev/null
    out=$(dec UPSTREAM_MAX_BODY=100000 "$HONDA")
    check "vPIC body over the cap: refused, offline answer" grep -q 'nhtsa: unavailable (response body too large)' <<<"$out"
    fake_control DELETE /_control/fault >/dev/null
  fi

  # the cache goes away: answers continue; it comes back: used again
  rcli flushall >/dev/null
  stop_redis "$CPORT"
  out=$(dec "$HONDA")
  check "$backend: cache down -> still answered" grep -q '"source":"nhtsa"' <<<"$out"
  check "$backend: ... one cache.down warning" bash -c "grep -c '\"event\":\"cache.down\"' '$TMP/decode-$backend.log' | grep -qv '^0$'"
  start_redis "$CPORT" $([[ $backend == redis ]] && echo "$PASS")
  dec "$HONDA" >/dev/null
  out=$(dec "$HONDA")
  check "$backend: cache back -> hits again" grep -q '"cache":"hit"' <<<"$out"
  RPORT=$RPORT_SAVED

  check "$backend: no secret in the logs" bash -c "! grep -qF -e '$KEY' -e '$TOKEN' -e '$PASS' '$TMP/decode-$backend.log'"
done

# decode works with nothing configured but the upstream base (no cache, no database)
out=$(env -i PATH="$PATH" NHTSA_API_BASE="$FAKE_URL/api" "$VINBOT" decode "$HONDA" 2>/dev/null)
check "no cache, no database: still decodes" grep -q '"source":"nhtsa","cache":"off"' <<<"$out"
check "--offline stays offline" bash -c "'$VINBOT' decode --offline '$HONDA' | grep -q '\"source\":\"offline\"}$'"

t_done
