#!/usr/bin/env bash
# Replays the demo's history (project/, then history/NN-*.patch in order) in a temporary
# directory, without perfledger or git commits, and builds every commit with its own Makefile:
# the benchmark, the test program and the tool where the commit has them, and runs `make
# check` where it has that target. Fails on the first patch that does not apply or the first
# build that fails. Needs g++, make, git and Google Benchmark (Debian: libbenchmark-dev).
# Usage: scripts/demo/check.sh [CXXFLAGS]   (default -O0: only whether it compiles matters)
set -euo pipefail
sources=$(cd "$(dirname "$0")" && pwd)
flags=${1:--O0}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

n=0
while read -r day time subject; do
  case $day in 1 | 2) ;; *) continue ;; esac
  n=$((n + 1))
  if [ "$n" = 1 ]; then
    cp -R "$sources/project/." "$work/"
  else
    git -C "$work" apply "$sources/history/$(printf %02d "$n")"-*.patch
  fi
  targets=(build/ledger_bench)
  [ -f "$work/tests/ledger_test.cc" ] && targets+=(build/ledger_test)
  [ -f "$work/tools/ledger_tool.cc" ] && targets+=(build/ledger_tool)
  grep -q '^check:' "$work/Makefile" && targets+=(check)
  printf '%2d %s %s  %s: make %s\n' "$n" "$day" "$time" "$subject" "${targets[*]}"
  make -s -C "$work" CXXFLAGS="$flags" "${targets[@]}"
done < "$sources/commits.txt"
[ "$n" = 20 ] || { echo "error: commits.txt lists $n commits, the demo makes 20" >&2; exit 1; }
echo "all $n commits of the demo build"
