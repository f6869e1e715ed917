# lib.sh: shared helpers for the integration tests (source it).
#
# Real Postgres (initdb/pg_ctl as the postgres user: both refuse root), real redis-server, the
# fake upstream, and vinbot, each on a free loopback port in a temp dir, all stopped on exit.
# Every wait is bounded. Results: t_ok / t_fail / check, and t_done prints "N passed, N failed".

set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${VINBOT_BUILD:-build/release}
[[ $BUILD = /* ]] || BUILD=$ROOT/$BUILD
VINBOT=$BUILD/vinbot
TOOLS=$BUILD/tests
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
T_PASS=0
T_FAIL=0
TMP=$(mktemp -d /tmp/vinbot-it.XXXXXX)
chmod 755 "$TMP"
CLEANUP_PIDS=()
PG_DIRS=()

t_ok() { T_PASS=$((T_PASS + 1)); echo "ok   $1"; }
t_fail() { T_FAIL=$((T_FAIL + 1)); echo "FAIL $1${2:+: $2}"; }
# check NAME CMD...: pass when CMD succeeds.
check() { local n=$1; shift; if "$@"; then t_ok "$n"; else t_fail "$n"; fi; }
# check_eq NAME GOT WANT
check_eq() { if [[ "$2" == "$3" ]]; then t_ok "$1"; else t_fail "$1" "got '$2', want '$3'"; fi; }
t_done() {
  echo "$T_PASS passed, $T_FAIL failed"
  [[ $T_FAIL -eq 0 ]]
}

free_port() { "$TOOLS/freeport" 1; }

cleanup() {
  local pid
  for pid in "${CLEANUP_PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null
  done
  for pid in "${CLEANUP_PIDS[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
  done
  local d
  for d in "${PG_DIRS[@]}"; do
    runuser -u postgres -- "$PGBIN/pg_ctl" -D "$d" -m immediate -w stop >/dev/null 2>&1
  done
  if [[ ${KEEP_TMP:-0} == 1 || $T_FAIL -gt 0 ]]; then
    echo "(logs kept in $TMP)"
  else
    rm -rf "$TMP"
  fi
}
trap cleanup EXIT

# wait_for SECONDS CMD...: poll CMD every 50 ms until it succeeds; fail after SECONDS.
wait_for() {
  local secs=$1; shift
  local n=$((secs * 20)) i
  for ((i = 0; i < n; i++)); do
    "$@" && return 0
    sleep 0.05
  done
  return 1
}

# as_root_or_postgres CMD...: Postgres binaries refuse root.
as_pg() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# pg_start [NAME]: a fresh cluster; sets PG_PORT, PG_DIR, DATABASE_URL (database "vinbot").
# PG_FSYNC=on keeps the default durability (the benchmark); tests run with fsync off.
pg_start() {
  local name=${1:-pg}
  PG_DIR=$TMP/$name
  PG_PORT=$(free_port)
  mkdir -p "$PG_DIR"
  [[ $(id -u) -eq 0 ]] && chown postgres "$PG_DIR"
  as_pg "$PGBIN/initdb" -D "$PG_DIR/data" -A trust -U postgres --nosync >"$TMP/$name-initdb.log" 2>&1 ||
    { echo "initdb failed"; cat "$TMP/$name-initdb.log"; return 1; }
  cat >>"$PG_DIR/data/postgresql.conf" <<EOF
port = $PG_PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$PG_DIR'
max_connections = 200
fsync = ${PG_FSYNC:-off}
synchronous_commit = ${PG_SYNC_COMMIT:-on}
full_page_writes = ${PG_FSYNC:-off}
shared_buffers = 128MB
log_min_messages = ${PG_LOG_LEVEL:-warning}
EOF
  PG_DIRS+=("$PG_DIR/data")
  as_pg "$PGBIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 30 start >/dev/null ||
    { echo "pg_ctl start failed"; cat "$PG_DIR/server.log"; return 1; }
  as_pg "$PGBIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres vinbot || return 1
  DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/vinbot"
  export DATABASE_URL PG_PORT PGBIN
}

pg_stop() { as_pg "$PGBIN/pg_ctl" -D "$PG_DIR/data" -m fast -w -t 30 stop >/dev/null; }
pg_start_again() {
  as_pg "$PGBIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 30 start >/dev/null
}

# psql_q SQL: one value per line, no headers.
psql_q() {
  as_pg psql -X -q -t -A -h 127.0.0.1 -p "$PG_PORT" -U postgres -d vinbot -c "$1"
}

# redis_start: sets REDIS_PORT, REDIS_PID, REDIS_URL.
redis_start() {
  REDIS_PORT=$(free_port)
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no \
    --dir "$TMP" --logfile "$TMP/redis.log" &
  REDIS_PID=$!
  CLEANUP_PIDS+=("$REDIS_PID")
  REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
  wait_for 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$REDIS_PORT" 2>/dev/null
}

# fake_tg_start: the fake upstream; sets FAKE_PORT, FAKE_URL, FAKE_LOG, FAKE_PID.
fake_tg_start() {
  FAKE_LOG=$TMP/fake.log
  : >"$FAKE_LOG"
  rm -f "$TMP/fake.port"
  "$TOOLS/fake_upstream" --port 0 --port-file "$TMP/fake.port" --log "$FAKE_LOG" \
    --fixtures "$ROOT/tests/fixtures" >"$TMP/fake.out" 2>&1 &
  FAKE_PID=$!
  CLEANUP_PIDS+=("$FAKE_PID")
  wait_for 10 test -s "$TMP/fake.port" || { echo "fake upstream did not start"; return 1; }
  FAKE_PORT=$(cat "$TMP/fake.port")
  FAKE_URL="http://127.0.0.1:$FAKE_PORT"
}

# fake_control METHOD PATH [JSON]
fake_control() {
  curl -s -o /dev/null -w '%{http_code}' -X "$1" -H 'Content-Type: application/json' \
    ${3:+--data "$3"} "$FAKE_URL$2"
}

# sends_to_chat CHAT: number of sendMessage calls to that chat.
sends_to_chat() { "$TOOLS/tglog" "$FAKE_LOG" sendMessage | awk -F'\t' -v c="$1" '$1 == c' | wc -l; }
sends_total() { "$TOOLS/tglog" "$FAKE_LOG" sendMessage | wc -l; }

# vinbot_start NAME [VAR=VALUE...]: start `vinbot serve` with the stack's settings plus the given
# ones, wait until /ready answers 200 (10 s). Sets VB_PORT_<NAME>, VB_PID_<NAME>, VB_LOG_<NAME>
# and, for the most recent one, VB_PORT, VB_PID, VB_LOG, VB_URL.
# VB_FIXED_PORT=P reuses a port (a restart of "the same instance": INSTANCE_ID is host:port).
vinbot_start() {
  local name=$1; shift
  local port=${VB_FIXED_PORT:-}
  [[ -n $port ]] || port=$(free_port)
  local log=$TMP/vinbot-$name.log
  env -i PATH="$PATH" HOME="$TMP" \
    ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}" \
    UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1}" TSAN_OPTIONS="${TSAN_OPTIONS:-}" \
    PORT="$port" BIND_ADDRESS=127.0.0.1 DATABASE_URL="$DATABASE_URL" \
    TELEGRAM_API_BASE="${FAKE_URL:-http://127.0.0.1:9}" \
    NHTSA_API_BASE="${FAKE_URL:-http://127.0.0.1:9}/api" \
    NHTSA_RECALLS_API_BASE="${FAKE_URL:-http://127.0.0.1:9}" \
    AUTODEV_API_BASE="${FAKE_URL:-http://127.0.0.1:9}" \
    WORKERS="${WORKERS:-8}" DB_POOL_SIZE="${DB_POOL_SIZE:-4}" LOG_LEVEL="${LOG_LEVEL:-info}" \
    INBOX_SWEEP_MS="${INBOX_SWEEP_MS:-200}" INBOX_RETRY_BASE_MS="${INBOX_RETRY_BASE_MS:-100}" \
    INBOX_RETRY_MAX_MS="${INBOX_RETRY_MAX_MS:-1000}" \
    "$@" "$VINBOT" serve >>"$log" 2>&1 &
  local pid=$!
  CLEANUP_PIDS+=("$pid")
  printf -v "VB_PORT_$name" '%s' "$port"
  printf -v "VB_PID_$name" '%s' "$pid"
  printf -v "VB_LOG_$name" '%s' "$log"
  VB_PORT=$port VB_PID=$pid VB_LOG=$log VB_URL="http://127.0.0.1:$port"
  if ! wait_for 20 ready_ok "$port"; then
    echo "vinbot $name did not become ready; log:"
    tail -n 30 "$log"
    return 1
  fi
}

ready_ok() { [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$1/ready") == 200 ]]; }

# vinbot_stop PID [SECONDS]: SIGTERM and wait; sets VB_RC to the exit status (124 on timeout).
# (Not in a $(...) subshell: only this shell can wait for its child.)
vinbot_stop() {
  local pid=$1 secs=${2:-15}
  kill -TERM "$pid" 2>/dev/null
  local i
  for ((i = 0; i < secs * 20; i++)); do
    if ! kill -0 "$pid" 2>/dev/null; then
      wait "$pid" 2>/dev/null
      VB_RC=$?
      return
    fi
    sleep 0.05
  done
  VB_RC=124
}

# post PORT BODY [SECRET] -> HTTP status
post() {
  curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
    ${3:+-H "X-Telegram-Bot-Api-Secret-Token: $3"} --data-binary "$2" "http://127.0.0.1:$1/webhook"
}

# update_json UPDATE_ID CHAT_ID TEXT
update_json() {
  printf '{"update_id":%s,"message":{"message_id":%s,"from":{"id":%s,"is_bot":false,"first_name":"Ann","language_code":"en"},"chat":{"id":%s,"first_name":"Ann","type":"private"},"date":1732400000,"text":"%s"}}' \
    "$1" "$1" "$2" "$2" "$3"
}

# Functions that tests call inside `bash -c` (wait_for conditions).
export -f psql_q as_pg ready_ok
export TOOLS

# no_sanitizer_reports LOG: true when the log has no ASan/UBSan/TSan report.
no_sanitizer_reports() {
  ! grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|WARNING: ThreadSanitizer' "$1"
}
