#!/usr/bin/env bash
# Server and dashboard performance (README "Server and dashboard"), measured in one run on
# loopback with the release build, each figure against a reference in the same run:
#  - GET /api/v1/series of one benchmark with 100,000 points: p50 and p99 of 50 requests after
#    3 warm-ups, against the same JSON served as a static file by the same server (--web-root:
#    the ratio is the cost of computing the series) and the plain SQLite read of the same rows
#    (bench/server_data query); and the same series at display resolution (&max_points=2000,
#    what a chart about 1,000 pixels wide asks for);
#  - uploads: 32 clients POST 1,600 artifacts (50 each, one per request, 120 s limit), then the
#    project's runs are read back: exactly the run_ids sent, each once. Runs per second against
#    `perfledger ingest` of the same files in one process (hyperfine), the two alternating for
#    three rounds and their medians compared; and 1 client;
#  - dashboard first load in Chromium (bench/dashboard_load.mjs): from navigation to every chart
#    of the page drawn, for 1,000 benchmarks x 3 platforms x 1,000 commits against 10 x 1 x 50:
#    a benchmark's page (its trend on each platform) and the overview (each platform's index).
# Data comes from bench/server_data (the store API, batches of 1,000 runs); its time is printed.
# Exits 1 if an upload is lost, duplicated or refused, or a page fails to load.
# Usage: bench/run_server_bench.sh [WORKDIR]   (kept when given, and its stores reused)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
. bench/common.sh
bench_build perfledger perfledger_web server_data server_client
bin=$root/$build/src/cli/perfledger
data=$root/$build/bench/server_data
client=$root/$build/bench/server_client
work=${1:-$(mktemp -d /tmp/perfledger-server-bench-XXXXXX)}
mkdir -p "$work"
keep=${1:+yes}
server_pid=
big_pid=
cleanup() {
  for pid in $server_pid $big_pid; do kill -TERM "$pid" 2>/dev/null || true; done
  [ -n "$keep" ] || rm -rf "$work"
}
trap cleanup EXIT

# serve NAME DB [ARGS...]: starts `perfledger serve` on a free loopback port; sets $port. Its
# output and access log go to $work/serve-NAME.log.
serve() {
  local log=$work/serve-$1.log
  rm -f "$log"
  "$bin" --db "$2" serve --port 0 --access-log "${@:3}" >"$log" 2>&1 &
  server_pid=$!
  port=
  for _ in $(seq 100); do
    port=$(grep -o '127\.0\.0\.1:[0-9]*' "$log" | cut -d: -f2 || true)
    [ -n "$port" ] && return 0
    sleep 0.1
  done
  echo "error: perfledger serve did not start: $(cat "$log")" >&2
  exit 1
}
# warm: waits for what the server computes as it starts (the benchmark catalog and the
# headline index), so that it does not run beside what is timed.
warm() {
  curl -sf -o /dev/null "http://127.0.0.1:$1/api/v1/index"
  curl -sf -o /dev/null "http://127.0.0.1:$1/api/v1/benchmarks"
}
stop() {
  kill -TERM "$server_pid"
  wait "$server_pid" || true
  server_pid=
}

# ---- data ----
make_store() {  # make_store DB MODE ARGS...: `server_data MODE DB ARGS...`, unless DB exists
  [ -f "$1" ] && return 0
  local start=$SECONDS
  "$data" "$2" "$1" "${@:3}"
  echo "$2 store ${*:3} made in $((SECONDS - start)) s" >>"$work/notes.txt"
}
: >"$work/notes.txt"
make_store "$work/series.db" series 100000
make_store "$work/big.db" dashboard 1000 3 1000
make_store "$work/small.db" dashboard 10 1 50
if [ ! -d "$work/artifacts" ]; then
  "$data" artifacts "$work/artifacts" 1600 50
fi
results=$work/results.jsonl
: >"$results"
status=0
record() {  # record CASE: tags each JSON line on stdin with the case and appends it
  /usr/bin/python3 -c '
import json, sys
for line in sys.stdin:
    d = json.loads(line); d["case"] = sys.argv[1]; print(json.dumps(d))' "$1" >>"$results"
}

# ---- series of 100,000 points ----
echo "== GET /api/v1/series, 100,000 points"
webroot=$work/webroot
rm -rf "$webroot"
cp -r "$build/web/dist" "$webroot"
serve series "$work/series.db" --web-root "$webroot"
series_path="/api/v1/series?benchmark=series/one"
warm "$port"
curl -sf "http://127.0.0.1:$port$series_path" -o "$webroot/series.json"
"$client" get "$port" "$series_path" 3 50 | record series
"$client" get "$port" "$series_path&max_points=2000" 3 50 | record series-2000
"$client" get "$port" /series.json 3 50 | record static
stop
"$data" query "$work/series.db" series/one 50 | record sqlite

# ---- uploads ----
echo "== uploads: 32 clients, 1,600 runs"
upload() {  # upload CASE CLIENTS
  local db=$work/upload-$1.db
  rm -f "$db" "$db-wal" "$db-shm"
  local token
  token=$("$bin" --db "$db" token create --project bench 2>/dev/null | head -1)
  serve "upload-$1" "$db"
  if ! "$client" upload "$port" bench "$token" "$work/artifacts" "$2" 120 | record "$1"; then
    status=1
  fi
  stop
}
# The machine's speed drifts by 10-30% from minute to minute (a shared VM): the 32-client
# uploads and the single-process ingest alternate, three rounds, and the medians are compared.
ingest_db=$work/ingest.db
for round in 1 2 3; do
  upload upload32 32
  hyperfine --runs 1 --style none --export-json "$work/ingest.json" \
    --prepare "rm -f $ingest_db $ingest_db-wal $ingest_db-shm" \
    "$bin --db $ingest_db ingest $work/artifacts" >/dev/null
  /usr/bin/python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
print(json.dumps({"seconds": r["median"], "runs_per_s": 1600 / r["median"]}))' \
    "$work/ingest.json" | record ingest
done
upload upload1 1

# ---- dashboard first load ----
echo "== dashboard first load in Chromium"
serve big "$work/big.db"
big=$port
big_pid=$server_pid
serve small "$work/small.db"
small=$port
warm "$small"
timed_get() {  # timed_get CASE URL: one GET, its seconds recorded
  /usr/bin/python3 -c '
import json, sys, time, urllib.request
start = time.monotonic()
urllib.request.urlopen(sys.argv[1], timeout=600).read()
print(json.dumps({"seconds": time.monotonic() - start}))' "$2" | record "$1"
}
# The server computes the headline index at start; the overview's sparklines wait for it.
timed_get index-cold "http://127.0.0.1:$big/api/v1/index"
warm "$big"
# The overview's other answers, one at a time (they do not hold up its charts).
timed_get coverage "http://127.0.0.1:$big/api/v1/coverage"
timed_get gaps "http://127.0.0.1:$big/api/v1/gaps"
bench_page='/#/benchmark?name=suite/bench_0005'
charts='.chart[data-platform] canvas'
sparklines='.card[data-platform] canvas.sparkline'
if ! node bench/dashboard_load.mjs \
  "bench-small|http://127.0.0.1:$small$bench_page|$charts|1|20" \
  "bench-big|http://127.0.0.1:$big$bench_page|$charts|3|20" \
  "overview-small|http://127.0.0.1:$small/#/|$sparklines|1|10" \
  "overview-big|http://127.0.0.1:$big/#/|$sparklines|3|5" | record dashboard; then
  status=1
fi
stop
# The overview loads left coverage and gaps computing for pages long closed; SIGTERM would
# wait minutes for them.
kill -KILL "$big_pid"
wait "$big_pid" || true
big_pid=

# ---- table ----
echo
cat "$work/notes.txt"
/usr/bin/python3 - "$results" <<'PY'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
by, every = {}, {}
for r in rows:
    by[r.get("label", r["case"])] = r
    every.setdefault(r["case"], []).append(r)
def ms(r): return f"{r['p50_ms']:.1f} / {r['p99_ms']:.1f}"
s, st, q, d = by["series"], by["static"], by["sqlite"], by["series-2000"]
print(f"\nseries of 100,000 points ({s['bytes'] / 1e6:.1f} MB of JSON), p50 / p99 ms of {s['n']}:")
print(f"  GET /api/v1/series                 {ms(s)}")
print(f"  the same JSON as a static file     {ms(st)}   series / static: {s['p50_ms'] / st['p50_ms']:.1f}x (p50)")
print(f"  plain SQLite read of the rows      {ms(q)}   series / SQLite: {s['p50_ms'] / q['p50_ms']:.1f}x (p50)")
print(f"  ...&max_points=2000                {ms(d)}   {d['bytes'] / 1e6:.2f} MB; max_points / full: {d['p50_ms'] / s['p50_ms']:.2f}x (p50)")
def median_of(rs):
    rs = sorted(rs, key=lambda r: r["runs_per_s"])
    return rs[len(rs) // 2]
u32, u1, ing = median_of(every["upload32"]), by["upload1"], median_of(every["ingest"])
print(f"\nuploads of 1,600 runs (50 benchmarks x 3 metrics x 10 samples each); 32 clients and ingest alternate, {len(every['upload32'])} rounds, medians:")
for name, u in (("32 clients", u32), ("1 client", u1)):
    print(f"  {name:10} {u['runs_per_s']:8.1f} runs/s  ({u['seconds']:.1f} s; request p50 {u['p50_ms']:.1f} ms, p99 {u['p99_ms']:.1f} ms)"
          f"  stored {u['stored_total']}, missing {u['missing']}, duplicated {u['duplicated']}, unexpected {u['unexpected']}, statuses {u['statuses']}")
print(f"  perfledger ingest, one process {ing['runs_per_s']:8.1f} runs/s  ({ing['seconds']:.2f} s)"
      f"   32 clients / ingest: {u32['runs_per_s'] / ing['runs_per_s']:.2f}x")
rounds = ", ".join(f"{u['runs_per_s']:.0f}/{i['runs_per_s']:.0f} = {u['runs_per_s'] / i['runs_per_s']:.2f}x"
                   for u, i in zip(every["upload32"], every["ingest"]))
print(f"  each round, 32 clients / ingest runs/s: {rounds}; request p99 {max(u['p99_ms'] for u in every['upload32']):.1f} ms at most")
print("\ndashboard first load, navigation to every chart drawn, p50 / p99 ms (first load):")
for big, small, what in (("bench-big", "bench-small", "benchmark page"), ("overview-big", "overview-small", "overview (index)")):
    b, sm = by.get(big, {}), by.get(small, {})
    if "p50_ms" not in b or "p50_ms" not in sm:
        print(f"  {what}: failed: {b.get('error') or sm.get('error')}")
        continue
    print(f"  {what:17} 1,000 x 3 x 1,000: {ms(b)} (n={b['n']}, first {b['first_ms']:.0f});  10 x 1 x 50: {ms(sm)} (n={sm['n']}, first {sm['first_ms']:.0f});  ratio {b['p50_ms'] / sm['p50_ms']:.1f}x")
print(f"  GET /api/v1/index on 1,000 x 3 x 1,000 right after the server started: {by['index-cold']['seconds']:.1f} s")
print(f"  the overview's other answers on 1,000 x 3 x 1,000, one at a time: GET /api/v1/coverage {by['coverage']['seconds']:.1f} s,"
      f" /api/v1/gaps {by['gaps']['seconds']:.1f} s")
PY
uptime
exit $status
