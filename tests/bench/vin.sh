#!/usr/bin/env bash
# vin.sh BUILD_DIR: the VIN engine's figures (called by tests/bench/run.sh).
set -uo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build/release}
echo "== VIN engine"
"$build/tests/vin_bench"
tmp=$(mktemp -d)
awk 'BEGIN { srand(7); split("1HGCM8 1FTFW1 5YJ3E1 WVWZZZ JTDKAR KMHD84 3VWD17 2T1BUR", p, " ");
             for (i = 0; i < 1000000; i++) printf "%s%s%08d\n", p[i % 8 + 1], "0A", i }' >"$tmp/vins.txt"
runs=()
for r in 1 2 3; do
  start=$(date +%s%N)
  "$build/vinbot" decode --offline <"$tmp/vins.txt" >"$tmp/out.json"
  runs+=($((($(date +%s%N) - start) / 1000000)))
done
ms=$(printf '%s\n' "${runs[@]}" | sort -n | sed -n 2p)
echo "vinbot decode --offline, 1,000,000 VINs stdin -> JSON lines: ${ms} ms median of 3 ($((1000000 * 1000 / (ms > 0 ? ms : 1))) VINs/s end to end, $(wc -l <"$tmp/out.json") lines, $(($(stat -c %s "$tmp/out.json") / 1048576)) MiB of JSON)"
rm -rf "$tmp"
