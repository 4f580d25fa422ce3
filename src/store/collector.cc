#include "store/collector.h"

#include <fmt/format.h>

#include <unordered_map>

#include "core/artifact.h"

namespace perfledger::store {

base::Result<PreparedBatch> PrepareBatch(std::vector<SourcedRun> runs) {
  struct Seen {
    size_t index;
    std::string hash;
  };
  std::unordered_map<std::string, Seen> seen;
  PreparedBatch out;
  out.runs.reserve(runs.size());
  out.sources.reserve(runs.size());
  for (size_t i = 0; i < runs.size(); ++i) {
    auto it = seen.find(runs[i].run.run_id);
    if (it == seen.end()) {
      seen.emplace(runs[i].run.run_id, Seen{i, std::string()});
      continue;
    }
    // Hash lazily: only run_ids that occur twice need it.
    if (it->second.hash.empty()) it->second.hash = core::ContentHash(runs[it->second.index].run);
    if (core::ContentHash(runs[i].run) != it->second.hash) {
      return base::Conflict(fmt::format(
          "{}: run {} is also in {} with different content (runs are immutable: give a new "
          "run a new run_id)",
          runs[i].source, runs[i].run.run_id, runs[it->second.index].source));
    }
    runs[i].run.run_id.clear();  // marks the duplicate
    ++out.in_batch_duplicates;
  }
  for (auto& r : runs) {
    if (r.run.run_id.empty()) continue;
    out.runs.push_back(std::move(r.run));
    out.sources.push_back(std::move(r.source));
  }
  return out;
}

base::Result<IngestStats> IngestPrepared(Store& store, const PreparedBatch& batch) {
  size_t conflicting = batch.runs.size();
  auto stats = store.Ingest(batch.runs, &conflicting);
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
