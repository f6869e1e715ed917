#!/usr/bin/env bash
# run.sh BUILD_DIR: `make bench`. Prints figures; asserts nothing (the machine is shared and
# noisy: targets are read by people, not by tests).
#
# Webhook intake: Postgres at its default durability (fsync and synchronous_commit on), vinbot
# with its defaults (64 workers processing what arrives, replying to the fake Bot API at
# Telegram's 30 messages a second), wrk
# posting realistic Updates with unique update_ids and the secret header at 40 and 100
# connections, each run BENCH_RUNS times (default 3): durable acks/s and latency p50/p99
# (medians over the runs), non-2xx answers, RSS idle and peak, exec-to-ready time.
# Then the other benchmarks in tests/bench/*.sh (VIN engine, cache, decoding) if present.
source "$(dirname "$0")/../integration/lib.sh"
BUILD_ARG=${1:-build/release}
RUNS=${BENCH_RUNS:-3}
SECS=${BENCH_SECONDS:-10}
SECRET=bench_secret_token

median() { sort -n | awk '{a[NR] = $1} END {if (NR == 0) print "n/a"; else if (NR % 2) print a[(NR + 1) / 2]; else printf "%.2f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
# to_ms "1.23ms" | "850.00us" | "1.02s" -> milliseconds
to_ms() { awk '{v = $1; if (v ~ /us$/) {sub(/us$/, "", v); v /= 1000} else if (v ~ /ms$/) {sub(/ms$/, "", v)} else if (v ~ /s$/) {sub(/s$/, "", v); v *= 1000}; printf "%.3f\n", v}'; }
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
hwm_kb() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status"; }

echo "== vinbot benchmark ($(nproc) CPUs, $(date -u +%Y-%m-%dT%H:%MZ))"
PG_FSYNC=on pg_start bench || exit 1
echo "Postgres: fsync=$(psql_q 'show fsync'), synchronous_commit=$(psql_q 'show synchronous_commit')"
fake_tg_start || exit 1
"$VINBOT" migrate >/dev/null 2>&1 || exit 1

# ---- exec -> /ready 200 (Postgres already up)
starts=()
for i in 1 2 3 4 5; do
  port=$(free_port)
  starts+=("$(env -i PATH="$PATH" PORT="$port" BIND_ADDRESS=127.0.0.1 DATABASE_URL="$DATABASE_URL" \
    LOG_LEVEL=warn "$TOOLS/startup_time" "$port" "$VINBOT" serve)")
done
echo "exec -> /ready 200: median $(printf '%s\n' "${starts[@]}" | median) ms (runs: ${starts[*]})"

# ---- the service under load
# The service's defaults (64 workers, 8 pooled connections, Telegram's send limits) except the
# settings that connect it to this stack.
vinbot_start bench TELEGRAM_BOT_TOKEN=1:bench TELEGRAM_WEBHOOK_URL=https://bench.example/webhook \
  TELEGRAM_WEBHOOK_SECRET=$SECRET WORKERS=64 DB_POOL_SIZE=8 LOG_LEVEL=warn \
  INBOX_SWEEP_MS=1000 INBOX_RETRY_BASE_MS=2000 INBOX_RETRY_MAX_MS=600000 || exit 1
sleep 2
echo "RSS idle: $(($(rss_kb "$VB_PID") / 1024)) MiB ($(rss_kb "$VB_PID") KiB)"

# Warm-up: a fresh cluster creates (and zero-fills, wal_init_zero) a new 16 MB WAL segment for
# every 16 MB written, which stalls commits for ~50 ms each. A Postgres that has been running
# recycles its segments at each checkpoint instead, so warm up, checkpoint, then measure.
base=1000000000
BENCH_SECRET=$SECRET BENCH_BASE=$base wrk -t2 -c40 -d5s -s "$ROOT/tests/bench/webhook.lua" \
  "$VB_URL/webhook" >/dev/null 2>&1
psql_q "checkpoint" >/dev/null
for conns in 40 100; do
  rates=() p50s=() p99s=() errs=()
  for r in $(seq 1 "$RUNS"); do
    base=$((base + 1000000000))
    out=$(BENCH_SECRET=$SECRET BENCH_BASE=$base wrk -t2 -c"$conns" -d"${SECS}s" --latency \
      -s "$ROOT/tests/bench/webhook.lua" "$VB_URL/webhook" 2>&1)
    rates+=("$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")")
    p50s+=("$(awk '$1 == "50%" {print $2}' <<<"$out" | to_ms)")
    p99s+=("$(awk '$1 == "99%" {print $2}' <<<"$out" | to_ms)")
    errs+=("$(awk '/Non-2xx/ {print $NF} /Socket errors/ {print "sock:" $0}' <<<"$out" | tr '\n' ' ')")
    psql_q "checkpoint" >/dev/null
    sleep 1
  done
  echo "webhook @ $conns connections: $(printf '%s\n' "${rates[@]}" | median) durable acks/s," \
    "p50 $(printf '%s\n' "${p50s[@]}" | median) ms, p99 $(printf '%s\n' "${p99s[@]}" | median) ms" \
    "(median of $RUNS x ${SECS}s; acks/s runs: ${rates[*]}; non-2xx: ${errs[*]:-none})"
done
echo "RSS peak: $(($(hwm_kb "$VB_PID") / 1024)) MiB ($(hwm_kb "$VB_PID") KiB)"
echo "group commits: $(curl -s "$VB_URL/metrics" | awk '$1 == "vinbot_inbox_commit_rows_total" {r = $2} $1 == "vinbot_inbox_commits_total" {c = $2} END {printf "%d rows in %d commits (%.1f rows per commit)", r, c, c ? r / c : 0}'); commits over 20 ms: $(grep -c inbox.slow_commit "$VB_LOG")"
stored=$(psql_q "select count(*) from updates")
echo "rows stored: $stored; still queued for workers: $(psql_q "select count(*) from updates where state = 'queued'")"
vinbot_stop "$VB_PID" 30
echo "drain after the load: exit $VB_RC"

for b in "$ROOT"/tests/bench/*.sh; do
  [[ $(basename "$b") == run.sh ]] && continue
  echo
  bash "$b" "$BUILD_ARG"
done
exit 0
