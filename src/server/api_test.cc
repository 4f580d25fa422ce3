// The API as a function (server/api.h) over a real SQLite store: routing, authentication and
// the documents. tests/api/ checks the same over real HTTP with the perfledger binary.
// Just over 600 lines: one fixture (a store, tokens, an Api) shared by every case.
#include "server/api.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "base/uuid.h"
#include "core/artifact.h"
#include "core/token.h"
#include "env/fake_env.h"

namespace perfledger::server {
namespace {

using nlohmann::json;

std::string Sha(int i) {
  std::string s = std::to_string(i);
  return std::string(40 - s.size(), 'a') + s;
}

core::Run MakeRun(int i, const std::string& platform, double wall, const std::string& project) {
  core::Run r;
  r.run_id = base::NewUuidV4();
  r.project = project;
  r.commit.sha = Sha(i);
  r.commit.time = base::Timestamp{(1'700'000'000LL + i * 60) * 1'000'000'000};
  r.commit.subject = "commit " + std::to_string(i);
  r.commit_range = {i > 0 ? std::optional<std::string>(Sha(i - 1)) : std::nullopt, r.commit.sha, 1};
  r.platform = platform;
  r.environment.os = "linux";
  r.environment.cores = 4;
  r.environment.fingerprint = core::ComputeFingerprint(r.environment);
  r.started_at = base::Timestamp{r.commit.time->unix_nanos + 1'000'000'000};
  r.finished_at = base::Timestamp{r.started_at.unix_nanos + 1'000'000'000};
  core::BenchmarkResult b;
  b.name = "parse/small";
  b.metrics.push_back({"wall_time", "ns", core::Direction::kLower, {wall, wall * 1.01, wall}, {}});
  r.benchmarks.push_back(b);
  core::BenchmarkResult other;
  other.name = "sort/large";
  other.metrics.push_back({"wall_time", "ns", core::Direction::kLower, {500, 501, 502}, {}});
  r.benchmarks.push_back(other);
  return r;
}

class ApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("api_test_" + base::NewUuidV4());
    std::filesystem::create_directories(dir_);
    db_ = (dir_ / "perf.db").string();
    auto store = store::OpenStore(db_);
    ASSERT_TRUE(store.ok()) << store.status().message();
    token_ = *core::NewApiToken();
    store::TokenRecord t;
    t.project = "gruel";
    t.hash = core::ApiTokenHash(token_);
    t.prefix = core::ApiTokenDisplayPrefix(token_);
    ASSERT_TRUE((*store)->CreateToken(t).ok());
    other_token_ = *core::NewApiToken();
    t.project = "other";
    t.hash = core::ApiTokenHash(other_token_);
    t.prefix = core::ApiTokenDisplayPrefix(other_token_);
    ASSERT_TRUE((*store)->CreateToken(t).ok());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  Api MakeApi(bool private_reads = false) {
    ApiOptions o;
    o.db = db_;
    o.private_reads = private_reads;
    return Api(o);
  }

  Response Call(Api& api, std::string method, std::string path, std::string body = "",
                std::optional<std::string> token = std::nullopt,
                std::multimap<std::string, std::string> query = {}) {
    Request r;
    r.method = std::move(method);
    r.path = std::move(path);
    r.body = std::move(body);
    r.query = std::move(query);
    if (token) r.authorization = "Bearer " + *token;
    return api.Handle(r);
  }

  static json Body(const Response& r) { return json::parse(r.text()); }

  std::filesystem::path dir_;
  // Records a plan whose branch is commits 1..head (MakeRun's shas and times), as
  // `perfledger plan --record` leaves it.
  void RecordPlanUpTo(int head) {
    auto store = store::OpenStore(db_);
    ASSERT_TRUE(store.ok());
    store::PlanRecord plan;
    plan.now = base::Timestamp{(1'700'000'000LL + head * 60 + 30) * 1'000'000'000};
    plan.branch = "trunk";
    plan.head = Sha(head);
    plan.degradation = "none";
    for (int i = 1; i <= head; ++i) {
      store::CommitRecord c;
      c.sha = Sha(i);
      if (i > 1) c.first_parent = Sha(i - 1);
      c.parent_count = i > 1 ? 1 : 0;
      c.time = base::Timestamp{(1'700'000'000LL + i * 60) * 1'000'000'000};
      c.subject = "commit " + std::to_string(i);
      plan.commits.push_back(std::move(c));
    }
    ASSERT_TRUE((*store)->RecordPlan(plan).ok());
  }

  std::string db_, token_, other_token_;
};

TEST_F(ApiTest, UploadNeedsATokenOfItsProject) {
  Api api = MakeApi();
  const std::string artifact = core::WriteArtifact(MakeRun(1, "linux", 100, "gruel"));
  Response none = Call(api, "POST", "/api/v1/projects/gruel/runs", artifact);
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(Body(none)["error"]["code"], "unauthorized");
  Response wrong = Call(api, "POST", "/api/v1/projects/gruel/runs", artifact, "plt_nonsense");
  EXPECT_EQ(wrong.status, 401);
  Response other = Call(api, "POST", "/api/v1/projects/gruel/runs", artifact, other_token_);
  EXPECT_EQ(other.status, 403) << other.text();
  Response ok = Call(api, "POST", "/api/v1/projects/gruel/runs", artifact, token_);
  EXPECT_EQ(ok.status, 201) << ok.text();
  EXPECT_EQ(Body(ok)["ingested"], 1);
  Response again = Call(api, "POST", "/api/v1/projects/gruel/runs", artifact, token_);
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(Body(again)["already_present"], 1);
  // The token's use is noted.
  auto store = store::OpenStore(db_);
  auto tokens = (*store)->ListTokens(std::string("gruel"));
  ASSERT_EQ(tokens->size(), 1u);
  EXPECT_TRUE((*tokens)[0].last_used_at.has_value());
}

// Regression (found by fuzz/api_fuzzer.cc): an error echoing a path that is not UTF-8 (the
// transport decodes /%FF to the byte 0xFF) was not valid JSON.
TEST_F(ApiTest, ErrorsEchoingAPathThatIsNotUtf8AreValidJson) {
  Api api = MakeApi();
  for (const std::string path : {"/\xff", "/api/v1/\xe2\x82", "/api/v2/\xc0\xaf"}) {
    Response r = Call(api, "GET", path);
    EXPECT_EQ(r.status, 404) << r.text();
    json body = json::parse(r.text(), nullptr, /*allow_exceptions=*/false);
    ASSERT_FALSE(body.is_discarded()) << r.text();
    EXPECT_NE(body["error"]["message"].get<std::string>().find("\xef\xbf\xbd"), std::string::npos);
  }
}

// Regression (found reading the document cache while fuzzing the API): its key joined the
// query as "&name=value", so ?metric=wall_time%26project%3Dother (one parameter) had the key
// of ?metric=wall_time&project=other (two), and any client could have the server answer the
// second with the first's document until the next upload.
TEST_F(ApiTest, CachedDocumentsAreNotSharedBetweenDifferentQueries) {
  Api api = MakeApi();
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(Call(api, "POST", "/api/v1/projects/gruel/runs",
                   core::WriteArtifact(MakeRun(i, "linux", 100 + i, "gruel")), token_)
                  .status,
              201);
  }
  const std::multimap<std::string, std::string> real = {{"metric", "wall_time"},
                                                        {"project", "gruel"}};
  const std::multimap<std::string, std::string> crafted = {{"metric", "wall_time&project=gruel"}};
  Response first = Call(api, "GET", "/api/v1/index", "", std::nullopt, crafted);
  ASSERT_EQ(first.status, 200) << first.text();
  Response second = Call(api, "GET", "/api/v1/index", "", std::nullopt, real);
  ASSERT_EQ(second.status, 200) << second.text();
  Api fresh = MakeApi();
  EXPECT_EQ(second.text(), Call(fresh, "GET", "/api/v1/index", "", std::nullopt, real).text());
  EXPECT_NE(second.text(), first.text());
}

// A year's series is 45 MB: every cache hit copied it into its response, so each request in
// flight held one more copy (server RSS 589 MB on the year store). A hit shares the cached body;
// an upload makes a new one.
TEST_F(ApiTest, CacheHitsShareTheCachedBodyAndAnUploadReplacesIt) {
  Api api = MakeApi();
  auto upload = [&](int i) {
    return Call(api, "POST", "/api/v1/projects/gruel/runs",
                core::WriteArtifact(MakeRun(i, "linux", 100 + i, "gruel")), token_)
        .status;
  };
  ASSERT_EQ(upload(0), 201);
  ASSERT_EQ(upload(1), 201);
  const std::multimap<std::string, std::string> query = {{"benchmark", "parse/small"},
                                                         {"metric", "wall_time"}};
  Response first = Call(api, "GET", "/api/v1/series", "", std::nullopt, query);
  ASSERT_EQ(first.status, 200) << first.text();
  ASSERT_NE(first.shared, nullptr);
  EXPECT_TRUE(first.body.empty());
  Response second = Call(api, "GET", "/api/v1/series", "", std::nullopt, query);
  EXPECT_EQ(second.shared.get(), first.shared.get());
  // The gzip form is made once and kept with the body.
  const std::string& zipped = second.shared->gzipped();
  EXPECT_FALSE(zipped.empty());
  EXPECT_EQ(&first.shared->gzipped(), &zipped);
  ASSERT_EQ(upload(2), 201);
  Response third = Call(api, "GET", "/api/v1/series", "", std::nullopt, query);
  EXPECT_NE(third.shared.get(), first.shared.get());
  EXPECT_NE(third.text(), first.text());
  Api fresh = MakeApi();
  EXPECT_EQ(third.text(), Call(fresh, "GET", "/api/v1/series", "", std::nullopt, query).text());
}

TEST_F(ApiTest, ABatchWithOneBadArtifactStoresNothingAndNamesItsPointer) {
  Api api = MakeApi();
  json bad = json::parse(core::WriteArtifact(MakeRun(2, "linux", 100, "gruel")));
  bad["benchmarks"][0]["name"] = 7;
  const std::string body = "{\"artifacts\":[" +
                           core::WriteArtifact(MakeRun(1, "linux", 100, "gruel")) + "," +
                           bad.dump() + "]}";
  Response r = Call(api, "POST", "/api/v1/projects/gruel/runs", body, token_);
  EXPECT_EQ(r.status, 400) << r.text();
  EXPECT_EQ(Body(r)["error"]["pointer"], "/artifacts/1/benchmarks/0/name");
  EXPECT_NE(Body(r)["error"]["message"].get<std::string>().find("/artifacts/1/benchmarks/0/name"),
            std::string::npos);
  Response runs = Call(api, "GET", "/api/v1/runs");
  EXPECT_EQ(Body(runs)["total"], 0);
}

TEST_F(ApiTest, ARunOfAnotherProjectThanTheUrlIsRefused) {
  Api api = MakeApi();
  Response r = Call(api, "POST", "/api/v1/projects/gruel/runs",
                    core::WriteArtifact(MakeRun(1, "linux", 100, "other")), token_);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Body(r)["error"]["pointer"], "/project");
}

TEST_F(ApiTest, AConflictingRunIdIs409) {
  Api api = MakeApi();
  core::Run run = MakeRun(1, "linux", 100, "gruel");
  ASSERT_EQ(
      Call(api, "POST", "/api/v1/projects/gruel/runs", core::WriteArtifact(run), token_).status,
      201);
  run.benchmarks[0].metrics[0].samples[0] = 999;
  Response r = Call(api, "POST", "/api/v1/projects/gruel/runs", core::WriteArtifact(run), token_);
  EXPECT_EQ(r.status, 409) << r.text();
  EXPECT_EQ(Body(r)["error"]["code"], "conflict");
}

TEST_F(ApiTest, UnknownRoutesAre404AndWrongMethods405) {
  Api api = MakeApi();
  Response missing = Call(api, "GET", "/api/v1/nothing");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(Body(missing)["error"]["code"], "not_found");
  Response method = Call(api, "DELETE", "/api/v1/alerts");
  EXPECT_EQ(method.status, 405);
  auto allow = std::find_if(method.headers.begin(), method.headers.end(),
                            [](const auto& h) { return h.first == "Allow"; });
  ASSERT_NE(allow, method.headers.end());
  EXPECT_EQ(allow->second, "GET");
}

// GET /api/v1/runs?offset=9223372036854775807 overflowed computing the page (UBSan aborted
// the server); now any offset past the end is an empty page.
TEST_F(ApiTest, Issue_AnOffsetNearInt64MaxIsAnEmptyPage) {
  Api api = MakeApi();
  std::string body = "{\"artifacts\":[";
  for (int i = 0; i < 3; ++i) {
    if (i > 0) body += ",";
    body += core::WriteArtifact(MakeRun(i, "linux", 100, "gruel"));
  }
  body += "]}";
  ASSERT_EQ(Call(api, "POST", "/api/v1/projects/gruel/runs", body, token_).status, 201);
  for (const char* offset : {"9223372036854775807", "9223372036854775806", "3"}) {
    Response r = Call(api, "GET", "/api/v1/runs", "", std::nullopt,
                      {{"offset", offset}, {"limit", "10000"}});
    ASSERT_EQ(r.status, 200) << offset << ": " << r.text();
    EXPECT_EQ(Body(r)["total"], 3);
    EXPECT_TRUE(Body(r)["runs"].empty()) << offset;
  }
  Response last = Call(api, "GET", "/api/v1/runs", "", std::nullopt, {{"offset", "2"}});
  ASSERT_EQ(Body(last)["runs"].size(), 1u);
  EXPECT_EQ(Body(last)["runs"][0]["sha"], Sha(0));  // newest first: the oldest is last
  Response page =
      Call(api, "GET", "/api/v1/runs", "", std::nullopt, {{"offset", "1"}, {"limit", "1"}});
  ASSERT_EQ(Body(page)["runs"].size(), 1u);
  EXPECT_EQ(Body(page)["runs"][0]["sha"], Sha(1));
  // A time a Timestamp cannot hold is a bad parameter, not a crash.
  Response far = Call(api, "GET", "/api/v1/series", "", std::nullopt,
                      {{"benchmark", "parse/small"}, {"from", "9999-12-31T23:59:59Z"}});
  EXPECT_EQ(far.status, 400) << far.text();
  Response age = Call(api, "GET", "/api/v1/gaps", "", std::nullopt, {{"max_age", "9999999999d"}});
  EXPECT_EQ(age.status, 400) << age.text();
}

TEST_F(ApiTest, HeadIsGetWithoutTheBody) {
  Api api = MakeApi();
  EXPECT_EQ(Call(api, "HEAD", "/api/v1/projects").status, 200);
  EXPECT_EQ(Call(api, "HEAD", "/api/v1/projects/gruel/runs").status, 200);  // GET lists there
  EXPECT_EQ(Call(api, "HEAD", "/api/v1/projects/gruel/push").status, 405);
}

TEST_F(ApiTest, PrivateServersNeedATokenForReads) {
  Api open_api = MakeApi();
  EXPECT_EQ(Call(open_api, "GET", "/api/v1/projects").status, 200);
  Api private_api = MakeApi(/*private_reads=*/true);
  EXPECT_EQ(Call(private_api, "GET", "/api/v1/projects").status, 401);
  EXPECT_EQ(Call(private_api, "GET", "/api/v1/projects", "", other_token_).status, 200);
  // Health and metrics stay open for probes and scrapers.
  EXPECT_EQ(Call(private_api, "GET", "/healthz").status, 200);
  EXPECT_EQ(Call(private_api, "GET", "/readyz").status, 200);
  EXPECT_EQ(Call(private_api, "GET", "/readyz").text(), R"({"status":"ready"})");
  EXPECT_EQ(Call(private_api, "POST", "/readyz").status, 405);
  EXPECT_EQ(Call(private_api, "GET", "/metrics").status, 200);
}

TEST_F(ApiTest, SeriesHasOnePointPerMeasuredCommitWithItsRange) {
  Api api = MakeApi();
  std::string body = "{\"artifacts\":[";
  for (int i = 0; i < 6; ++i) {
    if (i > 0) body += ",";
    body += core::WriteArtifact(MakeRun(i, "linux", i < 3 ? 100 : 150, "gruel"));
  }
  body += "]}";
  ASSERT_EQ(Call(api, "POST", "/api/v1/projects/gruel/runs", body, token_).status, 201);
  Response r = Call(api, "GET", "/api/v1/series", "", std::nullopt,
                    {{"benchmark", "parse/small"}, {"platform", "linux"}});
  ASSERT_EQ(r.status, 200) << r.text();
  json s = Body(r);
  EXPECT_EQ(s["metric"], "wall_time");
  ASSERT_EQ(s["series"].size(), 1u);
  const json& points = s["series"][0]["points"];
  ASSERT_EQ(points.size(), 6u);
  EXPECT_EQ(points[3]["median"], 150);
  EXPECT_EQ(points[3]["commit_range"]["from"], Sha(2));
  EXPECT_EQ(points[3]["commit_range"]["count"], 1);
  EXPECT_EQ(points[0]["samples"], 3);
  EXPECT_EQ(points[0]["subject"], "commit 0");
  // from/to select by commit time.
  Response window = Call(
      api, "GET", "/api/v1/series", "", std::nullopt,
      {{"benchmark", "parse/small"},
       {"from", base::FormatRfc3339(base::Timestamp{(1'700'000'000LL + 120) * 1'000'000'000})}});
  EXPECT_EQ(Body(window)["series"][0]["points"].size(), 4u);
  EXPECT_EQ(Call(api, "GET", "/api/v1/series", "", std::nullopt, {{"benchmark", "nope"}}).status,
            404);
  EXPECT_EQ(Call(api, "GET", "/api/v1/series").status, 400);
  Response catalog = Call(api, "GET", "/api/v1/benchmarks", "", std::nullopt, {{"q", "PARSE"}});
  ASSERT_EQ(Body(catalog)["benchmarks"].size(), 1u);
  EXPECT_EQ(Body(catalog)["benchmarks"][0]["name"], "parse/small");
  EXPECT_EQ(Body(catalog)["benchmarks"][0]["metrics"][0]["unit"], "ns");
}

// The server keeps the index between requests and updates it from the runs that arrive: after
// each upload it must be what a server started afresh answers; max_points thins each line.
TEST_F(ApiTest, TheIndexFollowsEachUploadAndMaxPointsThinsItsLines) {
  Api api = MakeApi();
  auto upload = [&](int from, int to) {
    std::string body = "{\"artifacts\":[";
    for (int i = from; i < to; ++i) {
      if (i > from) body += ",";
      body += core::WriteArtifact(MakeRun(i, "linux", i == 37 ? 900 : 100 + i % 3, "gruel"));
    }
    body += "]}";
    ASSERT_EQ(Call(api, "POST", "/api/v1/projects/gruel/runs", body, token_).status, 201);
  };
  auto index = [&](Api& a, std::multimap<std::string, std::string> query = {}) {
    return Call(a, "GET", "/api/v1/index", "", std::nullopt, query);
  };
  upload(0, 50);
  Response before = index(api);
  ASSERT_EQ(before.status, 200) << before.text();
  EXPECT_FALSE(Body(before)["indexes"][0].contains("points_total")) << "unchanged without it";
  for (int i = 50; i < 60; ++i) {
    upload(i, i + 1);
    Response now = index(api);
    ASSERT_EQ(now.status, 200) << now.text();
    EXPECT_EQ(Body(now)["indexes"][0]["points"].back()["sha"], Sha(i));
    Api fresh = MakeApi();
    EXPECT_EQ(now.text(), index(fresh).text()) << "after commit " << i;
  }

  Response few = index(api, {{"max_points", "12"}});
  ASSERT_EQ(few.status, 200) << few.text();
  const json line = Body(few)["indexes"][0];
  EXPECT_EQ(line["points_total"], 60);
  ASSERT_LE(line["points"].size(), 12u);
  EXPECT_EQ(line["points"].front()["sha"], Sha(0));
  EXPECT_EQ(line["points"].back()["sha"], Sha(59));
  bool spike = false;
  for (const json& p : line["points"]) spike = spike || p["sha"] == Sha(37);
  EXPECT_TRUE(spike) << "the spike at commit 37 is kept";
  Response enough = index(api, {{"max_points", "60"}});
  EXPECT_EQ(Body(enough)["indexes"][0]["points"].size(), 60u);
  EXPECT_FALSE(Body(enough)["indexes"][0].contains("points_total")) << "not thinned";
  for (const char* bad : {"0", "ten", "100001"}) {
    Response r = index(api, {{"max_points", bad}});
    EXPECT_EQ(r.status, 400) << bad << ": " << r.text();
    EXPECT_EQ(Body(r)["error"]["message"],
              fmt::format("max_points: expected a whole number from 1 to 100000, got '{}'", bad));
  }
}

TEST_F(ApiTest, SeriesMaxPointsKeepsTheShapeAndSaysHowManyThereAre) {
  Api api = MakeApi();
  std::string body = "{\"artifacts\":[";
  for (int i = 0; i < 60; ++i) {
    if (i > 0) body += ",";
    body += core::WriteArtifact(MakeRun(i, "linux", i == 37 ? 900 : 100 + i % 3, "gruel"));
  }
  body += "]}";
  ASSERT_EQ(Call(api, "POST", "/api/v1/projects/gruel/runs", body, token_).status, 201);
  auto series = [&](std::multimap<std::string, std::string> query) {
    query.emplace("benchmark", "parse/small");
    return Call(api, "GET", "/api/v1/series", "", std::nullopt, query);
  };
  Response full = series({});
  ASSERT_EQ(full.status, 200) << full.text();
  EXPECT_FALSE(Body(full)["series"][0].contains("points_total")) << "unchanged without it";
  EXPECT_FALSE(Body(full)["series"][0]["points"][0].contains("elided"));

  Response few = series({{"max_points", "12"}});
  ASSERT_EQ(few.status, 200) << few.text();
  const json line = Body(few)["series"][0];
  EXPECT_EQ(line["points_total"], 60);
  ASSERT_LE(line["points"].size(), 12u);
  EXPECT_EQ(line["points"].front()["sha"], Sha(0));
  EXPECT_EQ(line["points"].back()["sha"], Sha(59));
  int64_t shown = 0, elided = 0;
  bool spike = false;
  for (const json& p : line["points"]) {
    spike = spike || p["sha"] == Sha(37);
    ++shown;
    elided += p["elided"]["points"].get<int64_t>();
    EXPECT_FALSE(p["elided"]["unrepresented"].get<bool>()) << p;  // every commit has a run
    EXPECT_EQ(p["elided"]["max_range_count"], 1);
  }
  EXPECT_TRUE(spike) << "the spike at commit 37 is kept";
  EXPECT_EQ(shown + elided, 60) << "every point is shown or counted";

  // After from/to: the window's points, downsampled; its total is the window's.
  Response window = series(
      {{"max_points", "5"},
       {"from", base::FormatRfc3339(base::Timestamp{(1'700'000'000LL + 600) * 1'000'000'000})},
       {"to", base::FormatRfc3339(base::Timestamp{(1'700'000'000LL + 1800) * 1'000'000'000})}});
  ASSERT_EQ(window.status, 200) << window.text();
  EXPECT_EQ(Body(window)["series"][0]["points_total"], 21);
  const json windowed = Body(window)["series"][0]["points"];
  EXPECT_LE(windowed.size(), 5u);
  EXPECT_EQ(windowed.front()["sha"], Sha(10));
  EXPECT_EQ(windowed.back()["sha"], Sha(30));

  Response enough = series({{"max_points", "100000"}});
  EXPECT_EQ(Body(enough)["series"][0]["points"].size(), 60u);
  EXPECT_EQ(Body(enough)["series"][0]["points_total"], 60);

  for (const char* bad : {"0", "-3", "ten", "2.5", "100001", "12 "}) {
    Response r = series({{"max_points", bad}});
    EXPECT_EQ(r.status, 400) << bad << ": " << r.text();
    EXPECT_EQ(Body(r)["error"]["message"],
              fmt::format("max_points: expected a whole number from 1 to 100000, got '{}'", bad));
  }
}

TEST_F(ApiTest, SeriesShowsTheMetricThatMovedByDefault) {
  Api api = MakeApi();
  core::Run run = MakeRun(1, "linux", 100, "gruel");
  run.benchmarks[0].metrics.push_back({"cpu_time", "ns", core::Direction::kLower, {90, 91}, {}});
  ASSERT_EQ(
      Call(api, "POST", "/api/v1/projects/gruel/runs", core::WriteArtifact(run), token_).status,
      201);
  auto series_metric = [&] {
    return Body(Call(api, "GET", "/api/v1/series", "", std::nullopt,
                     {{"benchmark", "parse/small"}}))["metric"];
  };
  EXPECT_EQ(series_metric(), "wall_time");  // no alert: the time metric
  auto store = store::OpenStore(db_);
  store::AlertRecord alert;
  alert.project = "gruel";
  alert.platform = "linux";
  alert.benchmark = "parse/small";
  alert.metric = "cpu_time";
  alert.unit = "ns";
  alert.range_from = Sha(0);
  alert.range_to = Sha(1);
  alert.kind = core::AlertKind::kRegression;
  std::vector<store::AlertRecord> inserts = {alert};
  ASSERT_TRUE((*store)->RecordAlerts(inserts, {}).ok());
  EXPECT_EQ(series_metric(), "cpu_time");  // an open alert: what moved
  ASSERT_TRUE(
      (*store)->SetAlertStatus(inserts[0].id, core::AlertStatus::kResolved, std::nullopt, {}).ok());
  EXPECT_EQ(series_metric(), "wall_time");
}

TEST_F(ApiTest, CompareNamesTheMissingCommit) {
  Api api = MakeApi();
  ASSERT_EQ(Call(api, "POST", "/api/v1/projects/gruel/runs",
                 core::WriteArtifact(MakeRun(1, "linux", 100, "gruel")), token_)
                .status,
            201);
  Response r =
      Call(api, "GET", "/api/v1/compare", "", std::nullopt, {{"base", "ffff"}, {"head", Sha(1)}});
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(Body(r)["error"]["message"].get<std::string>().find("ffff"), std::string::npos);
  EXPECT_EQ(Call(api, "GET", "/api/v1/compare", "", std::nullopt, {{"base", "x"}}).status, 400);
}

TEST_F(ApiTest, PatchingAnUnknownAlertIs404AndABadStatus400) {
  Api api = MakeApi();
  EXPECT_EQ(Call(api, "PATCH", "/api/v1/alerts/42", R"({"status":"acknowledged"})", token_).status,
            404);
  EXPECT_EQ(Call(api, "PATCH", "/api/v1/alerts/42", R"({"status":"gone"})", token_).status, 404);
}

// Issue 16: coverage and gaps were 404 ("no branch history in the store") until a plan was
// recorded; they answer from the runs' own commits and commit ranges.
TEST_F(ApiTest, CoverageAndGapsWithoutARecordedPlanComeFromTheRuns) {
  Api api = MakeApi();
  Response empty = Call(api, "GET", "/api/v1/coverage");
  ASSERT_EQ(empty.status, 200) << empty.text();
  EXPECT_EQ(Body(empty)["history"], "runs");
  EXPECT_TRUE(Body(empty)["platforms"].empty());
  core::Run run = MakeRun(3, "linux", 100, "gruel");
  run.commit_range = {Sha(1), Sha(3), 2};
  ASSERT_EQ(
      Call(api, "POST", "/api/v1/projects/gruel/runs", core::WriteArtifact(run), token_).status,
      201);
  Response r = Call(api, "GET", "/api/v1/coverage");
  ASSERT_EQ(r.status, 200) << r.text();
  const json cov = Body(r);
  EXPECT_EQ(cov["head"], Sha(3));
  ASSERT_EQ(cov["platforms"].size(), 1u);
  EXPECT_EQ(cov["platforms"][0]["commits"], 2);
  EXPECT_EQ(cov["platforms"][0]["measured"], 1);
  EXPECT_EQ(cov["platforms"][0]["represented"], 1);
  EXPECT_EQ(cov["platforms"][0]["unknown"], 0);
  ASSERT_EQ(cov["commits"].size(), 1u);
  EXPECT_EQ(cov["commits"][0]["status"]["linux"], "measured");
  Response g = Call(api, "GET", "/api/v1/gaps");
  ASSERT_EQ(g.status, 200) << g.text();
  EXPECT_EQ(Body(g)["history"], "runs");
  EXPECT_EQ(Body(g)["platforms"][0]["last_complete"], Sha(3));
}

// Issue 16: GET /api/v1/projects/{p}/runs was 405 while POST there uploads.
TEST_F(ApiTest, RunsAreListedAtTheProjectsUploadPathToo) {
  Api api = MakeApi();
  ASSERT_EQ(Call(api, "POST", "/api/v1/projects/gruel/runs",
                 core::WriteArtifact(MakeRun(1, "linux", 100, "gruel")), token_)
                .status,
            201);
  ASSERT_EQ(Call(api, "POST", "/api/v1/projects/other/runs",
                 core::WriteArtifact(MakeRun(1, "linux", 100, "other")), other_token_)
                .status,
            201);
  Response r = Call(api, "GET", "/api/v1/projects/gruel/runs");
  ASSERT_EQ(r.status, 200) << r.text();
  Response same = Call(api, "GET", "/api/v1/runs", "", std::nullopt, {{"project", "gruel"}});
  EXPECT_EQ(r.body, same.body);
  EXPECT_EQ(Body(r)["total"], 1);
  EXPECT_EQ(Body(r)["runs"][0]["project"], "gruel");
  Response paged =
      Call(api, "GET", "/api/v1/projects/gruel/runs", "", std::nullopt, {{"limit", "0"}});
  EXPECT_EQ(paged.status, 400);
  Response conflict =
      Call(api, "GET", "/api/v1/projects/gruel/runs", "", std::nullopt, {{"project", "other"}});
  EXPECT_EQ(conflict.status, 400);
  EXPECT_EQ(Call(api, "GET", "/api/v1/runs").status, 200);
}

// Coverage is cached: a plan recorded (no run stored) and a run stored must each show at once.
TEST_F(ApiTest, CoverageFollowsANewlyRecordedPlanAndANewRun) {
  Api api = MakeApi();
  auto coverage = [&] {
    Response r = Call(api, "GET", "/api/v1/coverage");
    EXPECT_EQ(r.status, 200) << r.text();
    return Body(r);
  };
  RecordPlanUpTo(2);
  EXPECT_EQ(coverage()["commits"].size(), 2u);
  RecordPlanUpTo(3);
  const auto three = coverage();
  ASSERT_EQ(three["commits"].size(), 3u);
  EXPECT_EQ(three["head"], Sha(3));
  EXPECT_TRUE(three["platforms"].empty());  // no run yet
  ASSERT_EQ(Call(api, "POST", "/api/v1/projects/gruel/runs",
                 core::WriteArtifact(MakeRun(3, "linux", 100, "gruel")), token_)
                .status,
            201);
  const auto measured = coverage();
  ASSERT_EQ(measured["platforms"].size(), 1u);
  EXPECT_EQ(measured["commits"][2]["status"]["linux"], "measured");
}

// Projects and platforms are kept while no run arrives: a new run must show at once.
TEST_F(ApiTest, ProjectsAndPlatformsFollowANewRun) {
  Api api = MakeApi();
  auto get = [&](const std::string& path) {
    Response r = Call(api, "GET", path);
    EXPECT_EQ(r.status, 200) << r.text();
    return Body(r);
  };
  const auto before = get("/api/v1/projects")["projects"];
  const auto platforms_before = get("/api/v1/platforms")["platforms"];
  EXPECT_EQ(get("/api/v1/projects")["projects"], before);  // the kept answer, unchanged
  ASSERT_EQ(Call(api, "POST", "/api/v1/projects/gruel/runs",
                 core::WriteArtifact(MakeRun(7, "riscv64-linux", 100, "gruel")), token_)
                .status,
            201);
  const auto after = get("/api/v1/projects")["projects"];
  int64_t runs_before = 0, runs_after = 0;
  for (const auto& p : before) runs_before += p["runs"].get<int64_t>();
  for (const auto& p : after) runs_after += p["runs"].get<int64_t>();
  EXPECT_EQ(runs_after, runs_before + 1);
  const auto platforms = get("/api/v1/platforms")["platforms"];
  ASSERT_EQ(platforms.size(), platforms_before.size() + 1) << platforms.dump();
  bool found = false;
  for (const auto& p : platforms) found = found || p["name"] == "riscv64-linux";
  EXPECT_TRUE(found) << platforms.dump();
}

// Gaps keeps what it read from the store: a new run and a new plan must each show at once.
TEST_F(ApiTest, GapsFollowANewRunAndANewlyRecordedPlan) {
  Api api = MakeApi();
  auto commits_since = [&] {
    Response r = Call(api, "GET", "/api/v1/gaps");
    EXPECT_EQ(r.status, 200) << r.text();
    const auto doc = Body(r);
    EXPECT_EQ(doc["platforms"].size(), 1u) << r.text();
    return doc["platforms"].empty() ? -1 : doc["platforms"][0]["commits_since"].get<int>();
  };
  RecordPlanUpTo(3);
  ASSERT_EQ(Call(api, "POST", "/api/v1/projects/gruel/runs",
                 core::WriteArtifact(MakeRun(1, "linux", 100, "gruel")), token_)
                .status,
            201);
  EXPECT_EQ(commits_since(), 2);
  RecordPlanUpTo(4);
  EXPECT_EQ(commits_since(), 3);
  ASSERT_EQ(Call(api, "POST", "/api/v1/projects/gruel/runs",
                 core::WriteArtifact(MakeRun(4, "linux", 100, "gruel")), token_)
                .status,
            201);
  EXPECT_EQ(commits_since(), 0);
}

TEST_F(ApiTest, EveryRouteIsListed) {
  const std::vector<Route> routes = Api::Routes();
  auto has = [&](const std::string& method, const std::string& pattern) {
    return std::any_of(routes.begin(), routes.end(),
                       [&](const Route& r) { return r.method == method && r.pattern == pattern; });
  };
  EXPECT_TRUE(has("POST", "/api/v1/projects/{project}/runs"));
  EXPECT_TRUE(has("PATCH", "/api/v1/alerts/{id}"));
  EXPECT_TRUE(has("GET", "/healthz"));
  EXPECT_TRUE(has("GET", "/readyz"));
}

}  // namespace
}  // namespace perfledger::server

namespace perfledger::server {
namespace {

class ApiAdmissionTest : public ApiTest {
 protected:
  // An alert of project gruel, as detect --record leaves it.
  int64_t GruelAlert() {
    auto store = store::OpenStore(db_);
    EXPECT_TRUE(store.ok());
    store::AlertRecord alert;
    alert.project = "gruel";
    alert.platform = "linux";
    alert.benchmark = "parse/small";
    alert.metric = "wall_time";
    alert.unit = "ns";
    alert.range_from = Sha(0);
    alert.range_to = Sha(1);
    alert.kind = core::AlertKind::kRegression;
    std::vector<store::AlertRecord> inserts = {alert};
    EXPECT_TRUE((*store)->RecordAlerts(inserts, {}).ok());
    return inserts[0].id;
  }

  std::string Status(int64_t id) {
    auto store = store::OpenStore(db_);
    store::AlertFilter f;
    f.id = id;
    return std::string(core::AlertStatusName((*store)->ListAlerts(f)->at(0).status));
  }
};

// Regression: PATCH /api/v1/alerts/{id} needed no token, so anyone who could reach the
// server could mark a real regression a false positive, and detect --record would never
// raise it again.
TEST_F(ApiAdmissionTest, TriageNeedsATokenOfTheAlertsProject) {
  Api api = MakeApi();
  const int64_t id = GruelAlert();
  const std::string path = "/api/v1/alerts/" + std::to_string(id);
  const std::string body = R"({"status":"false-positive"})";
  Response none = Call(api, "PATCH", path, body);
  EXPECT_EQ(none.status, 401) << none.text();
  EXPECT_NE(Body(none)["error"]["message"].get<std::string>().find("token"), std::string::npos);
  EXPECT_EQ(Call(api, "PATCH", path, body, "plt_nonsense").status, 401);
  Response other = Call(api, "PATCH", path, body, other_token_);
  EXPECT_EQ(other.status, 403) << other.text();
  EXPECT_EQ(Status(id), "open");
  Response ok = Call(api, "PATCH", path, body, token_);
  EXPECT_EQ(ok.status, 200) << ok.text();
  EXPECT_EQ(Status(id), "false-positive");
  EXPECT_EQ(Call(api, "PATCH", path, R"({"status":"gone"})", token_).status, 400);
  EXPECT_EQ(Call(api, "PATCH", path, "not json", token_).status, 400);
}

// The server's clock is its Env's: a triage is stamped with the Env's time (a fake here), and
// so is the token's last use. No test waits for the wall clock.
TEST_F(ApiAdmissionTest, TriageAndTokenUseAreStampedWithTheEnvsClock) {
  env::FakeEnv fake(base::Timestamp{1'800'000'000LL * 1'000'000'000});
  ApiOptions o;
  o.db = db_;
  o.env = &fake;
  Api api(o);
  const int64_t id = GruelAlert();
  fake.Advance(90'000'000'000);  // 90 s later
  Response ok = Call(api, "PATCH", "/api/v1/alerts/" + std::to_string(id),
                     R"({"status":"acknowledged","note":"on it"})", token_);
  ASSERT_EQ(ok.status, 200) << ok.text();
  EXPECT_EQ(Body(ok)["updated_at"], "2027-01-15T08:01:30Z");
  auto store = store::OpenStore(db_);
  ASSERT_TRUE(store.ok());
  auto tokens = (*store)->ListTokens(std::string("gruel"));
  ASSERT_TRUE(tokens.ok());
  ASSERT_EQ(tokens->size(), 1u);
  EXPECT_EQ((*tokens)[0].last_used_at, fake.Now());
}

// last_used_at is accurate to a minute: a token's first use writes it, later uses within a
// minute of the last write do not (an authenticated request is not a write of its own).
TEST_F(ApiAdmissionTest, TokenUseIsWrittenAtMostOnceAMinute) {
  env::FakeEnv fake(base::Timestamp{1'800'000'000LL * 1'000'000'000});
  ApiOptions o;
  o.db = db_;
  o.env = &fake;
  Api api(o);
  auto last_used = [&] {
    auto store = store::OpenStore(db_);
    EXPECT_TRUE(store.ok());
    auto tokens = (*store)->ListTokens(std::string("gruel"));
    EXPECT_TRUE(tokens.ok() && tokens->size() == 1u);
    return (*tokens)[0].last_used_at;
  };
  ASSERT_EQ(Call(api, "GET", "/api/v1/alerts", "", token_).status, 200);
  const base::Timestamp first = fake.Now();
  EXPECT_EQ(last_used(), first);
  fake.Advance(59'000'000'000);
  ASSERT_EQ(Call(api, "GET", "/api/v1/alerts", "", token_).status, 200);
  EXPECT_EQ(last_used(), first);
  fake.Advance(1'000'000'000);  // a minute after the write
  ASSERT_EQ(Call(api, "GET", "/api/v1/alerts", "", token_).status, 200);
  EXPECT_EQ(last_used(), fake.Now());
}

// A read token (token create --scope read) reads a private server and writes nothing.
TEST_F(ApiAdmissionTest, AReadTokenCannotWrite) {
  const std::string reader = *core::NewApiToken();
  {
    auto store = store::OpenStore(db_);
    store::TokenRecord t;
    t.project = "gruel";
    t.scope = "read";
    t.hash = core::ApiTokenHash(reader);
    t.prefix = core::ApiTokenDisplayPrefix(reader);
    ASSERT_TRUE((*store)->CreateToken(t).ok());
  }
  Api api = MakeApi(/*private_reads=*/true);
  EXPECT_EQ(Call(api, "GET", "/api/v1/alerts", "", reader).status, 200);
  Response upload = Call(api, "POST", "/api/v1/projects/gruel/runs",
                         core::WriteArtifact(MakeRun(1, "linux", 100, "gruel")), reader);
  EXPECT_EQ(upload.status, 403) << upload.text();
  EXPECT_NE(Body(upload)["error"]["message"].get<std::string>().find("may only read"),
            std::string::npos);
  const int64_t id = GruelAlert();
  EXPECT_EQ(
      Call(api, "PATCH", "/api/v1/alerts/" + std::to_string(id), R"({"status":"resolved"})", reader)
          .status,
      403);
  EXPECT_EQ(Status(id), "open");
}

// The checks a transport makes before reading a body: a refusal comes from the head alone.
TEST_F(ApiAdmissionTest, AdmitRefusesFromTheHeadersAlone) {
  ApiOptions o;
  o.db = db_;
  o.max_body = 1 << 20;
  Api api(o);
  Request upload;
  upload.method = "POST";
  upload.path = "/api/v1/projects/gruel/runs";
  upload.content_length = 300u << 20;
  size_t limit = 7;
  auto refused = api.Admit(upload, &limit);
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->status, 401);  // authentication first, then the size
  upload.authorization = "Bearer " + token_;
  refused = api.Admit(upload, &limit);
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->status, 413);
  EXPECT_NE(Body(*refused)["error"]["message"].get<std::string>().find("1 MiB"), std::string::npos)
      << refused->body;
  upload.content_length.reset();  // chunked: the transport counts against the limit
  EXPECT_FALSE(api.Admit(upload, &limit).has_value());
  EXPECT_EQ(limit, size_t{1} << 20);
  upload.content_encoding = "br";
  refused = api.Admit(upload, &limit);
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->status, 415);
  upload.content_encoding = "gzip";
  EXPECT_FALSE(api.Admit(upload, &limit).has_value());

  const int64_t id = GruelAlert();
  Request triage;
  triage.method = "PATCH";
  triage.path = "/api/v1/alerts/" + std::to_string(id);
  triage.authorization = "Bearer " + token_;
  triage.content_length = 100u << 10;
  refused = api.Admit(triage, &limit);
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->status, 413);
  // Regression: the message named --max-body, which is not the limit of a triage.
  EXPECT_NE(Body(*refused)["error"]["message"].get<std::string>().find("64 KiB"), std::string::npos)
      << refused->body;
  triage.content_length = 30;
  EXPECT_FALSE(api.Admit(triage, &limit).has_value());
  EXPECT_EQ(limit, kMaxTriageBody);

  Request read;
  read.method = "GET";
  read.path = "/api/v1/alerts";
  EXPECT_FALSE(api.Admit(read, &limit).has_value());
  EXPECT_EQ(limit, 0u);
  read.path = "/api/v1/nothing";
  refused = api.Admit(read, &limit);
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->status, 404);
}

// DNS rebinding: a page of evil.example whose name resolves to 127.0.0.1 reaches a loopback
// server with "Host: evil.example".
TEST_F(ApiAdmissionTest, OnlyAllowedHostNamesAreAnswered) {
  ApiOptions o;
  o.db = db_;
  o.allowed_hosts = {"perf.example.org"};
  Api api(o);
  auto get = [&](std::optional<std::string> host) {
    Request r;
    r.method = "GET";
    r.path = "/api/v1/alerts";
    r.host = std::move(host);
    return api.Handle(r).status;
  };
  EXPECT_EQ(get("127.0.0.1:8080"), 200);
  EXPECT_EQ(get("[::1]:8080"), 200);
  EXPECT_EQ(get("localhost:8080"), 200);
  EXPECT_EQ(get("LocalHost"), 200);
  EXPECT_EQ(get("perf.example.org"), 200);
  EXPECT_EQ(get("PERF.example.org:443"), 200);
  EXPECT_EQ(get(std::nullopt), 200);
  EXPECT_EQ(get("evil.example"), 403);
  EXPECT_EQ(get("evil.example:8080"), 403);
  EXPECT_EQ(get("127.0.0.1.evil.example"), 403);

  // A write from another site's page is refused even with a token.
  Request upload;
  upload.method = "POST";
  upload.path = "/api/v1/projects/gruel/runs";
  upload.host = "127.0.0.1:8080";
  upload.origin = "http://evil.example";
  upload.authorization = "Bearer " + token_;
  upload.body = core::WriteArtifact(MakeRun(1, "linux", 100, "gruel"));
  Response r = api.Handle(upload);
  EXPECT_EQ(r.status, 403) << r.text();
  upload.origin = "null";
  EXPECT_EQ(api.Handle(upload).status, 403);
  upload.origin = "http://127.0.0.1:8080";
  EXPECT_EQ(api.Handle(upload).status, 201);
}

TEST_F(ApiAdmissionTest, EveryResponseCarriesSecurityHeaders) {
  Api api = MakeApi();
  for (const char* path : {"/", "/api/v1/alerts", "/api/v1/nothing", "/healthz"}) {
    Response r = Call(api, "GET", path);
    std::map<std::string, std::string> headers(r.headers.begin(), r.headers.end());
    EXPECT_NE(headers["Content-Security-Policy"].find("frame-ancestors 'none'"), std::string::npos)
        << path;
    EXPECT_EQ(headers["X-Frame-Options"], "DENY") << path;
    EXPECT_EQ(headers["X-Content-Type-Options"], "nosniff") << path;
  }
}

// Regression: --web-root followed links out of the directory (it served the store file and
// /etc/passwd through links inside it).
TEST_F(ApiAdmissionTest, WebRootServesNothingOutsideItself) {
  namespace fs = std::filesystem;
  const fs::path root = dir_ / "site";
  fs::create_directories(root / "assets");
  {
    std::ofstream(root / "index.html") << "<p>dashboard</p>";
    std::ofstream(root / "assets" / "app.js") << "console.log(1)";
  }
  fs::create_symlink(db_, root / "store.db");
  fs::create_symlink("/etc", root / "etc");
  fs::create_symlink(root / "assets" / "app.js", root / "alias.js");  // inside: fine
  ApiOptions o;
  o.db = db_;
  o.web_root = root.string();
  Api api(o);
  EXPECT_EQ(Call(api, "GET", "/").status, 200);
  EXPECT_EQ(Call(api, "GET", "/assets/app.js").text(), "console.log(1)");
  EXPECT_EQ(Call(api, "GET", "/alias.js").status, 200);
  EXPECT_EQ(Call(api, "GET", "/store.db").status, 404);
  EXPECT_EQ(Call(api, "GET", "/etc/passwd").status, 404);
  EXPECT_EQ(Call(api, "GET", "/assets/../../perf.db").status, 404);
  EXPECT_EQ(Call(api, "GET", "/assets").status, 404);  // a directory
  EXPECT_EQ(Call(api, "GET", std::string("/index.html\0.js", 15)).status, 400);
}

}  // namespace
}  // namespace perfledger::server

namespace perfledger::server {
namespace {

// Regression: /api/v1/compare?alpha=1e-17 answered 500 with Boost.Math's text.
TEST_F(ApiTest, ExtremeAlphaIs400NotAnInternalError) {
  Api api = MakeApi();
  for (int i : {1, 2}) {
    ASSERT_EQ(Call(api, "POST", "/api/v1/projects/gruel/runs",
                   core::WriteArtifact(MakeRun(i, "linux", 100, "gruel")), token_)
                  .status,
              201);
  }
  auto compare = [&](const std::string& alpha) {
    return Call(api, "GET", "/api/v1/compare", "", std::nullopt,
                {{"base", Sha(1)}, {"head", Sha(2)}, {"alpha", alpha}});
  };
  for (const char* alpha : {"1e-17", "0", "0.99", "nan", "x"}) {
    Response r = compare(alpha);
    EXPECT_EQ(r.status, 400) << alpha << ": " << r.text();
    EXPECT_NE(Body(r)["error"]["message"].get<std::string>().find("alpha"), std::string::npos);
  }
  EXPECT_EQ(compare("0.05").status, 200);
}

}  // namespace
}  // namespace perfledger::server
