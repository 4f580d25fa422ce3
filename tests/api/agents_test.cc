// Job hand-out end to end (issue 14): `perfledger serve --repo` processes that plan by
// themselves (on a timer and on POST .../push) and `perfledger agent` processes that claim,
// run, upload and complete, over a real git repository with a real suite, on loopback.
//
// A bare remote gets 40 commits pushed with `git push` in four bursts of ten; every server
// plans from its own `git clone --mirror` of it, every agent checks commits out of its own
// clone. The suite has two command benchmarks that take milliseconds, but one commit adds a
// file that makes one of them sleep: the agent that runs that commit's job on the first
// platform is SIGKILLed mid-job, and the second agent of that platform must run it once the
// lease (3 s) has expired. At the end every planned job is done with exactly one stored run of
// its commit and platform, no commit and platform is measured twice, and coverage finds no
// unaccounted commit on any platform. Two servers on one PostgreSQL; then one on SQLite.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "base/time.h"
#include "pg_server.h"
#include "serve_process.h"
#include "subprocess.h"

namespace perfledger {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using serve_process::Binary;
using serve_process::ReadFile;
using serve_process::Reply;
using serve_process::Server;
using serve_process::Spawn;
using subprocess::Outcome;
using Clock = std::chrono::steady_clock;

const std::string kProject = "demo";
const std::vector<std::string> kPlatforms = {"x86-64-linux", "aarch64-linux", "aarch64-macos"};
constexpr int kBursts = 4, kPerBurst = 10;
// Commits are 20 s apart and the window is one minute, so commit i is the newest of its window
// when i % 3 == 2: the slow commit is planned for itself, in the middle of the third burst.
constexpr int kSlowCommit = 26;

// The suite of every commit: the same benchmarks throughout (one epoch), `maybe-slow` sleeps
// 2 s a run where the commit has slow.txt.
constexpr char kSuite[] = R"toml([suite]
name = "e2e"
revision = 1
warmup = 0
runs = 3

[[benchmark]]
name = "true"
command = ["/bin/true"]

[[benchmark]]
name = "maybe-slow"
command = "if [ -f slow.txt ]; then sleep 2; fi"
)toml";

std::string GitBinary() {
  for (const char* dir : {"/usr/bin", "/usr/local/bin", "/bin"}) {
    const fs::path p = fs::path(dir) / "git";
    if (fs::exists(p)) return p.string();
  }
  return "git";
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

double Since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// One `perfledger agent` process.
struct Agent {
  std::string name, platform;
  pid_t pid = -1;
  fs::path err;
};

class AgentsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("perfledger-agents-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    // Commit 0 three hours ago, on a minute boundary (windows are aligned to the epoch): every
    // window of the 40 commits has closed when they are planned.
    const int64_t now = static_cast<int64_t>(std::time(nullptr));
    t0_ = (now - 3 * 3600) / 60 * 60;
    // Regression: libgit2 1.5 (Debian 12) leaks PCRE2 match data in git_remote_lookup; the
    // servers' and agents' fetches leaked about 370 KB each until they made origin from its
    // URL alone (schedule/git_origin.h). LeakSanitizer in every process started here checks.
  }

  void TearDown() override {
    for (Agent& a : agents_) {
      if (a.pid <= 0) continue;
      kill(a.pid, SIGKILL);
      subprocess::Wait(a.pid);
    }
    if (std::getenv("PERFLEDGER_KEEP_TMP") == nullptr && !HasFailure()) {
      fs::remove_all(dir_);
    } else {
      std::fprintf(stderr, "kept %s\n", dir_.c_str());
    }
  }

  Outcome Git(const fs::path& cwd, std::vector<std::string> args,
              std::map<std::string, std::string> env = {}) {
    std::vector<std::string> argv = {GitBinary()};
    argv.insert(argv.end(), args.begin(), args.end());
    env["GIT_CONFIG_NOSYSTEM"] = "1";
    env["HOME"] = dir_.string();  // no user configuration
    Outcome o = subprocess::RunCommand(argv, cwd.string(), env);
    EXPECT_EQ(o.exit_code, 0) << "git " << args[0] << ": " << o.err;
    return o;
  }

  Outcome Perfledger(const std::string& db, std::vector<std::string> args) {
    std::vector<std::string> argv = {Binary(), "--db", db};
    argv.insert(argv.end(), args.begin(), args.end());
    return subprocess::RunCommand(argv, dir_.string(), subprocess::LocalMachineEnv());
  }

  // Commit i in the working clone, 20 s after commit i - 1; returns its sha.
  std::string Commit(int i) {
    const fs::path work = dir_ / "work";
    std::ofstream(work / "counter.txt") << i << "\n";
    if (i == kSlowCommit) std::ofstream(work / "slow.txt") << "sleep\n";
    if (i == kSlowCommit + 1) fs::remove(work / "slow.txt");
    Git(work, {"add", "-A"});
    const std::string date = "@" + std::to_string(t0_ + 20 * i) + " +0000";
    Git(work,
        {"-c", "user.name=Perf Test", "-c", "user.email=perf@example.org", "commit", "-q", "-m",
         i == kSlowCommit ? "Make it slow" : "Change " + std::to_string(i)},
        {{"GIT_AUTHOR_DATE", date}, {"GIT_COMMITTER_DATE", date}});
    return Trim(Git(work, {"rev-parse", "HEAD"}).out);
  }

  // The remote, the working clone with commit 0 (the suite) pushed, a mirror per server.
  void MakeRepositories(int servers) {
    Git(dir_, {"init", "-q", "--bare", "-b", "main", "remote.git"});
    Git(dir_, {"clone", "-q", "remote.git", "work"});
    std::ofstream(dir_ / "work" / "perfledger.toml") << kSuite;
    shas_.push_back(Commit(0));
    Git(dir_ / "work", {"push", "-q", "origin", "main"});
    for (int s = 0; s < servers; ++s) {
      Git(dir_, {"clone", "-q", "--mirror", "remote.git", "server-" + std::to_string(s) + ".git"});
    }
  }

  void StartAgent(const std::string& name, const std::string& platform, Server& server) {
    const fs::path clone = dir_ / ("clone-" + name);
    Git(dir_, {"clone", "-q", "remote.git", clone.string()});
    Agent a{name, platform, -1, dir_ / (name + ".err")};
    a.pid =
        Spawn({Binary(), "agent", "--server", "http://127.0.0.1:" + std::to_string(server.port()),
               "--token", token_, "--platform", platform, "--repo", clone.string(), "--name", name,
               "--poll", "200ms", "--project", kProject},
              (dir_ / (name + ".out")).string(), a.err.string());
    ASSERT_GT(a.pid, 0);
    agents_.push_back(a);
  }

  Agent* AgentNamed(const std::string& name) {
    for (Agent& a : agents_) {
      if (a.name == name) return &a;
    }
    return nullptr;
  }

  // SIGTERM to every agent still running: each finishes its job in hand and exits 0.
  void StopAgents() {
    for (Agent& a : agents_) {
      if (a.pid > 0) kill(a.pid, SIGTERM);
    }
    for (Agent& a : agents_) {
      if (a.pid <= 0) continue;
      const auto deadline = Clock::now() + std::chrono::seconds(30);
      int status = 0;
      while (waitpid(a.pid, &status, WNOHANG) != a.pid) {
        if (Clock::now() > deadline) {
          ADD_FAILURE() << "agent " << a.name << " did not exit on SIGTERM within 30 s";
          kill(a.pid, SIGKILL);
          waitpid(a.pid, &status, 0);
          break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
      a.pid = -1;
      EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
          << "agent " << a.name << ": status " << status << "\n"
          << ReadFile(a.err);
    }
  }

  json Queue(Server& s) {
    Reply r = s.Get("/api/v1/queue");
    EXPECT_EQ(r.status, 200) << r.body << r.error;
    return r.status == 200 ? r.Json() : json::object({{"jobs", json::array()}});
  }

  // Everything the servers and agents said, for a failure's message.
  std::string Logs() {
    std::string all;
    for (const auto& f : fs::directory_iterator(dir_)) {
      const std::string ext = f.path().extension().string();
      if (ext != ".err" && ext != ".out") continue;
      std::string text = ReadFile(f.path());
      if (text.size() > 6000) text = "..." + text.substr(text.size() - 6000);
      all += "==== " + f.path().filename().string() + "\n" + text;
    }
    return all;
  }

  // The scenario, with one server per entry of `dbs` (all the same store).
  void RunScenario(const std::vector<std::string>& dbs);

  fs::path dir_;
  int64_t t0_ = 0;
  std::string token_;
  std::vector<std::string> shas_;  // shas_[i] is commit i
  std::vector<Agent> agents_;
};

void AgentsTest::RunScenario(const std::vector<std::string>& dbs) {
  const auto start = Clock::now();
  const std::string& db = dbs.front();
  Outcome t = Perfledger(db, {"token", "create", "--project", kProject});
  ASSERT_EQ(t.exit_code, 0) << t.err;
  token_ = Trim(t.out);
  ASSERT_TRUE(token_.starts_with("plt_")) << token_;
  MakeRepositories(static_cast<int>(dbs.size()));

  std::vector<std::unique_ptr<Server>> servers;
  for (size_t s = 0; s < dbs.size(); ++s) {
    std::vector<std::string> args = {
        "--repo", (dir_ / ("server-" + std::to_string(s) + ".git")).string(), "--branch", "main"};
    for (const auto& p : kPlatforms) args.insert(args.end(), {"--platform", p});
    // Every closed one-minute window is planned, however deep the queue gets: the test counts
    // on every commit being planned or skipped into a job's range, not on degradation.
    args.insert(args.end(),
                {"--plan-every", "3s", "--lease", "3s", "--max-attempts", "3", "--window", "1m",
                 "--degrade-widen-above", "0", "--degrade-reset-above", "0"});
    servers.push_back(std::make_unique<Server>(dir_, dbs[s], args));
    ASSERT_GT(servers.back()->port(), 0);
  }
  auto server = [&](size_t i) -> Server& { return *servers[i % servers.size()]; };
  // Two agents on the first platform (one of them is killed), one on each of the others; on
  // alternate servers.
  const std::string& killed_platform = kPlatforms[0];
  StartAgent("agent-a1", kPlatforms[0], server(0));
  StartAgent("agent-a2", kPlatforms[0], server(1));
  StartAgent("agent-b1", kPlatforms[1], server(0));
  StartAgent("agent-c1", kPlatforms[2], server(1));
  if (HasFatalFailure()) return;
  std::fprintf(stderr, "[ scenario ] started %zu server(s) and 4 agents at %.1f s\n",
               servers.size(), Since(start));

  int64_t killed_job = 0;
  std::string killed_agent;
  json lease_end;  // the killed agent's lease on its job
  for (int burst = 0; burst < kBursts; ++burst) {
    for (int i = burst * kPerBurst + 1; i <= (burst + 1) * kPerBurst; ++i) {
      shas_.push_back(Commit(i));
    }
    Git(dir_ / "work", {"push", "-q", "origin", "main"});
    Reply pushed = server(burst).Post("/api/v1/projects/" + kProject + "/push",
                                      json{{"sha", shas_.back()}}.dump(), token_);
    ASSERT_EQ(pushed.status, 200) << pushed.body << pushed.error << Logs();
    EXPECT_EQ(pushed.Json()["head"], shas_.back()) << pushed.body;
    std::fprintf(stderr, "[ scenario ] burst %d pushed and planned at %.1f s\n", burst + 1,
                 Since(start));
    if ((burst + 1) * kPerBurst < kSlowCommit || killed_job != 0) {
      std::this_thread::sleep_for(std::chrono::seconds(1));
      continue;
    }
    // The slow commit is planned: kill the agent that runs it on the first platform, mid-job.
    const auto deadline = Clock::now() + std::chrono::seconds(90);
    while (killed_job == 0 && Clock::now() < deadline) {
      const json now = Queue(server(0));
      for (const json& j : now["jobs"]) {
        if (j["sha"] != shas_[kSlowCommit] || j["platform"] != killed_platform) continue;
        if (j["state"] == "running" && j["agent"].is_string()) {
          killed_job = j["id"].get<int64_t>();
          killed_agent = j["agent"].get<std::string>();
        }
      }
      if (killed_job == 0) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ASSERT_NE(killed_job, 0) << "the slow commit's job never ran on " << killed_platform << "\n"
                             << Queue(server(0)).dump(1) << Logs();
    Agent* victim = AgentNamed(killed_agent);
    ASSERT_NE(victim, nullptr) << killed_agent;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));  // into its benchmarks
    ASSERT_EQ(kill(victim->pid, SIGKILL), 0);
    subprocess::Wait(victim->pid);
    victim->pid = -1;
    // Its lease as the agent left it: the job is handed out again only once it has expired.
    const json after = Queue(server(1));
    for (const json& j : after["jobs"]) {
      if (j["id"] == killed_job && j["agent"] == killed_agent) lease_end = j["lease_expires_at"];
    }
    std::fprintf(stderr, "[ scenario ] killed %s mid-job %lld at %.1f s\n", killed_agent.c_str(),
                 static_cast<long long>(killed_job), Since(start));
  }
  ASSERT_NE(killed_job, 0);

  // Every job ends: none waiting, none running.
  json queue;
  const auto deadline = Clock::now() + std::chrono::seconds(120);
  for (;;) {
    queue = Queue(server(0));
    size_t open = 0;
    for (const json& j : queue["jobs"]) open += j["state"] == "queued" || j["state"] == "running";
    if (open == 0 && !queue["jobs"].empty()) break;
    ASSERT_LT(Clock::now(), deadline) << open << " jobs still open:\n" << queue.dump(1) << Logs();
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  std::fprintf(stderr, "[ scenario ] %zu jobs ended at %.1f s\n", queue["jobs"].size(),
               Since(start));
  StopAgents();

  Reply runs_reply = server(1).Get("/api/v1/runs?limit=10000");
  ASSERT_EQ(runs_reply.status, 200) << runs_reply.body;
  const json runs = runs_reply.Json()["runs"];
  std::map<std::pair<std::string, std::string>, std::vector<std::string>> runs_of;
  for (const json& r : runs) {
    runs_of[{r["sha"].get<std::string>(), r["platform"].get<std::string>()}].push_back(
        r["run_id"].get<std::string>());
  }
  std::map<std::pair<std::string, std::string>, int> jobs_of;
  const std::set<std::string> shas(shas_.begin(), shas_.end());
  std::map<std::string, std::set<std::string>> planned;  // platform -> shas with a job
  for (const json& j : queue["jobs"]) {
    const std::pair<std::string, std::string> key{j["sha"].get<std::string>(),
                                                  j["platform"].get<std::string>()};
    // One job per commit and platform, though two servers plan on a timer and on pushes.
    EXPECT_EQ(++jobs_of[key], 1) << "a second job for " << key.first << " on " << key.second;
    planned[key.second].insert(key.first);
    EXPECT_TRUE(shas.contains(key.first)) << j.dump();
    EXPECT_EQ(j["state"], "done") << j.dump();
    const auto& stored = runs_of[key];
    EXPECT_EQ(stored.size(), 1u) << "job " << j["id"] << " (" << key.first << " on " << key.second
                                 << ") has " << stored.size() << " runs";
    if (j["run_id"].is_string() && stored.size() == 1) {
      EXPECT_EQ(j["run_id"], stored[0]);
    }
  }
  for (const auto& [key, ids] : runs_of) {
    if (ids.empty()) continue;
    EXPECT_GE(jobs_of[key], static_cast<int>(ids.size()))
        << ids.size() << " runs of " << key.first << " on " << key.second << " but " << jobs_of[key]
        << " jobs";
  }
  EXPECT_EQ(runs.size(), queue["jobs"].size());
  for (const auto& p : kPlatforms) {
    EXPECT_TRUE(planned[p].contains(shas_[kSlowCommit]))
        << "the slow commit is not planned on " << p;
    EXPECT_GT(planned[p].size(), 10u) << p;
  }

  // The killed agent's job was run again, by the other agent of its platform.
  bool found = false;
  for (const json& j : queue["jobs"]) {
    if (j["id"] != killed_job) continue;
    found = true;
    EXPECT_EQ(j["state"], "done") << j.dump();
    EXPECT_GE(j["attempt"].get<int>(), 2) << j.dump();
    ASSERT_TRUE(j["agent"].is_string()) << j.dump();
    EXPECT_NE(j["agent"], killed_agent) << j.dump();
    const Agent* finisher = AgentNamed(j["agent"].get<std::string>());
    ASSERT_NE(finisher, nullptr) << j.dump();
    EXPECT_EQ(finisher->platform, killed_platform);
    ASSERT_TRUE(lease_end.is_string()) << "the killed agent's job was handed out at once";
    auto expired = base::ParseRfc3339(lease_end.get<std::string>());
    auto reclaimed = base::ParseRfc3339(j["claimed_at"].get<std::string>());
    ASSERT_TRUE(expired.ok() && reclaimed.ok()) << j.dump();
    EXPECT_GE(reclaimed->unix_nanos, expired->unix_nanos) << lease_end << " " << j.dump();
  }
  EXPECT_TRUE(found) << killed_job;
  // The killed agent had claimed it and sent nothing of it.
  const std::string victim_log = ReadFile(dir_ / (killed_agent + ".err"));
  const std::string label = "job " + std::to_string(killed_job) + " (";
  EXPECT_NE(victim_log.find(label), std::string::npos) << victim_log;
  EXPECT_EQ(victim_log.find(label, victim_log.find(label) + 1), std::string::npos) << victim_log;

  // Both servers see the same queue.
  if (servers.size() > 1) {
    std::map<int64_t, std::string> a, b;
    for (const json& j : queue["jobs"]) a[j["id"].get<int64_t>()] = j["state"].get<std::string>();
    const json other = Queue(server(1));
    for (const json& j : other["jobs"]) {
      b[j["id"].get<int64_t>()] = j["state"].get<std::string>();
    }
    EXPECT_EQ(a, b);
  }

  // Every commit is measured, or represented by a measured commit's range.
  Outcome cov = Perfledger(
      db, {"coverage", "--repo", (dir_ / "work").string(), "--branch", "main", "--format", "json"});
  ASSERT_EQ(cov.exit_code, 0) << cov.err;
  const json rows = json::parse(cov.out);
  ASSERT_EQ(rows.size(), kPlatforms.size()) << cov.out;
  for (const json& row : rows) {
    EXPECT_EQ(row["commits"], shas_.size()) << row.dump();
    EXPECT_EQ(row["unaccounted"], 0) << row.dump();
    EXPECT_EQ(row["pending"], 0) << row.dump();
    EXPECT_EQ(row["measured"].get<size_t>(), planned[row["platform"].get<std::string>()].size())
        << row.dump();
  }

  for (auto& s : servers) s->StopCleanly();
  if (HasFailure()) std::fprintf(stderr, "%s\n", Logs().c_str());
  std::fprintf(stderr, "[ scenario ] done in %.1f s\n", Since(start));
}

TEST_F(AgentsTest, TwoServersOnPostgresThreePlatformsOneAgentKilled) {
  auto pg = testing::PgServer::Start();
  ASSERT_TRUE(pg.ok()) << pg.status().ToString();
  const std::string db = (*pg)->uri();
  RunScenario({db, db});
}

TEST_F(AgentsTest, OneServerOnSqliteThreePlatformsOneAgentKilled) {
  RunScenario({(dir_ / "perf.db").string()});
}

}  // namespace
}  // namespace perfledger
