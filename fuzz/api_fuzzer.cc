// Fuzzes the HTTP API as a function (server/api.h): a request made from the input goes
// through Api::Admit and Api::Handle as the transport sends it, and every response must be
// well formed: a status from 100 to 599, a body that is valid JSON when it says it is JSON,
// an error body {"error": {"code", "message"}} for every status from 400, no 500 (the store
// is healthy, so a 500 is a bug: an exception or a broken invariant), and never a byte of the
// file the dashboard's web root holds a link to.
//
// The input is text:
//   METHOD /path                  the method is mapped onto GET, HEAD, POST, PUT, PATCH,
//                                 DELETE, OPTIONS when it is none of them
//   q name=value                  query parameters, any number
//   auth valid|other|<raw>        a token of project gruel, of project other, or the raw
//                                 Authorization header
//   host <Host>                   origin <Origin>   length <Content-Length>
//   encoding <Content-Encoding>   private (reads need a token)   webroot (files from a dir)
//   (an empty line)
//   the body
// PERFLEDGER_API_FUZZ_TRACE=1 in the environment prints each request's response.
//
// LLVMFuzzerInitialize builds, once, a store in a temporary directory with two tokens, runs
// of two projects on two platforms, an alert and a plan; a request that may have written to
// it (a write the API accepted) is followed by a fresh copy of that store, so every input
// meets the same data.
#include <unistd.h>

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/time.h"
#include "core/artifact.h"
#include "core/token.h"
#include "server/api.h"
#include "store/store.h"

namespace {

namespace fs = std::filesystem;
using perfledger::server::Api;
using perfledger::server::Request;
using perfledger::server::Response;

constexpr std::string_view kSecret = "PERFLEDGER-FUZZ-SECRET-OUTSIDE-THE-WEB-ROOT";

struct World {
  fs::path dir, db, pristine, web_root;
  std::string token, other_token;
  std::unique_ptr<Api> open, private_reads, files;

  void OpenApis() {
    perfledger::server::ApiOptions o;
    o.db = db.string();
    o.max_body = 1 << 20;
    open = std::make_unique<Api>(o);
    o.private_reads = true;
    private_reads = std::make_unique<Api>(o);
    o.private_reads = false;
    o.web_root = web_root.string();
    files = std::make_unique<Api>(o);
  }

  // The store as LLVMFuzzerInitialize left it, with new Api objects (no cached documents).
  void Restore() {
    open.reset();
    private_reads.reset();
    files.reset();
    for (const char* suffix : {"-wal", "-shm"}) fs::remove(db.string() + suffix);
    fs::copy_file(pristine, db, fs::copy_options::overwrite_existing);
    OpenApis();
  }
};

World* world = nullptr;

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "api_fuzzer: %s\n", what.c_str());
  std::abort();
}

std::string Sha(int i) {
  std::string s = std::to_string(i);
  return std::string(40 - s.size(), 'a') + s;
}

perfledger::core::Run MakeRun(int i, const std::string& project, const std::string& platform,
                              double wall) {
  perfledger::core::Run r;
  char id[40];
  std::snprintf(id, sizeof id, "0b6f6c1e-3a51-4c1d-9a55-%012x",
                static_cast<unsigned>(i * 2 + (platform == "linux" ? 0 : 1)));
  r.run_id = id;
  r.project = project;
  r.commit.sha = Sha(i);
  r.commit.branch = "trunk";
  r.commit.time = perfledger::base::Timestamp{(1'700'000'000LL + i * 600) * 1'000'000'000};
  r.commit.subject = "commit " + std::to_string(i);
  r.commit_range = {i > 0 ? std::optional<std::string>(Sha(i - 1)) : std::nullopt, r.commit.sha, 1};
  r.platform = platform;
  r.environment.os = platform;
  r.environment.cores = 4;
  r.environment.fingerprint = perfledger::core::ComputeFingerprint(r.environment);
  r.started_at = perfledger::base::Timestamp{r.commit.time->unix_nanos + 1'000'000'000};
  r.finished_at = perfledger::base::Timestamp{r.started_at.unix_nanos + 1'000'000'000};
  perfledger::core::BenchmarkResult a;
  a.name = "parse/small";
  a.metrics.push_back(
      {"wall_time", "ns", perfledger::core::Direction::kLower, {wall, wall * 1.01, wall}, {}});
  r.benchmarks.push_back(a);
  perfledger::core::BenchmarkResult b;
  b.name = "sort/large";
  perfledger::core::Summary s;
  s.n = 10;
  s.mean = 500 + i;
  s.stddev = 3;
  b.metrics.push_back({"wall_time", "ns", perfledger::core::Direction::kLower, {}, s});
  r.benchmarks.push_back(b);
  if (i == 5) {
    perfledger::core::BenchmarkResult failed;
    failed.name = "zip/huge";
    failed.error = "exit status 101";
    r.benchmarks.push_back(failed);
  }
  return r;
}

std::string MakeToken(perfledger::store::Store& store, const std::string& project) {
  auto token = perfledger::core::NewApiToken();
  if (!token.ok()) Die("token: " + token.status().message());
  perfledger::store::TokenRecord t;
  t.project = project;
  t.hash = perfledger::core::ApiTokenHash(*token);
  t.prefix = perfledger::core::ApiTokenDisplayPrefix(*token);
  if (auto id = store.CreateToken(t); !id.ok()) Die("token: " + id.status().message());
  return *token;
}

void Fill(perfledger::store::Store& store) {
  std::vector<perfledger::core::Run> runs;
  for (int i = 0; i < 12; ++i) {
    const double wall = i < 8 ? 1000 : 1300;  // a regression at commit 8
    runs.push_back(MakeRun(i, "gruel", "linux", wall + (i % 3)));
    if (i % 2 == 0) runs.push_back(MakeRun(i, "gruel", "macos", 2 * wall));
  }
  runs.push_back(MakeRun(40, "other", "linux", 10));
  if (auto s = store.Ingest(runs); !s.ok()) Die("ingest: " + s.status().message());

  std::vector<perfledger::store::AlertRecord> alerts(1);
  auto& a = alerts[0];
  a.project = "gruel";
  a.platform = "linux";
  a.benchmark = "parse/small";
  a.metric = "wall_time";
  a.unit = "ns";
  a.range_from = Sha(7);
  a.range_to = Sha(8);
  a.range_count = 1;
  a.before_median = 1000;
  a.after_median = 1300;
  a.change = 0.3;
  a.confidence = 0.99;
  a.kind = perfledger::core::AlertKind::kRegression;
  a.created_at = a.updated_at = perfledger::base::Timestamp{1'700'010'000LL * 1'000'000'000};
  if (auto s = store.RecordAlerts(alerts, {}); !s.ok()) Die("alerts: " + s.message());

  perfledger::store::PlanRecord plan;
  plan.now = perfledger::base::Timestamp{1'700'009'000LL * 1'000'000'000};
  plan.branch = "trunk";
  plan.head = Sha(14);
  plan.degradation = "none";
  plan.window_nanos = 900'000'000'000;
  for (int i = 0; i <= 14; ++i) {
    perfledger::store::CommitRecord c;
    c.sha = Sha(i);
    if (i > 0) c.first_parent = Sha(i - 1);
    c.parent_count = i > 0 ? 1 : 0;
    c.time = perfledger::base::Timestamp{(1'700'000'000LL + i * 600) * 1'000'000'000};
    c.subject = "commit " + std::to_string(i);
    plan.commits.push_back(c);
  }
  perfledger::store::JobRecord job;
  job.sha = Sha(14);
  job.platform = "linux";
  job.reason = "schedule";
  job.range_from = Sha(11);
  job.range_count = 3;
  plan.jobs.push_back(job);
  for (int i : {12, 13}) {
    perfledger::store::SkipRecord skip;
    skip.sha = Sha(i);
    skip.platform = "linux";
    skip.reason = "window";
    skip.superseded_by = Sha(14);
    plan.skips.push_back(skip);
  }
  if (auto s = store.RecordPlan(plan); !s.ok()) Die("plan: " + s.message());
}

void WriteFile(const fs::path& path, std::string_view text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

void Cleanup() {
  if (world == nullptr) return;
  world->open.reset();
  world->private_reads.reset();
  world->files.reset();
  std::error_code ec;
  fs::remove_all(world->dir, ec);
}

// ---- the input ----

struct Input {
  Request request;
  bool private_reads = false, files = false;
};

std::string_view NextLine(std::string_view& text) {
  const size_t nl = text.find('\n');
  std::string_view line = text.substr(0, nl);
  text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

Input Parse(std::string_view text) {
  static constexpr std::string_view kMethods[] = {"GET",   "HEAD",   "POST",   "PUT",
                                                  "PATCH", "DELETE", "OPTIONS"};
  Input in;
  Request& r = in.request;
  std::string_view first = NextLine(text);
  const size_t space = first.find(' ');
  const std::string_view method = first.substr(0, space);
  r.path = space == std::string_view::npos ? "/" : std::string(first.substr(space + 1));
  r.method = std::string(kMethods[0]);
  unsigned sum = 0;
  for (char c : method) sum += static_cast<unsigned char>(c);
  r.method = std::string(kMethods[sum % std::size(kMethods)]);
  for (std::string_view m : kMethods) {
    if (m == method) r.method = std::string(m);
  }
  while (!text.empty()) {
    std::string_view line = NextLine(text);
    if (line.empty()) break;
    const size_t sp = line.find(' ');
    const std::string_view key = line.substr(0, sp);
    const std::string_view value =
        sp == std::string_view::npos ? std::string_view() : line.substr(sp + 1);
    if (key == "q") {
      const size_t eq = value.find('=');
      r.query.emplace(std::string(value.substr(0, eq)),
                      eq == std::string_view::npos ? "" : std::string(value.substr(eq + 1)));
    } else if (key == "auth") {
      if (value == "valid") {
        r.authorization = "Bearer " + world->token;
      } else if (value == "other") {
        r.authorization = "Bearer " + world->other_token;
      } else {
        r.authorization = std::string(value);
      }
    } else if (key == "host") {
      r.host = std::string(value);
    } else if (key == "origin") {
      r.origin = std::string(value);
    } else if (key == "length") {
      uint64_t n = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (ec == std::errc()) r.content_length = n;
    } else if (key == "encoding") {
      r.content_encoding = std::string(value);
    } else if (key == "private") {
      in.private_reads = true;
    } else if (key == "webroot") {
      in.files = true;
    }
  }
  r.body = std::string(text);
  return in;
}

// ---- the checks ----

bool Mentions(const Request& req, std::string_view text) {
  auto in = [&](const std::string& s) { return s.find(text) != std::string::npos; };
  if (in(req.path) || in(req.body)) return true;
  for (const auto& [k, v] : req.query) {
    if (in(k) || in(v)) return true;
  }
  for (const auto* h : {&req.authorization, &req.host, &req.origin, &req.content_encoding}) {
    if (*h && in(**h)) return true;
  }
  return false;
}

void Check(const Request& req, const Response& r, std::string_view step) {
  auto fail = [&](const std::string& what) {
    Die(std::string(step) + " " + req.method + " " + req.path + ": " + what + "\nstatus " +
        std::to_string(r.status) + " " + r.content_type + "\n" + r.text().substr(0, 2000));
  };
  if (r.status < 100 || r.status > 599) fail("status out of range");
  // (Unless the request holds the text itself, to be echoed in an error: the fuzzer learns
  // it from this very comparison.)
  if (r.text().find(kSecret) != std::string::npos && !Mentions(req, kSecret)) {
    fail("served a file outside the web root");
  }
  const bool is_json = r.content_type == "application/json";
  nlohmann::json body;
  if (is_json) {
    body = nlohmann::json::parse(r.text(), nullptr, /*allow_exceptions=*/false);
    if (body.is_discarded()) fail("the body is not valid JSON");
  }
  if (r.status >= 400) {
    if (!is_json) fail("an error without a JSON body");
    const auto error = body.find("error");
    if (error == body.end() || !error->is_object()) fail("an error body without \"error\"");
    const auto code = error->find("code");
    const auto message = error->find("message");
    if (code == error->end() || !code->is_string() || code->get<std::string>().empty()) {
      fail("an error without error.code");
    }
    if (message == error->end() || !message->is_string() || message->get<std::string>().empty()) {
      fail("an error without error.message");
    }
  }
  if (r.status >= 500) fail("a server error on a healthy store");
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  std::string tmpl = (fs::temp_directory_path() / "perfledger_api_fuzz.XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) Die("cannot make a temporary directory");
  world = new World;
  world->dir = tmpl;
  std::atexit(Cleanup);
  world->db = world->dir / "perf.db";
  world->pristine = world->dir / "pristine.db";
  world->web_root = world->dir / "web";
  {
    auto store = perfledger::store::OpenStore(world->db.string());
    if (!store.ok()) Die("store: " + store.status().message());
    world->token = MakeToken(**store, "gruel");
    world->other_token = MakeToken(**store, "other");
    Fill(**store);
  }  // closed: the WAL is checkpointed into the file
  fs::copy_file(world->db, world->pristine);
  WriteFile(world->web_root / "index.html", "<!doctype html><title>perfledger</title>");
  WriteFile(world->web_root / "assets" / "app.js", "console.log('perfledger')");
  WriteFile(world->dir / "secret.txt", kSecret);
  fs::create_symlink(world->dir / "secret.txt", world->web_root / "leak.txt");
  fs::create_directory_symlink(world->dir, world->web_root / "up");
  world->OpenApis();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > (1 << 16)) return 0;  // bodies that size tell nothing new, and are slow
  Input in = Parse(std::string_view(reinterpret_cast<const char*>(data), size));
  Api& api = in.files ? *world->files : in.private_reads ? *world->private_reads : *world->open;
  Request head = in.request;
  head.body.clear();
  size_t limit = 0;
  const std::optional<Response> refused = api.Admit(head, &limit);
  if (refused) Check(in.request, *refused, "Admit");
  const Response r = api.Handle(in.request);
  Check(in.request, r, "Handle");
  static const bool trace = std::getenv("PERFLEDGER_API_FUZZ_TRACE") != nullptr;
  if (trace) {
    std::fprintf(stderr, "%s %s -> %s%d %s\n", in.request.method.c_str(), in.request.path.c_str(),
                 refused ? "admit refused, " : "", r.status, r.text().substr(0, 160).c_str());
  }
  // Handle applies Admit's checks: what Admit refused for what Handle also sees (not the
  // declared length or encoding of a body Handle gets decoded) is refused there too.
  if (refused && refused->status != 413 && refused->status != 415 && r.status < 400) {
    Die("Admit refused " + in.request.method + " " + in.request.path + " with " +
        std::to_string(refused->status) + " but Handle answered " + std::to_string(r.status));
  }
  if (in.request.method != "GET" && in.request.method != "HEAD" && r.status < 300) {
    world->Restore();
  }
  return 0;
}
