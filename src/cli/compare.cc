// perfledger compare BASE HEAD: two runs, benchmark by benchmark, with statistics that know
// the noise. BASE and HEAD are artifact files or commits in the store; the noise of each series
// comes from the store's history when there is a store.
#include <fmt/format.h>

#include <filesystem>

#include "cli/comparison.h"
#include "cli/shell.h"

namespace perfledger::cli {
namespace {

struct CompareOptions {
  std::string base, head, platform, repo = ".";
  ComparisonFlags flags;
};

void RunCompare(const CompareOptions& opt, Shell* shell) {
  std::unique_ptr<store::Store> store;
  auto base = LoadComparedRun(opt.base, opt.platform, opt.repo, shell, &store);
  if (!base.ok()) return shell->Fail(base.status());
  auto head = LoadComparedRun(opt.head, opt.platform, opt.repo, shell, &store);
  if (!head.ok()) return shell->Fail(head.status());
  // The history, when there is a store: two artifact files compare without one.
  NoiseHistory history;
  if (opt.flags.no_history) {
    history.description = "not used (--no-history)";
  } else {
    std::error_code ec;
    if (store == nullptr && std::filesystem::exists(shell->db, ec)) {
      auto opened = shell->OpenStore(/*create=*/false);
      if (!opened.ok())
        return shell->Fail(opened.status().WithPrefix(
            "cannot read the noise history (--no-history compares without it)"));
      store = std::move(*opened);
    }
    if (store == nullptr) {
      history.description = fmt::format("none (no store at {})", shell->db);
    } else {
      auto loaded = LoadNoiseHistory(head->run, *store, shell->db);
      if (!loaded.ok()) return shell->Fail(loaded.status());
      history = std::move(*loaded);
    }
  }
  CompareAndPrint(*base, *head, opt.flags, "", history, shell);
}

}  // namespace

void AddCompareVerb(CLI::App& app, Shell* shell) {
  auto opt = std::make_shared<CompareOptions>();
  CLI::App* cmd = app.add_subcommand(
      "compare", "Compare two runs benchmark by benchmark, with statistics that know the noise");
  cmd->footer(
      "BASE and HEAD are artifact files, or commits (a sha, a prefix, or a ref of the git\n"
      "repository --repo) with a run in the store (the newest run of that commit, on\n"
      "--platform when the commit ran on several). For each benchmark x metric both have:\n"
      "the medians, the relative change with its 95% interval (Hodges-Lehmann), the\n"
      "Mann-Whitney U p-value, the q-value (Benjamini-Hochberg over everything compared) and\n"
      "a verdict: regression, improvement, unchanged, or inconclusive (too few samples: it\n"
      "says how many are needed). A change counts when q <= --alpha and it is at least the\n"
      "minimum effect in the metric's worse direction: --threshold when given, else a multiple\n"
      "of the series' noise (between 1% and 50%; 10% where the noise is unknown). The noise\n"
      "is the series' run-to-run variation over the store's runs of head's platform, suite\n"
      "epoch and environment class (robust to outliers and steps; head's own run not counted;\n"
      "a series with few runs is pooled with the other series of the metric, empirical Bayes;\n"
      "the multiple is max(3, sqrt(2) t), t Student's quantile at 1 - alpha/m over the m\n"
      "metrics compared with the noise's degrees of freedom: 4.7 for 100 metrics with a\n"
      "well-known noise), else the two runs' within-run spread (3x; --no-history: always).\n"
      "Every format says which noise each row used. Runs on different environments are\n"
      "compared only with --allow-cross-environment, as advisory.\n"
      "Exit status 3 when there is a regression (not for an advisory comparison).\n\n"
      "Examples:\n"
      "  perfledger compare main.json pr.json --format markdown >> \"$GITHUB_STEP_SUMMARY\"\n"
      "  perfledger compare v1.2.0 HEAD --platform x86-64-linux --metric wall_time");
  cmd->add_option("base", opt->base, "Artifact file or commit")->required();
  cmd->add_option("head", opt->head, "Artifact file or commit")->required();
  cmd->add_option("--platform", opt->platform, "The platform of runs looked up by commit");
  cmd->add_option("--repo", opt->repo, "Git repository for refs (default .)");
  opt->flags.AddTo(cmd);
  cmd->callback([opt, shell] { RunCompare(*opt, shell); });
}
}  // namespace perfledger::cli
