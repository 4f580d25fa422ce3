#!/usr/bin/env bash
# Slow and idle clients (issue 11, fault 4; README "Hardening"): `perfledger serve` (release
# build, loopback, a fresh store) answers GET /healthz and an upload from one well-behaved
# client, first alone (the reference, same run), then while IDLE connections sit idle and SLOW
# connections send their request head one byte every 2 s, reopened as soon as the server
# closes them (its --header-timeout). Prints p50/p99/max of each; exits 1 if a request failed.
# Usage: bench/run_slow_clients_bench.sh [IDLE=1000] [SLOW=200] [REQUESTS=200] [SECONDS=30]
# PERFLEDGER_SERVE_BIN serves with another perfledger binary (an older build, for comparison).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
. bench/common.sh
idle=${1:-1000}
slow=${2:-200}
requests=${3:-200}
seconds=${4:-30}
bench_build perfledger slow_clients
bin=${PERFLEDGER_SERVE_BIN:-$root/$build/src/cli/perfledger}
work=$(mktemp -d /tmp/perfledger-slow-XXXXXX)
server_pid=
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
db=$work/perf.db
token=$("$bin" --db "$db" token create --project gruel 2>/dev/null)
"$bin" --db "$db" serve --port 0 >"$work/serve.out" 2>"$work/serve.err" &
server_pid=$!
for _ in $(seq 100); do
  grep -q 'on http://' "$work/serve.out" 2>/dev/null && break
  sleep 0.1
done
port=$(sed -n 's/.*on http:\/\/127.0.0.1:\([0-9]*\)\/.*/\1/p' "$work/serve.out")
[ -n "$port" ] || { cat "$work/serve.err" >&2; exit 1; }
echo "perfledger serve ($bin) on port $port; $(nproc) cores"
status=0
"$root/$build/bench/slow_clients" "$port" "$token" tests/data/artifacts/good/design-example.json \
  "$idle" "$slow" "$requests" "$seconds" || status=$?
kill -TERM "$server_pid"
wait "$server_pid" || status=1
server_pid=
exit $status
