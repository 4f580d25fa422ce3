// Notifications: new alert groups and stalled platforms posted as JSON to webhooks
// (`serve --notify URL`, `detect --record --notify URL`; docs/api.md "Webhooks").
//
// Three parts. The messages (AlertGroupMessages, StallMessage) are pure: one JSON document per
// alert group or stall, with a Slack-compatible "text" and structured fields. The claims
// (ClaimAlerts, ClaimStall) decide what is new for a webhook with a store mark per webhook,
// moved with Store::ClaimMark, so a message is posted once however many processes watch the
// store (two servers on one PostgreSQL store, a server and a CI job) and never again after a
// restart. The Notifier sends: a bounded queue and a thread per webhook, each message retried
// with back-off, so whoever posts never waits for a webhook. NotifyWatcher is the server's
// pass over the store: what is new since the last pass, claimed and posted.
//
// A webhook URL often carries its secret (Slack's do), so the store keeps a hash of it, never
// the URL, and messages name it by scheme and host only (RedactedUrl).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "analysis/coverage.h"
#include "base/status.h"
#include "base/time.h"
#include "env/http_client.h"
#include "service/detection.h"
#include "service/plan.h"
#include "store/store.h"

namespace perfledger::service {

// ---- messages ----

// One JSON document per group of `alerts` (alerts on one commit range of one project; the
// group's alert ids say which), newest range first:
//   {"text", "event": "alert_group", "project", "platforms", "kind", "regressions",
//    "improvements", "environment", "kinds" {kind: alerts}, "commit_range" {from, to, count},
//    "likely_range" {from, to, count}, "effect", "benchmarks" [{id, platform, benchmark,
//    metric, unit, kind, before_median, after_median, change, confidence; a drift's first,
//    rate, worse; a noise change's spread_ratio}], "url"}
// "kind" is regression when the group holds one (a drift that worsens its series is one),
// else improvement (an improving drift), else the kind of most of its alerts;
// "effect" the change of largest magnitude among its regressions (else among all), as a
// fraction (0.12 = 12% more); "url" the dashboard's alerts of the range under `public_url`
// (null without one). "text" lists at most five benchmarks.
std::vector<std::string> AlertGroupMessages(const std::vector<store::AlertRecord>& alerts,
                                            const std::string& public_url);

// A stalled platform of a gaps report (GapsOf):
//   {"text", "event": "stall", "platform", "branch", "head", "last_complete", "commits_since",
//    "age_seconds", "missing_benchmarks", "why", "url"}
std::string StallMessage(const analysis::GapRow& row, const std::string& branch,
                         const std::string& head, const std::string& public_url);

// "https://hooks.slack.com/…": what a log line may say of a webhook URL.
std::string RedactedUrl(const std::string& url);

// ---- claims ----

// The store mark of webhook `url` (a hash of it: "notify/<16 hex digits>"), to which
// ClaimAlerts adds "/alerts" and ClaimStall "/stall/<platform>".
std::string NotifyMarkPrefix(const std::string& url);

// The alerts not yet claimed for `url` with ids up to `upto`, claimed: the webhook's mark
// moves to `upto` in the same step, so no other process gets them. A webhook without a mark
// yet starts from `start` (alerts at or below it are never posted): a server starts from the
// newest alert, so history is not posted; `detect --record` from just before the alerts it
// recorded. Oldest first.
base::Result<std::vector<store::AlertRecord>> ClaimAlerts(store::Store& store,
                                                          const std::string& url, int64_t start,
                                                          int64_t upto);

// Whether this process is the first to claim the stall of `row`'s platform for `url`: true
// once per stall and webhook, from the first pass that sees the platform stalled until one
// sees it caught up (a row that is not stalled: false, and the next stall is new).
base::Result<bool> ClaimStall(store::Store& store, const std::string& url,
                              const analysis::GapRow& row);

// ---- sending ----

struct NotifyOptions {
  std::vector<std::string> urls;  // each http(s)://HOST[:PORT][/PATH]
  std::string public_url;         // the dashboard's address, for links; empty: no links
  // Attempts per message and webhook; the wait before the second is `first_retry`, doubled
  // before each one after (1 s, 2 s, 4 s, 8 s). Only a 429, a 5xx or no answer is retried.
  int max_attempts = 5;
  std::chrono::milliseconds first_retry{1000};
  size_t queue_capacity = 256;       // messages waiting per webhook; more are dropped
  std::chrono::seconds timeout{10};  // to connect, and for each read and write
  // Where warnings go (a message given up, one dropped); null: stderr, "perfledger: warning: ".
  std::function<void(const std::string&)> warn;
};

// Checks every URL of `options` (kInvalidInput naming the flag and the expected form).
base::Status CheckNotifyOptions(const NotifyOptions& options, const std::string& flag);

// Posts messages to webhooks in the background. Thread-safe; Post never blocks.
class Notifier {
 public:
  static base::Result<std::unique_ptr<Notifier>> Start(NotifyOptions options);
  // Stops: a message in flight ends its current attempt (bounded by the timeout), and what
  // is still queued is dropped with a warning (Drain first to wait for it).
  ~Notifier();
  Notifier(const Notifier&) = delete;
  Notifier& operator=(const Notifier&) = delete;

  // Queues `json` for webhook `url` (one of the options' urls); false, with a warning, when
  // that webhook's queue is full or the URL is not one of them.
  bool Post(const std::string& url, std::string json);

  // Waits until every queued message was delivered or given up.
  void Drain();

  struct Counts {
    int64_t delivered = 0, failed = 0, dropped = 0;
    int64_t attempts = 0;  // HTTP requests made, retries included
  };
  Counts counts() const;
  const NotifyOptions& options() const { return options_; }

 private:
  struct Channel;
  explicit Notifier(NotifyOptions options);
  void Run(Channel* channel);
  // Sends one message, retrying; false when given up.
  bool Deliver(Channel* channel, const std::string& json);
  void Warn(const std::string& message) const;

  NotifyOptions options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  Counts counts_;
  std::vector<std::unique_ptr<Channel>> channels_;
};

// `detect --record --notify`: the alert groups `report` (a recorded pass) kept as new,
// claimed for each webhook (ClaimAlerts, starting just before them) and posted; returns once
// every message was delivered or given up.
struct NotifyOutcome {
  int64_t messages = 0;  // queued, over every webhook
  int64_t failed = 0;    // given up after the attempts, or dropped
};
base::Result<NotifyOutcome> NotifyRecorded(store::Store& store, const DetectReport& report,
                                           const NotifyOptions& options);

// ---- the server's watch ----

struct WatchOptions {
  // Where stalls are read from (GapsOf): the planning repository, or the store's recorded
  // history; none: stalls are not watched.
  std::optional<HistorySource> stalls;
  analysis::GapBounds bounds;  // when a platform counts as stalled
  // Stalls are looked for at most this often (reading every run's benchmark sets on a large
  // store is not free), and only when runs or the schedule changed.
  int64_t stall_interval_nanos = 60LL * 1'000'000'000;
};

// One pass over the store for a Notifier's webhooks, as a server makes every few seconds: the
// alerts recorded and the platforms stalled since the last pass, claimed and posted. Cheap
// when nothing changed (three marks read). Not thread-safe: one thread calls Pass.
class NotifyWatcher {
 public:
  NotifyWatcher(Notifier* notifier, WatchOptions options)
      : notifier_(notifier), options_(std::move(options)) {}
  base::Status Pass(store::Store& store, base::Timestamp now);

 private:
  Notifier* notifier_;
  WatchOptions options_;
  std::optional<int64_t> alerts_mark_;
  std::optional<std::pair<int64_t, int64_t>> stall_marks_;  // ChangeMark, ScheduleMark
  std::optional<base::Timestamp> stalls_looked_at_;
};

}  // namespace perfledger::service
