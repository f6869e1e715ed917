#!/usr/bin/env bash
# container-test.sh: build the Dockerfile with Podman and check the image works: the service
# starts as a non-root user, entrypoint.sh migrates a real Postgres and execs the service,
# /health and /ready answer, a webhook is stored, and SIGTERM stops it with status 0.
#
# `make container-test`. Needs root (Podman here runs rootful) and Debian's package mirror
# (the build stage runs apt-get). Follows ../shared/docs/containers.md: no registry is
# reachable, so the Debian base images are made once with debootstrap and cached in Podman.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
if [[ $(id -u) -ne 0 ]]; then echo "container-test: run as root"; exit 2; fi
command -v podman >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman runc debootstrap >/dev/null; }
P=(podman --runtime runc --cgroup-manager=cgroupfs)
F=(--network=host --ulimit nofile=1024:1024 --ulimit nproc=1000:1000)

for tag in bookworm-slim bookworm; do
  if ! "${P[@]}" image exists "docker.io/library/debian:$tag"; then
    mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null)
    mirror=${mirror:-http://deb.debian.org/debian}
    rootfs=$ROOT/.local/rootfs-$tag
    if [[ ! -x $rootfs/bin/sh ]]; then
      rm -rf "$rootfs"
      echo "container-test: debootstrap $tag (once)"
      debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >/dev/null || exit 1
    fi
    tar -C "$rootfs" -c . | "${P[@]}" import - "docker.io/library/debian:$tag" >/dev/null || exit 1
  fi
done

echo "container-test: building the image"
"${P[@]}" build "${F[@]}" -t vinbot:test . >"$ROOT/.local/container-build.log" 2>&1 ||
  { tail -n 30 "$ROOT/.local/container-build.log"; exit 1; }

VINBOT_BUILD=${VINBOT_BUILD:-build/release}
source tests/integration/lib.sh
pg_start || exit 1
PORT=$(free_port)
name=vinbot-test-$$
"${P[@]}" run -d --name "$name" "${F[@]}" -e DATABASE_URL="$DATABASE_URL" -e PORT="$PORT" \
  -e BIND_ADDRESS=127.0.0.1 -e TELEGRAM_WEBHOOK_SECRET=container_test vinbot:test >/dev/null ||
  exit 1
trap '"${P[@]}" rm -f "$name" >/dev/null 2>&1; cleanup' EXIT
check "image: /ready answers 200" wait_for 30 ready_ok "$PORT"
check "image: /health" bash -c "curl -s 127.0.0.1:$PORT/health | grep -q healthy"
check "image: migrations ran" bash -c "[[ \$(psql_q 'select max(version) from schema_migrations') -ge 2 ]]"
check_eq "image: webhook stored" "$(post "$PORT" "$(update_json 77 5 hello)" container_test)" 200
check_eq "image: runs as a non-root user" "$("${P[@]}" exec "$name" id -u)" 10001
"${P[@]}" kill --signal TERM "$name" >/dev/null
for _ in $(seq 1 100); do [[ $("${P[@]}" inspect -f '{{.State.Running}}' "$name") == false ]] && break; sleep 0.1; done
check_eq "image: SIGTERM exits 0" "$("${P[@]}" inspect -f '{{.State.ExitCode}}' "$name")" 0
check "image: logs are JSON lines" bash -c "'${P[0]}' ${P[*]:1} logs '$name' 2>&1 | grep -q '\"event\":\"shutdown.done\"'"
t_done
