// perfledger check: the CI gate that replaces absolute time limits. It compares a run with the
// baseline git ancestry gives it (service::BaselineOf), on the same platform, environment
// and epoch, and fails (exit 3) on a regression the noise cannot explain: each series' noise is
// learned from the store's history of head's platform, epoch and environment class.
#include <fmt/format.h>

#include <map>

#include "cli/comparison.h"
#include "cli/shell.h"
#include "service/comparison.h"

namespace perfledger::cli {
namespace {

struct CheckOptions {
  std::string head_artifact, head_sha, repo = ".", base_branch, platform;
  ComparisonFlags flags;
};

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
  service::BaselineRequest request;
  request.repo = opt.repo;
  request.base_branch = opt.base_branch;
  request.history = !opt.flags.no_history;
  request.where = shell->db;
  auto baseline = service::BaselineOf(*store, head->run, request);
  if (!baseline.ok()) return shell->Fail(baseline.status());
  CompareAndPrint(baseline->base, *head, opt.flags, baseline->reason, baseline->history, shell);
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
