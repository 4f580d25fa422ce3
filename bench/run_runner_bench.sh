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
/usr/bin/python3 - <<'PY'
import json, statistics
for name, cmd in (("sleep_0.05", "sleep 0.05"), ("true", "true")):
    hf = json.load(open(f"hf_{name}.json"))["results"][0]["times"]
    pl = json.load(open(f"pl_{name}.json"))["benchmarks"][0]["metrics"]["wall_time"]["samples"]
    hm, pm = statistics.median(hf) * 1e3, statistics.median(pl) / 1e6
    print(f"{cmd:>10}: hyperfine median {hm:.3f} ms, perfledger run median {pm:.3f} ms, "
          f"ratio {pm / hm:.3f}")
PY
