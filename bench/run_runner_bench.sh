#!/usr/bin/env bash
# perfledger run against hyperfine on the same commands, in one run (release build):
#  - `sleep 0.05`: the two medians should agree within 1%;
#  - `true`: the per-run overhead (median wall time of a trivial command).
# Both run the command without a shell (hyperfine -N), 100 runs after 5 warm-ups.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target perfledger >/dev/null
bin=$PWD/build/release/src/cli/perfledger
work=$(mktemp -d /tmp/perfledger-runner-bench-XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$work"
for cmd in "sleep 0.05" "true"; do
  name=${cmd// /_}
  hyperfine -N --warmup 5 --runs 100 --export-json "hf_$name.json" "$cmd" >/dev/null
  # shellcheck disable=SC2086
  "$bin" run --project bench --commit 0000000000000000000000000000000000000000 --warmup 5 \
    --runs 100 --measure wall -- $cmd >"pl_$name.json" 2>/dev/null
done
# Instruction mode while two busy loops load both cores: counts must repeat exactly; the
# wall times of the same runs show the noise they are immune to.
yes >/dev/null & load1=$!
yes >/dev/null & load2=$!
"$bin" run --project bench --commit 0000000000000000000000000000000000000000 --warmup 1 \
  --runs 20 --measure wall,instructions --instruction-runs 5 \
  -- sh -c 'i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done' >pl_loaded.json 2>/dev/null
kill "$load1" "$load2"
/usr/bin/python3 - <<'PY'
import json, statistics
for name, cmd in (("sleep_0.05", "sleep 0.05"), ("true", "true")):
    hf = json.load(open(f"hf_{name}.json"))["results"][0]["times"]
    pl = json.load(open(f"pl_{name}.json"))["benchmarks"][0]["metrics"]["wall_time"]["samples"]
    hm, pm = statistics.median(hf) * 1e3, statistics.median(pl) / 1e6
    print(f"{cmd:>10}: hyperfine median {hm:.3f} ms, perfledger run median {pm:.3f} ms, "
          f"ratio {pm / hm:.3f}")
m = json.load(open("pl_loaded.json"))["benchmarks"][0]["metrics"]
ir, wall = m["instructions"]["samples"], m["wall_time"]["samples"]
print(f"under load (2 busy loops on 2 cores): instructions {len(ir)} runs, "
      f"min {min(ir):.0f} max {max(ir):.0f} ({'identical' if min(ir) == max(ir) else 'DIFFER'}); "
      f"wall time {len(wall)} runs, min {min(wall)/1e6:.1f} ms max {max(wall)/1e6:.1f} ms, "
      f"cv {statistics.stdev(wall)/statistics.mean(wall)*100:.1f}%")
PY
