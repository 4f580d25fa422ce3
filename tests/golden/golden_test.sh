#!/usr/bin/env bash
# Golden files for perfledger's text surfaces: every case of cli.test (a command line) and
# api.test (a GET of the HTTP API) runs against the store tests/golden/fixture.sh makes, and
# what it prints must equal tests/golden/expected/NAME byte for byte (after the normalisation
# below). On a difference it prints a unified diff and the command that updates the files;
# the updated files are then reviewed in the commit's diff like any other change.
#
# Usage: golden_test.sh PERFLEDGER_BINARY SOURCE_DIR [--update] [--keep] [--store FILE]
#   --update  write expected/ from this binary instead of comparing (scripts/update-golden.sh),
#             and delete expected files no case names any more
#   --keep    keep the temporary directory (the store, the repository, every actual output)
#   --store   answer from a copy of FILE instead of the store fixture.sh made (the repository
#             is still made): the migration test gives the same store made by an older
#             perfledger (tests/data/stores/README.md), so every answer must be the same after
#             the store migrates
#
# Normalisation (only what legitimately differs from run to run or machine to machine):
# - the temporary directory's path is written <tmp>, the source directory's <source>;
# - JSON is pretty-printed by jq (keys in the order perfledger wrote them), and numbers with
#   more than 12 significant digits are rounded to 12, so the last bits of floating point that
#   differ between compilers and CPUs (fused multiply-add, libm) are not changes;
# - GET /api/v1/gaps judges ages by the server's clock (it has no `now` parameter): its
#   `age_seconds` are written 0. `perfledger gaps --now` shows the real ages;
# - with --store only, an alert's `confidence` is compared to 6 decimals (in the expected file
#   too): a kept alert holds the confidence the detector of the release that recorded it
#   computed, and detectors differ in the last digits of a p-value near 0 (0.1.0 kept 1 where
#   this one computes 0.999999977 for the same step). The table prints 3 decimals.
# Everything else (dates, shas, run ids, alert times) comes from the fixture, which fixes them.
set -euo pipefail
pl=$1 source_dir=$(cd "$2" && pwd -P)
shift 2
update=0 keep=0 store=
while [ $# -gt 0 ]; do
  case $1 in
    --update) update=1 ;;
    --keep) keep=1 ;;
    --store)
      store=$(realpath "$2")
      shift
      ;;
    *)
      echo "usage: golden_test.sh PERFLEDGER_BINARY SOURCE_DIR [--update] [--keep] [--store FILE]" >&2
      exit 2
      ;;
  esac
  shift
done
here=$source_dir/tests/golden
expected_dir=$here/expected
pl=$(realpath "$pl")
tmp=$(cd "$(mktemp -d)" && pwd -P)
server_pid=

stop_server() {
  [ -n "$server_pid" ] || return 0
  kill -TERM "$server_pid" 2> /dev/null || true
  for _ in $(seq 50); do
    kill -0 "$server_pid" 2> /dev/null || break
    sleep 0.1
  done
  kill -KILL "$server_pid" 2> /dev/null || true
  wait "$server_pid" 2> /dev/null || true
  server_pid=
}
cleanup() {
  stop_server
  if [ "$keep" = 1 ]; then echo "kept $tmp" >&2; else rm -rf "$tmp"; fi
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# Variables that would make perfledger describe a CI machine.
unset CI GITHUB_ACTIONS GITLAB_CI BUILDKITE CIRCLECI TF_BUILD JENKINS_URL
export TZ=UTC LC_ALL=C

start=$SECONDS
"$here/fixture.sh" "$pl" "$source_dir" "$tmp/fixture" > "$tmp/fixture.log" 2>&1 ||
  { cat "$tmp/fixture.log" >&2; fail "tests/golden/fixture.sh could not make the store"; }
export PERFLEDGER_DB=$tmp/fixture/perfledger.db
if [ -n "$store" ]; then
  rm -f "$PERFLEDGER_DB" "$PERFLEDGER_DB-wal" "$PERFLEDGER_DB-shm"
  cp "$store" "$PERFLEDGER_DB"
fi
mapfile -t shas < "$tmp/fixture/shas.txt"
mkdir -p "$tmp/work" "$tmp/actual"
ln -s "$source_dir/tests/data" "$tmp/work/data"
echo "fixture: ${#shas[@]} commits, $((SECONDS - start)) s"

# A case's words with {cN} (commit N's sha), {repo} (the fixture's git repository) and
# {data} (tests/data, as the relative path `data`: the cases run where it is linked) replaced.
# Sets the array `words`.
expand() {
  local word n
  words=()
  for word in "$@"; do
    while [[ $word =~ \{c([0-9]+)\} ]]; do
      n=${BASH_REMATCH[1]}
      ((n >= 1 && n <= ${#shas[@]})) || fail "$case_file:$line_no: no commit $n in the fixture"
      word=${word//"${BASH_REMATCH[0]}"/${shas[n - 1]}}
    done
    word=${word//"{repo}"/$tmp/fixture/repo}
    word=${word//"{data}"/data}
    words+=("$word")
  done
}

# shellcheck disable=SC2016 # a jq program
readonly kRound='def round12: if type == "number" and . != 0 and . != floor
    then (11 - (fabs | log10 | floor)) as $e | if $e > 300 then . else
      (if $e >= 0 then pow(10; $e) else 1 end) as $up | (if $e < 0 then pow(10; -$e) else 1 end) as $down
      | (. * $up / $down | round) * $down / $up end
    else . end;
  def round12_all: walk(round12);'

# normalise NAME FILE JQ_EXTRA: FILE as it is compared (see the top of this file).
normalise() {
  local name=$1 file=$2 extra=${3:-.} text
  if [[ $name == *.json ]]; then
    jq "$kRound round12_all | $extra" "$file" > "$file.pretty" 2> "$file.jqerr" ||
      { cat "$file" "$file.jqerr" >&2; fail "$name: the output is not JSON"; }
    mv "$file.pretty" "$file"
  fi
  text=$(cat "$file" && echo .)  # the dot keeps trailing newlines
  text=${text%.}
  text=${text//"$tmp"/<tmp>}
  printf '%s' "${text//"$source_dir"/<source>}" > "$file"
}

failures=() seen=()

# check NAME: compare (or with --update, write) the actual output of case NAME.
check() {
  local name=$1 actual=$tmp/actual/$1 expected=$expected_dir/$1
  seen+=("$name")
  if [ "$update" = 1 ]; then
    if ! cmp -s "$actual" "$expected"; then
      cp "$actual" "$expected"
      echo "updated expected/$name"
    fi
    return 0
  fi
  if [ ! -f "$expected" ]; then
    echo "--- $name: no expected file tests/golden/expected/$name" >&2
    failures+=("$name")
  elif [ -n "$store" ] && [[ $name == *.json ]]; then
    # See the top of this file: a kept alert's confidence is the recording release's.
    # shellcheck disable=SC2016 # a jq program
    local kConfidence='walk(if type == "object" and (.confidence | type) == "number"
      then .confidence |= ((. * 1e6 | round) / 1e6) else . end)'
    jq "$kConfidence" "$expected" > "$actual.expected6"
    jq "$kConfidence" "$actual" > "$actual.actual6"
    if ! diff -u --label "expected/$name" --label "actual/$name" "$actual.expected6" \
      "$actual.actual6" >&2; then
      failures+=("$name")
    fi
  elif ! diff -u --label "expected/$name" --label "actual/$name" "$expected" "$actual" >&2; then
    failures+=("$name")
  fi
}

# ---- the CLI: NAME EXIT perfledger ARGS... ----
# The cases only read the store, so they run side by side (GOLDEN_JOBS at once, default: the
# number of CPUs), then are checked in the order of cli.test.
run_cli() {
  local name=$1 rc=0
  shift
  (cd "$tmp/work" && "$pl" "$@") > "$tmp/actual/$name" 2> "$tmp/actual/$name.stderr" || rc=$?
  echo "$rc" > "$tmp/actual/$name.rc"
}
max_jobs=${GOLDEN_JOBS:-$(nproc)}
cli_cases=()
case_file=$here/cli.test line_no=0
while IFS= read -r line || [ -n "$line" ]; do
  line_no=$((line_no + 1))
  [[ $line =~ ^[[:space:]]*(#|$) ]] && continue
  read -ra fields <<< "$line"
  [ "${#fields[@]}" -ge 3 ] && [ "${fields[2]}" = perfledger ] && [[ ${fields[1]} =~ ^[0-9]+$ ]] ||
    fail "$case_file:$line_no: expected NAME EXIT perfledger ARGS..."
  [ ! -e "$tmp/actual/${fields[0]}.rc" ] || fail "$case_file:$line_no: a second case named ${fields[0]}"
  expand "${fields[@]:3}"
  : > "$tmp/actual/${fields[0]}.rc"
  cli_cases+=("$line")
  while [ "$(jobs -rp | wc -l)" -ge "$max_jobs" ]; do wait -n || true; done
  run_cli "${fields[0]}" "${words[@]}" &
done < "$case_file"
wait
for line in "${cli_cases[@]}"; do
  read -ra fields <<< "$line"
  name=${fields[0]} want=${fields[1]} rc=$(< "$tmp/actual/${fields[0]}.rc")
  if [ "$rc" != "$want" ]; then
    cat "$tmp/actual/$name.stderr" >&2
    echo "--- $name: perfledger ${fields[*]:3} exited $rc, expected $want" >&2
    failures+=("$name")
    seen+=("$name")
    continue
  fi
  # What goes to stderr is part of a text surface; a JSON document is stdout alone.
  if [[ $name != *.json && -s $tmp/actual/$name.stderr ]]; then
    { echo "--- stderr"; cat "$tmp/actual/$name.stderr"; } >> "$tmp/actual/$name"
  fi
  normalise "$name" "$tmp/actual/$name"
  check "$name"
done
echo "cli: $((SECONDS - start)) s"

# ---- the HTTP API: NAME STATUS TYPE GET PATH, or `same NAME NAME` ----
"$pl" serve --port 0 > "$tmp/serve.out" 2> "$tmp/serve.err" &
server_pid=$!
url=
for _ in $(seq 300); do
  url=$(grep -o 'http://[^[:space:]/]*:[0-9]*/' "$tmp/serve.out" | head -1 || true)
  [ -n "$url" ] && break
  kill -0 "$server_pid" 2> /dev/null || break
  sleep 0.1
done
[ -n "$url" ] || { cat "$tmp/serve.out" "$tmp/serve.err" >&2; fail "perfledger serve did not start"; }
for _ in $(seq 100); do
  curl -fsS -o /dev/null "${url}healthz" 2> /dev/null && break
  sleep 0.1
done
sames=()
case_file=$here/api.test line_no=0
while IFS= read -r line || [ -n "$line" ]; do
  line_no=$((line_no + 1))
  [[ $line =~ ^[[:space:]]*(#|$) ]] && continue
  read -ra fields <<< "$line"
  if [ "${fields[0]}" = same ]; then
    sames+=("${fields[1]} ${fields[2]}")
    continue
  fi
  name=${fields[0]} want=${fields[1]}
  [ "${fields[3]:-}" = GET ] && [ "${#fields[@]}" = 5 ] ||
    fail "$case_file:$line_no: expected NAME STATUS TYPE GET PATH"
  expand "${fields[4]}"
  path=${words[0]}
  status=$(curl -sS --globoff -o "$tmp/actual/$name" -w '%{http_code}' "${url%/}$path") ||
    fail "$name: GET $path: curl failed"
  if [ "$status" != "$want" ]; then
    cat "$tmp/actual/$name" >&2
    echo "--- $name: GET $path answered $status, expected $want" >&2
    failures+=("$name")
    seen+=("$name")
    continue
  fi
  extra=.
  [[ $path == /api/v1/gaps* ]] && extra='if .platforms then .platforms[].age_seconds = 0 else . end'
  normalise "$name" "$tmp/actual/$name" "$extra"
  check "$name"
done < "$case_file"
stop_server
echo "api: $((SECONDS - start)) s"

# Documents both edges print are the same document (docs/architecture.md).
for pair in "${sames[@]}"; do
  read -r a b <<< "$pair"
  if ! cmp -s "$tmp/actual/$a" "$tmp/actual/$b"; then
    diff -u --label "$a" --label "$b" "$tmp/actual/$a" "$tmp/actual/$b" >&2 || true
    echo "--- $a and $b should be the same document" >&2
    failures+=("same $a $b")
  fi
done

# Every expected file belongs to a case.
for file in "$expected_dir"/*; do
  [ -e "$file" ] || continue
  name=${file##*/}
  [[ " ${seen[*]} " == *" $name "* ]] && continue
  if [ "$update" = 1 ]; then
    rm "$file"
    echo "deleted expected/$name (no case names it)"
  else
    echo "--- expected/$name: no case in cli.test or api.test names it" >&2
    failures+=("$name")
  fi
done

if [ "${#failures[@]}" -gt 0 ]; then
  echo "FAIL: ${#failures[@]} golden case(s) differ: ${failures[*]}" >&2
  echo "If the change is intended, update the files and review their diff:" >&2
  echo "  scripts/update-golden.sh [PERFLEDGER_BINARY]   # then: git diff tests/golden/expected" >&2
  exit 1
fi
echo "PASS: ${#seen[@]} golden cases in $((SECONDS - start)) s"
