// perfledger convert: turn a harness's output file into a result artifact.
#include <fmt/format.h>

#include "cli/run_metadata.h"
#include "cli/shell.h"
#include "service/artifacts.h"

namespace perfledger::cli {
namespace {

struct ConvertOptions {
  std::string adapter = "auto", out_dir, file;
  RunMetadataOptions metadata;
};

std::string AdapterList() {
  std::string out;
  for (const auto& [name, description] : service::AdapterCatalog()) {
    out += fmt::format("  {:<17} {}\n", name, description);
  }
  return out;
}

void RunConvert(const ConvertOptions& opt, Shell* shell) {
  service::ConvertRequest request;
  request.file = opt.file;
  request.adapter = opt.adapter;
  request.metadata = opt.metadata.Metadata(*shell);
  auto run = service::ConvertHarnessOutput(request);
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
              "directory when there is one (else taken as given; outside a repository and\n"
              "without --commit it is unknown, which ingest refuses); the project defaults to\n"
              "that repository's directory name (else the working directory's); the platform\n"
              "to this machine's arch-os (x86-64-linux, aarch64-macos).\n\n"
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
