#!/usr/bin/env bash
# test_decode_cli.sh: `vinbot decode`: the JSON keys, exit codes, stdin mode, 100,000 VINs.
source "$(dirname "$0")/lib.sh"

out=$("$VINBOT" decode --offline 1HGCM82633A004352)
check_eq "exit 0" "$?" 0
for k in input vin valid errors warnings check_digit model_year region country wmi manufacturer make plant serial source; do
  check "key $k" grep -q "\"$k\":" <<<"$out"
done
check "check_digit object" grep -q '"check_digit":{"expected":"3","actual":"3","valid":true,"required":true}' <<<"$out"
check "offline source" grep -q '"source":"offline"' <<<"$out"
check "honda 2003" grep -q '"model_year":\[2003\].*"make":"Honda"' <<<"$out"

out=$("$VINBOT" decode --offline --json 1HGCM82633A0O4352 short)
check_eq "invalid inputs still exit 0" "$?" 0
check_eq "one line per input" "$(wc -l <<<"$out")" 2
check "named defect" grep -q 'contains the letter O at position 13' <<<"$out"
check "too short" grep -q 'too short: 5 characters, a VIN has 17' <<<"$out"

"$VINBOT" decode --bogus >/dev/null 2>"$TMP/usage.err"
check_eq "usage error exits 2" "$?" 2
check "usage message" grep -q 'usage: vinbot decode' "$TMP/usage.err"

printf '1HGCM82633A004352\n\n  1g4ah59h45g118341  \nJH4KA7561PC008269\r\n' | "$VINBOT" decode --offline >"$TMP/stdin.out"
check_eq "stdin: one line per input line" "$(wc -l <"$TMP/stdin.out")" 4
check "stdin: blank line is an error object" grep -q '"input":"","vin":null,"valid":false,"errors":\["empty' "$TMP/stdin.out"
check "stdin: cleaned lower case" grep -q '"vin":"1G4AH59H45G118341","valid":true' "$TMP/stdin.out"
check "stdin: CRLF stripped" grep -q '"input":"JH4KA7561PC008269"' "$TMP/stdin.out"

env VIN_WMI_FILE=/nonexistent.csv "$VINBOT" decode --offline 1HGCM82633A004352 >/dev/null 2>"$TMP/wmi.err"
check_eq "bad VIN_WMI_FILE exits 78" "$?" 78
check "bad VIN_WMI_FILE named" grep -q 'VIN_WMI_FILE' "$TMP/wmi.err"
if [[ -f $ROOT/../shared/data/wmi.csv ]]; then
  out=$(env VIN_WMI_FILE="$ROOT/../shared/data/wmi.csv" "$VINBOT" decode --offline 1M8GDM9AXKP042788)
  check "VIN_WMI_FILE extends the table" grep -q '"manufacturer":"MOTOR COACH INDUSTRIES' <<<"$out"
else
  echo "note: ../shared/data/wmi.csv absent; the VIN_WMI_FILE extension case is skipped"
fi

# 100,000 VINs on stdin (bounded: generated here, one pass)
awk 'BEGIN { for (i = 0; i < 100000; i++) printf "1HGCM82633A%06d\n", i }' >"$TMP/many.txt"
start=$(date +%s%N)
"$VINBOT" decode --offline <"$TMP/many.txt" >"$TMP/many.out"
rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
check_eq "100,000 VINs: exit 0" "$rc" 0
check_eq "100,000 VINs: 100,000 lines" "$(wc -l <"$TMP/many.out")" 100000
echo "  (100,000 VINs in $ms ms)"
check "100,000 VINs: all JSON objects" bash -c "! grep -vq '^{\"input\":' '$TMP/many.out'"

t_done
