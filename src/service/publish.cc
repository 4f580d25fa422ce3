// How: every document is made with the call the API's handler makes (service/documents.h,
// catalog.h, series.h, plan.h, jobs.h, index.h) and written into a temporary directory beside
// `out`; a document the API would answer with an error (coverage before any plan) is written
// as that error, so the page shows what it shows against a server. Then the directory takes
// `out`'s place: renamed onto it when `out` is new or empty, else the earlier publish is moved
// aside, the new one renamed in and the old one removed.
#include "service/publish.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "base/json_writer.h"
#include "base/strings.h"
#include "base/uuid.h"
#include "core/triage.h"
#include "service/catalog.h"
#include "service/detection.h"
#include "service/documents.h"
#include "service/index.h"
#include "service/jobs.h"
#include "service/plan.h"
#include "service/series.h"

namespace perfledger::service {
namespace {

constexpr std::string_view kMarker = "static.json";
// At most this many comparisons are published (the newest alerts' ranges first).
constexpr size_t kMaxComparisons = 200;
// The newest runs listed (the Compare page suggests commits from the newest 100).
constexpr int64_t kPublishedRuns = 1000;
// The skip log's rows per file (the Coverage page shows up to 2000).
constexpr int64_t kPublishedSkips = 5000;
// The overview's sparklines are 160 px wide: it asks the index at 320 points a line.
constexpr size_t kIndexPoints = 320;

// The API's error body for a status (server/api.cc FromStatus's codes).
std::string ErrorDocument(const base::Status& s) {
  std::string_view code = "internal";
  if (s.code() == base::StatusCode::kNotFound) code = "not_found";
  if (s.code() == base::StatusCode::kInvalidInput) code = "bad_request";
  base::JsonWriter w;
  w.BeginObject();
  w.Key("error").BeginObject();
  w.Key("code").String(code);
  w.Key("message").String(s.message());
  w.EndObject();
  w.EndObject();
  return w.Take();
}

// Writes files below `root`, creating directories as it goes; counts what it wrote.
class SiteWriter {
 public:
  SiteWriter(env::Env& env, std::string root) : env_(env), root_(std::move(root)) {}

  base::Status Write(const std::string& relative, std::string_view contents) {
    const std::string path = root_ + "/" + relative;
    const size_t slash = path.rfind('/');
    const std::string dir = path.substr(0, slash);
    if (made_.insert(dir).second) RETURN_IF_ERROR(env_.CreateDirectories(dir));
    RETURN_IF_ERROR(env_.WriteFileAtomic(path, contents));
    ++files_;
    bytes_ += static_cast<int64_t>(contents.size());
    return base::Status::Ok();
  }

  // A document, or the error the API would answer with when it is kNotFound.
  base::Status WriteDocument(const std::string& relative, base::Result<std::string> doc) {
    if (doc.ok()) return Write(relative, *doc);
    if (doc.status().code() == base::StatusCode::kNotFound) {
      return Write(relative, ErrorDocument(doc.status()));
    }
    return doc.status().WithPrefix(relative);
  }

  int64_t files() const { return files_; }
  int64_t bytes() const { return bytes_; }

 private:
  env::Env& env_;
  std::string root_;
  std::set<std::string> made_;
  int64_t files_ = 0;
  int64_t bytes_ = 0;
};

// index.html with the static marker (and <base href> for a base URL) first in its <head>.
base::Result<std::string> MarkIndexHtml(std::string_view html, const std::string& base_url,
                                        const std::string& generated_at) {
  const size_t head = html.find("<head>");
  if (head == std::string_view::npos) {
    return base::InvalidInput("the dashboard's index.html has no <head>: not a perfledger build");
  }
  std::string mark =
      fmt::format("\n    <meta name=\"perfledger-static\" content=\"{}\" />", generated_at);
  if (!base_url.empty()) mark += fmt::format("\n    <base href=\"{}\" />", base_url);
  std::string out(html);
  out.insert(head + 6, mark);
  return out;
}

struct Scope {
  std::string project;
  std::vector<std::string> platforms;      // of the project's runs and the coverage's rows
  std::vector<store::RunSummary> runs;     // the project's, oldest commit first
  std::vector<store::AlertRecord> alerts;  // the project's, as ListAlerts orders them
};

base::Result<Scope> ScopeOf(store::Store& store, const std::optional<std::string>& project) {
  Scope scope;
  ASSIGN_OR_RETURN(auto runs, store.ListRuns({}));
  std::set<std::string> projects;
  for (const auto& r : runs) projects.insert(r.project);
  const std::string names =
      base::Join(std::vector<std::string>(projects.begin(), projects.end()), ", ");
  if (project) {
    if (!projects.contains(*project)) {
      return base::InvalidInput(
          fmt::format("--project {}: no runs of this project in the store{}", *project,
                      projects.empty() ? "" : fmt::format(" (its projects: {})", names)));
    }
    scope.project = *project;
  } else if (projects.size() > 1) {
    return base::InvalidInput(
        fmt::format("the store holds several projects ({}): choose one with --project", names));
  } else if (!projects.empty()) {
    scope.project = *projects.begin();
  }
  std::set<std::string> platforms;
  for (auto& r : runs) {
    if (r.project != scope.project) continue;
    platforms.insert(r.platform);
    scope.runs.push_back(std::move(r));
  }
  ASSIGN_OR_RETURN(auto alerts, store.ListAlerts({}));
  for (auto& a : alerts) {
    if (a.project == scope.project) scope.alerts.push_back(std::move(a));
  }
  auto coverage = CoverageOf(store, {});
  if (coverage.ok()) {
    for (const auto& row : coverage->rows) platforms.insert(row.platform);
  } else if (coverage.status().code() != base::StatusCode::kNotFound) {
    return coverage.status();
  }
  scope.platforms.assign(platforms.begin(), platforms.end());
  return scope;
}

base::Status WriteAlerts(store::Store& store, const Scope& scope, SiteWriter& site) {
  std::vector<std::optional<core::AlertStatus>> statuses = {
      std::nullopt, core::AlertStatus::kOpen, core::AlertStatus::kAcknowledged,
      core::AlertStatus::kResolved, core::AlertStatus::kFalsePositive};
  std::vector<std::optional<core::AlertKind>> kinds = {std::nullopt,
                                                       core::AlertKind::kRegression,
                                                       core::AlertKind::kImprovement,
                                                       core::AlertKind::kEnvironment,
                                                       core::AlertKind::kDrift,
                                                       core::AlertKind::kNoise};
  std::vector<std::optional<std::string>> platforms = {std::nullopt};
  for (const auto& p : scope.platforms) platforms.push_back(p);
  SubjectCache subjects;  // every file's groups are of the same few commits
  // One commit order for every file (overlapping ranges group by it), read once.
  std::vector<store::AlertRecord> of_project;
  {
    ASSIGN_OR_RETURN(auto all, store.ListAlerts({}));
    for (auto& a : all) {
      if (a.project == scope.project) of_project.push_back(std::move(a));
    }
  }
  ASSIGN_OR_RETURN(const CommitOrder order, AlertCommitOrder(store, of_project));
  for (const auto& status : statuses) {
    for (const auto& kind : kinds) {
      for (const auto& platform : platforms) {
        store::AlertFilter filter;
        filter.status = status;
        filter.kind = kind;
        filter.platform = platform;
        ASSIGN_OR_RETURN(auto all, store.ListAlerts(filter));
        std::vector<store::AlertRecord> alerts;
        for (auto& a : all) {
          if (a.project == scope.project) alerts.push_back(std::move(a));
        }
        const std::string file =
            fmt::format("data/alerts/{}/{}{}.json", status ? core::AlertStatusName(*status) : "any",
                        kind ? core::AlertKindName(*kind) : "any",
                        platform ? fmt::format("/{}", StaticKey(*platform)) : std::string());
        auto groups = GroupAlerts(alerts, order);
        RETURN_IF_ERROR(AddGroupSubjects(store, alerts, groups, &subjects));
        RETURN_IF_ERROR(site.Write(file, AlertsJson(alerts, groups)));
      }
    }
  }
  return base::Status::Ok();
}

// Per benchmark: data/series/<key>/metrics.json {"benchmark", "default_metric", "metrics":
// [{"name", "file", "full"}]}, each metric's series at display resolution (<metric>.json)
// and, for a line longer than that, every point (<metric>.full.json).
base::Status WriteSeries(store::Store& store, const Scope& scope, SiteWriter& site,
                         PublishOutcome& outcome) {
  store::RunFilter filter;
  if (!scope.project.empty()) filter.project = scope.project;
  ASSIGN_OR_RETURN(auto catalog, store.ListBenchmarks(filter));
  BenchmarksQuery all;
  if (!scope.project.empty()) all.project = scope.project;
  all.limit = std::max<int64_t>(1, static_cast<int64_t>(catalog.size()));
  RETURN_IF_ERROR(site.Write("data/benchmarks.json", BenchmarksJson(catalog, all)));
  for (size_t i = 0; i < catalog.size();) {
    size_t j = i;
    std::vector<std::string> metrics;
    while (j < catalog.size() && catalog[j].project == catalog[i].project &&
           catalog[j].benchmark == catalog[i].benchmark) {
      metrics.push_back(catalog[j].metric);
      ++j;
    }
    const std::string& benchmark = catalog[i].benchmark;
    const std::string dir = "data/series/" + StaticKey(benchmark) + "/";
    SeriesRequest req;
    req.benchmark = benchmark;
    if (!scope.project.empty()) req.project = scope.project;
    req.max_points = kPublishDisplayPoints;
    // The default metric's first: the view says which it is.
    ASSIGN_OR_RETURN(SeriesView first, SeriesOf(store, req));
    const std::string default_metric = first.metric;
    std::erase(metrics, default_metric);
    metrics.insert(metrics.begin(), default_metric);
    base::JsonWriter index;
    index.BeginObject();
    index.Key("benchmark").String(benchmark);
    index.Key("default_metric").String(default_metric);
    index.Key("metrics").BeginArray();
    for (const std::string& metric : metrics) {
      SeriesView view;
      if (metric == default_metric) {
        view = std::move(first);
      } else {
        req.metric = metric;
        req.max_points = kPublishDisplayPoints;
        ASSIGN_OR_RETURN(view, SeriesOf(store, req));
      }
      const bool downsampled = std::any_of(view.series.begin(), view.series.end(), [](auto& l) {
        return l.points_total && *l.points_total > static_cast<int64_t>(l.points.size());
      });
      const std::string key = StaticKey(metric);
      RETURN_IF_ERROR(site.Write(dir + key + ".json", SeriesJson(view)));
      if (downsampled) {
        req.metric = metric;
        req.max_points.reset();
        ASSIGN_OR_RETURN(auto full, SeriesOf(store, req));
        RETURN_IF_ERROR(site.Write(dir + key + ".full.json", SeriesJson(full)));
      }
      index.BeginObject();
      index.Key("name").String(metric);
      index.Key("file").String(key);
      index.Key("full").Bool(downsampled);
      index.EndObject();
      ++outcome.series;
    }
    index.EndArray();
    index.EndObject();
    RETURN_IF_ERROR(site.Write(dir + "metrics.json", index.Take()));
    ++outcome.benchmarks;
    i = j;
  }
  return base::Status::Ok();
}

// The pairs the pages link to: each alert's commit range (newest alerts first), then each
// platform's latest two commits. data/compare.json lists them; a pair that cannot be compared
// (no run at one end) is left out.
base::Status WriteComparisons(store::Store& store, const Scope& scope, SiteWriter& site,
                              PublishOutcome& outcome) {
  struct Pair {
    std::string base, head, platform, why;
  };
  std::vector<Pair> pairs;
  std::set<std::tuple<std::string, std::string, std::string>> seen;
  auto add = [&](const std::string& base, const std::string& head, const std::string& platform,
                 const std::string& why) {
    if (base == head || !seen.emplace(base, head, platform).second) return;
    pairs.push_back({base, head, platform, why});
  };
  std::vector<const store::AlertRecord*> alerts;
  for (const auto& a : scope.alerts) alerts.push_back(&a);
  std::stable_sort(alerts.begin(), alerts.end(), [](auto* a, auto* b) {
    return a->created_at.unix_nanos > b->created_at.unix_nanos;
  });
  for (const auto* a : alerts) {
    if (!a->range_from.empty()) add(a->range_from, a->range_to, a->platform, "alert range");
  }
  for (const auto& platform : scope.platforms) {
    std::vector<std::string> shas;  // newest first, distinct
    for (auto it = scope.runs.rbegin(); it != scope.runs.rend() && shas.size() < 2; ++it) {
      if (it->platform == platform && (shas.empty() || shas.back() != it->sha)) {
        shas.push_back(it->sha);
      }
    }
    if (shas.size() == 2) add(shas[1], shas[0], platform, "latest");
  }
  base::JsonWriter list;
  list.BeginObject();
  list.Key("comparisons").BeginArray();
  for (const Pair& p : pairs) {
    if (static_cast<size_t>(outcome.comparisons) >= kMaxComparisons) break;
    auto doc = CompareCommitsDocument(store, p.base, p.head, p.platform, {});
    if (!doc.ok()) {
      if (doc.status().code() == base::StatusCode::kNotFound ||
          doc.status().code() == base::StatusCode::kInvalidInput) {
        continue;
      }
      return doc.status();
    }
    const std::string file =
        fmt::format("data/compare/{}/{}..{}.json", StaticKey(p.platform), p.base, p.head);
    RETURN_IF_ERROR(site.Write(file, *doc));
    list.BeginObject();
    list.Key("base").String(p.base);
    list.Key("head").String(p.head);
    list.Key("platform").String(p.platform);
    list.Key("why").String(p.why);
    list.Key("file").String(file);
    list.EndObject();
    ++outcome.comparisons;
  }
  list.EndArray();
  list.EndObject();
  return site.Write("data/compare.json", list.Take());
}

base::Status WriteSite(store::Store& store, const PublishRequest& request,
                       const std::string& base_url, const Scope& scope, SiteWriter& site,
                       PublishOutcome& outcome) {
  // Whole seconds: the time people read on the page.
  const std::string generated_at = base::FormatRfc3339(
      base::Timestamp{request.now.unix_nanos - request.now.unix_nanos % 1'000'000'000});
  for (const WebFile& f : request.web) {
    std::string relative = f.path.substr(f.path.find_first_not_of('/'));
    if (f.path == "/index.html") {
      ASSIGN_OR_RETURN(auto html, MarkIndexHtml(f.data, base_url, generated_at));
      RETURN_IF_ERROR(site.Write(relative, html));
    } else {
      RETURN_IF_ERROR(site.Write(relative, f.data));
    }
  }
  // GitHub Pages would otherwise run Jekyll over the files.
  RETURN_IF_ERROR(site.Write(".nojekyll", ""));
  const std::optional<std::string> project =
      scope.project.empty() ? std::nullopt : std::optional<std::string>(scope.project);

  RETURN_IF_ERROR(
      site.WriteDocument("data/projects.json", ProjectsDocument(store, request.repository)));
  RETURN_IF_ERROR(site.WriteDocument("data/platforms.json", PlatformsDocument(store, project)));
  RunsRequest runs;
  runs.runs.project = project;
  runs.limit = kPublishedRuns;
  RETURN_IF_ERROR(site.WriteDocument("data/runs.json", RunsDocument(store, runs)));

  std::vector<std::optional<std::string>> platforms = {std::nullopt};
  for (const auto& p : scope.platforms) platforms.push_back(p);
  for (const auto& platform : platforms) {
    const std::string suffix = platform ? "/" + StaticKey(*platform) : "";
    CoverageRequest coverage;
    coverage.platform = platform;
    auto report = CoverageOf(store, coverage);
    RETURN_IF_ERROR(site.WriteDocument(
        "data/coverage" + suffix + ".json",
        report.ok() ? base::Result<std::string>(CoverageJson(*report)) : report.status()));
    SkipsRequest skips;
    skips.platform = platform;
    skips.limit = kPublishedSkips;
    auto view = SkipsOf(store, skips);
    RETURN_IF_ERROR(site.WriteDocument(
        "data/skips" + suffix + ".json",
        view.ok() ? base::Result<std::string>(SkipsJson(*view)) : view.status()));
  }
  GapsRequest gaps;
  gaps.bounds.max_commits = 5;  // GET /api/v1/gaps's default
  gaps.now = request.now;
  auto report = GapsOf(store, gaps);
  RETURN_IF_ERROR(site.WriteDocument(
      "data/gaps.json",
      report.ok() ? base::Result<std::string>(GapsJson(*report)) : report.status()));

  RETURN_IF_ERROR(WriteAlerts(store, scope, site));

  IndexRequest index;
  index.runs.project = project;
  IndexCache cache(index);
  auto current = cache.Get(store, {}, kIndexPoints);
  RETURN_IF_ERROR(site.WriteDocument(
      "data/index.json",
      current.ok() ? base::Result<std::string>(IndexJson(*current->index)) : current.status()));

  RETURN_IF_ERROR(WriteSeries(store, scope, site, outcome));
  RETURN_IF_ERROR(WriteComparisons(store, scope, site, outcome));

  // Last: a directory that holds it is a whole publish.
  base::JsonWriter marker;
  marker.BeginObject();
  marker.Key("format").Int(1);
  marker.Key("generated_at").String(generated_at);
  marker.Key("project").String(scope.project);
  marker.Key("base_url").String(base_url);
  marker.Key("display_points").Int(kPublishDisplayPoints);
  marker.Key("benchmarks").Int(outcome.benchmarks);
  marker.Key("comparisons").Int(outcome.comparisons);
  marker.EndObject();
  return site.Write(std::string(kMarker), marker.Take());
}

std::string ParentOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace

std::string StaticKey(std::string_view name) {
  std::string key;
  for (unsigned char c : name) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
        c == '-') {
      key += static_cast<char>(c);
    } else {
      key += fmt::format("~{:02x}", c);
    }
  }
  if (key.size() <= 150) return key;
  uint64_t hash = 0xcbf29ce484222325ULL;  // FNV-1a, 64 bits
  for (unsigned char c : name) {
    hash ^= c;
    hash *= 0x100000001b3ULL;
  }
  size_t cut = 100;
  // Not inside an escape: "~" and its two digits stay together.
  if (key[cut - 1] == '~') cut -= 1;
  if (key[cut - 2] == '~') cut -= 2;
  return fmt::format("{}~~{:016x}", key.substr(0, cut), hash);
}

base::Result<std::string> NormalizeBaseUrl(const std::string& base_url) {
  if (base_url.empty()) return base_url;
  const bool path = base_url.front() == '/';
  const bool url = base_url.starts_with("https://") || base_url.starts_with("http://");
  const bool plain = std::none_of(base_url.begin(), base_url.end(), [](unsigned char c) {
    return c <= ' ' || c == '"' || c == '\'' || c == '<' || c == '>' || c == '&' || c == '\\' ||
           c >= 0x7f;
  });
  if ((!path && !url) || !plain || base_url.starts_with("//")) {
    return base::InvalidInput(fmt::format(
        "--base-url '{}': expected the path the site is served under, like /repo/, or a URL "
        "like https://owner.github.io/repo/",
        base_url));
  }
  return base_url.back() == '/' ? base_url : base_url + "/";
}

base::Result<PublishOutcome> Publish(store::Store& store, const PublishRequest& request,
                                     env::Env& env) {
  std::string out = request.out;
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  if (out.empty()) return base::InvalidInput("the output directory is empty: name one");
  ASSIGN_OR_RETURN(const std::string base_url, NormalizeBaseUrl(request.base_url));
  if (std::none_of(request.web.begin(), request.web.end(),
                   [](const WebFile& f) { return f.path == "/index.html"; })) {
    return base::InvalidInput(
        "no dashboard to publish: this perfledger was built without it (web/ needs Node.js "
        "and npm at build time); give a built one with --web-root DIR");
  }
  const bool exists = env.Exists(out);
  const bool earlier = exists && env.Exists(out + "/" + std::string(kMarker));
  if (exists && !env.IsDirectory(out)) {
    return base::InvalidInput(fmt::format("{}: exists and is not a directory", out));
  }
  if (exists && !earlier) {
    ASSIGN_OR_RETURN(auto files, env.ListFiles(out, ""));
    if (!files.empty()) {
      return base::InvalidInput(fmt::format(
          "{}: not empty and not an earlier publish (no {}): publish into a new or empty "
          "directory, it is replaced whole",
          out, kMarker));
    }
  }
  if (earlier && env.Exists(out + "/.git")) {
    return base::InvalidInput(fmt::format(
        "{}: a git checkout (it holds .git), which publishing would replace whole: publish "
        "into a directory of its own and copy the files in",
        out));
  }
  ASSIGN_OR_RETURN(Scope scope, ScopeOf(store, request.project));

  const std::string parent = ParentOf(out);
  RETURN_IF_ERROR(env.CreateDirectories(parent));
  const std::string name = out.substr(out.rfind('/') + 1);
  const std::string token = base::NewUuidV4().substr(0, 8);
  const std::string tmp = fmt::format("{}/.{}.publish-{}", parent, name, token);
  const std::string old = fmt::format("{}/.{}.old-{}", parent, name, token);
  PublishOutcome outcome;
  outcome.project = scope.project;
  SiteWriter site(env, tmp);
  base::Status written = WriteSite(store, request, base_url, scope, site, outcome);
  if (!written.ok()) {
    (void)env.RemoveTree(tmp);
    return written;
  }
  outcome.files = site.files();
  outcome.bytes = site.bytes();
  if (earlier) {
    if (base::Status s = env.Rename(out, old); !s.ok()) {
      (void)env.RemoveTree(tmp);
      return s;
    }
  }
  if (base::Status s = env.Rename(tmp, out); !s.ok()) {
    if (earlier) (void)env.Rename(old, out);  // the earlier publish stays
    (void)env.RemoveTree(tmp);
    if (!earlier && env.IsDirectory(out)) {
      return base::InvalidInput(fmt::format(
          "{}: not empty (it holds hidden files): publish into a new or empty directory", out));
    }
    return s;
  }
  if (earlier) RETURN_IF_ERROR(env.RemoveTree(old));
  return outcome;
}

}  // namespace perfledger::service
