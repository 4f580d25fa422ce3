// perfledger import on every real fixture under tests/data/imports/: the artifacts it writes are
// ones perfledger ingest accepts, with the source's commits, dates, units, directions and
// values, and importing twice changes nothing in the store.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "subprocess.h"

namespace perfledger {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using subprocess::Outcome;
using subprocess::RunCommand;

const std::string kBin = PERFLEDGER_BIN;

std::string Data(const std::string& path) {
  const char* root = std::getenv("PERFLEDGER_SOURCE_DIR");
  return std::string(root ? root : ".") + "/tests/data/imports/" + path;
}

json ReadJson(const fs::path& path) {
  std::ifstream in(path);
  return json::parse(in);
}

class ImportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("perfledger-import-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    db_ = (dir_ / "perf.db").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  Outcome Perfledger(std::vector<std::string> args) {
    args.insert(args.begin(), {kBin, "--db", db_});
    return RunCommand(args, dir_.string());
  }

  json Runs() {
    Outcome o = Perfledger({"runs", "--format", "json"});
    EXPECT_EQ(o.exit_code, 0) << o.err;
    return json::parse(o.out);
  }

  fs::path dir_;
  std::string db_;
};

TEST_F(ImportTest, GithubActionBenchmarkFixturesIngestWithUnitsDirectionsAndDates) {
  const fs::path out = dir_ / "imported";
  Outcome o =
      Perfledger({"import", "--from", "github-action-benchmark", "--platform", "x86-64-linux",
                  "--out", out.string(), Data("github-action-benchmark/hyper-cargo.data.js")});
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_NE(o.err.find("imported 3 runs"), std::string::npos) << o.err;
  const fs::path file =
      out / "benchmark-results-0fd7d3c3635fa5a6d2d9e9e9471ae43ca3f09cad-x86-64-linux.json";
  ASSERT_TRUE(fs::exists(file));
  const json a = ReadJson(file);
  EXPECT_EQ(a["project"], "hyperium/hyper");
  EXPECT_EQ(a["reason"], "backfill");
  EXPECT_EQ(a["commit"]["time"], "2020-11-16T22:31:59Z");
  EXPECT_EQ(a["started_at"], "2020-11-16T22:34:46.676Z");
  const json& m = a["benchmarks"][0]["metrics"]["wall_time"];
  EXPECT_EQ(m["unit"], "ns");
  EXPECT_EQ(m["direction"], "lower");
  EXPECT_EQ(m["summary"]["mean"], 39056);

  // Higher-is-better rates and a relative range, from two more real files, into the same store.
  const fs::path out2 = dir_ / "imported2";
  for (const char* fixture :
       {"github-action-benchmark/safetensors-pytest.data.js",
        "github-action-benchmark/blaze-benchmarkjs.data.js",
        "github-action-benchmark/azure-storage-fuse-custom-smaller.data.js"}) {
    Outcome more = Perfledger({"import", "--from", "github-action-benchmark", "--platform",
                               "x86-64-linux", "--out", out2.string(), Data(fixture)});
    ASSERT_EQ(more.exit_code, 0) << fixture << ": " << more.err;
  }
  const json pytest = ReadJson(
      out2 / "benchmark-results-08b4ffb2bf3b05fc32d4a79abd140dca66e2e932-x86-64-linux.json");
  const json& rate = pytest["benchmarks"][0]["metrics"]
                           ["throughput"];  // benches/test_flax.py::test_flax_flax_load
  EXPECT_EQ(rate["unit"], "iter/sec");
  EXPECT_EQ(rate["direction"], "higher");
  EXPECT_DOUBLE_EQ(rate["summary"]["mean"].get<double>(), 1.1761837679361133);

  Outcome ingest = Perfledger({"ingest", out.string(), out2.string()});
  ASSERT_EQ(ingest.exit_code, 0) << ingest.err;
  // 3 (hyper) + 2 (safetensors) + 2 (blaze) + 1 (azure) commits.
  EXPECT_EQ(Runs().size(), 8u);

  // What the store gives back has the source's dates, directions and intervals.
  Outcome exported = Perfledger({"export"});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  std::istringstream stored(exported.out);
  std::string line;
  int checked = 0;
  while (std::getline(stored, line)) {
    const json r = json::parse(line);
    if (r["commit"]["sha"] == "08b4ffb2bf3b05fc32d4a79abd140dca66e2e932") {
      EXPECT_EQ(r["commit"]["time"], "2022-11-01T07:54:34Z");
      EXPECT_EQ(r["benchmarks"][0]["metrics"]["throughput"]["direction"], "higher");
      ++checked;
    }
    if (r["commit"]["sha"] == "a82e9b37743a3798e766705cf6d82df06a81355f") {
      const json& s = r["benchmarks"][0]["metrics"]["throughput"]["summary"];  // adaptivecard
      EXPECT_EQ(s["mean"], 14325);
      EXPECT_DOUBLE_EQ(s["lower"].get<double>(), 14325 * (1 - 0.0011));
      EXPECT_EQ(s["n"], 96);
      ++checked;
    }
    if (r["commit"]["sha"] == "1a4e554337ce8799974951b862bc67522031adf1") {
      EXPECT_EQ(r["benchmarks"][0]["metrics"]["wall_time"]["unit"], "ms");
      EXPECT_EQ(r["benchmarks"][0]["metrics"]["wall_time"]["direction"], "lower");
      ++checked;
    }
  }
  EXPECT_EQ(checked, 3);
}

TEST_F(ImportTest, ImportingTwiceIsANoOpInTheStore) {
  const std::string source = Data("asv/results");
  Outcome first = Perfledger({"import", "--from", "asv", "--project", "kedro", source});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  Outcome second = Perfledger({"import", "--from", "asv", "--project", "kedro", source});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(first.out, second.out);  // byte for byte: same run ids, same content
  std::istringstream lines(first.out);
  std::string line;
  int count = 0;
  while (std::getline(lines, line)) ++count;
  EXPECT_EQ(count, 2);  // JSON Lines on stdout, one artifact a line

  std::ofstream(dir_ / "a.jsonl") << first.out;
  std::ofstream(dir_ / "b.jsonl") << second.out;
  Outcome ingest = Perfledger({"ingest", "--format", "json", (dir_ / "a.jsonl").string()});
  ASSERT_EQ(ingest.exit_code, 0) << ingest.err;
  EXPECT_EQ(json::parse(ingest.out)["ingested"], 2);
  Outcome again = Perfledger({"ingest", "--format", "json", (dir_ / "b.jsonl").string()});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(json::parse(again.out)["ingested"], 0);
  EXPECT_EQ(json::parse(again.out)["already_present"], 2);

  const json runs = Runs();
  ASSERT_EQ(runs.size(), 2u);
  for (const json& r : runs) EXPECT_EQ(r["platform"], "github-actions");  // asv's machine name

  // The values survive ingest: export the stored run of the newer commit and look.
  Outcome exported = Perfledger({"export"});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  bool found = false;
  std::istringstream stored(exported.out);
  while (std::getline(stored, line)) {
    const json a = json::parse(line);
    if (a["commit"]["sha"] != "0064ded569f184aa02e6ec55ff5ed63c7312f744") continue;
    found = true;
    EXPECT_EQ(a["commit"]["time"], "2026-03-27T13:03:45Z");  // asv's "date"
    for (const json& b : a["benchmarks"]) {
      if (b["name"] == "benchmark_datacatalog.TimeDataCatalog.time_load") {
        EXPECT_EQ(b["metrics"]["wall_time"]["unit"], "s");
        EXPECT_DOUBLE_EQ(b["metrics"]["wall_time"]["summary"]["median"].get<double>(),
                         1.76807474000001);
        EXPECT_EQ(b["metrics"]["wall_time"]["summary"]["n"], 10);
      }
      if (b["name"] == "benchmark_runner.RunnerMemorySuite.peakmem_runners/SequentialRunner") {
        EXPECT_EQ(b["metrics"]["max_rss"]["unit"], "bytes");
        EXPECT_EQ(b["metrics"]["max_rss"]["samples"], json::array({87392256}));
      }
    }
    EXPECT_EQ(a["benchmarks"].size(), 9u);
  }
  EXPECT_TRUE(found);
}

TEST_F(ImportTest, BencherFileWithCommitAndDate) {
  const std::string sha = "2f2ceb24265a7e63601cf1ffde7d586cd666a783";
  const fs::path out = dir_ / "bmf";
  for (const char* fixture : {"bencher/report_latency.json", "bencher/report_dhat.json"}) {
    const std::string platform =
        std::string(fixture).find("dhat") != std::string::npos ? "dhat" : "x86-64-linux";
    Outcome o = Perfledger({"import", "--from", "bencher", "--project", "demo", "--platform",
                            platform, "--commit", sha, "--date", "2026-11-22T10:04:00Z", "--out",
                            out.string(), Data(fixture)});
    ASSERT_EQ(o.exit_code, 0) << fixture << ": " << o.err;
  }
  const json a = ReadJson(out / ("benchmark-results-" + sha + "-x86-64-linux.json"));
  EXPECT_EQ(a["started_at"], "2026-11-22T10:04:00Z");
  const json& latency = a["benchmarks"][0]["metrics"]["latency"];
  EXPECT_EQ(latency["unit"], "ns");
  EXPECT_EQ(latency["summary"]["mean"], 3247);
  EXPECT_EQ(latency["summary"]["lower"], 1044);
  Outcome ingest = Perfledger({"ingest", out.string()});
  ASSERT_EQ(ingest.exit_code, 0) << ingest.err;
  EXPECT_EQ(Runs().size(), 2u);
}

TEST_F(ImportTest, BadInputIsOneLineExitTwoAndWritesNothing) {
  // A real file with one commit id cut short, after two good commits: nothing is written.
  std::ifstream in(Data("github-action-benchmark/hyper-cargo.data.js"));
  std::stringstream text;
  text << in.rdbuf();
  std::string s = text.str();
  const std::string third = "2f2ceb24265a7e63601cf1ffde7d586cd666a783";
  s.replace(s.find("\"id\": \"" + third), 7 + third.size(), "\"id\": \"2f2ceb2");
  const fs::path bad = dir_ / "data.js";
  std::ofstream(bad) << s;
  const fs::path out = dir_ / "out";
  Outcome o = Perfledger({"import", "--from", "github-action-benchmark", "--platform", "linux",
                          "--out", out.string(), bad.string()});
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_EQ(o.err, "error: " + bad.string() +
                       ": /entries/connect/2/commit/id: expected a full 40-hex commit sha, got "
                       "a string (\"2f2ceb2\"): import needs full commit ids to place each "
                       "result in history\n");
  EXPECT_FALSE(fs::exists(out));
  EXPECT_EQ(o.out, "");

  Outcome no_platform = Perfledger({"import", "--from", "github-action-benchmark",
                                    Data("github-action-benchmark/hyper-cargo.data.js")});
  EXPECT_EQ(no_platform.exit_code, 2);
  EXPECT_NE(no_platform.err.find("--platform: required"), std::string::npos) << no_platform.err;
  EXPECT_EQ(no_platform.out, "");
}

TEST_F(ImportTest, HelpShowsEveryFormatAndAnExample) {
  Outcome o = RunCommand({kBin, "import", "--help"});
  ASSERT_EQ(o.exit_code, 0) << o.err;
  for (const char* text :
       {"github-action-benchmark", "asv", "bencher", "--asv-env", "perfledger import --from asv"}) {
    EXPECT_NE(o.out.find(text), std::string::npos) << text;
  }
}

}  // namespace
}  // namespace perfledger
