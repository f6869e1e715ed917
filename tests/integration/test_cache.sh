#!/usr/bin/env bash
# test_cache.sh: the same cache suite (tests/tools/cache_check.c) against both backends: a real
# redis-server with a password (hiredis), and fake_upstash in front of another real
# redis-server (Upstash REST over libcurl). Then an outage of each: the cache is stopped, every
# operation is a quick miss with one warning, and after a restart on the same port it is used
# again.
source "$(dirname "$0")/lib.sh"

PASS=pw-$RANDOM-secret
TOKEN=upstash-token-$RANDOM

start_redis() { # PORT [password]
  redis-server --port "$1" --bind 127.0.0.1 --save '' --appendonly no --dir "$TMP" \
    ${2:+--requirepass "$2"} --logfile "$TMP/redis-$1.log" --daemonize yes --pidfile "$TMP/redis-$1.pid"
  wait_for 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
}
stop_redis() { kill "$(cat "$TMP/redis-$1.pid")" 2>/dev/null; wait_for 10 bash -c "! (exec 3<>/dev/tcp/127.0.0.1/$1)" 2>/dev/null; }
trap 'stop_redis $R1 2>/dev/null; stop_redis $R2 2>/dev/null; cleanup' EXIT

R1=$(free_port)
R2=$(free_port)
start_redis "$R1" "$PASS" || exit 99
start_redis "$R2" || exit 99
rm -f "$TMP/upstash.port"
"$TOOLS/fake_upstash" --port-file "$TMP/upstash.port" --redis-port "$R2" --token "$TOKEN" \
  --log "$TMP/upstash.log" &
CLEANUP_PIDS+=($!)
wait_for 10 test -s "$TMP/upstash.port" || exit 99
UP_URL="http://127.0.0.1:$(cat "$TMP/upstash.port")"

REDIS_ENV=(REDIS_URL="redis://:$PASS@127.0.0.1:$R1/2")
UPSTASH_ENV=(UPSTASH_REDIS_REST_URL="$UP_URL" UPSTASH_REDIS_REST_TOKEN="$TOKEN")

for backend in redis upstash; do
  if [[ $backend == redis ]]; then envs=("${REDIS_ENV[@]}"); else envs=("${UPSTASH_ENV[@]}"); fi
  out=$(env -i PATH="$PATH" "${envs[@]}" CACHE_TIMEOUT_MS=300 "$TOOLS/cache_check" suite 2>"$TMP/$backend-suite.log")
  echo "$out" | sed 's/^/  /'
  check "$backend: suite" grep -q ' 0 failed' <<<"$out"
  check "$backend: backend in use" grep -q "backend: $backend" <<<"$out"
done
check "upstash requests carried the token in a header" grep -q '"authorized":true' "$TMP/upstash.log"
check "no secret in any log" bash -c "! grep -qF -e '$PASS' -e '$TOKEN' '$TMP/redis-suite.log' '$TMP/upstash-suite.log'"

# wrong credentials: a miss, never a crash, and the reason logged without the secret
out=$(env -i PATH="$PATH" REDIS_URL="redis://:wrong-$PASS@127.0.0.1:$R1/0" CACHE_TIMEOUT_MS=300 \
  "$TOOLS/cache_check" suite 2>"$TMP/wrongpass.log")
check "wrong password: the suite fails cleanly" grep -q 'failed' <<<"$out"
check "wrong password: cache.down names AUTH" grep -q '"event":"cache.down".*AUTH refused' "$TMP/wrongpass.log"
check "wrong password: not logged" bash -c "! grep -qF 'wrong-$PASS' '$TMP/wrongpass.log'"

# Redis closing idle connections (its `timeout` setting) is not an outage
redis-cli -p "$R1" -a "$PASS" --no-auth-warning config set timeout 1 >/dev/null
out=$(env -i PATH="$PATH" "${REDIS_ENV[@]}" CACHE_TIMEOUT_MS=300 "$TOOLS/cache_check" idle 2>"$TMP/idle.log")
redis-cli -p "$R1" -a "$PASS" --no-auth-warning config set timeout 0 >/dev/null
echo "$out" | sed 's/^/  /'
check "idle connection dropped by Redis: reconnected, no cache.down" grep -q ' 0 failed' <<<"$out"

# outages
for backend in redis upstash; do
  if [[ $backend == redis ]]; then envs=("${REDIS_ENV[@]}"); port=$R1 pass=$PASS; else envs=("${UPSTASH_ENV[@]}"); port=$R2 pass=; fi
  dir=$TMP/outage-$backend
  mkdir -p "$dir"
  env -i PATH="$PATH" "${envs[@]}" CACHE_TIMEOUT_MS=300 "$TOOLS/cache_check" outage "$dir" \
    >"$dir/out" 2>"$dir/log" &
  pid=$!
  if wait_for 15 test -f "$dir/ready-for-stop"; then
    stop_redis "$port"
    touch "$dir/stopped"
    wait_for 20 test -f "$dir/checked-down"
    start_redis "$port" "$pass"
    touch "$dir/restarted"
  fi
  wait "$pid"
  sed 's/^/  /' "$dir/out"
  check "$backend: outage handled" grep -q ' 0 failed' "$dir/out"
done

t_done
