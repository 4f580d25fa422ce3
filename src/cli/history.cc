#include "cli/history.h"

#include <fmt/format.h>

#include <map>

#include "core/artifact.h"

namespace perfledger::cli {

base::Result<int> WriteHistory(store::Store& store, const store::RunFilter& filter,
                               const std::string& dir, env::Env* env) {
  std::map<std::string, std::string> files;
  RETURN_IF_ERROR(store.ForEachRun(filter, [&](const core::Run& run) {
    std::string& text = files[run.platform];
    text += core::WriteArtifact(run);
    text += '\n';
    return base::Status::Ok();
  }));
  RETURN_IF_ERROR(env->CreateDirectories(dir));
  for (const auto& [platform, text] : files) {
    RETURN_IF_ERROR(env->WriteFileAtomic(fmt::format("{}/{}.jsonl", dir, platform), text));
  }
  return static_cast<int>(files.size());
}

}  // namespace perfledger::cli
