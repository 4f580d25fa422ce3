// perfledger epochs: each platform's epochs as the store fixed them, and where each starts.
#include <fmt/format.h>

#include <set>

#include "base/time.h"
#include "cli/shell.h"
#include "service/documents.h"

namespace perfledger::cli {
namespace {

struct EpochsOptions {
  RunFilterOptions filter;
  std::string format = "table";
};

void PrintJson(const std::vector<store::EpochInfo>& epochs) {
  fmt::print("{}\n", service::EpochsJson(epochs));
}

// "1a2b3c4d5e6f 2026-11-22": a run by its short sha and commit date.
std::string RunText(const std::string& sha, const std::optional<base::Timestamp>& commit_time) {
  std::string out = sha.substr(0, 12);
  if (commit_time) out += " " + base::FormatRfc3339(*commit_time).substr(0, 10);
  return out;
}

// key=value pairs; a plain string value loses its quotes: environment=ci, samples=10.
std::string SettingsText(const std::map<std::string, std::string>& settings) {
  std::string out;
  for (const auto& [key, raw] : settings) {
    std::string value = raw;
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"' &&
        value.find_first_of("\\\", ", 1) == value.size() - 1) {
      value = value.substr(1, value.size() - 2);
    }
    out += fmt::format("{}{}={}", out.empty() ? "" : ", ", key, value);
  }
  return out.empty() ? "-" : out;
}

void PrintTable(const std::vector<store::EpochInfo>& epochs) {
  if (epochs.empty()) {
    fmt::print("no epochs yet (runs declare them: ingest artifacts whose suite has an epoch)\n");
    return;
  }
  std::set<std::string> projects;
  size_t pw = 8, sw = 5;
  for (const auto& e : epochs) {
    projects.insert(e.project);
    pw = std::max(pw, e.platform.size());
    sw = std::max(sw, e.suite.size());
  }
  // The project only when the store holds several.
  const bool with_project = projects.size() > 1;
  size_t jw = 7;
  for (const auto& e : epochs) jw = std::max(jw, e.project.size());
  auto project = [&](const std::string& p) {
    return with_project ? fmt::format("{:<{}}  ", p, jw) : std::string();
  };
  fmt::print("{}{:<{}}  {:<{}}  {:>5}  {:>8}  {:>5}  {:<23}  {:<23}  {}\n", project("PROJECT"),
             "PLATFORM", pw, "SUITE", sw, "EPOCH", "REVISION", "RUNS", "FIRST RUN",
             "FIRST COMPLETE RUN", "SETTINGS");
  for (const auto& e : epochs) {
    fmt::print("{}{:<{}}  {:<{}}  {:>5}  {:>8}  {:>5}  {:<23}  {:<23}  {}\n", project(e.project),
               e.platform, pw, e.suite, sw, e.number, e.revision, e.run_count,
               RunText(e.first_sha, e.first_commit_time),
               e.first_complete_sha ? RunText(*e.first_complete_sha, e.first_complete_commit_time)
                                    : std::string("none yet"),
               SettingsText(e.settings));
  }
}

void RunEpochs(const EpochsOptions& opt, Shell* shell) {
  auto store = shell->OpenStore(/*create=*/false);
  if (!store.ok()) return shell->Fail(store.status());
  auto epochs = (*store)->ListEpochs(opt.filter.Filter());
  if (!epochs.ok()) return shell->Fail(epochs.status());
  if (opt.format == "json") {
    PrintJson(*epochs);
  } else {
    PrintTable(*epochs);
  }
}

}  // namespace

void AddEpochsVerb(CLI::App& app, Shell* shell) {
  auto opt = std::make_shared<EpochsOptions>();
  CLI::App* cmd =
      app.add_subcommand("epochs", "List each platform's epochs and where each one starts");
  cmd->footer(
      "An epoch is fixed by the first run that declares it: its suite revision and settings\n"
      "(sampling, invocation, environment class). Later runs that differ are refused at ingest.\n"
      "The first complete run is the earliest that is not partial and measured every benchmark\n"
      "its suite revision defines; the epoch's headline index starts there.\n\n"
      "JSON: {\"epochs\": [{project, platform, suite, epoch, revision, runs, first_run {run_id,\n"
      "sha, commit_time}, first_complete_run (the same, or null), settings}]}.\n\n"
      "Example:\n"
      "  perfledger epochs --platform x86-64-linux\n"
      "  perfledger epochs --format json | jq '.epochs[] | select(.first_complete_run == null)'");
  cmd->add_option("--platform", opt->filter.platform, "Only this platform's epochs");
  cmd->add_option("--project", opt->filter.project, "Only this project's epochs");
  cmd->add_option("--format", opt->format, "table or json")
      ->check(CLI::IsMember({"table", "json"}));
  cmd->callback([opt, shell] { RunEpochs(*opt, shell); });
}

}  // namespace perfledger::cli
