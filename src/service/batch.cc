#include "service/batch.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <memory>

#include "core/artifact.h"
#include "core/epoch.h"
#include "core/limits.h"
#include "runner/suite.h"

namespace perfledger::service {

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

namespace {

constexpr std::string_view kBody = "request body";

base::Status Refusal(std::string message, std::string pointer) {
  base::Location where;
  where.source = std::string(kBody);
  where.pointer = std::move(pointer);
  where.has_pointer = true;
  return base::InvalidInput(std::move(message)).WithLocation(std::move(where));
}

}  // namespace

base::Result<UploadBatch> ReadUploadBody(std::string_view body, const std::string& project) {
  // One artifact, or {"artifacts": [...]}: texts to read with their JSON pointer prefix.
  std::vector<std::pair<std::string, std::string>> texts;  // (prefix, json)
  bool batch = false;
  {
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    simdjson::padded_string padded(body);
    if (parser.parse(padded).get(doc) == simdjson::SUCCESS &&
        doc.type() == simdjson::dom::element_type::OBJECT) {
      simdjson::dom::element list;
      if (doc.get_object().at_key("artifacts").get(list) == simdjson::SUCCESS) {
        batch = true;
        simdjson::dom::array arr;
        if (list.get_array().get(arr) != simdjson::SUCCESS) {
          return Refusal("request body: /artifacts: expected an array of artifacts", "/artifacts");
        }
        size_t i = 0;
        for (simdjson::dom::element a : arr) {
          texts.emplace_back(fmt::format("/artifacts/{}", i++), simdjson::minify(a));
        }
        if (texts.empty()) {
          return Refusal("request body: /artifacts: expected at least one", "/artifacts");
        }
      }
    }
  }
  if (!batch) texts.emplace_back("", std::string(body));
  UploadBatch out;
  out.artifacts = static_cast<int64_t>(texts.size());
  out.runs.reserve(texts.size());
  core::ArtifactReader reader;
  for (const auto& [prefix, text] : texts) {
    auto run = reader.Read(text, kBody, prefix);
    if (!run.ok()) {
      const base::Location* at = run.status().location();
      if ((at != nullptr && at->has_pointer) || prefix.empty()) return run.status();
      // A refusal of the artifact as a whole, inside a batch: say which artifact.
      std::string message = run.status().message();
      const std::string source = fmt::format("{}: ", kBody);
      if (message.starts_with(source)) message.erase(0, source.size());
      return Refusal(fmt::format("{}: {}: {}", kBody, prefix, message), prefix);
    }
    if (run->project != project) {
      const std::string pointer = prefix + "/project";
      return Refusal(
          fmt::format("request body: {}: expected '{}' (the project in the URL), got '{}'", pointer,
                      project, run->project),
          pointer);
    }
    out.runs.push_back({std::move(*run),
                        prefix.empty() ? std::string(kBody) : fmt::format("{} {}", kBody, prefix)});
  }
  return out;
}

base::Result<RunCheck> SuiteFileCheck(const std::string& suite_file) {
  ASSIGN_OR_RETURN(runner::Suite loaded, runner::LoadSuite(suite_file));
  auto suite = std::make_shared<runner::Suite>(std::move(loaded));
  return RunCheck([suite, suite_file](const core::Run& run) {
    base::Status s =
        core::CheckAgainstDeclared(run, suite->DeclarationFor(run.platform), suite_file);
    if (s.ok()) s = core::CheckEnvironmentClass(run);
    return s;
  });
}

}  // namespace perfledger::service
