#!/usr/bin/env bash
# Scale after a year of history (README "Scale"), measured in one run with the release build on
# two stores made through the store API (bench/server_data; their generation time is printed):
#   year  3 platforms x 35,040 runs (one every 15 minutes for a year) x 100 benchmarks x
#         2 metrics x 5 samples;
#   big   3 platforms x 1,000 runs x 1,000 benchmarks x 1 metric x 3 samples (the store of
#         bench/run_server_bench.sh's dashboard figures).
# On a copy of each store (the originals are kept for the next run):
#  - size: bytes per million samples of the whole file, and of it without the series layer
#    (the tables and indexes of schemas 7 and 8, from SQLite's dbstat);
#  - `detect --record --all` (every series in full), timed;
#  - `perfledger serve`: the first GET of the index (in full, and as the dashboard asks for it,
#    max_points=320), gaps, coverage and open alerts right after its first start on the store
#    (cold: no checkpoint yet); then p50/p99 of 50 GETs each after 3 warm-ups (warm), and of the
#    series of one benchmark x metric on every platform, in full and with max_points=2000;
#  - a new round (the next commit's run on every platform, uploaded one after the other): the
#    time from the last upload's response until GET /api/v1/index?max_points=320 shows the new
#    commit, then one GET of the full index;
#  - the server's peak RSS (VmHWM) after all of the above;
#  - a restart of the server: the first GET of the index (from the checkpoint the first one
#    kept, plus the round since);
#  - `detect --record` after that round (an incremental pass), timed.
# Usage: bench/run_scale_bench.sh [WORKDIR] [STORE...]   (WORKDIR kept when given, with its
#        stores; STORE is year or big, default both)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
. bench/common.sh
bench_build perfledger server_data server_client
bin=$root/$build/src/cli/perfledger
data=$root/$build/bench/server_data
client=$root/$build/bench/server_client
# A WORKDIR given is kept with its stores (they take minutes to make); a temporary one is not.
keep=${1:+yes}
work=${1:-$(mktemp -d /tmp/perfledger-scale-bench-XXXXXX)}
shift || true
stores=("$@")
[ ${#stores[@]} -gt 0 ] || stores=(big year)
mkdir -p "$work"
# The dashboard as built, and the reference JSON files (static) beside it.
webroot=$work/webroot
rm -rf "$webroot"
cp -r "$root/$build/web/dist" "$webroot"
server_pid=
cleanup() {
  [ -z "$server_pid" ] || kill -KILL "$server_pid" 2>/dev/null || true
  rm -f "$work"/copy-*.db*
  [ -n "${keep:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
results=$work/results.jsonl
: >"$results"
record() {  # record STORE CASE: tags each JSON line on stdin and appends it
  /usr/bin/python3 -c '
import json, sys
for line in sys.stdin:
    d = json.loads(line); d["store"] = sys.argv[1]; d["case"] = sys.argv[2]; print(json.dumps(d))' \
    "$1" "$2" >>"$results"
}
timed() {  # timed STORE CASE COMMAND...: the command's wall time (exit 0 or 3) and peak RSS
  local start end status=0
  start=$(date +%s.%N)
  /usr/bin/time -f '%M' -o "$work/time.out" "${@:3}" >/dev/null 2>"$work/timed.err" || status=$?
  end=$(date +%s.%N)
  if [ "$status" -ne 0 ] && [ "$status" -ne 3 ]; then
    echo "error: $* exited $status: $(cat "$work/timed.err")" >&2
    exit 1
  fi
  echo "{\"seconds\": $(awk "BEGIN {printf \"%.3f\", $end - $start}"), \"peak_rss_kb\": $(tail -1 "$work/time.out")}" |
    record "$1" "$2"
}

# ---- the stores ----
shape_of() { case $1 in year) echo "year 100 3 35040" ;; big) echo "dashboard 1000 3 1000" ;; esac; }
# Starts `perfledger serve` on $db; sets server_pid and port.
start_server() {
  log=$work/serve-$s.log
  "$bin" --db "$db" serve --port 0 --web-root "$webroot" >"$log" 2>&1 &
  server_pid=$!
  port=
  for _ in $(seq 100); do
    port=$(grep -o '127\.0\.0\.1:[0-9]*' "$log" | cut -d: -f2 || true)
    [ -n "$port" ] && break
    sleep 0.1
  done
  [ -n "$port" ] || { echo "error: perfledger serve did not start: $(cat "$log")" >&2; exit 1; }
}

# The time of the first GET of $1 on the running server, recorded as case $2.
cold_get() {
  /usr/bin/python3 -c '
import json, sys, time, urllib.request
start = time.monotonic()
body = urllib.request.urlopen(sys.argv[1], timeout=600).read()
print(json.dumps({"seconds": time.monotonic() - start, "bytes": len(body)}))' \
    "http://127.0.0.1:$port$1" | record "$s" "$2"
}

for s in "${stores[@]}"; do
  read -r mode benchmarks platforms commits <<<"$(shape_of "$s")"
  db=$work/$s.db
  if [ ! -f "$db" ]; then
    start=$SECONDS
    "$data" "$mode" "$db.tmp" "$benchmarks" "$platforms" "$commits"
    mv "$db.tmp" "$db"
    echo "$s store ($mode $benchmarks x $platforms x $commits) made in $((SECONDS - start)) s" \
      >>"$work/notes.txt"
  fi
done

for s in "${stores[@]}"; do
  read -r mode benchmarks platforms commits <<<"$(shape_of "$s")"
  echo "== $s store"
  db=$work/copy-$s.db
  cp "$work/$s.db" "$db"
  metrics=1 samples=3
  [ "$mode" = year ] && metrics=2 samples=5

  # Size: the whole file, and the series layer's tables and indexes.
  /usr/bin/python3 - "$db" "$benchmarks" "$platforms" "$commits" "$metrics" "$samples" <<'PY' | record "$s" size
import json, sqlite3, sys
db, b, p, c, m, n = sys.argv[1], *map(int, sys.argv[2:])
con = sqlite3.connect(db)
pages = dict(con.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name"))
layer = {"series", "points", "marks", "benchmark_sets", "median_blocks", "points_staged"}
index_of = dict(con.execute("SELECT name, tbl_name FROM sqlite_schema WHERE type = 'index'"))
series_bytes = sum(v for k, v in pages.items() if k in layer or index_of.get(k) in layer or
                   any(k.startswith(f"sqlite_autoindex_{t}_") for t in layer))
total = sum(pages.values())
samples = b * p * c * m * n
print(json.dumps({"samples": samples, "bytes": total, "series_layer_bytes": series_bytes,
                  "bytes_per_million": total / samples * 1e6,
                  "without_layer_per_million": (total - series_bytes) / samples * 1e6}))
PY

  timed "$s" detect-all "$bin" --db "$db" detect --record --all --format json
  token=$("$bin" --db "$db" token create --project bench 2>/dev/null | head -1)

  start_server
  # A first start: no checkpoint of the index in the store yet.
  series="/api/v1/series?benchmark=suite/bench_0005&metric=real_time"
  # The overview's answers; the index also as the dashboard asks for it (max_points=320: its
  # sparklines are 160 px wide).
  overview=(/api/v1/index "/api/v1/index?max_points=320" /api/v1/gaps /api/v1/coverage
    "/api/v1/alerts?status=open")
  # Cold: the first answer of each, one after the other, right after the start.
  for path in "${overview[@]}"; do
    cold_get "$path" "cold $path"
  done
  for path in "${overview[@]}" "$series" "$series&max_points=2000"; do
    "$client" get "$port" "$path" 3 50 | record "$s" "warm $path"
  done
  # References: the same JSON as static files from the same server (--web-root).
  curl -sf "http://127.0.0.1:$port$series" -o "$webroot/series.json"
  curl -sf "http://127.0.0.1:$port$series&max_points=2000" -o "$webroot/series-2000.json"
  curl -sf "http://127.0.0.1:$port/api/v1/index" -o "$webroot/index.json"
  for f in series.json series-2000.json index.json; do
    "$client" get "$port" "/$f" 3 50 | record "$s" "static /$f"
  done
  rm -f "$webroot"/series*.json "$webroot/index.json"

  # A new round: the next commit on every platform, uploaded; then the index is polled as the
  # dashboard asks for it (it shows the new commit as each line's last point), and once in full.
  round=$work/round-$s
  rm -rf "$round"
  "$data" round "$round" "$mode" "$benchmarks" "$platforms" "$commits"
  /usr/bin/python3 - "$port" "$token" "$round" <<'PY' | record "$s" index-current
import json, os, sys, time, urllib.request
port, token, round_dir = sys.argv[1:]
base = f"http://127.0.0.1:{port}"
sha = None
for name in sorted(os.listdir(round_dir)):
    body = open(os.path.join(round_dir, name), "rb").read()
    sha = json.loads(body)["commit"]["sha"]
    req = urllib.request.Request(f"{base}/api/v1/projects/bench/runs", data=body, method="POST",
                                 headers={"Authorization": f"Bearer {token}",
                                          "Content-Type": "application/json"})
    urllib.request.urlopen(req, timeout=600).read()
uploaded = time.monotonic()
polls = 0
while True:
    polls += 1
    doc = json.loads(urllib.request.urlopen(f"{base}/api/v1/index?max_points=320",
                                            timeout=600).read())
    if all(i["points"] and i["points"][-1]["sha"] == sha for i in doc["indexes"]):
        break
    if time.monotonic() - uploaded > 600:
        sys.exit("the index did not show the new round within 600 s")
current = time.monotonic() - uploaded
start = time.monotonic()
doc = json.loads(urllib.request.urlopen(f"{base}/api/v1/index", timeout=600).read())
if not all(i["points"] and i["points"][-1]["sha"] == sha for i in doc["indexes"]):
    sys.exit("the full index does not show the new round")
print(json.dumps({"seconds": current, "polls": polls, "full_seconds": time.monotonic() - start}))
PY
  grep VmHWM "/proc/$server_pid/status" | awk '{print "{\"peak_rss_kb\": " $2 "}"}' |
    record "$s" server-rss
  kill -TERM "$server_pid"
  wait "$server_pid" || true
  server_pid=
  # A restart: the index continues from the state the first server kept in the store.
  start_server
  cold_get "/api/v1/index?max_points=320" "restart /api/v1/index?max_points=320"
  cold_get /api/v1/index "restart /api/v1/index"
  kill -TERM "$server_pid"
  wait "$server_pid" || true
  server_pid=

  timed "$s" detect-record "$bin" --db "$db" detect --record --format json
  rm -f "$db" "$db-wal" "$db-shm"
done

# ---- table ----
echo
[ -f "$work/notes.txt" ] && cat "$work/notes.txt"
/usr/bin/python3 - "$results" <<'PY'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
by = {(r["store"], r["case"]): r for r in rows}
for store in dict.fromkeys(r["store"] for r in rows):
    g = lambda case: by[(store, case)]
    z = g("size")
    print(f"\n{store} store: {z['samples'] / 1e6:,.1f} million samples, {z['bytes'] / 1e9:.2f} GB")
    print(f"  bytes per million samples: {z['bytes_per_million'] / 1e6:.1f} MB with the series layer, "
          f"{z['without_layer_per_million'] / 1e6:.1f} MB without it")
    print(f"  detect --record --all: {g('detect-all')['seconds']:.2f} s (peak RSS {g('detect-all')['peak_rss_kb'] / 1024:.0f} MB);"
          f"  detect --record after a new round: {g('detect-record')['seconds']:.2f} s")
    print("  cold (first GET after start) / warm p50 / p99 ms:")
    for path in ("/api/v1/index", "/api/v1/index?max_points=320", "/api/v1/gaps", "/api/v1/coverage",
                 "/api/v1/alerts?status=open"):
        c, w = g(f"cold {path}"), g(f"warm {path}")
        print(f"    {path:34} {c['seconds'] * 1e3:9.1f} / {w['p50_ms']:7.1f} / {w['p99_ms']:7.1f}   ({w['bytes'] / 1e6:.2f} MB)")
    for suffix, static in (("", "series.json"), ("&max_points=2000", "series-2000.json")):
        w = g(f"warm /api/v1/series?benchmark=suite/bench_0005&metric=real_time{suffix}")
        st = g(f"static /{static}")
        print(f"    series, one benchmark x metric{suffix or ' (full)':17}   p50 {w['p50_ms']:7.1f} / p99 {w['p99_ms']:7.1f}   ({w['bytes'] / 1e6:.2f} MB)"
              f"   static file p50 {st['p50_ms']:.1f} / p99 {st['p99_ms']:.1f}")
    st = g("static /index.json")
    print(f"    the full index as a static file                   p50 {st['p50_ms']:7.1f} / p99 {st['p99_ms']:7.1f}")
    for path in ("/api/v1/index?max_points=320", "/api/v1/index"):
        r = g(f"restart {path}")
        print(f"    after a restart, first GET {path:34} {r['seconds'] * 1e3:9.1f} ms")
    ic = g("index-current")
    print(f"  index current after a new round: {ic['seconds'] * 1e3:.0f} ms after the last upload "
          f"({ic['polls']} polls of ?max_points=320); then the full index in {ic['full_seconds'] * 1e3:.0f} ms")
    print(f"  server peak RSS: {g('server-rss')['peak_rss_kb'] / 1024:.0f} MB")
PY
uptime
