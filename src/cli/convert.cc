// perfledger convert: turn a harness's output file into a result artifact.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <filesystem>

#include "adapters/adapters.h"
#include "cli/run_metadata.h"
#include "cli/shell.h"
#include "core/artifact.h"
#include "core/limits.h"
#include "env/env.h"

namespace perfledger::cli {
namespace {

struct ConvertOptions {
  std::string adapter = "auto", out_dir, file;
  RunMetadataOptions metadata;
};

std::string AdapterList() {
  std::string out;
  for (const adapters::Adapter& a : adapters::All()) {
    out += fmt::format("  {:<17} {}\n", a.name, a.description);
  }
  return out;
}

base::Result<core::Run> Convert(const ConvertOptions& opt, env::Env* env) {
  ASSIGN_OR_RETURN(std::string text, env->ReadFile(opt.file, core::kMaxHarnessOutputBytes));
  const adapters::Adapter* adapter = nullptr;
  if (opt.adapter == "auto") {
    ASSIGN_OR_RETURN(adapter, adapters::Detect(text, opt.file));
  } else {
    ASSIGN_OR_RETURN(adapter, adapters::Find(opt.adapter));
  }
  ASSIGN_OR_RETURN(std::vector<core::BenchmarkResult> benchmarks, adapter->parse(text, opt.file));

  ASSIGN_OR_RETURN(core::Run run, opt.metadata.NewRun());
  run.reason_detail = fmt::format("converted from {} output {}", adapter->name,
                                  std::filesystem::path(opt.file).filename().string());
  run.environment.extra_json["metric_sources"] =
      fmt::format(R"j({{"*":"the harness's own measurements ({} adapter)"}})j", adapter->name);
  // The harness ran before: the file's modification time is when it finished.
  std::error_code ec;
  const auto mtime = std::filesystem::last_write_time(opt.file, ec);
  const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  int64_t finished = now;
  if (!ec) {
    finished = std::chrono::duration_cast<std::chrono::nanoseconds>(
                   std::chrono::file_clock::to_sys(mtime).time_since_epoch())
                   .count();
  }
  run.started_at = base::Timestamp{finished};
  run.finished_at = base::Timestamp{finished};
  std::sort(benchmarks.begin(), benchmarks.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  run.benchmarks = std::move(benchmarks);
  return run;
}

void RunConvert(const ConvertOptions& opt, Shell* shell) {
  env::Env* env = env::Env::Default();
  auto run = Convert(opt, env);
  if (!run.ok()) return shell->Fail(run.status());
  // Whatever the adapter produced must be an artifact ingest accepts: EmitArtifact reads it
  // back through the reader first.
  auto path = EmitArtifact(*run, opt.out_dir, opt.file + " (converted)");
  if (!path.ok()) return shell->Fail(path.status());
  if (path->empty()) return;
  fmt::print(stderr, "wrote {} ({} benchmark{})\n", *path, run->benchmarks.size(),
             run->benchmarks.size() == 1 ? "" : "s");
}

}  // namespace

void AddConvertVerb(CLI::App& app, Shell* shell) {
  auto opt = std::make_shared<ConvertOptions>();
  CLI::App* cmd =
      app.add_subcommand("convert", "Turn a benchmark harness's output file into an artifact");
  cmd->footer("Adapters (--adapter NAME, or auto to detect the format):\n" + AdapterList() +
              "\nThe commit is --commit, described from the git repository in the working\n"
              "directory when there is one (else taken as given); the project defaults to\n"
              "that repository's directory name; the platform to this machine's arch-os.\n\n"
              "Example:\n"
              "  ./bench --benchmark_format=json --benchmark_repetitions=10 > out.json\n"
              "  perfledger convert --adapter google-benchmark --platform x86-64-linux \\\n"
              "      --out results/ out.json");
  cmd->add_option("file", opt->file, "The harness's output file")->required();
  cmd->add_option("--adapter", opt->adapter, "Output format (default: auto)");
  opt->metadata.AddTo(cmd);
  cmd->add_option("--out", opt->out_dir,
                  "Directory for benchmark-results-{sha}-{platform}.json (default: stdout)");
  cmd->callback([opt, shell] { RunConvert(*opt, shell); });
}

}  // namespace perfledger::cli
