// perfledger migrate-store as a team moving to PostgreSQL runs it: a SQLite store made with the
// CLI as CI makes one (runs of a real git history with a regression, detect --record's alerts,
// one of them triaged, a recorded plan with bisect jobs, a token), copied into a PostgreSQL
// database the test starts and back into a second SQLite file; the three stores must answer
// every reading verb alike. And what it refuses.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "base/time.h"
#include "git_fixture.h"
#include "pg_server.h"
#include "subprocess.h"

namespace perfledger {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using subprocess::Outcome;
using subprocess::RunCommand;
using testing::GitRepo;

const std::string kBin = PERFLEDGER_BIN;
constexpr int64_t kSecond = 1'000'000'000;
constexpr int64_t kT0 = 1'795'514'400LL * kSecond;  // 2026-11-24T10:00:00Z
base::Timestamp At(int minutes) { return base::Timestamp{kT0 + minutes * 60 * kSecond}; }
std::string Iso(int minutes) { return base::FormatRfc3339(At(minutes)); }

// Ten samples of BENCH's wall_time whose median is `median`, 0.3% apart.
std::string Spec(const std::string& bench, double median) {
  static constexpr double kOffsets[] = {-1.5, 0.3, -1, 1.5, 0, -0.6, 1, 0, -0.3, 0.6};
  std::ostringstream out;
  out.precision(12);
  out << bench << ":wall_time:ns=";
  for (size_t i = 0; i < 10; ++i) out << (i == 0 ? "" : ",") << median * (1 + 0.003 * kOffsets[i]);
  return out.str();
}

class MigrateStoreCliTest : public ::testing::Test {
 protected:
  static constexpr int kCommits = 20;
  static constexpr int kCulprit = 11;  // makes `parse` 20% slower

  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("perfledger-migrate-store-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    demo_ = (dir_ / "demo.db").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  Outcome Pl(const std::string& db, std::vector<std::string> args) {
    args.insert(args.begin(), {kBin, "--db", db});
    return RunCommand(args, dir_.string(), subprocess::LocalMachineEnv());
  }
  Outcome Migrate(const std::string& from, const std::string& to,
                  std::vector<std::string> extra = {}) {
    std::vector<std::string> argv = {kBin, "migrate-store", "--from", from, "--to", to};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return RunCommand(argv, dir_.string(), subprocess::LocalMachineEnv());
  }

  // The demo store: every second commit measured on linux and mac, detect --record's alerts
  // (one acknowledged), the plan that follows them (bisect jobs in the alerts' range) recorded,
  // a CI token.
  void MakeDemoStore() {
    std::vector<std::string> shas;
    for (int i = 1; i <= kCommits; ++i)
      shas.push_back(repo_.Commit("commit " + std::to_string(i), At(i)));
    const std::string out = (dir_ / "runs").string();
    for (const std::string platform : {"linux", "mac"}) {
      for (int i = 2; i <= kCommits; i += 2) {
        const double wobble = 1 + 0.004 * (((i * 7) % 5) - 2) / 2.0;
        std::vector<std::string> args = {"write",
                                         "--project",
                                         "demo",
                                         "--commit",
                                         shas[i - 1],
                                         "--commit-time",
                                         Iso(i),
                                         "--platform",
                                         platform,
                                         "--reason",
                                         "schedule",
                                         "--range-count",
                                         "2",
                                         "--sample",
                                         Spec("parse", 1000 * (i >= kCulprit ? 1.2 : 1.0) * wobble),
                                         "--sample",
                                         Spec("lex", 300 * wobble),
                                         "--out",
                                         out};
        if (i > 2) {
          args.push_back("--range-from");
          args.push_back(shas[i - 3]);
        }
        Outcome w = Pl(demo_, args);
        ASSERT_EQ(w.exit_code, 0) << w.err;
      }
    }
    Outcome in = Pl(demo_, {"ingest", out});
    ASSERT_EQ(in.exit_code, 0) << in.err;
    Outcome detect = Pl(demo_, {"detect", "--record", "--format", "json"});
    ASSERT_EQ(detect.exit_code, 3) << detect.err;  // the regression, on both platforms
    Outcome ack = Pl(demo_, {"alerts", "ack", "1", "--note", "parser change"});
    ASSERT_EQ(ack.exit_code, 0) << ack.err;
    Outcome plan = Pl(demo_, PlanArgs({"--record"}));
    ASSERT_EQ(plan.exit_code, 0) << plan.err;
    Outcome token = Pl(demo_, {"token", "create", "--project", "demo", "--name", "ci"});
    ASSERT_EQ(token.exit_code, 0) << token.err;
  }

  std::vector<std::string> PlanArgs(std::vector<std::string> extra) {
    std::vector<std::string> args = {
        "plan",       "--repo", repo_.path(), "--now", Iso(kCommits + 30), "--platform", "linux",
        "--platform", "mac",    "--format",   "json"};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }

  // What the reading verbs say of the store at `db`, keyed by verb.
  std::map<std::string, std::string> Readings(const std::string& db) {
    std::map<std::string, std::vector<std::string>> verbs = {
        {"runs", {"runs", "--format", "json"}},
        {"alerts", {"alerts", "--format", "json"}},
        {"tokens", {"token", "list", "--format", "json"}},
        {"coverage", {"coverage", "--format", "json"}},
        {"epochs", {"epochs", "--format", "json"}},
        {"detect", {"detect", "--format", "json"}},
        {"plan", PlanArgs({})},
    };
    std::map<std::string, std::string> out;
    for (const auto& [name, args] : verbs) {
      Outcome o = Pl(db, args);
      EXPECT_TRUE(o.exit_code == 0 || (name == "detect" && o.exit_code == 3))
          << name << " on " << db << ": " << o.err;
      out[name] = o.out;
    }
    return out;
  }

  fs::path dir_;
  std::string demo_;
  GitRepo repo_;
};

TEST_F(MigrateStoreCliTest, ARoundTripThroughPostgreSqlKeepsEveryAnswer) {
  MakeDemoStore();
  auto pg = testing::PgServer::Start();
  ASSERT_TRUE(pg.ok()) << pg.status().ToString();
  auto uri = (*pg)->NewDatabase("migrated");
  ASSERT_TRUE(uri.ok()) << uri.status().ToString();
  // A password in the URI (trust authentication ignores it) is never printed.
  std::string with_password = *uri;
  with_password.insert(with_password.find('@'), ":hunter2");

  Outcome to_pg = Migrate(demo_, with_password, {"--format", "json"});
  ASSERT_EQ(to_pg.exit_code, 0) << to_pg.err;
  EXPECT_EQ(to_pg.out.find("hunter2"), std::string::npos) << to_pg.out;
  EXPECT_EQ(to_pg.err.find("hunter2"), std::string::npos) << to_pg.err;
  const json report = json::parse(to_pg.out);
  EXPECT_EQ(report["from"], demo_);
  EXPECT_NE(report["to"].get<std::string>().find(":***@"), std::string::npos) << report["to"];
  EXPECT_EQ(report["runs"], 20);
  EXPECT_EQ(report["runs_copied"], 20);
  EXPECT_EQ(report["runs_already_present"], 0);
  EXPECT_EQ(report["plans"], 1);
  EXPECT_GT(report["jobs"], 0) << "the plan queued bisect jobs";
  EXPECT_GT(report["commits"], 0);
  EXPECT_EQ(report["alerts"], 2);
  EXPECT_EQ(report["tokens"], 1);
  EXPECT_EQ(report["marks"], 2);  // detect, alerts

  const std::string back = (dir_ / "back.db").string();
  Outcome to_sqlite = Migrate(*uri, back);
  ASSERT_EQ(to_sqlite.exit_code, 0) << to_sqlite.err;
  EXPECT_NE(to_sqlite.out.find("copied " + *uri + " to " + back + "\n"), std::string::npos)
      << to_sqlite.out;
  EXPECT_NE(to_sqlite.out.find("  runs           20  (20 copied, 0 already there)\n"),
            std::string::npos)
      << to_sqlite.out;
  EXPECT_NE(to_sqlite.out.find("checked: every run and record of the source is in the target"),
            std::string::npos);

  const auto original = Readings(demo_);
  const auto in_pg = Readings(*uri);
  const auto round_trip = Readings(back);
  for (const auto& [verb, text] : original) {
    EXPECT_FALSE(text.empty()) << verb;
    EXPECT_EQ(in_pg.at(verb), text) << verb << " differs in PostgreSQL";
    EXPECT_EQ(round_trip.at(verb), text) << verb << " differs after the round trip";
  }
  // What the comparison stands on.
  EXPECT_EQ(json::parse(original.at("alerts"))["alerts"][0]["status"], "acknowledged");
  EXPECT_EQ(json::parse(original.at("tokens"))["tokens"].size(), 1u);
  EXPECT_EQ(json::parse(original.at("runs")).size(), 20u);

  // The copy's next recorded detection continues from the copied mark: nothing new to read.
  Outcome detect = Pl(*uri, {"detect", "--record", "--format", "json"});
  EXPECT_EQ(detect.exit_code, 0) << detect.err;
  EXPECT_EQ(json::parse(detect.out)["series"], 0) << detect.out;
  // Later tokens get fresh ids in the copy.
  Outcome token = Pl(*uri, {"token", "create", "--project", "demo", "--name", "laptop"});
  ASSERT_EQ(token.exit_code, 0) << token.err;
  EXPECT_NE(token.err.find("created token 2 ('laptop')"), std::string::npos) << token.err;

  // A target that holds records already is refused, on one line, and left as it was.
  Outcome again = Migrate(demo_, with_password);
  EXPECT_EQ(again.exit_code, 2) << again.err;
  EXPECT_TRUE(again.out.empty()) << again.out;
  EXPECT_EQ(again.err.rfind("error: ", 0), 0u) << again.err;
  EXPECT_EQ(again.err.find('\n'), again.err.size() - 1) << again.err;
  EXPECT_NE(again.err.find("already holds records (1 plan, 2 alerts, 2 tokens)"), std::string::npos)
      << again.err;
  EXPECT_EQ(again.err.find("hunter2"), std::string::npos) << again.err;
  EXPECT_EQ(Pl(*uri, {"runs", "--format", "json"}).out, original.at("runs"));
}

TEST_F(MigrateStoreCliTest, RefusesAMissingSourceAndTheSameStoreTwice) {
  const std::string target = (dir_ / "new.db").string();
  Outcome missing = Migrate((dir_ / "nope.db").string(), target);
  EXPECT_EQ(missing.exit_code, 2) << missing.err;
  EXPECT_EQ(missing.err.rfind("error: ", 0), 0u) << missing.err;
  EXPECT_FALSE(fs::exists(target)) << "nothing is created when the source is missing";

  Outcome same = Migrate(demo_, demo_);
  EXPECT_EQ(same.exit_code, 2);
  EXPECT_NE(same.err.find("--from and --to name the same store"), std::string::npos) << same.err;

  Outcome usage = RunCommand({kBin, "migrate-store", "--from", demo_});
  EXPECT_EQ(usage.exit_code, 2);
  EXPECT_NE(usage.err.find("--to is required"), std::string::npos) << usage.err;

  Outcome help = RunCommand({kBin, "migrate-store", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("perfledger migrate-store --from perfledger.db"), std::string::npos)
      << help.out;
}

}  // namespace
}  // namespace perfledger
