#!/usr/bin/env bash
# The store the golden tests read, made the way a team makes one, and the same on every
# machine and every run: a git repository whose commits have fixed authors and dates (so fixed
# shas), `perfledger plan --record` after every push of two commits (15-minute windows: some commits measured,
# the rest represented or skipped), artifacts written by jq from each plan's jobs (fixed run ids,
# environments, fingerprints and samples: nothing is read from this machine), one
# `perfledger ingest` per plan, `perfledger detect --record`, and a last plan that queues the
# bisect jobs detection asks for. Plus one run of a second project from tests/data.
#
# What the data holds, so a reader of the golden files knows what to look for:
# - project `demo`, platforms x86-64-linux (ci) and aarch64-macos (local), 30 commits; the
#   windows measure commits 2, 4, ..., 14, 17, 19, ..., 29 and 30;
# - `parse` gets 20% slower at commit 12 on both platforms (regressions in one commit range);
# - `micro/BM_Sort/4096` gets 15% faster at commit 20 on x86-64-linux (an improvement);
# - aarch64-macos misses the jobs of commits 5..8 (a hole in its series), its machine changes
#   (Apple M1 -> M2, 15% faster) from commit 22 on (an environment change), and from commit 25
#   on `io/read_file` fails there (partial runs: gaps reports the platform stalled);
# - x86-64-linux's suite settings change at commit 26 (epoch 2: 7 samples instead of 5);
# - project `gruel`: tests/data/artifacts/good/suite-with-epoch.json (one run, epoch 2).
#
# Usage: fixture.sh PERFLEDGER_BINARY SOURCE_DIR DIR
# Makes DIR/repo, DIR/perfledger.db and DIR/shas.txt (commit i's sha on line i).
set -euo pipefail
pl=$1 source_dir=$2 dir=$3
repo=$dir/repo
export PERFLEDGER_DB=$dir/perfledger.db

readonly kCommits=30
readonly kT0=1795510800  # 2026-11-24T09:00:00Z
readonly kMinutesApart=7
readonly kPlatforms=(x86-64-linux aarch64-macos)

iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
commit_time() { echo $((kT0 + $1 * kMinutesApart * 60)); }
subject() {
  case $1 in
    12) echo "Parse with a slower tokenizer" ;;
    20) echo "Sort with a radix pass" ;;
    26) echo "Bench: 7 samples per benchmark" ;;
    *) echo "Change $1" ;;
  esac
}

# Neither this machine's git configuration nor its environment may change a sha.
git_() {
  GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null git -C "$repo" \
    -c user.name="Golden Test" -c user.email=golden@example.com -c commit.gpgsign=false \
    -c core.autocrlf=false "$@"
}

mkdir -p "$repo"
git_ init -q -b main
: > "$dir/shas.txt"
for ((i = 1; i <= kCommits; ++i)); do
  echo "change $i" > "$repo/file.txt"
  git_ add file.txt
  when=$(iso "$(commit_time "$i")")
  GIT_AUTHOR_DATE=$when GIT_COMMITTER_DATE=$when git_ commit -q -m "$(subject "$i")"
  git_ rev-parse HEAD >> "$dir/shas.txt"
done

# One artifact per job and platform (JSON lines), from a plan's JSON. Medians as in
# tests/browser/fixture.mjs: a level per benchmark, a deterministic wobble of +-0.4% from commit
# to commit, five (epoch 2: seven) samples around the median, rounded to whole units.
read -r -d '' kArtifacts << 'EOF' || true
def iso: todate;
def ctime($i): $t0 + $i * $apart * 60;
def wobble($i): 1 + 0.004 * ((($i * 7) % 5) - 2) / 2;
def samples($m; $n): [-1.5, 0.3, -1, 1.5, 0, -0.6, 1][0:$n] | map($m * (1 + 0.003 * .) | round);
def subject($i): if $i == 12 then "Parse with a slower tokenizer"
  elif $i == 20 then "Sort with a radix pass"
  elif $i == 26 then "Bench: 7 samples per benchmark" else "Change \($i)" end;
def hex($n; $width): [range(0; $width)] | reduce .[] as $k ({n: $n, s: ""};
  {n: (.n / 16 | floor), s: ("0123456789abcdef"[(.n % 16):(.n % 16 + 1)] + .s)}) | .s;
.jobs[] as $job
| ($shas | index($job.sha) + 1) as $i
| $job.platforms[] as $p
| select($p != "aarch64-macos" or $i < 5 or $i > 8)
| ($p == "aarch64-macos") as $mac
| ($mac and $i >= 22) as $m2
| ((if $mac then 1.6 else 1 end) * (if $m2 then 0.85 else 1 end)) as $speed
| (if $p == "x86-64-linux" and $i >= 26 then 2 else 1 end) as $epoch
| (if $epoch == 2 then 7 else 5 end) as $n
| {
    version: 2,
    run_id: "00000000-0000-4000-8000-\(hex($i * 16 + (if $mac then 2 else 1 end) ; 12))",
    project: "demo",
    commit: {sha: $job.sha, branch: "main", time: (ctime($i) | iso), subject: subject($i)},
    commit_range: {from: $job.commit_range.from, to: $job.sha, count: $job.commit_range.count},
    reason: $job.reason,
    reason_detail: $job.reason_detail,
    platform: $p,
    suite: {
      name: "demo-bench",
      revision: 1,
      definitions: {"parse": "a1", "lex": "a2", "micro/BM_Sort/1024": "a3",
                    "micro/BM_Sort/4096": "a4", "io/read_file": "a5"},
      epoch: {number: $epoch, settings: {
        environment: (if $mac then "local" else "ci" end), samples: $n, warmup: 1}}
    },
    environment: (if $mac then
        {ci: false, os: "macos", arch: "arm64", cpu: (if $m2 then "Apple M2" else "Apple M1" end),
         cores: 8, fingerprint: (if $m2 then "mac-m2-0002" else "mac-m1-0001" end)}
      else
        {ci: true, provider: "github-actions", runner: "ubuntu-24.04", os: "linux",
         kernel: "6.8.0", arch: "x86_64", cpu: "AMD EPYC 7763", cores: 4,
         fingerprint: "epyc-7763-0001"}
      end),
    started_at: (ctime($i) + 60 | iso),
    finished_at: (ctime($i) + 120 | iso),
    benchmarks: ([
      {name: "parse", m: (1000000 * (if $i >= 12 then 1.2 else 1 end) * wobble($i))},
      {name: "lex", m: (300000 * wobble($i + 3))},
      {name: "micro/BM_Sort/1024", m: (52000 * wobble($i + 1))},
      {name: "micro/BM_Sort/4096",
       m: (240000 * (if $mac | not and $i >= 20 then 0.85 else 1 end) * wobble($i + 2))},
      {name: "io/read_file", m: (8000000 * wobble($i + 4))}
    ] | map(
      if .name == "io/read_file" and $mac and $i >= 25 then
        {name, error: "exit status 1: read_file: no such file", metrics: {}}
      else
        {name, metrics: ({wall_time: {unit: "ns", samples: samples(.m * $speed; $n)}}
          + if .name == "parse" then
              {instructions: {unit: "count",
                              samples: samples(5000000 * (if $i >= 12 then 1.25 else 1 end); $n)}}
            else {} end)}
      end))
  }
EOF

shas_json=$(jq -R . "$dir/shas.txt" | jq -s -c .)
last=$(commit_time "$kCommits")

# plan NOW: plan --record as of NOW for both platforms, then write and ingest the artifacts of
# its jobs (the next plan reads which jobs a run measured).
plan() {
  local args=("${@:2}") p
  for p in "${kPlatforms[@]}"; do args+=(--platform "$p"); done
  "$pl" plan --repo "$repo" --branch main --now "$(iso "$1")" --format json --record \
    "${args[@]}" > "$dir/plan.json"
  jq -c --argjson shas "$shas_json" --argjson t0 "$kT0" --argjson apart "$kMinutesApart" \
    "$kArtifacts" "$dir/plan.json" > "$dir/artifacts.jsonl"
  if [ -s "$dir/artifacts.jsonl" ]; then "$pl" ingest "$dir/artifacts.jsonl" > /dev/null; fi
}

# As CI does: after every push (two commits each) a plan, whose jobs run at once on each
# platform; one more plan after the last push, once its window has closed. The first plan
# samples merges only, so it plans nothing, as every first plan did before the first plan of
# a store benchmarked the head at once (issue 16): the store stays the one
# tests/data/stores/golden-schema6.db holds (the migration test answers from both). A plan
# records no sampling rule, so the store cannot tell.
plan $(($(commit_time 2) + 30)) --sampling merges-only
for ((n = 4; n <= kCommits; n += 2)); do plan $(($(commit_time "$n") + 30)); done
plan $((last + 20 * 60))
"$pl" ingest "$source_dir/tests/data/artifacts/good/suite-with-epoch.json" > /dev/null

# Detection over the whole store (exit 3: it found a regression), then a plan that queues the
# bisect jobs of the regression's range; they are recorded, not run.
rc=0
"$pl" detect --record --now "$(iso $((last + 25 * 60)))" > /dev/null || rc=$?
[ "$rc" = 3 ] || { echo "fixture.sh: detect --record exited $rc, expected 3" >&2; exit 1; }
args=()
for p in "${kPlatforms[@]}"; do args+=(--platform "$p"); done
"$pl" plan --repo "$repo" --branch main --now "$(iso $((last + 30 * 60)))" --record \
  "${args[@]}" > /dev/null
rm -f "$dir/plan.json" "$dir/artifacts.jsonl"
