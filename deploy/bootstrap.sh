#!/usr/bin/env bash
# bootstrap.sh: install the Debian packages that building, testing and `make run` need.
#
# Called by the Makefile before build, test and run. Quiet and quick when everything is
# present. As root it runs apt-get; otherwise it prints the exact command and fails.
set -euo pipefail

# package : a file whose presence proves it is installed
need=(
  "gcc:/usr/bin/gcc"
  "make:/usr/bin/make"
  "pkg-config:/usr/bin/pkg-config"
  "libmicrohttpd-dev:/usr/include/microhttpd.h"
  "libcurl4-openssl-dev:/usr/include/x86_64-linux-gnu/curl/curl.h"
  "libjson-c-dev:/usr/include/json-c/json.h"
  "libhiredis-dev:/usr/include/hiredis/hiredis.h"
  "libpq-dev:/usr/include/postgresql/libpq-fe.h"
  "postgresql:/usr/lib/postgresql/15/bin/initdb"
  "redis-server:/usr/bin/redis-server"
  "curl:/usr/bin/curl"
  "clang:/usr/bin/clang"
  "clang-format:/usr/bin/clang-format"
  "libclang-rt-14-dev:/usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.fuzzer-x86_64.a"
  "wrk:/usr/bin/wrk"
  "valgrind:/usr/bin/valgrind"
  "procps:/usr/bin/ps"
  "psmisc:/usr/bin/killall"
  "util-linux:/usr/sbin/runuser"
)

missing=()
for entry in "${need[@]}"; do
  pkg=${entry%%:*}
  file=${entry#*:}
  # curl's header lives under a multiarch path; accept any architecture.
  if [[ $pkg == libcurl4-openssl-dev ]]; then
    compgen -G "/usr/include/*/curl/curl.h" >/dev/null || compgen -G "/usr/include/curl/curl.h" >/dev/null || missing+=("$pkg")
    continue
  fi
  if [[ $pkg == libclang-rt-14-dev ]]; then
    compgen -G "/usr/lib/llvm-14/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a" >/dev/null || missing+=("$pkg")
    continue
  fi
  [[ -e $file ]] || missing+=("$pkg")
done

[[ ${#missing[@]} -eq 0 ]] && exit 0

cmd="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}"
if [[ $(id -u) -ne 0 ]]; then
  echo "bootstrap: missing packages: ${missing[*]}" >&2
  echo "bootstrap: run as root:  $cmd" >&2
  exit 1
fi
echo "bootstrap: installing ${missing[*]}" >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "bootstrap: done" >&2
