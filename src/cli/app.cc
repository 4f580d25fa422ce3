#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "base/strings.h"
#include "cli/shell.h"

namespace perfledger::cli {
namespace {

// Edits (insertions, deletions, substitutions, swaps of two neighbours) from a to b: the
// optimal string alignment distance, so "chekc" is 1 from "check".
size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      d[i][j] = std::min(
          {d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

// The verb the command line names: its first argument that is not an option (nor --db's
// value). Empty when there is none.
std::string GivenVerb(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--db") {
      ++i;
    } else if (arg == "--") {
      return i + 1 < argc ? argv[i + 1] : "";
    } else if (!arg.starts_with("-")) {
      return std::string(arg);
    }
  }
  return "";
}

// 'unknown verb "compre"; did you mean "compare"?': the verbs nearest to `verb` (at the
// smallest edit distance, at most a third of its length, or that it begins), else all of them.
std::string UnknownVerbMessage(const std::string& verb, const std::vector<std::string>& verbs) {
  const size_t limit = std::max<size_t>(1, verb.size() / 3);
  size_t best = limit + 1;
  for (const auto& v : verbs) best = std::min(best, EditDistance(verb, v));
  std::vector<std::string> nearest;
  for (const auto& v : verbs) {
    if (EditDistance(verb, v) == best || (verb.size() >= 3 && v.starts_with(verb))) {
      nearest.push_back(base::Quote(v));
    }
  }
  if (nearest.empty()) {
    return fmt::format("unknown verb {}; the verbs are {} ('perfledger VERB --help' for one)",
                       base::Quote(verb), base::Join(verbs, ", "));
  }
  if (nearest.size() > 3) nearest.resize(3);
  std::string alternatives = nearest.back();
  if (nearest.size() > 1) {
    nearest.pop_back();
    alternatives = base::Join(nearest, ", ") + " or " + alternatives;
  }
  return fmt::format("unknown verb {}; did you mean {}?", base::Quote(verb), alternatives);
}

}  // namespace

int Main(int argc, char** argv) {
  Shell shell;
  CLI::App app{"perfledger: continuous benchmarking for fast-moving repositories", "perfledger"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "perfledger 0.1.0");
  if (const char* db = std::getenv("PERFLEDGER_DB"); db != nullptr && *db != '\0') {
    shell.db = db;
  }
  app.add_option("--db", shell.db,
                 "Store: a SQLite file, or a PostgreSQL database as postgresql://USER@HOST:PORT/DB "
                 "(default: $PERFLEDGER_DB, else ./perfledger.db)")
      ->capture_default_str();
  app.footer(
      "Example:\n"
      "  perfledger ingest artifacts/ && perfledger runs\n"
      "Run 'perfledger VERB --help' for a verb's options.");
  AddIngestVerb(app, &shell);
  AddExportVerb(app, &shell);
  AddRunsVerb(app, &shell);
  AddEpochsVerb(app, &shell);
  AddValidateVerb(app, &shell);
  AddWriteVerb(app, &shell);
  AddPlanVerb(app, &shell);
  AddCoverageVerb(app, &shell);
  AddGapsVerb(app, &shell);
  AddSimulateVerb(app, &shell);
  AddRunVerb(app, &shell);
  AddConvertVerb(app, &shell);
  AddImportVerb(app, &shell);
  AddCalibrateVerb(app, &shell);
  AddCompareVerb(app, &shell);
  AddCheckVerb(app, &shell);
  AddDetectVerb(app, &shell);
  AddAlertsVerb(app, &shell);
  AddIndexVerb(app, &shell);
  AddTokenVerb(app, &shell);
  AddServeVerb(app, &shell);
  AddPublishVerb(app, &shell);
  AddAgentVerb(app, &shell);
  AddMigrateStoreVerb(app, &shell);
  AddInitVerb(app, &shell);
  for (CLI::App* sub : app.get_subcommands({})) sub->fallthrough();
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // A verb that does not exist: say so in one line, with the nearest ones.
    if (const std::string verb = GivenVerb(argc, argv); !verb.empty()) {
      std::vector<std::string> verbs;
      bool known = false;
      for (const CLI::App* sub : app.get_subcommands({})) {
        verbs.push_back(sub->get_name());
        known = known || sub->check_name(verb);
      }
      if (!known) {
        std::sort(verbs.begin(), verbs.end());
        fmt::print(stderr, "error: {}\n", UnknownVerbMessage(verb, verbs));
        return kExitBadInput;
      }
    }
    fmt::print(stderr, "error: {}\n", e.what());
    fmt::print(stderr, "Run 'perfledger --help' or 'perfledger VERB --help' for usage.\n");
    return kExitBadInput;
  }
  return shell.exit_code;
}

}  // namespace perfledger::cli
