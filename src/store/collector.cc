#include "store/collector.h"

#include <fmt/format.h>

#include <unordered_map>

#include "core/artifact.h"

namespace perfledger::store {

base::Result<PreparedBatch> PrepareBatch(std::vector<SourcedRun> runs, size_t* conflicting) {
  std::vector<RunEncoding> encodings;
  encodings.reserve(runs.size());
  for (const auto& r : runs) encodings.push_back(EncodeRun(r.run));
  std::unordered_map<std::string, size_t> seen;  // run_id -> first index
  PreparedBatch out;
  out.runs.reserve(runs.size());
  out.sources.reserve(runs.size());
  out.encodings.reserve(runs.size());
  for (size_t i = 0; i < runs.size(); ++i) {
    auto [it, inserted] = seen.emplace(runs[i].run.run_id, i);
    if (inserted) continue;
    if (encodings[i].content_hash != encodings[it->second].content_hash) {
      if (conflicting != nullptr) *conflicting = i;
      return base::Conflict(fmt::format(
          "{}: run {} is also in {} with different content (runs are immutable: give a new "
          "run a new run_id)",
          runs[i].source, runs[i].run.run_id, runs[it->second].source));
    }
    runs[i].run.run_id.clear();  // marks the duplicate
    ++out.in_batch_duplicates;
  }
  for (size_t i = 0; i < runs.size(); ++i) {
    if (runs[i].run.run_id.empty()) continue;
    out.runs.push_back(std::move(runs[i].run));
    out.sources.push_back(std::move(runs[i].source));
    out.encodings.push_back(std::move(encodings[i]));
  }
  return out;
}

base::Result<IngestStats> IngestPrepared(Store& store, const PreparedBatch& batch) {
  size_t conflicting = batch.runs.size();
  auto stats = store.IngestEncoded(batch.runs, batch.encodings, &conflicting);
  if (!stats.ok()) {
    if (conflicting < batch.sources.size()) {
      return stats.status().WithPrefix(batch.sources[conflicting]);
    }
    return stats.status();
  }
  stats->already_present += batch.in_batch_duplicates;
  return stats;
}

base::Result<IngestStats> Collect(Store& store, std::vector<SourcedRun> runs) {
  ASSIGN_OR_RETURN(PreparedBatch batch, PrepareBatch(std::move(runs)));
  return IngestPrepared(store, batch);
}

}  // namespace perfledger::store
