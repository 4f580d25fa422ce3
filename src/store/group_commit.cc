#include "store/group_commit.h"

#include <fmt/format.h>

#include <algorithm>
#include <exception>
#include <iterator>
#include <string>
#include <unordered_set>
#include <utility>

namespace perfledger::store {

GroupCommitter::Counters GroupCommitter::counters() const {
  std::lock_guard lock(mu_);
  Counters c = counters_;
  c.waiting = static_cast<int64_t>(queue_.size());
  return c;
}

base::Result<IngestStats> GroupCommitter::Collect(Store& store, std::vector<SourcedRun> runs) {
  Request req;
  try {
    auto prepared = PrepareBatch(std::move(runs));
    if (!prepared.ok()) return prepared.status();
    req.batch = std::move(*prepared);
  } catch (const std::exception& e) {
    return base::Internal(fmt::format("checking the upload failed: {}", e.what()));
  }
  if (req.batch.runs.empty()) {  // nothing to write (never so for a validated upload)
    IngestStats stats;
    stats.already_present = req.batch.in_batch_duplicates;
    return stats;
  }
  std::unique_lock lock(mu_);
  try {
    queue_.push_back(&req);
  } catch (const std::exception& e) {
    return base::Internal(fmt::format("queueing the upload failed: {}", e.what()));
  }
  for (;;) {
    cv_.wait(lock, [&] { return req.result.has_value() || !leading_; });
    if (req.result) return std::move(*req.result);
    // No leader and this request is still waiting: lead one round.
    leading_ = true;
    std::vector<Request*> group = TakeGroup();
    ++counters_.groups;
    counters_.requests += static_cast<int64_t>(group.size());
    lock.unlock();
    CommitGroup(WriterOr(store), group);
    lock.lock();
    leading_ = false;
    cv_.notify_all();
  }
}

Store& GroupCommitter::WriterOr(Store& own) {
  if (writer_ != nullptr) return *writer_;
  if (!open_writer_) return own;
  const auto now = std::chrono::steady_clock::now();
  if (writer_failed_at_ && now - *writer_failed_at_ < writer_retry_) return own;
  {
    std::lock_guard lock(mu_);
    ++counters_.writer_opens;
  }
  try {
    auto opened = open_writer_();
    if (opened.ok() && *opened != nullptr) {
      writer_ = std::move(*opened);
      writer_failed_at_.reset();
      return *writer_;
    }
  } catch (const std::exception&) {
  }
  writer_failed_at_ = now;
  return own;
}

std::vector<GroupCommitter::Request*> GroupCommitter::TakeGroup() {
  std::vector<Request*> group;
  try {
    TakeGroupInto(group);
  } catch (const std::exception&) {
    // Out of memory while choosing: commit what was taken (its requests already left the
    // queue); the rest wait for the next round.
  }
  return group;
}

void GroupCommitter::TakeGroupInto(std::vector<Request*>& group) {
  group.reserve(std::min(max_group_, queue_.size()));
  std::unordered_set<std::string> ids;
  for (auto it = queue_.begin(); it != queue_.end() && group.size() < max_group_;) {
    Request* r = *it;
    bool overlaps = false;
    for (const auto& run : r->batch.runs) {
      if (ids.contains(run.run_id)) {
        overlaps = true;
        break;
      }
    }
    if (overlaps) {  // waits for a later round, when the other one is stored
      ++it;
      continue;
    }
    for (const auto& run : r->batch.runs) ids.insert(run.run_id);
    group.push_back(r);  // within the reserved capacity: does not throw
    it = queue_.erase(it);
  }
}

void GroupCommitter::CommitGroup(Store& store, const std::vector<Request*>& group) {
  std::vector<std::optional<base::Result<IngestStats>>> results(group.size());
  try {
    bool shared_ok = false;
    if (group.size() > 1) {
      // The runs and their encodings are moved, not copied, into the shared batch (they are
      // most of a request's memory), and moved back to their requests before anything else
      // reads them.
      std::vector<core::Run> all;
      std::vector<RunEncoding> encodings;
      size_t total = 0;
      for (const Request* r : group) total += r->batch.runs.size();
      all.reserve(total);
      encodings.reserve(total);
      for (Request* r : group) {
        std::move(r->batch.runs.begin(), r->batch.runs.end(), std::back_inserter(all));
        std::move(r->batch.encodings.begin(), r->batch.encodings.end(),
                  std::back_inserter(encodings));
      }
      std::vector<bool> written;
      auto combined = store.IngestEncoded(all, encodings, nullptr, &written);
      shared_ok = combined.ok() && written.size() == all.size();
      size_t at = 0;
      for (size_t g = 0; g < group.size(); ++g) {
        IngestStats stats;
        stats.already_present = group[g]->batch.in_batch_duplicates;
        for (size_t i = 0; i < group[g]->batch.runs.size(); ++i) {
          core::Run& run = group[g]->batch.runs[i];
          run = std::move(all[at]);
          group[g]->batch.encodings[i] = std::move(encodings[at]);
          if (shared_ok && written[at]) {
            ++stats.ingested;
            stats.samples += run.sample_count();
          } else {
            ++stats.already_present;
          }
          ++at;
        }
        if (shared_ok) results[g] = stats;
      }
      if (!shared_ok) {
        std::lock_guard lock(mu_);
        ++counters_.fallbacks;
      }
    }
    if (!shared_ok) {
      // Each request on its own: exactly what Collect would have said of it alone.
      for (size_t g = 0; g < group.size(); ++g) {
        try {
          results[g] = IngestPrepared(store, group[g]->batch);
        } catch (const std::exception& e) {
          results[g] = base::Result<IngestStats>(
              base::Internal(fmt::format("writing the upload failed: {}", e.what())));
        }
      }
    }
  } catch (const std::exception& e) {
    for (auto& r : results) {
      if (!r)
        r = base::Result<IngestStats>(
            base::Internal(fmt::format("writing the upload failed: {}", e.what())));
    }
  } catch (...) {
    for (auto& r : results) {
      if (!r) r = base::Result<IngestStats>(base::Internal("writing the upload failed"));
    }
  }
  std::lock_guard lock(mu_);
  for (size_t g = 0; g < group.size(); ++g) {
    if (!results[g]) results[g] = base::Result<IngestStats>(base::Internal("upload not written"));
    group[g]->result = std::move(results[g]);
  }
}

}  // namespace perfledger::store
