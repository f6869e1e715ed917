#!/usr/bin/env bash
# run.sh: the test runner. Runs the unit binaries, the TSan set and the integration scripts,
# adds up their "N passed, N failed" lines and prints the total as its last line. Exits
# non-zero when anything failed, or when a program died without printing its count.
#
#   tests/run.sh --build DIR [--tsan-build DIR] [--unit-only | --integration-only] [--fuzz SECS]
#
# TEST_PREFIX (e.g. "valgrind -q --error-exitcode=1") is put in front of every unit binary.
# TEST_FILTER (a substring) runs only the tests whose name contains it.
set -uo pipefail
cd "$(dirname "$0")/.."

build=build/release tsan= unit=1 integ=1 fuzz_secs=0
while [[ $# -gt 0 ]]; do
  case $1 in
    --build) build=$2; shift 2 ;;
    --tsan-build) tsan=$2; shift 2 ;;
    --unit-only) integ=0; shift ;;
    --integration-only) unit=0; shift ;;
    --fuzz) fuzz_secs=$2; shift 2 ;;
    *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

total_pass=0 total_fail=0
failed_names=()
logdir=$(mktemp -d /tmp/vinbot-tests.XXXXXX)

# run_one NAME CMD...: run a test program, add its counts.
run_one() {
  local name=$1; shift
  if [[ -n ${TEST_FILTER:-} && $name != *"$TEST_FILTER"* ]]; then return; fi
  local out=$logdir/$(echo "$name" | tr '/ ' '__').log
  local start=$(date +%s%N)
  "$@" >"$out" 2>&1
  local rc=$?
  local ms=$((($(date +%s%N) - start) / 1000000))
  local line p f
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$out" | tail -n 1)
  if [[ -n $line ]]; then
    p=${line%% passed*}
    f=${line#*, }; f=${f%% failed}
  else
    p=0 f=1
  fi
  # A sanitizer report anywhere fails the program even if its checks passed.
  if grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|WARNING: ThreadSanitizer' "$out"; then
    f=$((f + 1))
    echo "  sanitizer report in $name" >>"$out"
  fi
  if [[ $rc -ne 0 && $f -eq 0 ]]; then f=1; fi
  total_pass=$((total_pass + p))
  total_fail=$((total_fail + f))
  printf '%-44s %4d passed, %3d failed  (%d ms)\n' "$name" "$p" "$f" "$ms"
  if [[ $f -ne 0 ]]; then
    failed_names+=("$name")
    sed 's/^/    | /' "$out" | grep -vE '^\s+\| (ok|PASS) ' | tail -n 60
  fi
}

if [[ $unit -eq 1 ]]; then
  echo "== unit ($build)"
  for bin in "$build"/tests/test_*; do
    [[ -x $bin ]] || continue
    run_one "unit/$(basename "$bin")" ${TEST_PREFIX:-} "$bin"
  done
  if [[ -n $tsan ]]; then
    echo "== thread sanitizer ($tsan)"
    while read -r t; do
      [[ -z $t || $t == \#* ]] && continue
      if [[ $t == *.sh ]]; then
        run_one "tsan/$t" env VINBOT_BUILD="$tsan" TSAN_OPTIONS="halt_on_error=0 second_deadlock_stack=1 suppressions=$PWD/tests/tsan.supp" bash "tests/integration/$t"
      else
        run_one "tsan/$t" env TSAN_OPTIONS="halt_on_error=0 suppressions=$PWD/tests/tsan.supp" "$tsan/tests/$t"
      fi
    done <tests/tsan.list
  fi
fi

if [[ $integ -eq 1 ]]; then
  echo "== integration ($build)"
  for t in tests/integration/test_*.sh; do
    [[ -f $t ]] || continue
    run_one "integration/$(basename "$t" .sh)" env VINBOT_BUILD="$build" bash "$t"
  done
fi

if [[ $fuzz_secs -gt 0 ]]; then
  echo "== fuzz (libFuzzer + ASan + UBSan, ${fuzz_secs} s per target)"
  for t in tests/fuzz/fuzz_*.c; do
    name=$(basename "$t" .c)
    run_one "fuzz/$name" bash -c "FUZZ_ONLY=$name bash tests/fuzz/run.sh $fuzz_secs && echo '1 passed, 0 failed'"
  done
fi

echo
if [[ ${#failed_names[@]} -gt 0 ]]; then
  echo "failed: ${failed_names[*]}"
  echo "logs: $logdir"
else
  rm -rf "$logdir"
fi
echo "$total_pass passed, $total_fail failed"
[[ $total_fail -eq 0 ]]
