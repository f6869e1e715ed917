#!/bin/sh
# entrypoint.sh: apply migrations (retrying with backoff until Postgres answers), then replace
# this shell with the service so SIGTERM/SIGINT from Fly reach it directly.
set -eu
BIN=${VINBOT_BIN:-/app/vinbot}
attempt=1
delay=1
max_attempts=${MIGRATE_ATTEMPTS:-30}
until "$BIN" migrate; do
  status=$?
  if [ "$status" -eq 78 ]; then
    echo '{"level":"error","event":"entrypoint.config","msg":"configuration is invalid; not retrying"}'
    exit 78
  fi
  if [ "$attempt" -ge "$max_attempts" ]; then
    echo "{\"level\":\"error\",\"event\":\"entrypoint.migrate\",\"msg\":\"migrations failed $attempt times; giving up\"}"
    exit 1
  fi
  echo "{\"level\":\"warn\",\"event\":\"entrypoint.migrate\",\"msg\":\"attempt $attempt failed; retrying in ${delay}s\"}"
  sleep "$delay"
  attempt=$((attempt + 1))
  delay=$((delay * 2))
  [ "$delay" -gt 30 ] && delay=30
done
exec "$BIN" serve "$@"
