#!/usr/bin/env bash
# decode.sh BUILD_DIR: the decoder chain's figures (called by tests/bench/run.sh).
#  - a cached decode end to end inside a worker: cache read, lookup row in Postgres, JSON
#  - 1,000 distinct uncached VINs against a fake vPIC answering in 50 ms, 64 worker threads
BUILD=${1:-build/release}
VINBOT_BUILD=$BUILD
source "$(dirname "$0")/../integration/lib.sh"
echo "== decoder chain"
pg_start bench-decode >/dev/null || exit 1
fake_tg_start || exit 1
redis_start || exit 1
"$VINBOT" migrate >/dev/null 2>&1 || exit 1
ENV=(env -i PATH="$PATH" DATABASE_URL="$DATABASE_URL" REDIS_URL="$REDIS_URL" NHTSA_API_BASE="$FAKE_URL/api"
     LOG_LEVEL=warn DB_POOL_SIZE=8)
"${ENV[@]}" "$TOOLS/decode_check" bench-cached 1HGCM82633A004352 5000
fake_control POST /_control/delay '{"service":"vpic","delay_ms":50}' >/dev/null
runs=()
for r in 1 2 3; do
  redis-cli -p "$REDIS_PORT" flushall >/dev/null
  psql_q "truncate vehicles, lookups" >/dev/null
  line=$("${ENV[@]}" "$TOOLS/decode_check" bench-uncached 1000 64 50)
  runs+=("$(grep -o '[0-9]* ms (ideal' <<<"$line" | grep -o '^[0-9]*')")
  last=$line
done
echo "$last"
echo "uncached, 3 runs: ${runs[*]} ms; median $(printf '%s\n' "${runs[@]}" | sort -n | sed -n 2p) ms against an ideal of 781 ms (target: within 20%, 938 ms)"
