#!/usr/bin/env bash
# Builds the libFuzzer targets (preset fuzz: clang 14, AddressSanitizer, UndefinedBehaviorSanitizer)
# and runs every one for SECONDS_PER_TARGET seconds (default 30), two at a time.
#
# Each target starts from a scratch copy of its seed corpus (fuzz/seeds.txt) and its
# regressions (fuzz/regressions/<target>/) under build/fuzz/corpus/, so the repository is never
# written; what crashes goes to build/fuzz/crashes/<target>/ and the logs to build/fuzz/logs/.
# Exits 1, naming each crashing input, when any target crashed, timed out or ran out of memory.
#
# PERFLEDGER_FUZZ_KEEP_CORPUS=1 keeps the scratch corpora of earlier runs and adds to them (the
# soak, bench/run_fuzz_soak.sh, uses it). README.md "Fuzzing" says how to reproduce a crash.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-30}
if ! [[ $seconds =~ ^[0-9]+$ ]] || [ "$seconds" -eq 0 ]; then
  echo "usage: scripts/fuzz.sh [SECONDS_PER_TARGET]   (a whole number of seconds, default 30)" >&2
  exit 2
fi

start=$SECONDS
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz
build_seconds=$((SECONDS - start))

out=build/fuzz
bin=$out/fuzz
mkdir -p "$out/logs"

# The dictionary a target's mutations draw on.
dict_of() {
  case "$1" in
    artifact | adapters) echo fuzz/json.dict ;;
    suite | policy) echo fuzz/toml.dict ;;
    api) echo fuzz/api.dict ;;
    *) echo "" ;;
  esac
}

targets=()
while read -r target dirs; do
  targets+=("$target")
  corpus=$out/corpus/$target
  if [ "${PERFLEDGER_FUZZ_KEEP_CORPUS:-0}" != 1 ]; then rm -rf "$corpus"; fi
  rm -rf "$out/crashes/$target"
  mkdir -p "$corpus" "$out/crashes/$target"
  read -ra seed_dirs <<<"$dirs"
  [ -d "fuzz/regressions/$target" ] && seed_dirs+=("fuzz/regressions/$target")
  # Flattened: libFuzzer reads a corpus directory's files only, names them by content hash.
  for d in "${seed_dirs[@]}"; do
    find "$d" -type f -print0 | while IFS= read -r -d '' f; do
      cp "$f" "$corpus/seed-$(sha1sum <"$f" | cut -c1-16)"
    done
  done
done < <(grep -E '^[a-z_]+ ' fuzz/seeds.txt)

run_target() {
  local target=$1
  local args=(-max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1
              -artifact_prefix="$out/crashes/$target/")
  local dict
  dict=$(dict_of "$target")
  [ -n "$dict" ] && args+=(-dict="$dict")
  "$bin/${target}_fuzzer" "${args[@]}" "$out/corpus/$target" >"$out/logs/$target.log" 2>&1
}

echo "fuzzing ${#targets[@]} targets for ${seconds} s each, two at a time (logs: $out/logs/)" >&2
declare -A pid_of
running=0
for target in "${targets[@]}"; do
  if [ "$running" -ge 2 ]; then
    wait -n || true
    running=$((running - 1))
  fi
  run_target "$target" &
  pid_of[$target]=$!
  running=$((running + 1))
done

failed=0
for target in "${targets[@]}"; do
  status=0
  wait "${pid_of[$target]}" || status=$?
  log=$out/logs/$target.log
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  if [ "$status" -eq 0 ]; then
    printf '  %-13s ok       %10s inputs\n' "$target" "${execs:-?}" >&2
    continue
  fi
  failed=1
  printf '  %-13s FAILED   (exit %d; log %s)\n' "$target" "$status" "$log" >&2
  grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error)' "$log" | head -5 | sed 's/^/    /' >&2 || true
  for f in "$out/crashes/$target"/*; do
    [ -e "$f" ] && echo "    crashing input: $f (replay: $bin/${target}_fuzzer $f)" >&2
  done
done
echo "fuzz: build ${build_seconds} s, total $((SECONDS - start)) s" >&2
exit $failed
