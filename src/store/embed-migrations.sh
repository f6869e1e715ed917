#!/usr/bin/env bash
# embed-migrations.sh: turn migrations/NNNN_name.sql into a C table compiled into the binary,
# so `vinbot migrate` needs no files beside it. Output on stdout.
set -euo pipefail
echo '/* Generated from the migrations directory by src/store/embed-migrations.sh. Do not edit. */'
echo '#include "store/migrate.h"'
echo 'const struct migration migrations[] = {'
for f in "$@"; do
  base=$(basename "$f" .sql)
  version=$((10#${base%%_*}))
  echo "    {$version, \"$base\","
  awk '{ gsub(/\\/, "\\\\"); gsub(/"/, "\\\""); gsub(/\t/, "\\t"); printf "     \"%s\\n\"\n", $0 }' "$f"
  echo '    },'
done
echo '};'
echo "const int migrations_count = $#;"
