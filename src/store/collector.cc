#include "store/collector.h"

#include <fmt/format.h>

#include <unordered_map>

#include "core/artifact.h"

namespace perfledger::store {

base::Result<IngestStats> Collect(Store& store, std::vector<SourcedRun> runs) {
  struct Seen {
    size_t index;
    std::string hash;
  };
  std::unordered_map<std::string, Seen> seen;
  std::vector<core::Run> unique;
  std::vector<std::string> sources;
  unique.reserve(runs.size());
  int64_t in_batch_duplicates = 0;
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
    ++in_batch_duplicates;
  }
  for (auto& r : runs) {
    if (r.run.run_id.empty()) continue;
    unique.push_back(std::move(r.run));
    sources.push_back(std::move(r.source));
  }
  size_t conflicting = unique.size();
  auto stats = store.Ingest(unique, &conflicting);
  if (!stats.ok()) {
    if (conflicting < sources.size()) return stats.status().WithPrefix(sources[conflicting]);
    return stats.status();
  }
  stats->already_present += in_batch_duplicates;
  return stats;
}

}  // namespace perfledger::store
