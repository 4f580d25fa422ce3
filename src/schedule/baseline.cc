#include "schedule/baseline.h"

#include <fmt/format.h>

#include <unordered_map>

#include "schedule/commit_source.h"

namespace perfledger::schedule {
namespace {

std::string Short(const std::string& sha) { return sha.substr(0, 12); }

// The newest measured commit before position `from` of the branch's first-parent line.
std::optional<size_t> NearestMeasured(const BranchHistory& history, size_t from,
                                      const std::function<bool(const std::string&)>& measured) {
  for (size_t j = from; j-- > 0;) {
    if (measured(history.commits[j].sha)) return j;
  }
  return std::nullopt;
}

}  // namespace

base::Result<BaselineChoice> ChooseBaseline(
    const std::string& repo_path, const std::string& base_branch, const std::string& head_sha,
    const std::function<bool(const std::string& sha)>& measured) {
  ASSIGN_OR_RETURN(BranchHistory history, ReadBranch(repo_path, {base_branch, true}));
  ASSIGN_OR_RETURN(std::string head, ResolveCommit(repo_path, head_sha));
  const std::string branch = base_branch.empty() ? history.branch : base_branch;
  std::unordered_map<std::string, size_t> position;
  for (size_t i = 0; i < history.commits.size(); ++i) position[history.commits[i].sha] = i;

  if (auto it = position.find(head); it != position.end()) {
    auto j = NearestMeasured(history, it->second, measured);
    if (!j) {
      return base::NotFound(fmt::format(
          "{} is on {}, but none of its first-parent ancestors has a run on the same platform, "
          "environment and epoch",
          Short(head), branch));
    }
    const size_t back = it->second - *j;
    return BaselineChoice{history.commits[*j].sha,
                          fmt::format("nearest measured ancestor of {} on {}, {} commit{} back",
                                      Short(head), branch, back, back == 1 ? "" : "s")};
  }
  ASSIGN_OR_RETURN(std::optional<std::string> merge_base,
                   MergeBase(repo_path, head, history.commits.back().sha));
  if (!merge_base) {
    return base::InvalidInput(
        fmt::format("{} shares no history with {}: no baseline", Short(head), branch));
  }
  if (measured(*merge_base)) {
    return BaselineChoice{*merge_base,
                          fmt::format("merge base of {} with {}", Short(head), branch)};
  }
  auto it = position.find(*merge_base);
  if (it == position.end()) {
    return base::NotFound(fmt::format(
        "the merge base {} of {} with {} is not on {}'s first-parent line and has no run",
        Short(*merge_base), Short(head), branch, branch));
  }
  auto j = NearestMeasured(history, it->second, measured);
  if (!j) {
    return base::NotFound(fmt::format(
        "neither the merge base {} of {} with {} nor any ancestor of it has a run on the same "
        "platform, environment and epoch",
        Short(*merge_base), Short(head), branch));
  }
  const size_t back = it->second - *j;
  return BaselineChoice{
      history.commits[*j].sha,
      fmt::format("nearest measured ancestor of the merge base {} of {} with {}, {} commit{} back",
                  Short(*merge_base), Short(head), branch, back, back == 1 ? "" : "s")};
}

}  // namespace perfledger::schedule
