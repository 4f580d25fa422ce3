#include "cli/artifact_files.h"

#include <fmt/format.h>

#include "core/artifact.h"
#include "core/limits.h"

namespace perfledger::cli {

base::Result<std::vector<std::string>> ExpandArtifactPaths(env::Env* env,
                                                           const std::vector<std::string>& args) {
  std::vector<std::string> out;
  for (const auto& arg : args) {
    if (env->IsDirectory(arg)) {
      ASSIGN_OR_RETURN(auto files, env->ListFiles(arg, ".json"));
      if (files.empty()) {
        return base::InvalidInput(
            fmt::format("{}: directory holds no artifacts (no *.json files inside)", arg));
      }
      out.insert(out.end(), files.begin(), files.end());
    } else if (!env->Exists(arg)) {
      return base::InvalidInput(fmt::format("{}: no such file or directory", arg));
    } else {
      out.push_back(arg);
    }
  }
  return out;
}

LoadedArtifacts LoadArtifacts(env::Env* env, const std::vector<std::string>& paths) {
  LoadedArtifacts out;
  out.runs.reserve(paths.size());
  core::ArtifactReader reader;
  auto read_one = [&](std::string_view json, std::string source) {
    auto run = reader.Read(json, source);
    if (!run.ok()) {
      out.errors.push_back(run.status());
      return;
    }
    out.runs.push_back(store::SourcedRun{std::move(*run), std::move(source)});
  };
  for (const auto& path : paths) {
    // One artifact up to kMaxInputFileBytes; a batch (.jsonl, e.g. a history file) more.
    auto text = env->ReadFile(
        path, path.ends_with(".jsonl") ? core::kMaxBatchFileBytes : core::kMaxInputFileBytes);
    if (!text.ok()) {
      // Whatever the OS said, an unreadable input is the user's to fix: exit 2.
      out.errors.push_back(base::InvalidInput(text.status().message()));
      continue;
    }
    if (!path.ends_with(".jsonl")) {
      read_one(*text, path);
      continue;
    }
    // JSON Lines (export's output, history files): one artifact a line, blank lines skipped.
    std::string_view rest = *text;
    for (int line = 1; !rest.empty(); ++line) {
      size_t end = rest.find('\n');
      std::string_view item = rest.substr(0, end);
      rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
      if (item.find_first_not_of(" \t\r") == std::string_view::npos) continue;
      read_one(item, fmt::format("{} line {}", path, line));
    }
  }
  return out;
}

}  // namespace perfledger::cli
