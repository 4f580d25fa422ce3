// The recorded schedule as the API lists it: jobs with their state, and skips. A job's state
// has one rule, here, that the planner's view (StateFromStore) and GET /api/v1/plan/jobs share.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/time.h"
#include "store/store.h"

namespace perfledger::service {

// Done once a run of the job's commit on its platform is stored; else as recorded (queued, or
// superseded by a later plan).
core::JobState JobStateOf(const store::JobRecord& job, bool measured);

struct JobsRequest {
  std::optional<std::string> platform;
  std::optional<core::JobState> state;
};

struct JobView {
  store::JobRecord job;
  core::JobState state = core::JobState::kQueued;
};

struct JobsView {
  std::optional<std::string> branch, head;
  std::optional<base::Timestamp> last_plan;
  std::vector<JobView> jobs;  // newest plan first
};

base::Result<JobsView> JobsOf(store::Store& store, const JobsRequest& request);
// {"branch", "head", "last_plan", "jobs": [...]}
std::string JobsJson(const JobsView& view);

struct SkipsRequest {
  std::optional<std::string> platform;
  int64_t limit = 500;
};

struct SkipsView {
  int64_t total = 0;
  std::vector<store::SkipRecord> skips;  // newest plan first, at most `limit`
};

base::Result<SkipsView> SkipsOf(store::Store& store, const SkipsRequest& request);
// {"total", "skips": [...]}
std::string SkipsJson(const SkipsView& view);

}  // namespace perfledger::service
