#!/usr/bin/env bash
# run.sh SECONDS: build every tests/fuzz/fuzz_*.c with clang's libFuzzer, ASan and UBSan, and
# run each for SECONDS from its seed corpus (tests/fuzz/corpus/<name>/, copied to
# build/fuzz/corpus-<name>/ so the run's discoveries do not land in the tree). A target names
# the sources it needs on its first line: // FUZZ_SRCS: src/a.c src/b.c (src/core/*.c always).
# Exits non-zero when a target fails to build or finds a crash. FUZZ_ONLY=name runs one target.
set -uo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-60}
out=build/fuzz
mkdir -p "$out"
flags="-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Isrc $(pkg-config --cflags json-c)"
status=0
for t in tests/fuzz/fuzz_*.c; do
  name=$(basename "$t" .c)
  [[ -n ${FUZZ_ONLY:-} && $name != "$FUZZ_ONLY" ]] && continue
  srcs=$(sed -n '1s|^// FUZZ_SRCS: *||p' "$t")
  echo "== $name ($secs s)"
  if ! clang $flags "$t" $srcs src/core/*.c -o "$out/$name" $(pkg-config --libs json-c) -lpthread -lm; then
    echo "$name: build failed"; status=1; continue
  fi
  corpus=$out/corpus-$name
  mkdir -p "$corpus"
  [[ -d tests/fuzz/corpus/$name ]] && cp -n tests/fuzz/corpus/"$name"/* "$corpus"/ 2>/dev/null
  if ! (cd "$out" && "./$name" -max_total_time="$secs" -print_final_stats=1 -timeout=10 \
        -rss_limit_mb=2048 "corpus-$name" 2>&1 | tail -n 12); then
    echo "$name: FOUND A PROBLEM (see build/fuzz/crash-* and the log above)"; status=1
  fi
done
exit $status
