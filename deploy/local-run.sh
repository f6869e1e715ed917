#!/usr/bin/env bash
# local-run.sh: `make run`. A local Postgres and Redis under .local/ (created on the first run,
# reused afterwards, stopped when the bot stops), migrations, then the bot in the foreground.
#
# Anything already in the environment wins: set DATABASE_URL or REDIS_URL to use your own, and
# TELEGRAM_BOT_TOKEN (plus TELEGRAM_WEBHOOK_URL for a webhook) to talk to Telegram. A .env file
# in the project root is read first if present. Ctrl-C stops the bot gracefully, then the stack.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-build/release/vinbot}
ROOT=$PWD
LOCAL=$ROOT/.local
PGBIN=/usr/lib/postgresql/15/bin
mkdir -p "$LOCAL"

if [[ -f .env ]]; then
  set -a
  # shellcheck disable=SC1091
  source .env
  set +a
fi

as_pg() { if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
pick_port() { local p=$1; while ! port_free "$p"; do p=$((p + 1)); done; echo "$p"; }

started_pg=0 started_redis=0
stop_stack() {
  if [[ $started_redis == 1 ]]; then
    kill "$(cat "$LOCAL/redis.pid" 2>/dev/null)" 2>/dev/null || true
  fi
  if [[ $started_pg == 1 ]]; then
    as_pg "$PGBIN/pg_ctl" -D "$LOCAL/pg" -m fast -w stop >/dev/null 2>&1 || true
  fi
  [[ $started_pg == 1 || $started_redis == 1 ]] && echo "make run: local Postgres/Redis stopped" >&2
  return 0
}
trap stop_stack EXIT

# ---- Postgres
if [[ -z ${DATABASE_URL:-} ]]; then
  if [[ ! -f $LOCAL/pg/PG_VERSION ]]; then
    echo "make run: creating a local Postgres in .local/pg" >&2
    mkdir -p "$LOCAL/pg"
    if [[ $(id -u) -eq 0 ]]; then
      chown postgres "$LOCAL/pg"
      # the postgres user must be able to reach .local/pg
      d=$LOCAL; while [[ $d != / ]]; do chmod o+x "$d" 2>/dev/null || true; d=$(dirname "$d"); done
    fi
    as_pg "$PGBIN/initdb" -D "$LOCAL/pg" -A trust -U postgres >/dev/null
    pgport=$(pick_port 54329)
    cat >>"$LOCAL/pg/postgresql.conf" <<EOF
port = $pgport
listen_addresses = '127.0.0.1'
unix_socket_directories = '$LOCAL/pg'
EOF
  fi
  pgport=$(awk -F' = ' '/^port = / {p=$2} END {print p}' "$LOCAL/pg/postgresql.conf")
  if ! as_pg "$PGBIN/pg_ctl" -D "$LOCAL/pg" status >/dev/null 2>&1; then
    as_pg "$PGBIN/pg_ctl" -D "$LOCAL/pg" -l "$LOCAL/pg/server.log" -w start >/dev/null
    started_pg=1
  fi
  as_pg psql -X -q -h 127.0.0.1 -p "$pgport" -U postgres -tAc \
    "select 1 from pg_database where datname = 'vinbot'" | grep -q 1 ||
    as_pg "$PGBIN/createdb" -h 127.0.0.1 -p "$pgport" -U postgres vinbot
  export DATABASE_URL="postgres://postgres@127.0.0.1:$pgport/vinbot"
  echo "make run: Postgres on 127.0.0.1:$pgport (data in .local/pg)" >&2
fi

# ---- Redis
if [[ -z ${REDIS_URL:-} && -z ${UPSTASH_REDIS_REST_URL:-} ]]; then
  rport=$(cat "$LOCAL/redis.port" 2>/dev/null || pick_port 63790)
  if port_free "$rport"; then
    redis-server --port "$rport" --bind 127.0.0.1 --dir "$LOCAL" --dbfilename redis.rdb \
      --save 300 10 --daemonize yes --pidfile "$LOCAL/redis.pid" --logfile "$LOCAL/redis.log"
    started_redis=1
    for _ in $(seq 1 50); do port_free "$rport" || break; sleep 0.1; done
  fi
  echo "$rport" >"$LOCAL/redis.port"
  export REDIS_URL="redis://127.0.0.1:$rport/0"
  echo "make run: Redis on 127.0.0.1:$rport (data in .local/)" >&2
fi

export PORT=${PORT:-8080}
export BIND_ADDRESS=${BIND_ADDRESS:-127.0.0.1}
"$BIN" migrate

if [[ -z ${TELEGRAM_BOT_TOKEN:-} ]]; then
  cat >&2 <<EOF

make run: no TELEGRAM_BOT_TOKEN set, so the bot talks to no one. Send it an update yourself:

  curl -i -X POST http://127.0.0.1:$PORT/webhook -H 'Content-Type: application/json' \\
    --data '{"update_id":1,"message":{"message_id":1,"date":0,"chat":{"id":1,"type":"private"},"from":{"id":1,"is_bot":false,"first_name":"You"},"text":"1HGCM82633A004352"}}'

and watch the log below (replies are logged, not sent). With a token from @BotFather:
  TELEGRAM_BOT_TOKEN=123:abc make run        (long polling, no public URL needed)

EOF
fi

# Foreground, not exec: when it exits (Ctrl-C drains it), the trap stops the stack.
set +e
"$BIN" serve
rc=$?
exit $rc
