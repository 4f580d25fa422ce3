#include "service/catalog.h"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "base/json_writer.h"
#include "service/documents.h"

namespace perfledger::service {

base::Result<std::string> ProjectsDocument(store::Store& store) {
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
