// perfledger migrate-store: copies a store into another, SQLite into PostgreSQL or back
// (service/migrate.h does the copy and checks it; this verb opens the two stores and prints).
#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <string>

#include "base/json_writer.h"
#include "cli/shell.h"
#include "service/migrate.h"

namespace perfledger::cli {
namespace {

struct MigrateOptions {
  std::string from, to;
  std::string format = "table";
};

void PrintJson(const service::MigrateReport& r, const std::string& from, const std::string& to) {
  base::JsonWriter w;
  w.BeginObject();
  w.Key("from").String(from);
  w.Key("to").String(to);
  w.Key("runs").Int(r.runs);
  w.Key("runs_copied").Int(r.runs_copied);
  w.Key("runs_already_present").Int(r.runs_already_present);
  w.Key("plans").Int(r.plans);
  w.Key("jobs").Int(r.jobs);
  w.Key("agents").Int(r.agents);
  w.Key("skips").Int(r.skips);
  w.Key("commits").Int(r.commits);
  w.Key("alerts").Int(r.alerts);
  w.Key("tokens").Int(r.tokens);
  w.Key("marks").Int(r.marks);
  w.EndObject();
  fmt::print("{}\n", w.str());
}

void PrintTable(const service::MigrateReport& r, const std::string& from, const std::string& to) {
  fmt::print("copied {} to {}\n", from, to);
  fmt::print("  runs     {:>8}  ({} copied, {} already there)\n", r.runs, r.runs_copied,
             r.runs_already_present);
  const std::pair<const char*, int64_t> records[] = {
      {"plans", r.plans},     {"jobs", r.jobs},     {"agents", r.agents}, {"skips", r.skips},
      {"commits", r.commits}, {"alerts", r.alerts}, {"tokens", r.tokens}, {"marks", r.marks}};
  for (const auto& [name, n] : records) fmt::print("  {:<8} {:>8}\n", name, n);
  fmt::print("checked: every run and record of the source is in the target\n");
}

void RunMigrate(const MigrateOptions& opt, Shell* shell) {
  const std::string from = store::PrintableLocation(opt.from);
  const std::string to = store::PrintableLocation(opt.to);
  if (opt.from == opt.to) {
    return shell->UsageError(fmt::format(
        "--from and --to name the same store ({}): copy into a new SQLite file or database", from));
  }
  auto source = Shell::OpenStoreAt(opt.from, /*create=*/false);
  if (!source.ok()) return shell->Fail(source.status());
  auto target = Shell::OpenStoreAt(opt.to, /*create=*/true);
  if (!target.ok()) return shell->Fail(target.status());
  // A status line on a terminal only, rewritten in place.
  service::MigrateProgress progress;
  if (::isatty(STDERR_FILENO) == 1) {
    progress = [](std::string_view step, int64_t done, int64_t total) {
      fmt::print(stderr, "\rperfledger: migrate-store: {}: {} / {}{}", step, done, total,
                 done == total ? "\n" : "");
      std::fflush(stderr);
    };
  }
  auto report = service::MigrateStore(**source, **target, progress);
  if (!report.ok()) return shell->Fail(report.status());
  if (opt.format == "json") {
    PrintJson(*report, from, to);
  } else {
    PrintTable(*report, from, to);
  }
}

}  // namespace

void AddMigrateStoreVerb(CLI::App& app, Shell* shell) {
  auto opt = std::make_shared<MigrateOptions>();
  CLI::App* cmd = app.add_subcommand("migrate-store",
                                     "Copy a store into another: SQLite into PostgreSQL, or back");
  cmd->footer(
      "Copies every run (the target builds its own series from them), then the plans with\n"
      "their jobs, skips and commits, the agents, the alerts, the API tokens and the marks as\n"
      "they are, ids included, and checks that the target holds all of it. The source is only\n"
      "read. The target is created when missing; it must hold no plan, alert or token yet. A\n"
      "copy cut short leaves runs only: run the same command again and it continues. --db is\n"
      "not used: --from and --to name the stores as --db would (a file, or postgresql://...).\n\n"
      "JSON: {from, to, runs, runs_copied, runs_already_present, plans, jobs, agents, skips,\n"
      "commits, alerts, tokens, marks}.\n\n"
      "Example:\n"
      "  perfledger migrate-store --from perfledger.db \\\n"
      "      --to postgresql://perfledger@db.internal:5432/perfledger");
  cmd->add_option("--from", opt->from, "The store to copy: a SQLite file or postgresql://...")
      ->required();
  cmd->add_option("--to", opt->to,
                  "The store to copy into, created when missing: a SQLite file or "
                  "postgresql://...")
      ->required();
  cmd->add_option("--format", opt->format, "table or json")
      ->check(CLI::IsMember({"table", "json"}));
  cmd->callback([opt, shell] { RunMigrate(*opt, shell); });
}

}  // namespace perfledger::cli
