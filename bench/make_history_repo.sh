#!/usr/bin/env bash
# make_history_repo.sh DIR [N] [START_UNIX] [INTERVAL_S]
#
# Makes a git repository at DIR whose branch main has N first-parent commits (default 100000):
# commit i (from 0) has committer time START_UNIX + i * INTERVAL_S (default: INTERVAL_S 60 and
# a START_UNIX that puts the last commit at the current minute), subject "commit <i+1>", and
# changes one small file; every 20th commit (the 20th, the 40th, ...) has "[bench]" in its
# subject. The history is written by one `git fast-import` stream, so 100,000 commits take a
# few seconds. Prints how many seconds that took (one number, e.g. "2.41") on stdout.
#
# For timing the commit source (src/schedule/commit_source.h) and for its tests.
set -euo pipefail

if [[ $# -lt 1 || $# -gt 4 ]]; then
  echo "usage: $0 DIR [N] [START_UNIX] [INTERVAL_S]" >&2
  exit 2
fi
dir=$1
n=${2:-100000}
interval=${4:-60}
for v in "$n" "$interval" "${3:-0}"; do
  if ! [[ $v =~ ^[0-9]+$ ]]; then
    echo "error: '$v' is not a whole number (N, START_UNIX and INTERVAL_S are)" >&2
    exit 2
  fi
done
if (( n < 1 )); then
  echo "error: N must be at least 1" >&2
  exit 2
fi
now=$(date +%s)
start=${3:-$(( now - now % 60 - (n - 1) * interval ))}
if [[ -e $dir ]] && [[ -n $(ls -A "$dir") ]]; then
  echo "error: $dir exists and is not empty; give a new directory" >&2
  exit 2
fi

t0=$(date +%s.%N)
git init -q -b main "$dir"
awk -v n="$n" -v start="$start" -v interval="$interval" 'BEGIN {
  ident = "Perf Ledger Bench <bench@perfledger.invalid>"
  for (i = 0; i < n; i++) {
    t = start + i * interval
    subject = "commit " (i + 1)
    if ((i + 1) % 20 == 0) subject = subject " [bench]"
    msg = subject "\n"
    content = "change " (i + 1) "\n"
    printf "commit refs/heads/main\nauthor %s %d +0000\ncommitter %s %d +0000\n", ident, t, ident, t
    printf "data %d\n%s", length(msg), msg
    printf "M 644 inline progress.txt\ndata %d\n%s\n", length(content), content
  }
}' |
  # fast-import frees and re-allocates zlib's state for every object; glibc's default would
  # return the top of the heap to the OS each time (200,000 brk calls, a third of the run).
  MALLOC_TRIM_THRESHOLD_=1000000000 git -C "$dir" fast-import --quiet
git -C "$dir" reset -q --hard main
t1=$(date +%s.%N)
awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f\n", b - a }'
