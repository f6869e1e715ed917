#!/usr/bin/env bash
# lint.sh: checks that keep the tree honest. Prints one line per problem; exit 1 if any.
#  - .env.example names exactly the variables in the config table (vinbot config --names).
#  - pure modules include no curl/libpq/hiredis/libmicrohttpd header.
#  - no getenv() outside the config module.
#  - clang-format clean (when clang-format is installed).
set -uo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build/release/vinbot}
problems=0
say() { echo "lint: $*"; problems=$((problems + 1)); }

table=$("$bin" config --names | sort)
env_example=${ENV_EXAMPLE:-.env.example}
example=$(grep -oE '^[A-Z][A-Z0-9_]*=' "$env_example" | tr -d '=' | sort)
while read -r v; do [[ -n $v ]] && say ".env.example lacks $v (in the config table)"; done < <(comm -23 <(echo "$table") <(echo "$example"))
while read -r v; do [[ -n $v ]] && say ".env.example has $v, which the config table does not"; done < <(comm -13 <(echo "$table") <(echo "$example"))

[[ -n ${ENV_EXAMPLE:-} ]] && { [[ $problems -eq 0 ]]; exit; } # only the .env.example check

# Pure modules: parsing, validation, rendering, prompts.
pure=(src/core src/vin src/tg/update.c src/tg/format.c src/bot/render.c src/llm/prompt.c)
for p in "${pure[@]}"; do
  [[ -e $p ]] || continue
  if grep -rnE '#include <(curl/|libpq|hiredis|microhttpd)' "$p" >/dev/null; then
    say "$p is pure but includes a network library header: $(grep -rlE '#include <(curl/|libpq|hiredis|microhttpd)' "$p" | tr '\n' ' ')"
  fi
done

while read -r f; do say "getenv outside the config module: $f"; done < <(grep -rl --include='*.c' 'getenv(' src | grep -v '^src/core/config.c$')

if command -v clang-format >/dev/null; then
  unformatted=$(for f in $(find src tests -name '*.[ch]'); do
    clang-format --dry-run -Werror "$f" >/dev/null 2>&1 || echo "$f"; done)
  [[ -n $unformatted ]] && say "not clang-formatted (make format): $(echo $unformatted)"
fi

[[ $problems -eq 0 ]] && echo "lint: ok"
[[ $problems -eq 0 ]]
