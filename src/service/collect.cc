#include "service/collect.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <unordered_map>

#include "service/batch.h"
#include "store/collector.h"

namespace perfledger::service {
namespace {

struct FileRuns {
  std::string path;
  std::vector<store::SourcedRun> runs;
  bool refused = false;
};

// The runs of every file not refused yet, and which file each one came from.
std::vector<store::SourcedRun> Batch(const std::vector<FileRuns>& files,
                                     std::vector<size_t>* file_of) {
  std::vector<store::SourcedRun> runs;
  file_of->clear();
  for (size_t f = 0; f < files.size(); ++f) {
    if (files[f].refused) continue;
    for (const auto& r : files[f].runs) {
      runs.push_back(r);
      file_of->push_back(f);
    }
  }
  return runs;
}

}  // namespace

base::Result<FilesCollected> CollectQuarantining(store::Store& store, env::Env* env,
                                                 const std::vector<std::string>& paths,
                                                 const RunCheck& check) {
  FilesCollected out;
  std::vector<FileRuns> files;
  for (const auto& path : paths) {
    LoadedArtifacts loaded = LoadArtifacts(env, {path});
    if (!loaded.errors.empty()) {
      out.quarantined.push_back({path, loaded.errors.front()});
      continue;
    }
    base::Status refused;
    if (check) {
      for (const auto& r : loaded.runs) {
        refused = check(r.run);
        if (!refused.ok()) {
          refused = refused.WithPrefix(r.source);
          break;
        }
      }
    }
    if (!refused.ok()) {
      out.quarantined.push_back({path, refused});
      continue;
    }
    files.push_back({path, std::move(loaded.runs)});
  }

  // One attempt per refused file at most: each failed attempt takes the file it names out.
  std::vector<size_t> file_of;
  for (size_t attempt = 0; attempt <= files.size(); ++attempt) {
    std::vector<store::SourcedRun> runs = Batch(files, &file_of);
    if (runs.empty()) break;
    std::unordered_map<std::string, size_t> file_of_source;
    for (size_t i = 0; i < runs.size(); ++i) file_of_source.emplace(runs[i].source, file_of[i]);
    const size_t count = runs.size();

    size_t conflicting = count;
    auto batch = store::PrepareBatch(std::move(runs), &conflicting);
    std::optional<size_t> refused_file;
    base::Status failure;
    if (!batch.ok()) {
      failure = batch.status();
      if (conflicting < count) refused_file = file_of[conflicting];
    } else {
      size_t stored_conflict = batch->runs.size();
      auto stats = store.IngestEncoded(batch->runs, batch->encodings, &stored_conflict);
      if (stats.ok()) {
        out.stats = *stats;
        out.stats.already_present += batch->in_batch_duplicates;
        out.artifacts = static_cast<int64_t>(count);
        break;
      }
      failure = stats.status();
      if (failure.code() == base::StatusCode::kConflict && stored_conflict < batch->runs.size()) {
        refused_file = file_of_source.at(batch->sources[stored_conflict]);
        failure = failure.WithPrefix(batch->sources[stored_conflict]);
      }
    }
    if (!refused_file) return failure;  // not a refusal of one file: nothing was written
    files[*refused_file].refused = true;
    out.quarantined.push_back({files[*refused_file].path, failure});
  }
  std::sort(out.quarantined.begin(), out.quarantined.end(),
            [](const QuarantinedFile& a, const QuarantinedFile& b) { return a.path < b.path; });
  return out;
}

}  // namespace perfledger::service
