#!/usr/bin/env bash
# test_inbox.sh: the inbox's group commit, dedupe, per-chat claims and leases against a real
# Postgres, driven by tests/tools/inbox_stress.c (also run under ThreadSanitizer).
source "$(dirname "$0")/lib.sh"
pg_start || exit 99
env -i PATH="$PATH" DATABASE_URL="$DATABASE_URL" INBOX_WRITERS=2 \
  TSAN_OPTIONS="${TSAN_OPTIONS:-}" ASAN_OPTIONS="${ASAN_OPTIONS:-}" "$TOOLS/inbox_stress"
