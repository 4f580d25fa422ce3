#!/usr/bin/env bash
# Each src/<layer> may include only the layers DESIGN.md allows it ("Layers and
# dependencies"). Prints every offending #include and fails when there is one.
set -u
root="$1"
declare -A allowed=(
  [base]="base"
  [core]="base core"
  [env]="base env"
  [adapters]="base core adapters"
  [analysis]="base core analysis"
  [runner]="base core env adapters analysis runner"
  [store]="base core store"
  [schedule]="base core analysis store schedule"
  [service]="base core env adapters analysis runner store schedule service"
  # The edges call the use cases in service/: measuring (runner) and harness formats (adapters)
  # only through it. analysis and schedule stay visible to them for value types and parameter
  # checks (analysis/parameters.h, the planner's Policy and Plan that `plan` prints).
  [server]="base core env analysis store service server"
  [cli]="base core env analysis store schedule service server cli"
)
status=0
for dir in "$root"/src/*/; do
  layer=$(basename "$dir")
  if [ -z "${allowed[$layer]+x}" ]; then
    echo "src/$layer: not a layer of DESIGN.md's table"
    status=1
    continue
  fi
  while IFS= read -r line; do
    file=${line%%:*}
    inc=$(sed -E 's/.*#include "([a-z_]+)\/.*/\1/' <<<"$line")
    if [[ " ${allowed[$layer]} " != *" $inc "* ]]; then
      echo "${file#$root/}: layer '$layer' may not include '$inc': ${line#*:}"
      status=1
    fi
  done < <(grep -HE '^#include "[a-z_]+/' "$dir"*.h "$dir"*.cc 2>/dev/null)
done
exit $status
