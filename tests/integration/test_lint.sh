#!/usr/bin/env bash
# test_lint.sh: the tree's own checks (tests/lint.sh): .env.example matches the config table,
# pure modules include no network library, getenv only in the config module, clang-format.
source "$(dirname "$0")/lib.sh"
if out=$(bash "$ROOT/tests/lint.sh" "$VINBOT" 2>&1); then t_ok "lint"; else t_fail "lint" "$out"; fi
# The check bites: a copy of .env.example without WORKERS and with an extra variable.
grep -v '^WORKERS=' "$ROOT/.env.example" >"$TMP/env.example"
echo "NOT_A_SETTING=1" >>"$TMP/env.example"
out=$(ENV_EXAMPLE="$TMP/env.example" bash "$ROOT/tests/lint.sh" "$VINBOT" 2>&1)
check_eq "a drifted .env.example fails" "$?" 1
check "names the missing variable" grep -q '.env.example lacks WORKERS' <<<"$out"
check "names the extra variable" grep -q '.env.example has NOT_A_SETTING' <<<"$out"
t_done
