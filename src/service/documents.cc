#include "service/documents.h"

#include <set>

#include "base/strings.h"

namespace perfledger::service {

void WriteCommitRange(base::JsonWriter& w, const std::optional<std::string>& from,
                      const std::string& to, std::optional<int64_t> count) {
  w.Key("commit_range").BeginObject();
  w.Key("from");
  WriteOptional(w, from);
  w.Key("to").String(to);
  w.Key("count");
  if (count && *count > 0) {
    w.Int(*count);
  } else {
    w.Null();
  }
  w.EndObject();
}

void WriteOptional(base::JsonWriter& w, const std::optional<int64_t>& v) {
  if (v) {
    w.Int(*v);
  } else {
    w.Null();
  }
}

void WriteOptional(base::JsonWriter& w, const std::optional<double>& v) {
  if (v) {
    w.Number(*v);
  } else {
    w.Null();
  }
}

void WriteOptional(base::JsonWriter& w, const std::optional<std::string>& v) {
  if (v) {
    w.String(*v);
  } else {
    w.Null();
  }
}

void WriteOptional(base::JsonWriter& w, const std::optional<base::Timestamp>& v) {
  if (v) {
    w.String(base::FormatRfc3339(*v));
  } else {
    w.Null();
  }
}

void WriteAlert(base::JsonWriter& w, const store::AlertRecord& a) {
  w.BeginObject();
  w.Key("id").Int(a.id);
  w.Key("project").String(a.project);
  w.Key("platform").String(a.platform);
  w.Key("benchmark").String(a.benchmark);
  w.Key("metric").String(a.metric);
  w.Key("unit").String(a.unit);
  w.Key("epoch");
  WriteOptional(w, a.epoch);
  WriteCommitRange(w, a.range_from, a.range_to, a.range_count);
  w.Key("before_median").Number(a.before_median);
  w.Key("after_median").Number(a.after_median);
  w.Key("change").Number(a.change);
  w.Key("confidence").Number(a.confidence);
  w.Key("noise").Number(a.noise);
  w.Key("kind").String(core::AlertKindName(a.kind));
  w.Key("status").String(core::AlertStatusName(a.status));
  w.Key("note");
  WriteOptional(w, a.note);
  w.Key("created_at").String(base::FormatRfc3339(a.created_at));
  w.Key("updated_at").String(base::FormatRfc3339(a.updated_at));
  WriteKindFields(w, a.kind, a.first, a.rate, a.spread_ratio, IsRegression(a));
  w.EndObject();
}

void WriteKindFields(base::JsonWriter& w, core::AlertKind kind,
                     const std::optional<std::string>& first, std::optional<double> rate,
                     std::optional<double> spread_ratio, bool worse) {
  if (kind == core::AlertKind::kDrift) {
    w.Key("first");
    WriteOptional(w, first);
    w.Key("rate");
    WriteOptional(w, rate);
    w.Key("worse").Bool(worse);
  } else if (kind == core::AlertKind::kNoise) {
    w.Key("spread_ratio");
    WriteOptional(w, spread_ratio);
  }
}

void WriteRunSummary(base::JsonWriter& w, const store::RunSummary& r) {
  w.BeginObject();
  w.Key("run_id").String(r.run_id);
  w.Key("project").String(r.project);
  w.Key("sha").String(r.sha);
  w.Key("platform").String(r.platform);
  w.Key("reason").String(core::ReasonName(r.reason));
  w.Key("benchmark_count").Int(r.benchmark_count);
  w.Key("sample_count").Int(r.sample_count);
  w.Key("status").String(r.partial ? "partial" : "complete");
  w.Key("commit_time");
  WriteOptional(w, r.commit_time);
  w.Key("started_at").String(base::FormatRfc3339(r.started_at));
  w.EndObject();
}

void WriteCoverageRow(base::JsonWriter& w, const analysis::CoverageRow& r) {
  w.BeginObject();
  w.Key("platform").String(r.platform);
  w.Key("commits").Int(r.commits);
  w.Key("measured").Int(r.measured);
  w.Key("represented").Int(r.represented);
  w.Key("skipped").Int(r.skipped);
  w.Key("skipped_by_reason").BeginObject();
  for (const auto& [reason, n] : r.skipped_by_reason) w.Key(reason).Int(n);
  w.EndObject();
  w.Key("pending").Int(r.pending);
  w.Key("unaccounted").Int(r.unaccounted);
  w.Key("unaccounted_shas").BeginArray();
  for (const auto& s : r.unaccounted_shas) w.String(s);
  w.EndArray();
  w.Key("coverage_measured");
  WriteOptional(w, r.coverage_measured);
  w.Key("coverage_represented");
  WriteOptional(w, r.coverage_represented);
  w.Key("unknown").Int(r.unknown);
  w.EndObject();
}

base::Status AddGroupSubjects(store::Store& store, const std::vector<store::AlertRecord>& alerts,
                              std::vector<AlertGroup>& groups, SubjectCache* cache) {
  SubjectCache local;
  if (cache == nullptr) cache = &local;
  std::map<int64_t, const store::AlertRecord*> by_id;
  for (const auto& a : alerts) by_id[a.id] = &a;
  // Per project and platform: a run of each commit (run summaries only, read once).
  std::map<std::pair<std::string, std::string>, std::map<std::string, std::string>> runs_of;
  // The subject of `sha`, the range_to of one of the group's alerts at least.
  auto subject_of = [&](const AlertGroup& g,
                        const std::string& sha) -> base::Result<std::optional<std::string>> {
    if (auto hit = cache->find(sha); hit != cache->end()) return hit->second;
    std::optional<std::string> subject;
    // A run of the commit, read with one benchmark alone: that of the first alert ending there.
    for (int64_t id : g.alert_ids) {
      auto it = by_id.find(id);
      if (it == by_id.end() || it->second->range_to != sha) continue;
      const store::AlertRecord& a = *it->second;
      auto [runs, fresh] = runs_of.try_emplace({a.project, a.platform});
      if (fresh) {
        store::RunFilter filter;
        filter.project = a.project;
        filter.platform = a.platform;
        ASSIGN_OR_RETURN(auto list, store.ListRuns(filter));
        for (const auto& r : list) runs->second.emplace(r.sha, r.run_id);
      }
      if (auto run = runs->second.find(sha); run != runs->second.end()) {
        store::RunFilter filter;
        filter.run_id = run->second;
        filter.benchmark = a.benchmark;
        RETURN_IF_ERROR(store.ForEachRun(filter, [&](const core::Run& r) {
          if (r.commit.subject && !r.commit.subject->empty()) subject = r.commit.subject;
          return base::Status::Ok();
        }));
      }
      break;
    }
    if (!subject) {
      ASSIGN_OR_RETURN(auto history, store.RecordedHistory(sha));
      if (!history.empty() && history.back().sha == sha && !history.back().subject.empty()) {
        subject = history.back().subject;
      }
    }
    (*cache)[sha] = subject;
    return subject;
  };
  for (auto& g : groups) {
    ASSIGN_OR_RETURN(g.subject, subject_of(g, g.range_to));
    if (g.likely_to == g.range_to || g.likely_to.empty()) {
      g.likely_subject = g.subject;
    } else {
      ASSIGN_OR_RETURN(g.likely_subject, subject_of(g, g.likely_to));
    }
  }
  return base::Status::Ok();
}

std::string AlertsJson(const std::vector<store::AlertRecord>& alerts,
                       const std::vector<AlertGroup>& groups) {
  base::JsonWriter w;
  w.BeginObject();
  w.Key("alerts").BeginArray();
  for (const auto& a : alerts) WriteAlert(w, a);
  w.EndArray();
  w.Key("groups").BeginArray();
  for (const auto& g : groups) {
    w.BeginObject();
    WriteCommitRange(w, g.range_from, g.range_to, g.range_count);
    w.Key("platforms").BeginArray();
    for (const auto& p : g.platforms) w.String(p);
    w.EndArray();
    w.Key("regressions").Int(g.regressions);
    w.Key("improvements").Int(g.improvements);
    w.Key("environment").Int(g.environment);
    w.Key("alert_ids").BeginArray();
    for (int64_t id : g.alert_ids) w.Int(id);
    w.EndArray();
    w.Key("summary").String(g.Summary());
    w.Key("subject");
    WriteOptional(w, g.subject);
    // The likely culprit range (the commits every alert's range holds), its last commit's
    // subject, and the alerts per kind (every kind, by name).
    w.Key("likely_range").BeginObject();
    w.Key("from").String(g.likely_from);
    w.Key("to").String(g.likely_to);
    w.Key("count");
    WriteOptional(w, g.likely_count > 0 ? std::optional<int64_t>(g.likely_count) : std::nullopt);
    w.EndObject();
    w.Key("likely_subject");
    WriteOptional(w, g.likely_subject);
    w.Key("kinds").BeginObject();
    for (const auto& [kind, n] : g.kinds) w.Key(kind).Int(n);
    w.EndObject();
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return w.Take();
}

std::string IndexJson(const std::vector<analysis::IndexSeries>& index) {
  base::JsonWriter w;
  w.BeginObject();
  w.Key("indexes").BeginArray();
  for (const auto& s : index) {
    w.BeginObject();
    w.Key("platform").String(s.platform);
    w.Key("epoch");
    WriteOptional(w, s.epoch);
    w.Key("environment").String(s.ci ? "ci" : "local");
    w.Key("metric").String(s.metric);
    w.Key("unit").String(s.unit);
    w.Key("direction").String(core::DirectionName(s.direction));
    w.Key("base").BeginObject();
    w.Key("sha").String(s.base_sha);
    w.Key("source").String(s.base_source);
    w.Key("benchmarks").Int(s.base_benchmarks);
    w.EndObject();
    if (s.points_total) w.Key("points_total").Int(*s.points_total);
    w.Key("points").BeginArray();
    for (const auto& p : s.points) {
      w.BeginObject();
      w.Key("sha").String(p.sha);
      w.Key("run_id").String(p.run_id);
      w.Key("commit_time");
      WriteOptional(w, p.commit_time);
      w.Key("index").Number(p.value);
      w.Key("benchmarks").Int(p.benchmarks);
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return w.Take();
}

std::string GapsJson(const GapsReport& report) {
  base::JsonWriter w;
  w.BeginObject();
  w.Key("branch").String(report.branch);
  w.Key("head").String(report.head);
  w.Key("history").String(report.history);
  w.Key("expected_benchmarks").Int(static_cast<int64_t>(report.expected.size()));
  w.Key("stalled").Bool(report.stalled());
  w.Key("platforms").BeginArray();
  for (const auto& r : report.rows) {
    w.BeginObject();
    w.Key("platform").String(r.platform);
    w.Key("last_complete");
    WriteOptional(w, r.last_complete);
    w.Key("commits_since").Int(r.commits_since);
    w.Key("age_seconds").Int(r.age_nanos / 1'000'000'000);
    w.Key("missing_benchmarks").BeginArray();
    for (const auto& b : r.missing) w.String(b);
    w.EndArray();
    w.Key("stalled").Bool(r.stalled);
    w.Key("why").String(r.why);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return w.Take();
}

std::string CoverageJson(const CoverageReport& report) {
  base::JsonWriter w;
  w.BeginObject();
  w.Key("branch").String(report.branch);
  w.Key("head").String(report.head);
  w.Key("history").String(report.history);
  w.Key("platforms").BeginArray();
  for (const auto& r : report.rows) WriteCoverageRow(w, r);
  w.EndArray();
  w.Key("commits").BeginArray();
  for (size_t i = 0; i < report.commits.size(); ++i) {
    const auto& commit = report.commits[i];
    w.BeginObject();
    w.Key("sha").String(commit.sha);
    w.Key("time").String(base::FormatRfc3339(commit.time));
    w.Key("subject").String(commit.subject);
    w.Key("status").BeginObject();
    for (const auto& r : report.rows) {
      if (i < r.states.size()) w.Key(r.platform).String(analysis::CommitStateName(r.states[i]));
    }
    w.EndObject();
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return w.Take();
}

namespace {

bool NameMatches(const std::string& q, const std::string& name) {
  if (q.find_first_of("*?[") != std::string::npos) return base::GlobMatch(q, name);
  return base::ToLower(name).find(base::ToLower(q)) != std::string::npos;
}

}  // namespace

std::string BenchmarksJson(const std::vector<store::BenchmarkInfo>& list,
                           const BenchmarksQuery& query) {
  base::JsonWriter w;
  w.BeginObject();
  w.Key("benchmarks").BeginArray();
  int64_t total = 0;
  for (size_t i = 0; i < list.size();) {
    // One entry per (project, benchmark): its metrics follow each other in the catalog.
    size_t j = i;
    while (j < list.size() && list[j].project == list[i].project &&
           list[j].benchmark == list[i].benchmark) {
      ++j;
    }
    const store::BenchmarkInfo& first = list[i];
    std::set<std::string> platforms;
    for (size_t k = i; k < j; ++k) {
      platforms.insert(list[k].platforms.begin(), list[k].platforms.end());
    }
    const bool keep = (!query.q || NameMatches(*query.q, first.benchmark)) &&
                      (!query.project || first.project == *query.project) &&
                      (!query.platform || platforms.contains(*query.platform));
    if (keep && total++ < query.limit) {
      w.BeginObject();
      w.Key("name").String(first.benchmark);
      w.Key("project").String(first.project);
      w.Key("platforms").BeginArray();
      for (const auto& p : platforms) w.String(p);
      w.EndArray();
      w.Key("metrics").BeginArray();
      for (size_t k = i; k < j; ++k) {
        w.BeginObject();
        w.Key("name").String(list[k].metric);
        w.Key("unit").String(list[k].unit);
        w.Key("direction").String(core::DirectionName(list[k].direction));
        w.EndObject();
      }
      w.EndArray();
      w.EndObject();
    }
    i = j;
  }
  w.EndArray();
  w.Key("total").Int(total);
  w.Key("limit").Int(query.limit);
  w.EndObject();
  return w.Take();
}

namespace {

void WriteSide(base::JsonWriter& w, const ComparedSide& s) {
  w.BeginObject();
  w.Key("run_id").String(s.run.run_id);
  w.Key("sha").String(s.run.commit.sha);
  w.Key("platform").String(s.run.platform);
  w.Key("fingerprint").String(s.run.environment.fingerprint);
  w.Key("source").String(s.source);
  w.EndObject();
}

void Optional(base::JsonWriter& w, std::string_view key, std::optional<double> v) {
  w.Key(key);
  WriteOptional(w, v);
}

}  // namespace

std::string ComparisonJson(const analysis::Comparison& c, const ComparedSide& base,
                           const ComparedSide& head, bool advisory, const std::string& why,
                           const NoiseHistory& history) {
  base::JsonWriter w;
  w.BeginObject();
  w.Key("base");
  WriteSide(w, base);
  w.Key("head");
  WriteSide(w, head);
  w.Key("advisory").Bool(advisory);
  if (!why.empty()) w.Key("baseline_reason").String(why);
  w.Key("history").BeginObject();
  w.Key("runs").Int(history.runs);
  w.Key("series").Int(static_cast<int64_t>(history.noise.size()));
  w.Key("description").String(history.description);
  w.EndObject();
  w.Key("results").BeginArray();
  for (const auto& r : c.rows) {
    w.BeginObject();
    w.Key("benchmark").String(r.benchmark);
    w.Key("metric").String(r.metric);
    w.Key("unit").String(r.unit);
    w.Key("base_median").Number(r.base_median);
    w.Key("head_median").Number(r.head_median);
    Optional(w, "change", r.change);
    Optional(w, "ci_low", r.ci_low);
    Optional(w, "ci_high", r.ci_high);
    Optional(w, "p_value", r.p_value);
    Optional(w, "q_value", r.q_value);
    w.Key("verdict").String(analysis::VerdictName(r.verdict));
    w.Key("base_n").Int(r.base_n);
    w.Key("head_n").Int(r.head_n);
    w.Key("threshold").Number(r.threshold);
    w.Key("noise").Number(r.noise);
    w.Key("noise_source").String(r.noise_source);
    if (!r.note.empty()) w.Key("note").String(r.note);
    w.EndObject();
  }
  w.EndArray();
  w.Key("summary").BeginObject();
  w.Key("regressions").Int(c.regressions);
  w.Key("improvements").Int(c.improvements);
  w.Key("unchanged").Int(c.unchanged);
  w.Key("inconclusive").Int(c.inconclusive);
  w.EndObject();
  w.Key("not_compared").BeginObject();
  for (auto [key, list] :
       {std::pair{"failed", &c.failed}, std::pair{"only_base", &c.only_base},
        std::pair{"only_head", &c.only_head}, std::pair{"metrics_only_base", &c.metrics_only_base},
        std::pair{"metrics_only_head", &c.metrics_only_head}}) {
    w.Key(key).BeginArray();
    for (const auto& name : *list) w.String(name);
    w.EndArray();
  }
  w.EndObject();
  w.EndObject();
  return w.Take();
}

base::Result<std::string> CompareCommitsDocument(store::Store& store, const std::string& base,
                                                 const std::string& head,
                                                 const std::string& platform,
                                                 const CompareRequest& request) {
  const std::string where = "the store";
  RETURN_IF_ERROR(CheckCompareRequest(request));
  ASSIGN_OR_RETURN(auto base_run, RunOfCommit(store, base, platform, where));
  ASSIGN_OR_RETURN(auto head_run, RunOfCommit(store, head, platform, where));
  ASSIGN_OR_RETURN(auto history, LoadNoiseHistory(head_run.run, store, where));
  ASSIGN_OR_RETURN(auto outcome, CompareRunsOf(base_run.run, head_run.run, request, history));
  return ComparisonJson(outcome.comparison, {base_run.run, base_run.source},
                        {head_run.run, head_run.source}, outcome.advisory, "", history);
}

namespace {

void WriteRunRef(base::JsonWriter& w, const std::string& run_id, const std::string& sha,
                 const std::optional<base::Timestamp>& commit_time) {
  w.BeginObject();
  w.Key("run_id").String(run_id);
  w.Key("sha").String(sha);
  w.Key("commit_time");
  WriteOptional(w, commit_time);
  w.EndObject();
}

}  // namespace

void WriteEpoch(base::JsonWriter& w, const store::EpochInfo& e) {
  w.BeginObject();
  w.Key("project").String(e.project);
  w.Key("platform").String(e.platform);
  w.Key("suite").String(e.suite);
  w.Key("epoch").Int(e.number);
  w.Key("number").Int(e.number);
  w.Key("revision").Int(e.revision);
  w.Key("runs").Int(e.run_count);
  w.Key("run_count").Int(e.run_count);
  w.Key("first_sha").String(e.first_sha);
  w.Key("first_commit_time");
  WriteOptional(w, e.first_commit_time);
  w.Key("first_run");
  WriteRunRef(w, e.first_run_id, e.first_sha, e.first_commit_time);
  w.Key("first_complete_run");
  if (e.first_complete_run_id) {
    WriteRunRef(w, *e.first_complete_run_id, e.first_complete_sha.value_or(""),
                e.first_complete_commit_time);
  } else {
    w.Null();
  }
  w.Key("settings").BeginObject();
  for (const auto& [key, raw] : e.settings) w.Key(key).Raw(raw);
  w.EndObject();
  w.EndObject();
}

std::string EpochsJson(const std::vector<store::EpochInfo>& epochs) {
  base::JsonWriter w;
  w.BeginObject();
  w.Key("epochs").BeginArray();
  for (const auto& e : epochs) WriteEpoch(w, e);
  w.EndArray();
  w.EndObject();
  return w.Take();
}

}  // namespace perfledger::service
