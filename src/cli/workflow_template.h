// The GitHub Actions workflow `perfledger init github-actions` writes: plan → bench (one job per
// commit × platform) → collect (the one writer: the store rebuilt from the history branch, the
// new artifacts ingested, the history pushed once) → detection, the stall gate and optionally
// the published dashboard; optionally a pull-request gate.
#pragma once

#include <string>
#include <vector>

namespace perfledger::cli {

struct WorkflowOptions {
  std::vector<std::string> platforms = {"x86-64-linux"};
  std::string out = ".github/workflows/benchmarks.yml";
  std::string branch = "main";
  std::string history_branch = "perf";  // where the results live in git
  std::string suite;                    // a suite file to run; empty: a placeholder step
  std::string action;                   // the setup action, owner/repo@ref
  std::string install_url;              // a release asset for the setup action; empty: build
  bool pr_gate = false;                 // a pull-request job
  bool pages = false;                   // publish the dashboard to GitHub Pages
  bool to_stdout = false;
  bool force = false;
};

// The setup action the workflow uses unless told otherwise.
inline constexpr const char* kDefaultSetupAction = "perfledger/perfledger@v0.1.0";

// The workflow's text. Every value in `opt` must have been checked against the narrow
// character sets of init (no quoting is done here).
std::string GenerateWorkflow(const WorkflowOptions& opt);

}  // namespace perfledger::cli
