#!/usr/bin/env bash
# Soak and fault test (issue 11; README "Hardening"), loopback only, bounded in time and count:
#  - 32 clients upload runs to `perfledger serve` for SECONDS (bench/soak_client: each run is
#    sent until acknowledged, as a CI job retries; every acknowledged run id is logged);
#  - meanwhile the server is killed with SIGKILL and restarted RESTARTS times;
#  - beside it, two `perfledger detect --record` at a time, over and over, and `perfledger
#    ingest` of batches of 20 artifacts;
#  - the disk fills up for a while: the store lives on a small tmpfs of its own (mounted here;
#    needs root), which a filler file fills to the last byte and later frees. Writes that need
#    new space then fail (uploads get 5xx and are retried by the clients; an ingest fails
#    whole); a write that fits in space SQLite already holds (a reset WAL) may still succeed.
#    Without the right to mount, the full disk is skipped and the report says so.
# Afterwards, on the store: every acknowledged run (HTTP 200/201, or ingest exit 0) is stored
# exactly once (lost 0, duplicated 0); every stored run is whole (20 measurements); nothing of
# a failed ingest is stored; PRAGMA integrity_check is ok; no alert is recorded twice. Prints
# the figures; exits 1 when any check fails.
# Usage: bench/run_soak.sh [SECONDS=60] [RESTARTS=5]
# The build: the release preset (PERFLEDGER_BUILD_DIR to use another, e.g. build/ci).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
. bench/common.sh
seconds=${1:-60}
restarts=${2:-5}
bench_build perfledger soak_client
bin=$root/$build/src/cli/perfledger
client=$root/$build/bench/soak_client
command -v sqlite3 >/dev/null || { echo "error: sqlite3 is needed (scripts/setup-deps.sh)" >&2; exit 1; }
work=$(mktemp -d /tmp/perfledger-soak-XXXXXX)
disk=$work/disk
mkdir -p "$disk"
mounted=
if mount -t tmpfs -o size=2g perfledger-soak "$disk" 2>/dev/null; then mounted=yes; fi
db=$disk/soak.db
acked=$work/acked.txt
server_pid=
side_pids=()
cleanup() {
  [ -n "$server_pid" ] && kill -9 "$server_pid" 2>/dev/null || true
  for p in "${side_pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -n "$mounted" ] && umount "$disk" 2>/dev/null || true
  [ -n "${PERFLEDGER_SOAK_KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
: >"$acked"

token=$("$bin" --db "$db" token create --project soak --name soak | grep -o 'plt_[A-Za-z0-9_-]*' | head -1)
[ -n "$token" ] || { echo "error: no token" >&2; exit 1; }

# A free port, kept across restarts so the clients find the server again.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

# start: starts the server and waits for it to answer.
start() {
  "$bin" --db "$db" serve --port "$port" >>"$work/serve.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 200); do
    curl -sf -o /dev/null "http://127.0.0.1:$port/healthz" && return 0
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.05
  done
  echo "error: the server did not come up; its log:" >&2
  tail -5 "$work/serve.log" >&2
  exit 1
}

start
"$client" "$port" soak "$token" 32 "$seconds" "$acked" >"$work/client.json" 2>"$work/client.err" &
client_pid=$!

# Two detections at a time, over and over, until the clients are done.
(
  n=0
  while kill -0 "$client_pid" 2>/dev/null; do
    "$bin" --db "$db" detect --record --format json >/dev/null 2>>"$work/detect.err" &
    "$bin" --db "$db" detect --record --format json >/dev/null 2>>"$work/detect.err" &
    wait || true
    n=$((n + 2))
    echo "$n" >"$work/detects"
    sleep 0.5
  done
) &
side_pids+=($!)

# Batches of 20 artifacts through `perfledger ingest`: those that exit 0 are acknowledged,
# the others (a full disk) must have stored nothing.
ingest_batch() {
  local dir=$1
  mkdir -p "$dir"
  "$client" write "$dir" soak 20 "$2"
  if "$bin" --db "$db" ingest "$dir" >"$dir.out" 2>&1; then
    jq -r .run_id "$dir"/*.json >>"$work/ingest-acked.txt"
  else
    jq -r .run_id "$dir"/*.json >>"$work/ingest-failed.txt"
  fi
}
(
  b=0
  while kill -0 "$client_pid" 2>/dev/null; do
    ingest_batch "$work/batch-$b" "$b"
    b=$((b + 1))
    echo "$b" >"$work/batches"
    sleep 1
  done
) &
side_pids+=($!)

# The kills, evenly over the soak; after the first, the disk is full for half an interval.
interval=$(awk -v s="$seconds" -v r="$restarts" 'BEGIN {printf "%.2f", s / (r + 1)}')
survived=0
full_disk="not simulated (mounting a tmpfs needs root)"
for r in $(seq 1 "$restarts"); do
  sleep "$interval"
  kill -9 "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  start
  survived=$r
  if [ "$r" = 1 ] && [ -n "$mounted" ]; then
    dd if=/dev/zero of="$disk/filler" bs=64k status=none 2>/dev/null || true  # to the last byte
    ingest_batch "$work/batch-full" 9999  # fails whole, or fits in space SQLite already has
    sleep "$(awk -v i="$interval" 'BEGIN {printf "%.2f", i / 2}')"
    rm -f "$disk/filler"
    full_disk="full for $(awk -v i="$interval" 'BEGIN {printf "%.1f", i / 2}') s; an ingest on it: $(head -c 120 "$work/batch-full.out" | tr '\n' ' ')"
  fi
done
# Whatever life it is in now, end on an unlimited one so retries can finish.
sleep "$interval"
kill -9 "$server_pid" 2>/dev/null || true
wait "$server_pid" 2>/dev/null || true
start
wait "$client_pid" || { echo "error: the clients failed: $(cat "$work/client.err")" >&2; exit 1; }
for p in "${side_pids[@]}"; do wait "$p" 2>/dev/null || true; done
side_pids=()
kill -TERM "$server_pid"; wait "$server_pid" || true; server_pid=

# ---- checks on the store ----
q() { sqlite3 "$db" "$1"; }
cat "$acked" "$work/ingest-acked.txt" 2>/dev/null | sort -u >"$work/acked-all.txt"
q "SELECT run_id FROM runs" | sort >"$work/stored.txt"
acknowledged=$(wc -l <"$work/acked-all.txt")
stored=$(wc -l <"$work/stored.txt")
lost=$(comm -23 "$work/acked-all.txt" "$work/stored.txt" | wc -l)
duplicated=$(q "SELECT count(*) FROM (SELECT run_id FROM runs GROUP BY run_id HAVING count(*) > 1)")
partial=$(q "SELECT count(*) FROM runs r WHERE (SELECT count(*) FROM measurements m WHERE m.run = r.id) != 20")
failed_ingests=$(sort -u "$work/ingest-failed.txt" 2>/dev/null | wc -l)
failed_stored=$(sort -u "$work/ingest-failed.txt" 2>/dev/null | comm -12 - "$work/stored.txt" | wc -l)
integrity=$(q "PRAGMA integrity_check")
dup_alerts=$(q "SELECT count(*) FROM (SELECT 1 FROM alerts GROUP BY project, platform, benchmark, metric, epoch, range_from, range_to, kind HAVING count(*) > 1)")
alerts=$(q "SELECT count(*) FROM alerts")
client_json=$(cat "$work/client.json")

printf '\nperfledger soak: %s s, 32 uploaders, %s SIGKILL restarts, a full disk, detect --record x2 and ingest beside\n' "$seconds" "$restarts"
printf '%-44s %s\n' "uploads acknowledged (HTTP + ingest)" "$acknowledged" \
  "runs stored" "$stored" \
  "lost (acknowledged, not stored)" "$lost" \
  "duplicated" "$duplicated" \
  "partial runs" "$partial" \
  "runs of failed ingests (stored)" "$failed_ingests ($failed_stored)" \
  "restarts survived" "$survived" \
  "detect --record runs" "$(cat "$work/detects" 2>/dev/null || echo 0)" \
  "ingest batches" "$(cat "$work/batches" 2>/dev/null || echo 0)" \
  "alerts (duplicates)" "$alerts ($dup_alerts)" \
  "integrity_check" "$integrity"
echo "disk: $full_disk"
echo "clients: $client_json"
fail=0
[ "$lost" = 0 ] || { echo "FAIL: $lost acknowledged runs are not stored" >&2; fail=1; }
[ "$duplicated" = 0 ] || { echo "FAIL: duplicated runs" >&2; fail=1; }
[ "$partial" = 0 ] || { echo "FAIL: partial runs" >&2; fail=1; }
[ "$failed_stored" = 0 ] || { echo "FAIL: $failed_stored runs of failed ingests are stored" >&2; fail=1; }
# The full disk must have made writes fail, or it tested nothing.
server_errors=$(echo "$client_json" | jq .server_errors)
if [ -n "$mounted" ] && [ "$server_errors" = 0 ] && [ "$failed_ingests" = 0 ]; then
  echo "FAIL: the full disk made no write fail: nothing was tested" >&2
  fail=1
fi
[ "$integrity" = ok ] || { echo "FAIL: integrity_check: $integrity" >&2; fail=1; }
[ "$dup_alerts" = 0 ] || { echo "FAIL: duplicate alerts" >&2; fail=1; }
[ "$survived" = "$restarts" ] || { echo "FAIL: restarts" >&2; fail=1; }
[ "$acknowledged" -gt 0 ] || { echo "FAIL: nothing acknowledged" >&2; fail=1; }
exit $fail
