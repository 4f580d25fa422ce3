// Fuzzes the schedule policy reader (schedule/config.h), then plans with every policy it
// accepts: a fixed branch of 40 commits over three hours (merges and tagged commits among
// them), one platform with a measured commit and one with nothing, at queue depths that
// trigger no degradation, widening and a reset. The plan must keep the planner's promise:
// every commit after a platform's frontier is in a job, a skip or pending.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <set>
#include <string>
#include <string_view>

#include "schedule/config.h"
#include "schedule/planner.h"

namespace {

using perfledger::schedule::BranchCommit;
using perfledger::schedule::PlannerInput;

PlannerInput MakeInput() {
  PlannerInput in;
  const int64_t start = 1'700'000'000LL * 1'000'000'000;
  for (int i = 0; i < 40; ++i) {
    BranchCommit c;
    std::string n = std::to_string(i);
    c.sha = std::string(40 - n.size(), 'c') + n;
    if (i > 0) c.parents.push_back(in.commits.back().sha);
    if (i % 5 == 4) c.parents.push_back(std::string(40, 'f'));            // a merge
    c.time = perfledger::base::Timestamp{start + i * 270'000'000'000LL};  // 4.5 minutes apart
    c.subject = i % 7 == 3 ? "Faster parser [bench]" : "commit " + n;
    in.commits.push_back(std::move(c));
  }
  in.platforms = {"linux", "macos"};
  in.state["linux"].measured.insert(in.commits[9].sha);
  in.state["linux"].queued.insert(in.commits[12].sha);
  in.now = perfledger::base::Timestamp{start + 40 * 270'000'000'000LL};
  return in;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto policy = perfledger::schedule::ParsePolicy(text, "fuzz.toml");
  if (!policy.ok()) {
    if (policy.status().message().empty()) __builtin_trap();
    return 0;
  }
  if (policy->window_nanos <= 0) __builtin_trap();
  static const PlannerInput kBase = MakeInput();
  for (int depth : {0, 15, 30}) {
    PlannerInput in = kBase;
    in.policy = *policy;
    in.queue_depth = depth;
    auto plan = perfledger::schedule::MakePlan(in);
    if (!plan.ok()) {
      std::fprintf(stderr, "no plan: %s\n", plan.status().message().c_str());
      __builtin_trap();
    }
    if (plan->window_nanos <= 0 || plan->window_nanos > perfledger::schedule::kMaxWindowNanos) {
      __builtin_trap();
    }
    // linux's frontier is commit 12 (queued): every later commit is accounted for.
    std::set<std::string> accounted;
    for (const auto& j : plan->jobs) {
      for (const auto& p : j.platforms) {
        if (p == "linux") accounted.insert(j.sha);
      }
    }
    for (const auto& s : plan->skips) {
      for (const auto& p : s.platforms) {
        if (p == "linux") accounted.insert(s.sha);
      }
    }
    for (const auto& sha : plan->pending["linux"]) accounted.insert(sha);
    for (size_t i = 13; i < in.commits.size(); ++i) {
      if (!accounted.contains(in.commits[i].sha)) {
        std::fprintf(stderr, "queue depth %d: commit %zu is neither planned, skipped nor pending\n",
                     depth, i);
        __builtin_trap();
      }
    }
  }
  return 0;
}
