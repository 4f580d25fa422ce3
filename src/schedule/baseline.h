// Choosing what a commit is compared with (DESIGN.md "baseline"): for a commit on the base
// branch, its nearest measured first-parent ancestor; for any other commit, its merge base
// with the base branch when that was measured, else the merge base's nearest measured
// ancestor. Never "the previous point", never another environment: the caller's `measured`
// says which commits have a run on the same platform, environment and epoch.
#pragma once

#include <functional>
#include <string>

#include "base/status.h"

namespace perfledger::schedule {

struct BaselineChoice {
  std::string sha;
  std::string reason;  // why this commit, for people: "merge base of 1a2b3c4d5e6f with main"
};

// kNotFound when no suitable commit was measured; kInvalidInput for git errors (unknown
// branch or commit) and a commit that shares no history with the branch.
base::Result<BaselineChoice> ChooseBaseline(
    const std::string& repo_path, const std::string& base_branch, const std::string& head_sha,
    const std::function<bool(const std::string& sha)>& measured);

}  // namespace perfledger::schedule
