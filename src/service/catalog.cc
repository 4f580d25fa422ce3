#include "service/catalog.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <utility>

#include "base/json_writer.h"
#include "schedule/commit_source.h"
#include "service/documents.h"

namespace perfledger::service {

base::Result<RepositoryLinks> RepositoryLinksOf(std::string_view url) {
  const auto bad = [&] {
    return base::InvalidInput(fmt::format(
        "--repo-url: expected the repository's web address like https://github.com/OWNER/REPO "
        "(or a git remote URL like git@github.com:OWNER/REPO.git), got '{}'",
        url));
  };
  std::string_view rest = url;
  while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t')) rest.remove_prefix(1);
  while (!rest.empty() && (rest.back() == ' ' || rest.back() == '\t' || rest.back() == '\n')) {
    rest.remove_suffix(1);
  }
  std::string scheme = "https";
  std::string_view host, path;
  const size_t sep = rest.find("://");
  if (sep != std::string_view::npos) {
    const std::string_view given = rest.substr(0, sep);
    if (given == "http") {
      scheme = "http";
    } else if (given != "https" && given != "ssh" && given != "git" && given != "git+ssh") {
      return bad();
    }
    rest.remove_prefix(sep + 3);
    const size_t slash = rest.find('/');
    if (slash == std::string_view::npos) return bad();
    host = rest.substr(0, slash);
    path = rest.substr(slash + 1);
    if (const size_t at = host.rfind('@'); at != std::string_view::npos) host.remove_prefix(at + 1);
    // An ssh or git port is not the web server's.
    if (given != "http" && given != "https") host = host.substr(0, host.find(':'));
  } else {
    // scp-like: [user@]host:path
    const size_t colon = rest.find(':');
    if (colon == std::string_view::npos ||
        rest.substr(0, colon).find('/') != std::string_view::npos) {
      return bad();
    }
    host = rest.substr(0, colon);
    path = rest.substr(colon + 1);
    if (const size_t at = host.rfind('@'); at != std::string_view::npos) host.remove_prefix(at + 1);
  }
  while (path.starts_with('/')) path.remove_prefix(1);
  while (path.ends_with('/')) path.remove_suffix(1);
  if (path.ends_with(".git")) path.remove_suffix(4);
  while (path.ends_with('/')) path.remove_suffix(1);
  const auto plain = [](std::string_view text, std::string_view extra) {
    for (char ch : text) {
      const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                      (ch >= '0' && ch <= '9') ||
                      std::string_view("-._~").find(ch) != std::string_view::npos ||
                      extra.find(ch) != std::string_view::npos;
      if (!ok) return false;
    }
    return !text.empty();
  };
  if (!plain(host, ":[]") || !plain(path, "/%+@!$&'()*,;=")) return bad();
  std::string lower_host(host);
  for (char& ch : lower_host) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  RepositoryLinks links;
  links.url = fmt::format("{}://{}/{}", scheme, lower_host, path);
  const std::string_view commits = lower_host.find("gitlab") != std::string::npos ? "/-/commit/"
                                   : lower_host == "bitbucket.org"                ? "/commits/"
                                                                                  : "/commit/";
  links.commit_url = fmt::format("{}{}{{sha}}", *links.url, commits);
  return links;
}

base::Result<RepositoryLinks> RepositoryLinksFor(const std::string& repo_url,
                                                 const std::string& repo) {
  if (!repo_url.empty()) return RepositoryLinksOf(repo_url);
  if (repo.empty()) return RepositoryLinks{};
  ASSIGN_OR_RETURN(auto origin, schedule::OriginUrl(repo));
  if (!origin) return RepositoryLinks{};
  auto links = RepositoryLinksOf(*origin);
  // A local path or file:// origin has no web page: no links.
  return links.ok() ? *links : RepositoryLinks{};
}

base::Result<std::string> ProjectsDocument(store::Store& store, const RepositoryLinks& links) {
  auto runs = store.ListRuns({});
  if (!runs.ok()) return runs.status();
  struct P {
    int64_t runs = 0;
    std::set<std::string> platforms;
    std::optional<base::Timestamp> latest;
  };
  std::map<std::string, P> projects;
  for (const auto& r : *runs) {
    P& p = projects[r.project];
    ++p.runs;
    p.platforms.insert(r.platform);
    if (!p.latest || p.latest->unix_nanos < r.started_at.unix_nanos) p.latest = r.started_at;
  }
  base::JsonWriter w;
  w.BeginObject();
  w.Key("projects").BeginArray();
  for (const auto& [name, p] : projects) {
    w.BeginObject();
    w.Key("name").String(name);
    w.Key("runs").Int(p.runs);
    w.Key("platforms").BeginArray();
    for (const auto& pl : p.platforms) w.String(pl);
    w.EndArray();
    w.Key("latest_run_at");
    WriteOptional(w, p.latest);
    w.EndObject();
  }
  w.EndArray();
  w.Key("repository_url");
  WriteOptional(w, links.url);
  w.Key("commit_url");
  WriteOptional(w, links.commit_url);
  w.EndObject();
  return w.Take();
}

base::Result<std::string> PlatformsDocument(store::Store& store,
                                            const std::optional<std::string>& project) {
  store::RunFilter filter;
  filter.project = project;
  auto runs = store.ListRuns(filter);
  if (!runs.ok()) return runs.status();
  auto epochs = store.ListEpochs(filter);
  if (!epochs.ok()) return epochs.status();
  std::map<std::string, std::pair<int64_t, const store::RunSummary*>> platforms;
  for (const auto& r : *runs) {
    auto& p = platforms[r.platform];
    ++p.first;
    p.second = &r;  // ListRuns order: the last is the newest commit
  }
  base::JsonWriter w;
  w.BeginObject();
  w.Key("platforms").BeginArray();
  for (const auto& [name, p] : platforms) {
    w.BeginObject();
    w.Key("name").String(name);
    w.Key("runs").Int(p.first);
    w.Key("latest_run");
    WriteRunSummary(w, *p.second);
    w.Key("epochs").BeginArray();
    for (const auto& e : *epochs) {
      if (e.platform == name) WriteEpoch(w, e);
    }
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return w.Take();
}

base::Result<std::string> RunsDocument(store::Store& store, const RunsRequest& request) {
  auto runs = store.ListRuns(request.runs);
  if (!runs.ok()) return runs.status();
  base::JsonWriter w;
  w.BeginObject();
  w.Key("total").Int(static_cast<int64_t>(runs->size()));
  w.Key("runs").BeginArray();
  // Newest first: runs[first] down to runs[last]; an offset past the end is an empty page.
  // (offset is any int64: n - 1 - offset - limit would overflow.)
  const int64_t n = static_cast<int64_t>(runs->size());
  const int64_t first = n - 1 - std::min(request.offset, n);
  const int64_t last = std::max<int64_t>(0, first - request.limit + 1);
  for (int64_t i = first; i >= last; --i) WriteRunSummary(w, (*runs)[static_cast<size_t>(i)]);
  w.EndArray();
  w.EndObject();
  return w.Take();
}

}  // namespace perfledger::service
