// The HTTP API (docs/api.md) over real HTTP: the perfledger binary as `perfledger serve --port 0`
// on loopback, talked to with cpp-httplib's client, over a store made the way a team makes it:
// a real git repository, `plan --record` after every push, `write` and `ingest` for each job on
// two platforms, `detect --record`, `token create`. Every endpoint answers with the stored data,
// every documented error status is reached, and the promises about uploads hold over the wire:
// a batch is atomic, a repeated batch is a no-op, SIGTERM during an upload stores all of it or
// none, and concurrent uploads lose and duplicate nothing.
//
// The store is built once for the whole binary (SetUpTestSuite) and each test serves its own
// copy, so tests may change what they serve. CTest runs the binary as one test (label api).
// Over 600 lines on purpose: every case shares one server and the store the fixture builds
// once (building it takes most of the test's time), so the cases stay in one binary.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include "base/time.h"
#include "base/uuid.h"
#include "git_fixture.h"
#include "serve_process.h"
#include "subprocess.h"

namespace perfledger {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using serve_process::From;
using serve_process::NumberAfter;
using serve_process::ReadFile;
using serve_process::Reply;
using serve_process::Server;
using serve_process::Spawn;
using subprocess::Outcome;

const std::string kBin = PERFLEDGER_BIN;
const std::string kLinux = "x86-64-linux";
const std::string kMac = "aarch64-macos";
constexpr int64_t kSecond = 1'000'000'000;
constexpr int64_t kT0 = 1'795'514'400LL * kSecond;  // 2026-11-24T10:00:00Z
// Every plan sees two new commits, 5 minutes apart, and plans the latest of each closed
// 10-minute window: commits 1, 3, ..., 15 are measured, each standing for two commits.
constexpr int kCommits = 16;
constexpr int kCulprit = 10;    // makes `parse` 20% slower on both platforms: in (9, 11]
constexpr int kNewMacCpu = 13;  // the mac runner's machine changes here

// Commit i is made 5 minutes after commit i - 1.
base::Timestamp At(int i, int64_t plus_seconds = 0) {
  return base::Timestamp{kT0 + (i * 300 + plus_seconds) * kSecond};
}

// Ten samples whose median is `median`, 0.3% apart.
std::string Spec(const std::string& bench, double median) {
  static constexpr double kOffsets[] = {-1.5, 0.3, -1, 1.5, 0, -0.6, 1, 0, -0.3, 0.6};
  std::ostringstream out;
  out.precision(12);
  out << bench << ":wall_time:ns=";
  for (size_t i = 0; i < 10; ++i) out << (i == 0 ? "" : ",") << median * (1 + 0.003 * kOffsets[i]);
  return out.str();
}

// The commit-to-commit wobble of a median: +-0.4%, deterministic.
double Wobble(int i) { return 1 + 0.004 * (((i * 7) % 5) - 2) / 2.0; }

// A value for a query string: everything but RFC 3986's unreserved characters escaped.
std::string Encode(const std::string& v) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : v) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string Query(const std::string& path,
                  const std::vector<std::pair<std::string, std::string>>& params) {
  std::string out = path;
  for (size_t i = 0; i < params.size(); ++i) {
    out += (i == 0 ? "?" : "&") + params[i].first + "=" + Encode(params[i].second);
  }
  return out;
}

// One sample of a Prometheus text: the value of the line that starts with `series ` (exactly
// that name and labels); -1 when there is none.
double MetricValue(const std::string& text, const std::string& series) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with(series + " ")) return std::stod(line.substr(series.size() + 1));
  }
  return -1;
}

// The store and the repository every test starts from: made once for the binary.
struct Shared {
  fs::path dir;
  std::string db;
  std::vector<std::string> shas;                  // shas[i - 1] is commit i
  std::map<std::string, std::set<int>> measured;  // platform -> commits measured
  std::optional<int> queued_mac_commit;           // the mac job left unmeasured
  std::string token;                              // project demo
  std::string other_token;                        // project other
  std::string artifact_template;                  // a real artifact of `perfledger write`
  bool built = false;                             // BuildStore got to the end
};
Shared* shared = nullptr;

Outcome Perfledger(const std::string& db, const fs::path& cwd, std::vector<std::string> args) {
  std::vector<std::string> argv = {kBin, "--db", db};
  argv.insert(argv.end(), args.begin(), args.end());
  return subprocess::RunCommand(argv, cwd.string(), subprocess::LocalMachineEnv());
}

// The token `perfledger token create` prints, and its id from the line on stderr.
std::pair<std::string, std::string> CreateToken(const std::string& db, const fs::path& cwd,
                                                const std::string& project) {
  Outcome o = Perfledger(db, cwd, {"token", "create", "--project", project});
  EXPECT_EQ(o.exit_code, 0) << o.err;
  const std::optional<int> id = NumberAfter(o.err, "created token ");
  EXPECT_TRUE(id.has_value()) << o.err;
  std::string token = o.out;
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
  EXPECT_TRUE(token.starts_with("plt_")) << token;
  return {token, id ? std::to_string(*id) : ""};
}

class ApiHttpTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (shared != nullptr) return;
    shared = new Shared;
    shared->dir = fs::temp_directory_path() / ("perfledger-api-test-" + std::to_string(getpid()));
    fs::remove_all(shared->dir);
    fs::create_directories(shared->dir / "template");
    shared->db = (shared->dir / "template" / "perf.db").string();
    repo_ = new testing::GitRepo();
    for (int i = 1; i <= kCommits; ++i) {
      shared->shas.push_back(repo_->Commit(
          i == kCulprit ? "Parse with a slower tokenizer" : "Change " + std::to_string(i), At(i)));
    }
    BuildStore();
  }

  static void TearDownTestSuite() {
    delete repo_;
    repo_ = nullptr;
    if (shared != nullptr && std::getenv("PERFLEDGER_KEEP_TMP") == nullptr) {
      fs::remove_all(shared->dir);
    }
    delete shared;
    shared = nullptr;
  }

  // As CI does after every second push: plan (recorded), run each job on both platforms, ingest
  // the results; the mac runner misses the last job. Then detection over the whole store.
  static void BuildStore() {
    const fs::path& dir = shared->dir;
    const std::string& db = shared->db;
    const fs::path out = dir / "template" / "artifacts";
    for (int n = 2; n <= kCommits; n += 2) {
      Outcome plan = Perfledger(db, dir,
                                {"plan", "--repo", repo_->path(), "--branch", "main", "--platform",
                                 kLinux, "--platform", kMac, "--window", "10m", "--now",
                                 base::FormatRfc3339(At(n, 30)), "--format", "json", "--record"});
      ASSERT_EQ(plan.exit_code, 0) << plan.err;
      const json p = json::parse(plan.out);
      fs::create_directories(out);
      for (const json& job : p["jobs"]) {
        const auto it = std::find(shared->shas.begin(), shared->shas.end(), job["sha"]);
        ASSERT_NE(it, shared->shas.end()) << job.dump();
        const int i = static_cast<int>(it - shared->shas.begin()) + 1;
        for (const std::string platform : job["platforms"]) {
          if (platform == kMac && n == kCommits) {
            shared->queued_mac_commit = i;
            continue;
          }
          const double speed = platform == kMac ? 1.6 : 1.0;
          const std::string cpu =
              platform == kMac ? (i >= kNewMacCpu ? "Apple M2" : "Apple M1") : "AMD EPYC 7763";
          std::vector<std::string> args = {
              "write",
              "--project",
              "demo",
              "--branch",
              "main",
              "--commit",
              job["sha"].get<std::string>(),
              "--commit-time",
              base::FormatRfc3339(At(i)),
              "--subject",
              i == kCulprit ? "Parse with a slower tokenizer" : "Change " + std::to_string(i),
              "--platform",
              platform,
              "--reason",
              job["reason"].get<std::string>(),
              "--started-at",
              base::FormatRfc3339(At(i, 60)),
              "--finished-at",
              base::FormatRfc3339(At(i, 120)),
              "--env",
              "cpu=" + cpu,
              "--env",
              "cores=4",
              "--sample",
              Spec("parse", 1e6 * speed * (i >= kCulprit ? 1.2 : 1.0) * Wobble(i)),
              "--sample",
              Spec("lex", 3e5 * speed * Wobble(i + 3)),
              "--sample",
              Spec("micro/BM_Sort/1024", 5.2e4 * speed * Wobble(i + 1)),
              "--out",
              out.string()};
          if (!job["commit_range"]["from"].is_null()) {
            args.push_back("--range-from");
            args.push_back(job["commit_range"]["from"].get<std::string>());
          }
          if (!job["commit_range"]["count"].is_null()) {
            args.push_back("--range-count");
            args.push_back(std::to_string(job["commit_range"]["count"].get<int>()));
          }
          Outcome w = Perfledger(db, dir, args);
          ASSERT_EQ(w.exit_code, 0) << w.err;
          shared->measured[platform].insert(i);
          if (shared->artifact_template.empty()) {
            for (const auto& f : fs::directory_iterator(out)) {
              shared->artifact_template = ReadFile(f.path());
            }
          }
        }
      }
      if (!fs::is_empty(out)) {
        Outcome in = Perfledger(db, dir, {"ingest", out.string()});
        ASSERT_EQ(in.exit_code, 0) << in.err;
      }
      fs::remove_all(out);
    }
    Outcome detect = Perfledger(db, dir, {"detect", "--record"});
    ASSERT_EQ(detect.exit_code, 3) << detect.out << detect.err;  // 3: a regression was found
    shared->token = CreateToken(db, dir, "demo").first;
    shared->other_token = CreateToken(db, dir, "other").first;
    shared->built = true;
  }

  void SetUp() override {
    ASSERT_NE(shared, nullptr);
    ASSERT_TRUE(shared->built) << "the shared store was not built: see the first failure";
    dir_ = shared->dir / ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::create_directories(dir_);
    db_ = (dir_ / "perf.db").string();
    for (const char* suffix : {"", "-wal"}) {
      const fs::path from = shared->db + suffix;
      if (fs::exists(from)) fs::copy_file(from, db_ + suffix);
    }
  }

  const std::string& Sha(int i) const { return shared->shas.at(static_cast<size_t>(i - 1)); }
  const std::string& Token() const { return shared->token; }
  static int LastMeasured(const std::string& platform) {
    return *shared->measured.at(platform).rbegin();
  }

  Outcome Pl(std::vector<std::string> args) { return Perfledger(db_, dir_, std::move(args)); }

  // The runs the store holds, as `perfledger runs --format json` lists them.
  json CliRuns() {
    Outcome o = Pl({"runs", "--format", "json"});
    EXPECT_EQ(o.exit_code, 0) << o.err;
    return json::parse(o.out);
  }

  // A new artifact of project demo: the template with its own run id, commit and medians.
  static json Artifact(const std::string& sha, const std::string& platform, double parse = 1e6) {
    json a = json::parse(shared->artifact_template);
    a["run_id"] = base::NewUuidV4();
    a["commit"]["sha"] = sha;
    a["commit"]["subject"] = "synthetic " + sha.substr(0, 8);
    a["commit_range"] = {{"from", nullptr}, {"to", sha}, {"count", 1}};
    a["platform"] = platform;
    for (json& b : a["benchmarks"]) {
      if (b["name"] != "parse") continue;
      json& samples = b["metrics"]["wall_time"]["samples"];
      for (size_t k = 0; k < samples.size(); ++k) samples[k] = parse * (1 + 0.001 * double(k));
    }
    return a;
  }

  // A sha no git commit has: "5e" then the number, zero-padded to 40 hex digits.
  static std::string FakeSha(int n) {
    std::string s = std::to_string(n);
    return "5e" + std::string(38 - s.size(), '0') + s;
  }

  static std::string Batch(const std::vector<json>& artifacts) {
    return json{{"artifacts", artifacts}}.dump();
  }

  int64_t RunsTotal(Server& s) {
    Reply r = s.Get("/api/v1/runs?limit=1");
    EXPECT_EQ(r.status, 200) << r.body << r.error;
    return r.status == 200 ? r.Json()["total"].get<int64_t>() : -1;
  }

  static testing::GitRepo* repo_;
  fs::path dir_;
  std::string db_;
};

testing::GitRepo* ApiHttpTest::repo_ = nullptr;

// ---- reads ----

TEST_F(ApiHttpTest, ProjectsPlatformsAndRunsListWhatIsStored) {
  Server s(dir_, db_);
  const size_t linux_runs = shared->measured[kLinux].size();
  const size_t mac_runs = shared->measured[kMac].size();

  Reply projects = s.Get("/api/v1/projects");
  ASSERT_EQ(projects.status, 200) << projects.body;
  EXPECT_EQ(projects.Header("Content-Type"), "application/json");
  json p = projects.Json()["projects"];
  ASSERT_EQ(p.size(), 1u) << p.dump();
  EXPECT_EQ(p[0]["name"], "demo");
  EXPECT_EQ(p[0]["runs"], linux_runs + mac_runs);
  EXPECT_EQ(p[0]["platforms"], json::array({kMac, kLinux}));
  EXPECT_EQ(p[0]["latest_run_at"], base::FormatRfc3339(At(LastMeasured(kLinux), 60)));

  Reply platforms = s.Get("/api/v1/platforms?project=demo");
  ASSERT_EQ(platforms.status, 200) << platforms.body;
  json pl = platforms.Json()["platforms"];
  ASSERT_EQ(pl.size(), 2u);
  EXPECT_EQ(pl[0]["name"], kMac);
  EXPECT_EQ(pl[0]["runs"], mac_runs);
  EXPECT_EQ(pl[0]["latest_run"]["sha"], Sha(LastMeasured(kMac)));
  EXPECT_EQ(pl[1]["name"], kLinux);
  EXPECT_EQ(pl[1]["latest_run"]["sha"], Sha(LastMeasured(kLinux)));
  EXPECT_EQ(pl[1]["latest_run"]["status"], "complete");
  EXPECT_TRUE(pl[1]["epochs"].is_array());
  EXPECT_TRUE(s.Get("/api/v1/platforms?project=nope").Json()["platforms"].empty());

  // Runs: newest first, paged by limit and offset, the same runs the CLI lists.
  Reply all = s.Get("/api/v1/runs?limit=1000");
  ASSERT_EQ(all.status, 200) << all.body;
  const json runs = all.Json();
  EXPECT_EQ(runs["total"], linux_runs + mac_runs);
  ASSERT_EQ(runs["runs"].size(), linux_runs + mac_runs);
  const json cli = CliRuns();
  ASSERT_EQ(cli.size(), runs["runs"].size());
  for (size_t k = 0; k < cli.size(); ++k) {
    EXPECT_EQ(runs["runs"][k], cli[cli.size() - 1 - k]) << "run " << k;
  }
  const json& newest = runs["runs"][0];
  for (const char* key : {"run_id", "project", "sha", "platform", "reason", "benchmark_count",
                          "sample_count", "status", "commit_time", "started_at"}) {
    EXPECT_TRUE(newest.contains(key)) << key;
  }
  EXPECT_EQ(newest["benchmark_count"], 3);
  EXPECT_EQ(newest["sample_count"], 30);
  EXPECT_EQ(newest["reason"], "schedule");
  json page = s.Get("/api/v1/runs?limit=3&offset=2").Json();
  EXPECT_EQ(page["total"], runs["total"]);
  ASSERT_EQ(page["runs"].size(), 3u);
  for (size_t k = 0; k < 3; ++k) EXPECT_EQ(page["runs"][k], runs["runs"][k + 2]);
  json tail =
      s.Get("/api/v1/runs?limit=5&offset=" + std::to_string(runs["total"].get<int>() - 2)).Json();
  EXPECT_EQ(tail["runs"].size(), 2u);
  json mac = s.Get("/api/v1/runs?platform=" + kMac).Json();
  EXPECT_EQ(mac["total"], mac_runs);
  for (const json& r : mac["runs"]) EXPECT_EQ(r["platform"], kMac);
  s.StopCleanly();
}

TEST_F(ApiHttpTest, BenchmarksMatchASubstringOrAGlob) {
  Server s(dir_, db_);
  Reply all = s.Get("/api/v1/benchmarks");
  ASSERT_EQ(all.status, 200) << all.body;
  json b = all.Json()["benchmarks"];
  ASSERT_EQ(b.size(), 3u) << b.dump();
  EXPECT_EQ(b[0]["name"], "lex");  // sorted by name
  EXPECT_EQ(b[1]["name"], "micro/BM_Sort/1024");
  EXPECT_EQ(b[2]["name"], "parse");
  EXPECT_EQ(b[2]["platforms"], json::array({kMac, kLinux}));
  ASSERT_EQ(b[2]["metrics"].size(), 1u);
  EXPECT_EQ(b[2]["metrics"][0],
            (json{{"name", "wall_time"}, {"unit", "ns"}, {"direction", "lower"}}));

  auto names = [&](const std::string& q) {
    Reply r = s.Get(Query("/api/v1/benchmarks", {{"q", q}}));
    EXPECT_EQ(r.status, 200) << r.body;
    std::vector<std::string> out;
    const json doc = r.Json();
    for (const json& x : doc["benchmarks"]) out.push_back(x["name"]);
    return out;
  };
  EXPECT_EQ(names("SORT"), std::vector<std::string>{"micro/BM_Sort/1024"});  // any case
  EXPECT_EQ(names("micro/*"), std::vector<std::string>{"micro/BM_Sort/1024"});
  EXPECT_EQ(names("?ex"), std::vector<std::string>{"lex"});
  EXPECT_EQ(names("[lp]*"), (std::vector<std::string>{"lex", "parse"}));
  EXPECT_TRUE(names("nothing").empty());
  s.StopCleanly();
}

TEST_F(ApiHttpTest, SeriesHasAPointPerMeasuredCommitWithItsRangeAndTheAlerts) {
  Server s(dir_, db_);
  Reply r = s.Get(Query("/api/v1/series", {{"benchmark", "parse"}, {"platform", kLinux}}));
  ASSERT_EQ(r.status, 200) << r.body;
  const json doc = r.Json();
  EXPECT_EQ(doc["benchmark"], "parse");
  EXPECT_EQ(doc["metric"], "wall_time");
  EXPECT_EQ(doc["unit"], "ns");
  EXPECT_EQ(doc["direction"], "lower");
  ASSERT_EQ(doc["series"].size(), 1u);
  const json& series = doc["series"][0];
  EXPECT_EQ(series["platform"], kLinux);
  EXPECT_EQ(series["environment"], "local");
  const json& points = series["points"];
  const std::set<int>& measured = shared->measured[kLinux];
  ASSERT_EQ(points.size(), measured.size());
  std::optional<int> previous;
  size_t k = 0;
  for (int i : measured) {
    const json& pt = points[k++];
    EXPECT_EQ(pt["sha"], Sha(i));
    EXPECT_EQ(pt["commit_time"], base::FormatRfc3339(At(i)));
    EXPECT_EQ(pt["samples"], 10);
    EXPECT_EQ(pt["runs"], 1);
    // The first plan benchmarks the branch head at once (push); the later ones by window.
    EXPECT_EQ(pt["reason"], k == 1 ? "push" : "schedule") << i;
    EXPECT_FALSE(pt["fingerprint_changed"]);
    EXPECT_NEAR(pt["median"].get<double>(), 1e6 * (i >= kCulprit ? 1.2 : 1.0) * Wobble(i), 1);
    EXPECT_LT(pt["spread"].get<double>(), 0.01);
    // Each point stands for the commits since the one measured before it.
    EXPECT_EQ(pt["commit_range"]["to"], Sha(i));
    if (previous) {
      EXPECT_EQ(pt["commit_range"]["from"], Sha(*previous)) << "commit " << i;
      EXPECT_EQ(pt["commit_range"]["count"], i - *previous) << "commit " << i;
    }
    previous = i;
  }
  // The regression's alert comes with the series: in the range around the culprit.
  ASSERT_FALSE(doc["alerts"].empty()) << doc.dump();
  for (const json& a : doc["alerts"]) {
    EXPECT_EQ(a["benchmark"], "parse");
    EXPECT_EQ(a["platform"], kLinux);
    EXPECT_EQ(a["kind"], "regression");
    EXPECT_EQ(a["status"], "open");
    EXPECT_NEAR(a["change"].get<double>(), 0.2, 0.02);
    EXPECT_EQ(a["commit_range"]["to"], Sha(kCulprit + 1));
    EXPECT_EQ(a["commit_range"]["from"], Sha(kCulprit - 1));
  }

  // The mac runner's new machine: the first point on it says so, and only that one.
  json mac = s.Get(Query("/api/v1/series", {{"benchmark", "parse"}, {"platform", kMac}})).Json();
  ASSERT_EQ(mac["series"].size(), 1u) << mac.dump();
  int changed = 0;
  for (const json& pt : mac["series"][0]["points"]) {
    if (pt["fingerprint_changed"].get<bool>()) {
      ++changed;
      EXPECT_EQ(pt["sha"], Sha(kNewMacCpu));
    }
  }
  EXPECT_EQ(changed, 1);
  // Without a platform: one series per platform. from/to select by commit time.
  EXPECT_EQ(s.Get("/api/v1/series?benchmark=parse").Json()["series"].size(), 2u);
  json window = s.Get(Query("/api/v1/series", {{"benchmark", "parse"},
                                               {"platform", kLinux},
                                               {"from", base::FormatRfc3339(At(kCulprit))},
                                               {"to", base::FormatRfc3339(At(kCommits - 3))}}))
                    .Json();
  size_t in_window = 0;
  for (int i : measured) in_window += i >= kCulprit && i <= kCommits - 3;
  EXPECT_EQ(window["series"][0]["points"].size(), in_window);
  s.StopCleanly();
}

TEST_F(ApiHttpTest, CompareFindsTheRegressionAcrossTheCulprit) {
  Server s(dir_, db_);
  Reply r = s.Get(Query("/api/v1/compare", {{"base", Sha(kCulprit - 1).substr(0, 8)},
                                            {"head", Sha(kCulprit + 1)},
                                            {"platform", kLinux}}));
  ASSERT_EQ(r.status, 200) << r.body;
  const json c = r.Json();
  EXPECT_EQ(c["base"]["sha"], Sha(kCulprit - 1));
  EXPECT_EQ(c["head"]["sha"], Sha(kCulprit + 1));
  EXPECT_EQ(c["base"]["platform"], kLinux);
  EXPECT_FALSE(c["advisory"]);
  ASSERT_EQ(c["results"].size(), 3u) << c.dump();
  std::map<std::string, json> by_name;
  for (const json& row : c["results"]) by_name[row["benchmark"]] = row;
  EXPECT_EQ(by_name["parse"]["verdict"], "regression");
  EXPECT_NEAR(by_name["parse"]["change"].get<double>(), 0.2, 0.02);
  EXPECT_EQ(by_name["parse"]["base_n"], 10);
  EXPECT_LT(by_name["parse"]["p_value"].get<double>(), 0.01);
  EXPECT_LE(by_name["parse"]["ci_low"].get<double>(), by_name["parse"]["change"].get<double>());
  EXPECT_EQ(c["summary"]["regressions"], 1);
  EXPECT_NE(by_name["lex"]["verdict"], "regression");
  EXPECT_NE(by_name["micro/BM_Sort/1024"]["verdict"], "regression");
  EXPECT_TRUE(c["not_compared"]["only_base"].empty());
  // The same as the CLI says.
  Outcome cli = Pl(
      {"compare", Sha(kCulprit - 1), Sha(kCulprit + 1), "--platform", kLinux, "--format", "json"});
  const json cli_json = json::parse(cli.out);
  EXPECT_EQ(cli_json["summary"], c["summary"]);
  EXPECT_EQ(cli_json["results"].size(), c["results"].size());
  s.StopCleanly();
}

TEST_F(ApiHttpTest, CoverageGapsSkipsAndJobsAccountForEveryCommit) {
  Server s(dir_, db_);
  Reply r = s.Get("/api/v1/coverage");
  ASSERT_EQ(r.status, 200) << r.body;
  const json cov = r.Json();
  EXPECT_EQ(cov["branch"], "refs/heads/main");
  EXPECT_EQ(cov["head"], Sha(kCommits));
  ASSERT_EQ(cov["platforms"].size(), 2u);
  for (const json& row : cov["platforms"]) {
    const std::string platform = row["platform"];
    EXPECT_EQ(row["commits"], kCommits);
    EXPECT_EQ(row["measured"], shared->measured[platform].size()) << platform;
    EXPECT_EQ(row["unaccounted"], 0) << platform;
    EXPECT_EQ(row["measured"].get<int>() + row["represented"].get<int>() +
                  row["skipped"].get<int>() + row["pending"].get<int>(),
              kCommits)
        << row.dump();
    EXPECT_GT(row["skipped_by_reason"].value("window", 0), 0) << row.dump();
  }
  // commits: oldest first, each with its status per platform.
  ASSERT_EQ(cov["commits"].size(), static_cast<size_t>(kCommits));
  for (int i = 1; i <= kCommits; ++i) {
    const json& commit = cov["commits"][i - 1];
    EXPECT_EQ(commit["sha"], Sha(i));
    for (const std::string& platform : {kLinux, kMac}) {
      const std::string status = commit["status"][platform];
      if (shared->measured[platform].contains(i)) {
        EXPECT_EQ(status, "measured") << platform << " commit " << i;
      } else {
        EXPECT_TRUE(status == "represented" || status == "skipped" || status == "pending")
            << platform << " commit " << i << ": " << status;
      }
    }
  }
  EXPECT_EQ(s.Get("/api/v1/coverage?platform=" + kMac).Json()["platforms"].size(), 1u);

  // Gaps: the mac runner is behind by the job it missed.
  Reply g = s.Get("/api/v1/gaps?max_commits=1");
  ASSERT_EQ(g.status, 200) << g.body;
  const json gaps = g.Json();
  EXPECT_EQ(gaps["head"], Sha(kCommits));
  EXPECT_EQ(gaps["expected_benchmarks"], 3);
  std::map<std::string, json> rows;
  for (const json& row : gaps["platforms"]) rows[row["platform"]] = row;
  EXPECT_EQ(rows[kLinux]["last_complete"], Sha(LastMeasured(kLinux)));
  EXPECT_EQ(rows[kLinux]["commits_since"], kCommits - LastMeasured(kLinux));
  EXPECT_FALSE(rows[kLinux]["stalled"]);
  EXPECT_EQ(rows[kMac]["last_complete"], Sha(LastMeasured(kMac)));
  EXPECT_EQ(rows[kMac]["commits_since"], kCommits - LastMeasured(kMac));
  EXPECT_TRUE(rows[kMac]["stalled"]);
  EXPECT_TRUE(gaps["stalled"]);
  EXPECT_FALSE(s.Get("/api/v1/gaps").Json()["stalled"]);  // default bound: 5 commits

  // Skips: every commit left out by a window, newest plan first.
  Reply k = s.Get("/api/v1/skips?platform=" + kLinux);
  ASSERT_EQ(k.status, 200) << k.body;
  const json skips = k.Json()["skips"];
  ASSERT_FALSE(skips.empty());
  for (size_t i = 0; i < skips.size(); ++i) {
    EXPECT_EQ(skips[i]["platform"], kLinux);
    EXPECT_EQ(skips[i]["reason"], "window");
    EXPECT_FALSE(shared->measured[kLinux].contains(
        static_cast<int>(std::find(shared->shas.begin(), shared->shas.end(), skips[i]["sha"]) -
                         shared->shas.begin()) +
        1));
    if (i > 0) {
      EXPECT_GE(skips[i - 1]["planned_at"], skips[i]["planned_at"]);
    }
  }
  EXPECT_EQ(s.Get("/api/v1/skips?limit=1").Json()["skips"].size(), 1u);

  // Jobs: every planned job, done once a run measured it; the one the mac runner missed queued.
  Reply j = s.Get("/api/v1/plan/jobs");
  ASSERT_EQ(j.status, 200) << j.body;
  const json jobs = j.Json();
  EXPECT_EQ(jobs["head"], Sha(kCommits));
  EXPECT_EQ(jobs["jobs"].size(), shared->measured[kLinux].size() * 2);
  ASSERT_TRUE(shared->queued_mac_commit.has_value());
  json queued = s.Get("/api/v1/plan/jobs?state=queued").Json()["jobs"];
  ASSERT_EQ(queued.size(), 1u) << queued.dump();
  EXPECT_EQ(queued[0]["platform"], kMac);
  EXPECT_EQ(queued[0]["sha"], Sha(*shared->queued_mac_commit));
  EXPECT_EQ(queued[0]["reason"], "schedule");
  EXPECT_EQ(queued[0]["commit_range"]["to"], Sha(*shared->queued_mac_commit));
  json done = s.Get("/api/v1/plan/jobs?state=done&platform=" + kLinux).Json()["jobs"];
  EXPECT_EQ(done.size(), shared->measured[kLinux].size());
  s.StopCleanly();
}

TEST_F(ApiHttpTest, AlertsAreGroupedAndTriagedOverHttp) {
  Server s(dir_, db_);
  Reply r = s.Get("/api/v1/alerts");
  ASSERT_EQ(r.status, 200) << r.body;
  const json doc = r.Json();
  // The same document as the CLI prints.
  EXPECT_EQ(doc, json::parse(Pl({"alerts", "--format", "json"}).out));
  ASSERT_FALSE(doc["alerts"].empty());
  json linux_alert;
  for (const json& a : doc["alerts"]) {
    if (a["platform"] == kLinux && a["benchmark"] == "parse") linux_alert = a;
  }
  ASSERT_TRUE(linux_alert.is_object()) << doc.dump();
  EXPECT_EQ(linux_alert["project"], "demo");
  EXPECT_EQ(linux_alert["kind"], "regression");
  EXPECT_EQ(linux_alert["note"], nullptr);
  ASSERT_FALSE(doc["groups"].empty());
  EXPECT_GE(doc["groups"][0]["regressions"].get<int>(), 1);
  EXPECT_FALSE(doc["groups"][0]["summary"].get<std::string>().empty());

  // The benchmark's series shows its alerts; the server keeps that answer until an alert or a
  // run changes, so triage must show in it at once.
  const std::string series =
      Query("/api/v1/series", {{"benchmark", "parse"}, {"platform", kLinux}});
  auto series_alert = [&] {
    const json answer = s.Get(series).Json();
    for (const json& a : answer["alerts"]) {
      if (a["id"] == linux_alert["id"]) return a;
    }
    return json();
  };
  EXPECT_EQ(series_alert()["status"], "open");
  const std::string path = "/api/v1/alerts/" + std::to_string(linux_alert["id"].get<int>());
  Reply ack = s.Patch(path, R"({"status": "acknowledged", "note": "new tokenizer"})", Token());
  ASSERT_EQ(ack.status, 200) << ack.body;
  EXPECT_EQ(series_alert()["status"], "acknowledged");
  EXPECT_EQ(series_alert()["note"], "new tokenizer");
  EXPECT_EQ(ack.Json()["status"], "acknowledged");
  EXPECT_EQ(ack.Json()["note"], "new tokenizer");
  EXPECT_EQ(ack.Json()["id"], linux_alert["id"]);
  json acked = s.Get("/api/v1/alerts?status=acknowledged").Json()["alerts"];
  ASSERT_EQ(acked.size(), 1u);
  EXPECT_EQ(acked[0]["id"], linux_alert["id"]);
  // Stored: the CLI sees it too. A later PATCH without a note keeps the note.
  json cli = json::parse(Pl({"alerts", "--status", "acknowledged", "--format", "json"}).out);
  ASSERT_EQ(cli["alerts"].size(), 1u);
  EXPECT_EQ(cli["alerts"][0]["note"], "new tokenizer");
  Reply resolved = s.Patch(path, R"({"status": "resolved"})", Token());
  ASSERT_EQ(resolved.status, 200) << resolved.body;
  EXPECT_EQ(resolved.Json()["status"], "resolved");
  EXPECT_EQ(resolved.Json()["note"], "new tokenizer");
  EXPECT_TRUE(s.Get("/api/v1/alerts?status=acknowledged").Json()["alerts"].empty());
  EXPECT_EQ(s.Get("/api/v1/alerts?status=resolved&platform=" + kLinux).Json()["alerts"].size(), 1u);
  const json regressions = s.Get("/api/v1/alerts?kind=regression").Json();
  for (const json& a : regressions["alerts"]) {
    EXPECT_EQ(a["kind"], "regression");
  }
  s.StopCleanly();
}

TEST_F(ApiHttpTest, TheIndexStartsAtOne) {
  Server s(dir_, db_);
  Reply r = s.Get("/api/v1/index?platform=" + kLinux);
  ASSERT_EQ(r.status, 200) << r.body;
  const json doc = r.Json();
  EXPECT_EQ(doc, json::parse(Pl({"index", "--platform", kLinux, "--format", "json"}).out));
  ASSERT_EQ(doc["indexes"].size(), 1u);
  const json& index = doc["indexes"][0];
  EXPECT_EQ(index["platform"], kLinux);
  EXPECT_EQ(index["metric"], "wall_time");
  EXPECT_EQ(index["base"]["benchmarks"], 3);
  ASSERT_EQ(index["points"].size(), shared->measured[kLinux].size());
  EXPECT_DOUBLE_EQ(index["points"][0]["index"].get<double>(), 1.0);
  // parse 20% slower, the other two unchanged: the geometric mean moves by 1.2^(1/3).
  EXPECT_NEAR(index["points"].back()["index"].get<double>(), std::cbrt(1.2), 0.01);
  s.StopCleanly();
}

TEST_F(ApiHttpTest, HealthAndMetricsCountRequestsAndUploads) {
  Server s(dir_, db_);
  Reply h = s.Get("/healthz");
  ASSERT_EQ(h.status, 200) << h.body;
  EXPECT_EQ(h.Json()["status"], "ok");
  EXPECT_NE(h.Json()["store"].get<std::string>().find(db_), std::string::npos) << h.body;

  const std::string projects_ok =
      R"(perfledger_http_requests_total{method="GET",route="/api/v1/projects",status="200"})";
  Reply m0 = s.Get("/metrics");
  ASSERT_EQ(m0.status, 200);
  EXPECT_TRUE(m0.Header("Content-Type").starts_with("text/plain")) << m0.Header("Content-Type");
  EXPECT_EQ(MetricValue(m0.body, projects_ok), -1);  // none yet
  EXPECT_EQ(MetricValue(m0.body, "perfledger_ingested_runs_total"), 0);
  EXPECT_EQ(MetricValue(m0.body, "perfledger_queue_depth"), 1);  // the job the mac runner missed
  const double open_alerts = MetricValue(m0.body, "perfledger_open_alerts");
  EXPECT_EQ(open_alerts, s.Get("/api/v1/alerts?status=open").Json()["alerts"].size());
  EXPECT_GE(open_alerts, 1);

  for (int i = 0; i < 3; ++i) ASSERT_EQ(s.Get("/api/v1/projects").status, 200);
  ASSERT_EQ(s.Get("/api/v1/nothing").status, 404);
  // The mac runner catches up: the queue drains and the counters move.
  json a = Artifact(Sha(*shared->queued_mac_commit), kMac);
  Reply up = s.Post("/api/v1/projects/demo/runs", a.dump(), Token());
  ASSERT_EQ(up.status, 201) << up.body;
  Reply m1 = s.Get("/metrics");
  EXPECT_EQ(MetricValue(m1.body, projects_ok), 3) << m1.body;
  EXPECT_EQ(
      MetricValue(m1.body,
                  R"(perfledger_http_requests_total{method="GET",route="unmatched",status="404"})"),
      1);
  EXPECT_EQ(
      MetricValue(
          m1.body,
          R"(perfledger_http_requests_total{method="POST",route="/api/v1/projects/{project}/runs",status="201"})"),
      1);
  EXPECT_EQ(MetricValue(m1.body, "perfledger_ingested_runs_total"), 1);
  EXPECT_EQ(MetricValue(m1.body, "perfledger_ingested_samples_total"), 30);
  EXPECT_EQ(MetricValue(m1.body, "perfledger_queue_depth"), 0);
  EXPECT_EQ(MetricValue(m1.body, "perfledger_stored_runs"),
            MetricValue(m0.body, "perfledger_stored_runs") + 1);
  EXPECT_EQ(
      MetricValue(m1.body,
                  R"(perfledger_http_request_duration_seconds_count{route="/api/v1/projects"})"),
      3);
  // Uploading it again stores nothing new: the counter stays.
  ASSERT_EQ(s.Post("/api/v1/projects/demo/runs", a.dump(), Token()).status, 200);
  EXPECT_EQ(MetricValue(s.Get("/metrics").body, "perfledger_ingested_runs_total"), 1);
  s.StopCleanly();
}

// ---- errors ----

TEST_F(ApiHttpTest, BadQueryParametersAre400AndNameTheParameter) {
  Server s(dir_, db_);
  const std::string a = Sha(*shared->measured[kLinux].begin());
  const std::string b = Sha(*shared->measured[kLinux].rbegin());
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"/api/v1/runs?limit=0", "limit"},
      {"/api/v1/runs?limit=ten", "limit"},
      {"/api/v1/runs?offset=-1", "offset"},
      {"/api/v1/benchmarks?limit=1x", "limit"},
      {"/api/v1/series", "benchmark"},
      {"/api/v1/series?benchmark=parse&from=yesterday", "from"},
      {"/api/v1/compare?base=" + a, "base"},
      {"/api/v1/compare?base=xyz&head=" + b, "xyz"},
      {"/api/v1/compare?base=" + a + "&head=" + b, kLinux},  // two platforms: which one?
      {"/api/v1/compare?base=" + a + "&head=" + b + "&platform=" + kLinux + "&alpha=2", "alpha"},
      {"/api/v1/coverage?since=soon", "since"},
      {"/api/v1/gaps?max_commits=-1", "max_commits"},
      {"/api/v1/gaps?max_age=forever", "max_age"},
      // Well-formed but beyond what fits in 64 bits of nanoseconds: refused, never wrapped.
      {"/api/v1/gaps?max_age=9999999999d", "max_age"},
      {"/api/v1/series?benchmark=parse&from=9999-12-31T23:59:59Z", "from"},
      {"/api/v1/coverage?since=0001-01-01T00:00:00Z", "since"},
      {"/api/v1/skips?limit=0", "limit"},
      {"/api/v1/alerts?status=closed", "status"},
      {"/api/v1/alerts?kind=slower", "kind"},
      {"/api/v1/plan/jobs?state=claimed", "state"},
  };
  for (const auto& [path, name] : cases) {
    Reply r = s.Get(path);
    EXPECT_EQ(r.status, 400) << path << ": " << r.body << r.error;
    if (r.status != 400) continue;
    EXPECT_EQ(r.Code(), "bad_request") << path;
    EXPECT_NE(r.Json()["error"]["message"].get<std::string>().find(name), std::string::npos)
        << path << ": " << r.body;
  }
  // Offsets past the end are an empty page, not an error, however far past.
  Reply far = s.Get("/api/v1/runs?offset=9223372036854775807");
  ASSERT_EQ(far.status, 200) << far.body << far.error;
  EXPECT_TRUE(far.Json()["runs"].empty());
  Reply past = s.Get("/api/v1/runs?offset=1000&limit=10000");
  ASSERT_EQ(past.status, 200) << past.body << past.error;
  EXPECT_TRUE(past.Json()["runs"].empty());
  EXPECT_EQ(s.Get("/healthz").status, 200);  // still up
  s.StopCleanly();
}

TEST_F(ApiHttpTest, ABadArtifactIs400WithItsJsonPointer) {
  Server s(dir_, db_);
  json bad = Artifact(FakeSha(1), kLinux);
  bad["benchmarks"][1]["metrics"]["wall_time"]["samples"][2] = "fast";
  Reply r = s.Post("/api/v1/projects/demo/runs", bad.dump(), Token());
  ASSERT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(r.Code(), "bad_request");
  EXPECT_EQ(r.Json()["error"]["pointer"], "/benchmarks/1/metrics/wall_time/samples/2");
  EXPECT_NE(r.Json()["error"]["message"].get<std::string>().find(
                "/benchmarks/1/metrics/wall_time/samples/2"),
            std::string::npos)
      << r.body;
  json missing = Artifact(FakeSha(2), kLinux);
  missing.erase("run_id");
  Reply m = s.Post("/api/v1/projects/demo/runs", missing.dump(), Token());
  EXPECT_EQ(m.status, 400) << m.body;
  EXPECT_NE(m.body.find("run_id"), std::string::npos) << m.body;
  // A real RFC 3339 time that 64-bit nanoseconds cannot hold: refused, not wrapped (nor a crash).
  json far = Artifact(FakeSha(4), kLinux);
  far["started_at"] = "9999-12-31T23:59:59Z";
  Reply f = s.Post("/api/v1/projects/demo/runs", far.dump(), Token());
  EXPECT_EQ(f.status, 400) << f.body << f.error;
  EXPECT_EQ(f.Json().value(json::json_pointer("/error/pointer"), ""), "/started_at") << f.body;
  Reply garbage = s.Post("/api/v1/projects/demo/runs", "{not json", Token());
  EXPECT_EQ(garbage.status, 400) << garbage.body;
  EXPECT_EQ(garbage.Code(), "bad_request");
  // A run of another project than the URL's.
  json elsewhere = Artifact(FakeSha(3), kLinux);
  elsewhere["project"] = "other";
  Reply e = s.Post("/api/v1/projects/demo/runs", elsewhere.dump(), Token());
  EXPECT_EQ(e.status, 400) << e.body;
  EXPECT_EQ(e.Json()["error"]["pointer"], "/project");
  // Alert triage bodies too.
  Reply patch = s.Patch("/api/v1/alerts/1", R"({"status": "gone"})", Token());
  EXPECT_EQ(patch.status, 400) << patch.body;
  EXPECT_EQ(patch.Json()["error"]["pointer"], "/status");
  EXPECT_EQ(RunsTotal(s), static_cast<int64_t>(CliRuns().size()));
  EXPECT_EQ(CliRuns().size(), shared->measured[kLinux].size() + shared->measured[kMac].size());
  s.StopCleanly();
}

TEST_F(ApiHttpTest, UploadsNeedAValidTokenOfTheirProject) {
  Server s(dir_, db_);
  const std::string body = Artifact(FakeSha(10), kLinux).dump();
  Reply none = s.Post("/api/v1/projects/demo/runs", body);
  EXPECT_EQ(none.status, 401) << none.body;
  EXPECT_EQ(none.Code(), "unauthorized");
  EXPECT_TRUE(none.Header("WWW-Authenticate").starts_with("Bearer")) << none.body;
  Reply unknown = s.Post("/api/v1/projects/demo/runs", body, "plt_" + std::string(43, 'x'));
  EXPECT_EQ(unknown.status, 401) << unknown.body;
  Reply basic =
      From(s.Client()->Post("/api/v1/projects/demo/runs", {{"Authorization", "Basic dXNlcjpwYXNz"}},
                            body, "application/json"));
  EXPECT_EQ(basic.status, 401) << basic.body;
  Reply other = s.Post("/api/v1/projects/demo/runs", body, shared->other_token);
  EXPECT_EQ(other.status, 403) << other.body;
  EXPECT_EQ(other.Code(), "forbidden");
  EXPECT_NE(other.body.find("other"), std::string::npos) << other.body;

  // A token made while the server runs works at once, and not after it is revoked.
  auto [token, id] = CreateToken(db_, dir_, "demo");
  Reply ok = s.Post("/api/v1/projects/demo/runs", body, token);
  EXPECT_EQ(ok.status, 201) << ok.body;
  Outcome revoke = Pl({"token", "revoke", id});
  ASSERT_EQ(revoke.exit_code, 0) << revoke.err;
  Reply revoked = s.Post("/api/v1/projects/demo/runs", Artifact(FakeSha(11), kLinux).dump(), token);
  EXPECT_EQ(revoked.status, 401) << revoked.body;
  EXPECT_EQ(revoked.Code(), "unauthorized");
  // A revoked token is refused for reads too, even on a public server.
  EXPECT_EQ(s.Get("/api/v1/projects", token).status, 401);
  EXPECT_EQ(s.Get("/api/v1/projects", Token()).status, 200);
  EXPECT_EQ(
      RunsTotal(s),
      static_cast<int64_t>(shared->measured[kLinux].size() + shared->measured[kMac].size()) + 1);
  s.StopCleanly();
}

TEST_F(ApiHttpTest, UnknownRoutesAlertsAndCommitsAre404) {
  Server s(dir_, db_);
  for (const std::string path :
       {"/api/v1/nothing", "/api/v2/projects", "/api/v1/projects/demo", "/api/v1/alerts/1/2"}) {
    Reply r = s.Get(path);
    EXPECT_EQ(r.status, 404) << path << ": " << r.body;
    EXPECT_EQ(r.Code(), "not_found") << path;
  }
  Reply alert = s.Patch("/api/v1/alerts/9999", R"({"status": "acknowledged"})", Token());
  EXPECT_EQ(alert.status, 404) << alert.body;
  EXPECT_NE(alert.body.find("9999"), std::string::npos);
  EXPECT_EQ(s.Patch("/api/v1/alerts/abc", R"({"status": "acknowledged"})", Token()).status, 404);
  Reply commit = s.Get(Query("/api/v1/compare", {{"base", "deadbeef"}, {"head", Sha(kCommits)}}));
  EXPECT_EQ(commit.status, 404) << commit.body;
  EXPECT_NE(commit.body.find("deadbeef"), std::string::npos) << commit.body;
  Reply series = s.Get("/api/v1/series?benchmark=nope");
  EXPECT_EQ(series.status, 404) << series.body;
  Reply file = s.Get("/no/such/file.js");
  EXPECT_EQ(file.status, 404) << file.body;
  EXPECT_EQ(file.Code(), "not_found");
  s.StopCleanly();
}

TEST_F(ApiHttpTest, AnotherMethodOnARouteIs405WithAllow) {
  Server s(dir_, db_);
  Reply del = s.Delete("/api/v1/alerts");
  EXPECT_EQ(del.status, 405) << del.body;
  EXPECT_EQ(del.Code(), "method_not_allowed");
  EXPECT_EQ(del.Header("Allow"), "GET");
  Reply get = s.Get("/api/v1/projects/demo/push");
  EXPECT_EQ(get.status, 405) << get.body;
  EXPECT_EQ(get.Header("Allow"), "POST");
  Reply post = s.Post("/api/v1/alerts/1", "{}");
  EXPECT_EQ(post.status, 405) << post.body;
  EXPECT_EQ(post.Header("Allow"), "PATCH");
  // HEAD is GET without the body.
  Reply head = From(s.Client()->Head("/api/v1/projects"));
  EXPECT_EQ(head.status, 200) << head.error;
  EXPECT_TRUE(head.body.empty());
  Reply health = s.Post("/healthz", "{}");
  EXPECT_EQ(health.status, 405) << health.body;
  EXPECT_EQ(health.Header("Allow"), "GET");
  s.StopCleanly();
}

TEST_F(ApiHttpTest, ARunIdAgainWithOtherContentIs409AndStoresNothing) {
  Server s(dir_, db_);
  json a = Artifact(FakeSha(20), kLinux);
  ASSERT_EQ(s.Post("/api/v1/projects/demo/runs", a.dump(), Token()).status, 201);
  const int64_t total = RunsTotal(s);
  a["benchmarks"][0]["metrics"]["wall_time"]["samples"][0] = 1;
  Reply r = s.Post("/api/v1/projects/demo/runs", a.dump(), Token());
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_EQ(r.Code(), "conflict");
  EXPECT_NE(r.body.find(a["run_id"].get<std::string>()), std::string::npos) << r.body;
  // In a batch with a new run: the whole batch is refused.
  Reply batch =
      s.Post("/api/v1/projects/demo/runs", Batch({Artifact(FakeSha(21), kLinux), a}), Token());
  EXPECT_EQ(batch.status, 409) << batch.body;
  EXPECT_EQ(RunsTotal(s), total);
  s.StopCleanly();
}

TEST_F(ApiHttpTest, ABodyAboveMaxBodyIs413) {
  Server s(dir_, db_, {"--max-body", "1"});
  std::vector<json> artifacts;
  const size_t each = Artifact(FakeSha(100), kLinux).dump().size() + 1;
  for (size_t i = 0; i < (1u << 20) / each + 2; ++i) {
    artifacts.push_back(Artifact(FakeSha(100 + static_cast<int>(i)), kLinux));
  }
  const std::string body = Batch(artifacts);
  ASSERT_GT(body.size(), 1u << 20);
  Reply r = s.Post("/api/v1/projects/demo/runs", body, Token());
  EXPECT_EQ(r.status, 413) << r.body << r.error;
  EXPECT_EQ(r.Code(), "payload_too_large") << r.body;
  // Below the limit is fine, and the server is still up.
  artifacts.resize(artifacts.size() / 2);
  Reply half = s.Post("/api/v1/projects/demo/runs", Batch(artifacts), Token());
  EXPECT_EQ(half.status, 201) << half.body << half.error;
  EXPECT_EQ(half.Json()["ingested"], artifacts.size());
  s.StopCleanly();
}

TEST_F(ApiHttpTest, APrivateServerNeedsATokenForReadsButNotForHealth) {
  Server s(dir_, db_, {"--private"});
  for (const std::string path : {"/api/v1/projects", "/api/v1/runs", "/api/v1/alerts",
                                 "/api/v1/series?benchmark=parse", "/api/v1/coverage"}) {
    Reply r = s.Get(path);
    EXPECT_EQ(r.status, 401) << path << ": " << r.body;
    EXPECT_EQ(r.Code(), "unauthorized") << path;
  }
  EXPECT_EQ(s.Patch("/api/v1/alerts/1", R"({"status": "acknowledged"})").status, 401);
  // Any project's token reads.
  EXPECT_EQ(s.Get("/api/v1/projects", Token()).status, 200);
  Reply runs = s.Get("/api/v1/runs", shared->other_token);
  EXPECT_EQ(runs.status, 200) << runs.body;
  EXPECT_EQ(runs.Json()["total"], shared->measured[kLinux].size() + shared->measured[kMac].size());
  EXPECT_EQ(s.Get("/api/v1/projects", "plt_" + std::string(43, 'y')).status, 401);
  // Probes and scrapers need none.
  EXPECT_EQ(s.Get("/healthz").status, 200);
  EXPECT_EQ(s.Get("/metrics").status, 200);
  s.StopCleanly();
}

// ---- batches ----

TEST_F(ApiHttpTest, ABatchWithOneBadArtifactStoresNothing) {
  Server s(dir_, db_);
  const int64_t before = RunsTotal(s);
  json bad = Artifact(FakeSha(31), kLinux);
  bad["benchmarks"][0]["name"] = 7;
  Reply r =
      s.Post("/api/v1/projects/demo/runs", Batch({Artifact(FakeSha(30), kLinux), bad}), Token());
  ASSERT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(r.Json()["error"]["pointer"], "/artifacts/1/benchmarks/0/name");
  EXPECT_NE(r.Json()["error"]["message"].get<std::string>().find("/artifacts/1/benchmarks/0/name"),
            std::string::npos);
  EXPECT_EQ(RunsTotal(s), before);
  EXPECT_EQ(static_cast<int64_t>(CliRuns().size()), before);
  // A benchmark named twice in the second artifact: the same.
  json dup = Artifact(FakeSha(32), kLinux);
  dup["benchmarks"].push_back(dup["benchmarks"][0]);
  Reply d =
      s.Post("/api/v1/projects/demo/runs", Batch({Artifact(FakeSha(33), kLinux), dup}), Token());
  EXPECT_EQ(d.status, 400) << d.body;
  EXPECT_NE(d.Json()["error"].value("pointer", "").find("/artifacts/1/"), std::string::npos)
      << d.body;
  Reply empty = s.Post("/api/v1/projects/demo/runs", R"({"artifacts": []})", Token());
  EXPECT_EQ(empty.status, 400) << empty.body;
  EXPECT_EQ(RunsTotal(s), before);
  EXPECT_EQ(static_cast<int64_t>(CliRuns().size()), before);
  s.StopCleanly();
}

TEST_F(ApiHttpTest, UploadingTheSameBatchTwiceIsIdempotent) {
  Server s(dir_, db_);
  const int64_t before = RunsTotal(s);
  const std::vector<json> artifacts = {Artifact(FakeSha(40), kLinux), Artifact(FakeSha(41), kMac),
                                       Artifact(FakeSha(42), kLinux)};
  const std::string body = Batch(artifacts);
  Reply first = s.Post("/api/v1/projects/demo/runs", body, Token());
  ASSERT_EQ(first.status, 201) << first.body;
  const json f = first.Json();
  EXPECT_EQ(f["artifacts"], 3);
  EXPECT_EQ(f["ingested"], 3);
  EXPECT_EQ(f["already_present"], 0);
  EXPECT_EQ(f["samples"], 90);
  ASSERT_EQ(f["run_ids"].size(), 3u);
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(f["run_ids"][i], artifacts[i]["run_id"]);
  Reply second = s.Post("/api/v1/projects/demo/runs", body, Token());
  ASSERT_EQ(second.status, 200) << second.body;
  EXPECT_EQ(second.Json()["ingested"], 0);
  EXPECT_EQ(second.Json()["already_present"], 3);
  EXPECT_EQ(second.Json()["samples"], 0);
  // One old and one new: 201, one of each.
  Reply mixed = s.Post("/api/v1/projects/demo/runs",
                       Batch({artifacts[0], Artifact(FakeSha(43), kLinux)}), Token());
  ASSERT_EQ(mixed.status, 201) << mixed.body;
  EXPECT_EQ(mixed.Json()["ingested"], 1);
  EXPECT_EQ(mixed.Json()["already_present"], 1);
  EXPECT_EQ(RunsTotal(s), before + 4);
  EXPECT_EQ(static_cast<int64_t>(CliRuns().size()), before + 4);
  s.StopCleanly();
}

// ---- shutdown and concurrency ----

TEST_F(ApiHttpTest, SigtermDuringALargeUploadStoresAllOfItOrNoneAndExitsZero) {
  Server s(dir_, db_);
  const int64_t before = RunsTotal(s);
  constexpr int kBatch = 200;
  std::vector<json> artifacts;
  for (int i = 0; i < kBatch; ++i) artifacts.push_back(Artifact(FakeSha(1000 + i), kLinux));
  const std::string body = Batch(artifacts);

  // The body goes out in two halves; SIGTERM is sent in between, so the server gets it while
  // it reads the request, and then gets the rest. The connection is kept alive from a first
  // request, so the server is surely reading it when the signal comes (a connection it has not
  // started on yet is closed unanswered: the client would see an error, and nothing stored).
  std::mutex mu;
  std::condition_variable cv;
  bool half_sent = false, signalled = false, finished = false;
  Reply reply;
  std::thread upload([&] {
    auto client = s.Client();
    client->set_keep_alive(true);
    Reply health = From(client->Get("/healthz"));
    EXPECT_EQ(health.status, 200) << health.error;
    const size_t half = body.size() / 2;
    reply = From(client->Post(
        "/api/v1/projects/demo/runs", Server::Auth(Token()), body.size(),
        [&](size_t offset, size_t length, httplib::DataSink& sink) {
          if (offset < half) {
            return sink.write(body.data() + offset, std::min(length, half - offset));
          }
          {
            std::unique_lock<std::mutex> lock(mu);
            half_sent = true;
            cv.notify_all();
            cv.wait_for(lock, std::chrono::seconds(20), [&] { return signalled; });
          }
          return sink.write(body.data() + offset, length);
        },
        "application/json"));
    std::lock_guard<std::mutex> lock(mu);
    finished = true;
    cv.notify_all();
  });
  bool in_flight = false;
  {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait_for(lock, std::chrono::seconds(30), [&] { return half_sent || finished; });
    in_flight = half_sent && !finished;
  }
  EXPECT_TRUE(in_flight) << "the upload did not get half way: " << reply.status << reply.error;
  // The server reads what arrived (it polls its connections every 10 ms), then the signal;
  // its watcher takes it within 0.2 s, then the rest of the body goes out.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(kill(s.pid(), SIGTERM), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  {
    std::lock_guard<std::mutex> lock(mu);
    signalled = true;
    cv.notify_all();
  }
  upload.join();
  Outcome o = s.WaitExit(std::chrono::seconds(60));
  EXPECT_EQ(o.exit_code, 0) << "signal " << o.signal << ", stderr: " << o.err;
  EXPECT_NE(o.out.find("perfledger: stopped"), std::string::npos) << o.out;

  const int64_t after = static_cast<int64_t>(CliRuns().size());
  EXPECT_TRUE(after == before || after == before + kBatch)
      << "a part of the batch was stored: " << after - before << " of " << kBatch;
  if (reply.status >= 200 && reply.status < 300) {
    EXPECT_EQ(after, before + kBatch) << "the client was told " << reply.status;
    EXPECT_EQ(reply.Json()["ingested"], kBatch);
  }
  // The request in flight was served: the client is not left with a dropped connection.
  EXPECT_EQ(reply.status, 201) << reply.body << reply.error;
  // A new server over the same store sees exactly that.
  Server again(dir_, db_);
  EXPECT_EQ(RunsTotal(again), after);
  again.StopCleanly();
}

// Concurrent uploads share write transactions (group commit); each stays atomic on its own:
// an uploader whose batches conflict with a stored run is refused each time, and the others,
// committed in the same groups, are not.
TEST_F(ApiHttpTest, ConcurrentUploadsAreAllStoredOnce) {
  Server s(dir_, db_);
  json stored = Artifact(FakeSha(1999), kLinux);
  ASSERT_EQ(s.Post("/api/v1/projects/demo/runs", stored.dump(), Token()).status, 201);
  const int64_t before = RunsTotal(s);
  json changed = stored;
  changed["benchmarks"][0]["metrics"]["wall_time"]["samples"][0] = 1;
  constexpr int kThreads = 8, kEach = 10;
  std::vector<std::vector<json>> work(kThreads);
  std::set<std::string> ids;
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kEach; ++i) {
      work[t].push_back(Artifact(FakeSha(2000 + t * kEach + i), t % 2 ? kMac : kLinux));
      ids.insert(work[t].back()["run_id"].get<std::string>());
    }
  }
  std::vector<std::vector<Reply>> replies(kThreads);
  std::vector<Reply> refused;
  std::atomic<int> ready{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto client = s.Client();
      ++ready;
      while (ready.load() < kThreads + 1) std::this_thread::yield();
      for (const json& a : work[t]) {
        replies[t].push_back(From(client->Post("/api/v1/projects/demo/runs", Server::Auth(Token()),
                                               a.dump(), "application/json")));
      }
    });
  }
  threads.emplace_back([&] {
    auto client = s.Client();
    ++ready;
    while (ready.load() < kThreads + 1) std::this_thread::yield();
    for (int i = 0; i < kEach; ++i) {
      refused.push_back(From(client->Post("/api/v1/projects/demo/runs", Server::Auth(Token()),
                                          Batch({Artifact(FakeSha(3000 + i), kLinux), changed}),
                                          "application/json")));
    }
  });
  for (auto& t : threads) t.join();
  for (int t = 0; t < kThreads; ++t) {
    for (const Reply& r : replies[t]) EXPECT_EQ(r.status, 201) << r.body << r.error;
  }
  for (const Reply& r : refused) {
    EXPECT_EQ(r.status, 409) << r.body << r.error;
    EXPECT_NE(r.body.find(stored["run_id"].get<std::string>()), std::string::npos) << r.body;
  }
  EXPECT_EQ(RunsTotal(s), before + kThreads * kEach);
  const json cli = CliRuns();
  ASSERT_EQ(static_cast<int64_t>(cli.size()), before + kThreads * kEach);
  std::set<std::string> stored_ids;
  for (const json& r : cli) {
    EXPECT_TRUE(stored_ids.insert(r["run_id"].get<std::string>()).second) << "twice: " << r.dump();
  }
  for (const std::string& id : ids) EXPECT_TRUE(stored_ids.contains(id)) << "lost: " << id;
  EXPECT_EQ(MetricValue(s.Get("/metrics").body, "perfledger_ingested_runs_total"),
            kThreads * kEach + 1);
  s.StopCleanly();
}

}  // namespace
}  // namespace perfledger
