// perfledger check: the CI gate that replaces absolute time limits. It compares a run with the
// baseline git ancestry gives it (schedule::ChooseBaseline), on the same platform, environment
// and epoch, and fails (exit 3) on a regression the noise cannot explain: each series' noise is
// learned from the store's history of head's platform, epoch and environment class.
#include <fmt/format.h>

#include <map>

#include "cli/comparison.h"
#include "cli/shell.h"
#include "schedule/baseline.h"

namespace perfledger::cli {
namespace {

struct CheckOptions {
  std::string head_artifact, head_sha, repo = ".", base_branch, platform;
  ComparisonFlags flags;
};

// Whether `r` may serve as a baseline for `head`: same platform and environment, and the same
// suite epoch when head has one.
bool Comparable(const core::Run& r, const core::Run& head) {
  if (r.run_id == head.run_id || r.platform != head.platform ||
      r.environment.fingerprint != head.environment.fingerprint) {
    return false;
  }
  if (!head.suite || !head.suite->epoch) return true;
  return r.suite && r.suite->name == head.suite->name && r.suite->epoch &&
         r.suite->epoch->number == head.suite->epoch->number;
}

void RunCheck(const CheckOptions& opt, Shell* shell) {
  if (opt.head_artifact.empty() == opt.head_sha.empty()) {
    return shell->UsageError("give the head as an artifact file or as --head SHA (one of them)");
  }
  std::unique_ptr<store::Store> store;
  auto head = LoadComparedRun(opt.head_artifact.empty() ? opt.head_sha : opt.head_artifact,
                              opt.platform, opt.repo, shell, &store);
  if (!head.ok()) return shell->Fail(head.status());
  if (store == nullptr) {
    auto opened = shell->OpenStore(/*create=*/false);
    if (!opened.ok()) return shell->Fail(opened.status());
    store = std::move(*opened);
  }
  // The newest comparable run of every commit, and the history of head's series.
  std::map<std::string, core::Run> runs;
  NoiseHistoryBuilder history(head->run);
  store::RunFilter filter;
  filter.platform = head->run.platform;
  base::Status s = store->ForEachRun(filter, [&](const core::Run& r) {
    if (!opt.flags.no_history) history.Add(r);
    if (!Comparable(r, head->run)) return base::Status::Ok();
    auto it = runs.find(r.commit.sha);
    if (it == runs.end() || it->second.started_at.unix_nanos < r.started_at.unix_nanos) {
      runs[r.commit.sha] = r;
    }
    return base::Status::Ok();
  });
  if (!s.ok()) return shell->Fail(s);
  auto choice =
      schedule::ChooseBaseline(opt.repo, opt.base_branch, head->run.commit.sha,
                               [&](const std::string& sha) { return runs.contains(sha); });
  if (!choice.ok()) {
    return shell->Fail(choice.status().WithPrefix(fmt::format(
        "no baseline for {} on {}", head->run.commit.sha.substr(0, 12), head->run.platform)));
  }
  ComparedRun base{runs.at(choice->sha),
                   fmt::format("commit {} in {}", choice->sha.substr(0, 12), shell->db)};
  NoiseHistory noise;
  if (opt.flags.no_history) {
    noise.description = "not used (--no-history)";
  } else {
    noise = history.Finish(shell->db);
  }
  CompareAndPrint(base, *head, opt.flags, choice->reason, noise, shell);
}

}  // namespace

void AddCheckVerb(CLI::App& app, Shell* shell) {
  auto opt = std::make_shared<CheckOptions>();
  CLI::App* cmd = app.add_subcommand(
      "check", "CI gate: compare a run with its git baseline; exit 3 on a regression");
  cmd->footer(
      "The head is an artifact file (a job's fresh result) or --head SHA (a run in the store).\n"
      "The baseline comes from git ancestry in --repo, among stored runs on the same\n"
      "platform, environment and suite epoch: for a commit on --base-branch (default: the\n"
      "repository's HEAD branch), its nearest measured first-parent ancestor; for any other\n"
      "commit (a pull request), its merge base with the branch, or the merge base's nearest\n"
      "measured ancestor. It says which baseline it chose and why, then compares as `compare`\n"
      "does: a regression must be significant and larger than the series' noise allows (its\n"
      "run-to-run noise over the stored runs of the same platform, epoch and environment\n"
      "class, else the two runs' spread; --no-history: always the latter), so a slower CI\n"
      "runner does not fail the gate and a real 15% regression does. Every format says which\n"
      "noise each row used.\n\n"
      "Examples:\n"
      "  perfledger check results/benchmark-results-$SHA-x86-64-linux.json --base-branch main\n"
      "  perfledger check --head HEAD --platform x86-64-linux --format markdown \\\n"
      "      >> \"$GITHUB_STEP_SUMMARY\"");
  cmd->add_option("head", opt->head_artifact, "The head run's artifact file");
  cmd->add_option("--head", opt->head_sha, "The head commit, with a run in the store");
  cmd->add_option("--repo", opt->repo, "The git repository (default .)");
  cmd->add_option("--base-branch", opt->base_branch, "The base branch (default: HEAD's)");
  cmd->add_option("--platform", opt->platform, "The platform, when --head ran on several");
  opt->flags.AddTo(cmd);
  cmd->callback([opt, shell] { RunCheck(*opt, shell); });
}

}  // namespace perfledger::cli
