#!/usr/bin/env bash
# PostgreSQL, several servers and agents (README "PostgreSQL, several servers and agents"; issue
# 14), measured in one run on loopback with the release build, PostgreSQL against SQLite on the
# same data and the same machine:
#  - ingest: `perfledger ingest` of 1,600 artifact files (50 benchmarks x 3 metrics x 10
#    samples each, run_server_bench.sh's upload data) into a new SQLite file and into a new
#    PostgreSQL database, alternating, three rounds; runs per second, medians compared. And the
#    store API's batches of 1,000 runs (bench/server_data) making the series store below;
#  - GET /api/v1/series of one benchmark with 20,000 points ($series_points), from each store:
#    p50 and p99 of 50 requests after 3 warm-ups, as the dashboard gets it (the server's document
#    cache, checked against the store's change mark on every request), and uncached (a query
#    parameter the server ignores, new for each request, makes each a new cache key: the store
#    read and the JSON every time);
#  - job hand-out: 16 agents, each with its own store connection, claim and finish 2,000 jobs
#    of one platform through the store (bench/job_claims), alternating between back ends, three
#    rounds; claims per second, and every job claimed exactly once (0 double claims), checked
#    from the claims and from the queue read back. And 1 agent on 500 jobs on each;
#  - uploads: 32 clients POST the 1,600 artifacts (one per request) to one server on
#    PostgreSQL, and split 16 + 16 over two servers on the same PostgreSQL database, against one
#    server on SQLite; alternating, three rounds, medians. Then the runs are read back: exactly
#    the run_ids sent, each once.
# PostgreSQL 15 is started by bench/pg_up (tests/support/pg_server.h's server, with fsync,
# synchronous_commit and full_page_writes on, as the SQLite store commits with synchronous=FULL;
# otherwise PostgreSQL's defaults: shared_buffers 128 MB, max_connections 100). Every store is
# new; the rounds alternate because this VM's speed drifts by 10-30% from minute to minute.
# Exits 1 if an upload is lost, duplicated or refused, or a job is claimed twice or never.
# Usage: bench/run_pg_bench.sh [WORKDIR]   (kept when given)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
. bench/common.sh
bench_build perfledger server_data server_client job_claims pg_up
bin=$root/$build/src/cli/perfledger
data=$root/$build/bench/server_data
client=$root/$build/bench/server_client
claims=$root/$build/bench/job_claims
work=${1:-$(mktemp -d /tmp/perfledger-pg-bench-XXXXXX)}
mkdir -p "$work"
keep=${1:+yes}
rounds=3
series_points=20000
pg_pid=
servers=()
cleanup() {
  for pid in "${servers[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${servers[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ -n "$pg_pid" ]; then
    kill -TERM "$pg_pid" 2>/dev/null || true
    wait "$pg_pid" 2>/dev/null || true
  fi
  [ -n "$keep" ] || rm -rf "$work"
}
trap cleanup EXIT

# ---- PostgreSQL ----
"$root/$build/bench/pg_up" >"$work/pg.uri" 2>"$work/pg-up.log" &
pg_pid=$!
for _ in $(seq 1200); do
  [ -s "$work/pg.uri" ] && break
  if ! kill -0 "$pg_pid" 2>/dev/null; then
    echo "error: bench/pg_up did not start PostgreSQL: $(cat "$work/pg-up.log")" >&2
    exit 1
  fi
  sleep 0.1
done
[ -s "$work/pg.uri" ] || { echo "error: bench/pg_up gave no URI within 120 s" >&2; exit 1; }
pg=$(cat "$work/pg.uri")
# newdb NAME: a new, empty database NAME on the server; prints its URI.
newdb() {
  PGOPTIONS='-c client_min_messages=warning' psql -qAtX -v ON_ERROR_STOP=1 "$pg" \
    -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1" >&2
  echo "${pg%/*}/$1"
}
# newfile NAME: a path for a new SQLite store.
newfile() {
  rm -f "$work/$1.db" "$work/$1.db-wal" "$work/$1.db-shm"
  echo "$work/$1.db"
}

# serve NAME DB [ARGS...]: starts `perfledger serve` on a free loopback port; sets $port and
# adds its pid to $servers. Its output and access log go to $work/serve-NAME.log.
serve() {
  local log=$work/serve-$1.log
  rm -f "$log"
  "$bin" --db "$2" serve --port 0 --access-log "${@:3}" >"$log" 2>&1 &
  servers+=("$!")
  port=
  for _ in $(seq 100); do
    port=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$log" | cut -d: -f3 || true)
    [ -n "$port" ] && return 0
    sleep 0.1
  done
  echo "error: perfledger serve did not start: $(cat "$log")" >&2
  exit 1
}
stop_servers() {
  for pid in "${servers[@]}"; do kill -TERM "$pid"; done
  for pid in "${servers[@]}"; do wait "$pid" || true; done
  servers=()
}

results=$work/results.jsonl
: >"$results"
status=0
record() {  # record CASE: tags each JSON line on stdin with the case and appends it
  /usr/bin/python3 -c '
import json, sys
for line in sys.stdin:
    d = json.loads(line); d["case"] = sys.argv[1]; print(json.dumps(d))' "$1" >>"$results"
}
seconds_since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f", b - a }'; }

"$data" artifacts "$work/artifacts" 1600 50
runs=1600

# ---- ingest: `perfledger ingest`, alternating ----
echo "== perfledger ingest of $runs artifacts, $rounds rounds"
ingest() {  # ingest CASE DB
  local start=$EPOCHREALTIME out
  out=$("$bin" --db "$2" ingest "$work/artifacts")
  local took
  took=$(seconds_since "$start")
  if [[ "$out" != *"ingested $runs runs"* ]]; then
    echo "error: ingest into $2: $out" >&2
    status=1
  fi
  echo "{\"seconds\": $took, \"runs_per_s\": $(awk -v n=$runs -v s="$took" 'BEGIN { printf "%.1f", n / s }')}" |
    record "$1"
}
for round in $(seq "$rounds"); do
  db=$(newfile ingest)
  ingest ingest-sqlite "$db"
  db=$(newdb ingest)
  ingest ingest-pg "$db"
done

# ---- series ----
echo "== GET /api/v1/series, $series_points points"
series_store() {  # series_store CASE DB: server_data series, its time recorded
  local start=$EPOCHREALTIME took
  "$data" series "$2" "$series_points"
  took=$(seconds_since "$start")
  echo "{\"seconds\": $took, \"runs_per_s\": $(awk -v n="$series_points" -v s="$took" 'BEGIN { printf "%.1f", n / s }')}" |
    record "$1"
}
series_get() {  # series_get BACKEND DB
  serve "series-$1" "$2"
  local path="/api/v1/series?benchmark=series/one"
  curl -sf -o /dev/null "http://127.0.0.1:$port/api/v1/index"
  "$client" get "$port" "$path" 3 50 | record "series-$1"
  "$client" get "$port" "$path&nocache={i}" 3 50 | record "series-uncached-$1"
  stop_servers
}
sqlite_series=$(newfile series)
pg_series=$(newdb series)
series_store make-sqlite "$sqlite_series"
series_store make-pg "$pg_series"
series_get sqlite "$sqlite_series"
series_get pg "$pg_series"

# ---- job hand-out ----
echo "== job claims: 16 agents x 2,000 jobs, $rounds rounds; 1 agent x 500 jobs"
claim() {  # claim CASE DB JOBS AGENTS
  if ! "$claims" "$2" "$3" "$4" | record "$1"; then status=1; fi
}
for round in $(seq "$rounds"); do
  db=$(newfile claims)
  claim claims16-sqlite "$db" 2000 16
  db=$(newdb claims)
  claim claims16-pg "$db" 2000 16
done
db=$(newfile claims)
claim claims1-sqlite "$db" 500 1
db=$(newdb claims)
claim claims1-pg "$db" 500 1

# ---- uploads: one or two servers ----
echo "== uploads: 32 clients, $runs runs, $rounds rounds"
upload() {  # upload CASE DB SERVERS
  local token ports=()
  token=$("$bin" --db "$2" token create --project bench 2>/dev/null | head -1)
  for i in $(seq "$3"); do
    serve "$1-$i" "$2"
    ports+=("$port")
  done
  if ! "$client" upload "$(IFS=,; echo "${ports[*]}")" bench "$token" "$work/artifacts" 32 300 |
    record "$1"; then
    status=1
  fi
  stop_servers
}
for round in $(seq "$rounds"); do
  db=$(newfile upload)
  upload upload-sqlite "$db" 1
  db=$(newdb upload)
  upload upload-pg1 "$db" 1
  db=$(newdb upload)
  upload upload-pg2 "$db" 2
done

# ---- table ----
/usr/bin/python3 - "$results" "$rounds" "$series_points" <<'PY'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
rounds, points = int(sys.argv[2]), int(sys.argv[3])
every = {}
for r in rows:
    every.setdefault(r["case"], []).append(r)
def median(case, key):
    rs = sorted(every[case], key=lambda r: r[key])
    return rs[len(rs) // 2]
def each(case, key, fmt="{:.0f}"):
    return ", ".join(fmt.format(r[key]) for r in every[case])

s, p = median("ingest-sqlite", "runs_per_s"), median("ingest-pg", "runs_per_s")
print(f"\ningest of 1,600 runs (50 benchmarks x 3 metrics x 10 samples), `perfledger ingest`, median of {rounds}:")
print(f"  SQLite      {s['runs_per_s']:8.1f} runs/s ({s['seconds']:.2f} s; rounds {each('ingest-sqlite', 'runs_per_s')})")
print(f"  PostgreSQL  {p['runs_per_s']:8.1f} runs/s ({p['seconds']:.2f} s; rounds {each('ingest-pg', 'runs_per_s')})"
      f"   PostgreSQL / SQLite: {p['runs_per_s'] / s['runs_per_s']:.2f}x")
ms, mp = every["make-sqlite"][0], every["make-pg"][0]
print(f"  store API, {points:,} runs of 1 benchmark in batches of 1,000: SQLite {ms['runs_per_s']:.0f} runs/s ({ms['seconds']:.1f} s),"
      f" PostgreSQL {mp['runs_per_s']:.0f} runs/s ({mp['seconds']:.1f} s): {mp['runs_per_s'] / ms['runs_per_s']:.2f}x")

print(f"\nGET /api/v1/series, one benchmark, {points:,} points, p50 / p99 ms of 50 after 3 warm-ups:")
for what, case in (("cached (as the dashboard gets it)", "series"), ("uncached (&nocache=i)", "series-uncached")):
    a, b = every[f"{case}-sqlite"][0], every[f"{case}-pg"][0]
    print(f"  {what:34} SQLite {a['p50_ms']:7.1f} / {a['p99_ms']:7.1f}   PostgreSQL {b['p50_ms']:7.1f} / {b['p99_ms']:7.1f}"
          f"   p99 PostgreSQL / SQLite: {b['p99_ms'] / a['p99_ms']:.2f}x  ({b['bytes'] / 1e6:.1f} MB)")

print(f"\njob hand-out through the store (claim + finish each job), median of {rounds}:")
def claims_line(name, case):
    c = median(case, "claims_per_s")
    return (f"  {name:24} {c['claims_per_s']:7.1f} claims/s ({c['jobs']} jobs in {c['seconds']:.2f} s; claim p50 {c['claim_p50_ms']:.1f} ms,"
            f" p99 {c['claim_p99_ms']:.1f} ms; finish p99 {c['finish_p99_ms']:.1f} ms)"), c
line, a = claims_line("16 agents, SQLite", "claims16-sqlite"); print(line + f"  rounds {each('claims16-sqlite', 'claims_per_s')}")
line, b = claims_line("16 agents, PostgreSQL", "claims16-pg"); print(line + f"  rounds {each('claims16-pg', 'claims_per_s')}")
print(f"  PostgreSQL / SQLite: {b['claims_per_s'] / a['claims_per_s']:.2f}x")
for case in ("claims1-sqlite", "claims1-pg"):
    print(claims_line("1 agent, " + ("SQLite" if case.endswith("sqlite") else "PostgreSQL"), case)[0])
checks = [c for case in every if case.startswith("claims") for c in every[case]]
print(f"  every round: double claims {sum(c['double_claims'] for c in checks)}, unclaimed {sum(c['unclaimed'] for c in checks)},"
      f" not done {sum(c['not_done'] for c in checks)}, wrong agent {sum(c['wrong_agent'] for c in checks)},"
      f" claimed again {sum(c['reclaimed'] for c in checks)}, failed agents {sum(c['failed_agents'] for c in checks)}")

print(f"\nuploads of 1,600 runs, 32 clients, one run per POST, median of {rounds}:")
ref = median("upload-sqlite", "runs_per_s")
for name, case in (("one server, SQLite", "upload-sqlite"), ("one server, PostgreSQL", "upload-pg1"),
                   ("two servers, PostgreSQL", "upload-pg2")):
    u = median(case, "runs_per_s")
    print(f"  {name:24} {u['runs_per_s']:7.1f} runs/s ({u['seconds']:.1f} s; request p50 {u['p50_ms']:.1f} ms, p99 {u['p99_ms']:.1f} ms)"
          f"  / SQLite {u['runs_per_s'] / ref['runs_per_s']:.2f}x; rounds {each(case, 'runs_per_s')}")
two, one = median("upload-pg2", "runs_per_s"), median("upload-pg1", "runs_per_s")
print(f"  two servers / one server on PostgreSQL: {two['runs_per_s'] / one['runs_per_s']:.2f}x")
ups = [u for case in every if case.startswith("upload") for u in every[case]]
print(f"  read back, every round: missing {sum(u['missing'] for u in ups)}, duplicated {sum(u['duplicated'] for u in ups)},"
      f" unexpected {sum(u['unexpected'] for u in ups)}, statuses {sorted(set(json.dumps(u['statuses']) for u in ups))}")
PY
uptime
exit $status
