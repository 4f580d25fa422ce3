// JobServer: the server's side of job hand-out as an agent sees it (DESIGN.md "agent"; the
// HTTP contract of issue 14: claim, heartbeat, complete and fail under
// /api/v1/projects/{project}/jobs, uploads to /api/v1/projects/{project}/runs). The agent's
// loop (agent.h) is written against this interface so its tests can use a fake; the real one
// speaks HTTP to `perfledger serve` (NewHttpJobServer).
//
// Errors say what the agent must do:
//   kConflict   the agent no longer holds the job (its lease was lost): give the job up;
//   kIoError    no answer (connection refused, a timeout): the server may be restarting;
//   kBusy       the server answered 5xx (overloaded, restarting, a proxy without a backend);
//   others      the server refused the request (kInvalidInput for 400, 401 and 403,
//               kNotFound for 404): retrying will not help.
// IsTransient tells the retryable ones apart. Messages carry the server's own message.
//
// Implementations are called from two threads at once (the heartbeat runs beside the job).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "base/status.h"
#include "base/time.h"

namespace perfledger::service {

// A job as a claim or heartbeat answers it.
struct ClaimedJob {
  int64_t id = 0;
  std::string sha, platform, reason;
  std::optional<std::string> range_from;  // commit_range.from: the previous measured commit
  int64_t range_count = 1;
  int64_t attempt = 1;
  // The server's clock: when the lease was taken (when it says) and when it runs out.
  std::optional<base::Timestamp> claimed_at, lease_expires_at;
};

class JobServer {
 public:
  virtual ~JobServer() = default;

  // The next job of `platform` for `agent`, or nullopt when none waits.
  virtual base::Result<std::optional<ClaimedJob>> Claim(const std::string& platform,
                                                        const std::string& agent) = 0;
  // Renews the lease on job `id`; the answer carries the new lease_expires_at.
  virtual base::Result<ClaimedJob> Heartbeat(int64_t id, const std::string& agent) = 0;
  // Stores a run: `artifact` is its artifact JSON (schema version 2).
  virtual base::Status Upload(const std::string& artifact) = 0;
  // Marks job `id` done by the stored run `run_id`.
  virtual base::Status Complete(int64_t id, const std::string& agent,
                                const std::string& run_id) = 0;
  // Gives job `id` back as failed, with the end of the attempt's log.
  virtual base::Status Fail(int64_t id, const std::string& agent, const std::string& log) = 0;
};

// Whether retrying later may succeed: kIoError and kBusy.
bool IsTransient(const base::Status& status);

// The JobServer of `perfledger serve` at `url` (http://HOST[:PORT][/PREFIX], or https://),
// for `project`, authenticated with the write token `token`. kInvalidInput for a URL it
// cannot use, an empty token or project.
base::Result<std::unique_ptr<JobServer>> NewHttpJobServer(const std::string& url,
                                                          const std::string& token,
                                                          const std::string& project);

}  // namespace perfledger::service
