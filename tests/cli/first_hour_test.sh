#!/usr/bin/env bash
# README's first-hour path, word for word: the shell block after the marker
# `<!-- first-hour: ... -->` in README.md runs with `set -e` in a scratch directory outside any
# git repository, with the perfledger under test first on PATH. Two commands cannot run as a
# script would: `compare` may exit 3 (the second run was slower: that is its answer, not a
# failure), and `serve` runs until stopped, so it is started on a free port, asked for its
# readiness, the runs the block ingested and the dashboard, then stopped with SIGTERM.
# Usage: first_hour_test.sh PERFLEDGER README.md
set -euo pipefail
bin=$(realpath "$1")
readme=$(realpath "$2")
[ "$(basename "$bin")" = perfledger ] || { echo "expected a binary named perfledger: $bin"; exit 1; }

block=$(awk '/^<!-- first-hour:/ {armed = 1; next}
             armed && /^```sh$/ {inside = 1; next}
             inside && /^```$/ {exit}
             inside {print}' "$readme")
[ -n "$block" ] || { echo "$readme: no shell block after the first-hour marker"; exit 1; }

# The block makes its own directory under /tmp; it runs with /tmp/ read as a scratch directory.
scratch=$(mktemp -d)
serve_pid=
cleanup() {
  if [ -n "$serve_pid" ]; then kill "$serve_pid" 2>/dev/null || true; fi
  rm -rf "$scratch"
}
trap cleanup EXIT
block=${block//\/tmp\//$scratch/}
if git -C "$scratch" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  echo "$scratch is inside a git repository: the test needs a directory outside one"
  exit 1
fi

cat >"$scratch/prelude.sh" <<END
set -euo pipefail
export PATH="$(dirname "$bin"):\$PATH"
unset PERFLEDGER_DB GIT_DIR GIT_WORK_TREE CI GITHUB_ACTIONS
perfledger() {
  case "\${1:-}" in
    compare)
      local rc=0
      command perfledger "\$@" || rc=\$?
      if [ \$rc -ne 0 ] && [ \$rc -ne 3 ]; then return \$rc; fi
      ;;
    serve)
      shift
      command perfledger serve --port 0 "\$@" >"$scratch/serve.log" 2>&1 &
      echo \$! >"$scratch/serve.pid"
      echo "\$PWD" >"$scratch/serve.cwd"
      ;;
    *) command perfledger "\$@" ;;
  esac
}
END
printf '%s\n' "$block" >"$scratch/block.sh"
echo "== README's first-hour block, in $scratch"
if ! (cd "$scratch" && bash -c "source ./prelude.sh; source ./block.sh") 2>&1 | sed 's/^/    /'
then
  echo "FAIL: README's first-hour block failed (above)"
  exit 1
fi

[ -f "$scratch/serve.pid" ] || { echo "FAIL: the block did not start perfledger serve"; exit 1; }
serve_pid=$(cat "$scratch/serve.pid")
port=
for _ in $(seq 1 200); do
  port=$(sed -n 's|.*serving .* on http://[^:]*:\([0-9]*\)/.*|\1|p' "$scratch/serve.log")
  [ -n "$port" ] && break
  kill -0 "$serve_pid" 2>/dev/null || break
  sleep 0.1
done
[ -n "$port" ] || { echo "FAIL: serve did not start:"; cat "$scratch/serve.log"; exit 1; }
base="http://127.0.0.1:$port"
get() { python3 -c 'import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=30).read().decode())' "$1"; }
get "$base/readyz" >/dev/null || { echo "FAIL: /readyz"; exit 1; }
runs=$(get "$base/api/v1/runs")
count=$(printf '%s' "$runs" | python3 -c 'import json, sys; print(len(json.load(sys.stdin)["runs"]))')
[ "$count" -eq 2 ] || { echo "FAIL: expected the 2 ingested runs from /api/v1/runs, got $count: $runs"; exit 1; }
page=$(get "$base/")
[[ $page == *"<html"* ]] || { echo "FAIL: no dashboard at $base/"; exit 1; }
# The store the server reads is the file the block made, in the block's own directory.
[ -f "$(cat "$scratch/serve.cwd")/perfledger.db" ] || { echo "FAIL: no perfledger.db"; exit 1; }
kill -TERM "$serve_pid"
for _ in $(seq 1 100); do
  kill -0 "$serve_pid" 2>/dev/null || break
  sleep 0.1
done
if kill -0 "$serve_pid" 2>/dev/null; then echo "FAIL: serve did not stop on SIGTERM"; exit 1; fi
serve_pid=
echo "ok: the block ran; serve answered with the 2 runs and the dashboard, and stopped"
