// perfledger detect, alerts and index: change points over every series, the alerts kept from
// them, and the headline index per epoch. Thin shells over service/detection.h.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "analysis/parameters.h"
#include "base/json_writer.h"
#include "base/strings.h"
#include "base/time.h"
#include "base/units.h"
#include "cli/schedule_options.h"
#include "cli/shell.h"
#include "service/detection.h"
#include "service/documents.h"
#include "service/notify.h"
#include "service/plan.h"

namespace perfledger::cli {
namespace {

std::string Short(const std::string& sha) { return sha.substr(0, 10); }

std::string Percent(double v) { return fmt::format("{:+.1f}%", v * 100); }

// A drift's rate per commit: "+0.5%/commit", with a second digit below 0.1%.
std::string RatePerCommit(double rate) {
  return fmt::format("{:+.{}f}%/commit", rate * 100, std::abs(rate) >= 0.001 ? 1 : 2);
}

// "drift +20.3% over 40 commits (+0.5%/commit)": `measured` commits of the series moved by
// `change`; `count` commits in its range when known (said when they are more than measured).
std::string DriftText(double change, double rate, size_t measured, std::optional<int64_t> count) {
  const bool all = count && *count == static_cast<int64_t>(measured);
  return fmt::format("drift {} over {} {}commit{} ({})", Percent(change), measured,
                     all || !count ? "" : "measured ", measured == 1 ? "" : "s",
                     RatePerCommit(rate));
}

// "noise x2.1 spread"
std::string NoiseText(double spread_ratio) {
  return fmt::format("noise x{:.1f} spread", spread_ratio);
}

// A value with its unit in the unit that reads best: "41.71 ms", "1.2M" (base/units.h).
std::string WithUnit(double v, const std::string& unit) { return base::FormatQuantity(v, unit); }

// ---- detect ----

struct DetectOptions {
  RunFilterOptions filter;
  std::string benchmark, repo, branch, format = "table", now, min_effect;
  std::vector<std::string> metrics;
  double alpha = 0.01;
  int min_segment = 3;
  bool record = false;
  bool all = false;
  std::vector<std::string> notify;
  std::string public_url;
  bool notify_required = false;
};

void PrintDetectJson(const service::DetectReport& r, bool record) {
  base::JsonWriter w;
  w.BeginObject();
  w.Key("series").Int(r.series);
  w.Key("open_regressions").Int(r.open_regressions());
  if (r.since_mark) {
    // An incremental recorded pass: only series that changed since the last one.
    w.Key("since_mark").Int(*r.since_mark);
  }
  w.Key("changes").BeginArray();
  for (size_t i = 0; i < r.changes.size(); ++i) {
    const analysis::DetectedChange& c = r.changes[i];
    w.BeginObject();
    w.Key("platform").String(c.key.platform);
    w.Key("benchmark").String(c.key.benchmark);
    w.Key("metric").String(c.key.metric);
    w.Key("unit").String(c.unit);
    w.Key("epoch");
    service::WriteOptional(w, c.key.epoch);
    w.Key("environment").String(c.key.ci ? "ci" : "local");
    service::WriteCommitRange(w, c.from, c.to, c.count);
    w.Key("before_median").Number(c.before_median);
    w.Key("after_median").Number(c.after_median);
    w.Key("change").Number(c.change);
    w.Key("confidence").Number(c.confidence);
    w.Key("kind").String(analysis::ChangeKindName(c.kind));
    w.Key("noise").Number(c.noise);
    w.Key("min_effect").Number(c.min_effect);
    // The kept alert's triage status, open for a new change: what the exit status counts.
    w.Key("status").String(core::AlertStatusName(r.status.at(i)));
    if (c.kind == analysis::ChangeKind::kEnvironment) {
      w.Key("fingerprint_before").String(c.fingerprint_before);
      w.Key("fingerprint_after").String(c.fingerprint_after);
    }
    service::WriteKindFields(w, c.kind, c.first, c.rate, c.spread_ratio, service::IsRegression(c));
    if (c.kind == analysis::ChangeKind::kDrift) {
      w.Key("measured").Int(static_cast<int64_t>(c.index - c.first_index + 1));
    }
    if (record) {
      w.Key("alert").BeginObject();
      w.Key("id").Int(r.alert_ids[i]);
      w.Key("recorded").String(r.recorded[i]);
      w.EndObject();
    }
    w.EndObject();
  }
  w.EndArray();
  w.Key("skipped").BeginArray();
  for (const auto& s : r.skipped) {
    w.BeginObject();
    w.Key("platform").String(s.key.platform);
    w.Key("benchmark").String(s.key.benchmark);
    w.Key("metric").String(s.key.metric);
    w.Key("epoch");
    service::WriteOptional(w, s.key.epoch);
    w.Key("reason").String(s.reason);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  fmt::print("{}\n", w.str());
}

void PrintDetectTable(const service::DetectReport& r, bool record) {
  // Regressions already triaged (acknowledged, resolved, a false positive) are said apart.
  const int triaged = r.regressions() - r.open_regressions();
  fmt::print("{} series analysed{}, {} skipped; {} change{} ({} regression{}{})\n", r.series,
             r.since_mark ? " (those with points since the last recorded pass; --all for every "
                            "series)"
                          : "",
             r.skipped.size(), r.changes.size(), r.changes.size() == 1 ? "" : "s", r.regressions(),
             r.regressions() == 1 ? "" : "s",
             triaged > 0 ? fmt::format(", {} open", r.open_regressions()) : "");
  if (!r.changes.empty()) {
    size_t pw = 8, bw = 9, mw = 6;
    for (const auto& c : r.changes) {
      pw = std::max(pw, c.key.platform.size());
      bw = std::max(bw, c.key.benchmark.size());
      mw = std::max(mw, c.key.metric.size());
    }
    fmt::print(
        "\n{:<11}  {:<{}}  {:<{}}  {:<{}}  {:<22}  {:>7}  {:>11}  {:>11}  {:>8}  {:>6}  {:>6}{}\n",
        "KIND", "PLATFORM", pw, "BENCHMARK", bw, "METRIC", mw, "RANGE", "COMMITS", "BEFORE",
        "AFTER", "CHANGE", "CONF", "NOISE", record ? "  ALERT" : "");
    for (size_t i = 0; i < r.changes.size(); ++i) {
      const auto& c = r.changes[i];
      const bool noise = c.kind == analysis::ChangeKind::kNoise;
      fmt::print(
          "{:<11}  {:<{}}  {:<{}}  {:<{}}  {:<22}  {:>7}  {:>11}  {:>11}  {:>8}  {:>6}  {:>6}{}\n",
          analysis::ChangeKindName(c.kind), c.key.platform, pw, c.key.benchmark, bw, c.key.metric,
          mw, Short(c.from) + ".." + Short(c.to),
          c.count ? std::to_string(*c.count) : std::string("?"), WithUnit(c.before_median, c.unit),
          WithUnit(c.after_median, c.unit),
          noise ? fmt::format("x{:.2f}", c.spread_ratio) : Percent(c.change),
          fmt::format("{:.3f}", c.confidence), fmt::format("{:.1f}%", c.noise * 100),
          record ? fmt::format("  #{} {}{}", r.alert_ids[i], r.recorded[i],
                               r.status[i] == core::AlertStatus::kOpen
                                   ? ""
                                   : fmt::format(" ({})", core::AlertStatusName(r.status[i])))
                 : "");
      // What a drift or a noise change is, under its row.
      if (c.kind == analysis::ChangeKind::kDrift) {
        fmt::print("{:<11}  {}, a {} from {}\n", "",
                   DriftText(c.change, c.rate, c.index - c.first_index + 1, c.count),
                   service::IsRegression(c) ? "regression" : "improvement", Short(c.first));
      } else if (noise) {
        fmt::print("{:<11}  {} (the spread changed, not the level: never a regression)\n", "",
                   NoiseText(c.spread_ratio));
      }
    }
  }
  fmt::print(
      "\nnoise: each series' own run-to-run variation (robust, from successive medians); a "
      "change counts only above max(min effect, 1.5 x noise)\n");
  if (std::any_of(r.changes.begin(), r.changes.end(), [](const auto& c) {
        return c.kind == analysis::ChangeKind::kDrift || c.kind == analysis::ChangeKind::kNoise;
      })) {
    fmt::print(
        "drift: a gradual change over the commits of its range (a regression when it worsens "
        "the series); noise: the spread changed (CHANGE: after / before), not the level\n");
  }
  if (!r.skipped.empty()) {
    fmt::print("skipped:\n");
    size_t shown = 0;
    for (const auto& s : r.skipped) {
      if (++shown > 20) {
        fmt::print("  ... and {} more (--format json lists them all)\n", r.skipped.size() - 20);
        break;
      }
      fmt::print("  {} {} {}: {}\n", s.key.platform, s.key.benchmark, s.key.metric, s.reason);
    }
  }
}

void RunDetect(const DetectOptions& opt, Shell* shell) {
  service::DetectRequest req;
  req.runs = opt.filter.Filter();
  if (!opt.benchmark.empty()) req.series.benchmark_glob = opt.benchmark;
  req.series.metrics = opt.metrics;
  service::NotifyOptions notify;
  notify.urls = opt.notify;
  notify.public_url = opt.public_url;
  if (!opt.notify.empty() && !opt.record) {
    return shell->UsageError("--notify posts the alerts --record keeps: add --record");
  }
  if (opt.notify_required && opt.notify.empty()) {
    return shell->UsageError("--notify-required: give the webhook with --notify URL");
  }
  if (auto s = service::CheckNotifyOptions(notify, "--notify"); !s.ok()) {
    return shell->UsageError(s.message());
  }
  // --repo's default: the repository the working directory is in (searched upward), else none
  // (the history the last recorded plan saw).
  req.history = {opt.repo.empty() ? service::WorkingRepository().value_or("") : opt.repo,
                 opt.branch};
  req.record = opt.record;
  req.all = opt.all;
  if (auto s = analysis::CheckAlpha(opt.alpha, "--alpha"); !s.ok()) return shell->Fail(s);
  if (auto s = analysis::CheckMinSegment(opt.min_segment, "--min-segment"); !s.ok()) {
    return shell->Fail(s);
  }
  req.options.alpha = opt.alpha;
  req.options.min_segment = static_cast<size_t>(opt.min_segment);
  if (!opt.min_effect.empty()) {
    auto v = ParsePercentFlag("--min-effect", opt.min_effect, /*allow_zero=*/true);
    if (!v.ok()) return shell->Fail(v.status());
    req.options.min_effect = *v;
  }
  auto now = NowOption(opt.now);
  if (!now.ok()) return shell->Fail(now.status());
  req.now = *now;
  auto store = shell->OpenStore(/*create=*/false);
  if (!store.ok()) return shell->Fail(store.status());
  auto report = service::DetectInStore(**store, req);
  if (!report.ok()) return shell->Fail(report.status());
  if (report->series == 0 && report->skipped.empty() && !report->since_mark) {
    const bool filtered = !opt.filter.platform.empty() || !opt.filter.project.empty() ||
                          !opt.benchmark.empty() || !opt.metrics.empty();
    if (filtered) {
      return shell->Fail(base::NotFound(
          "no series to analyse: no stored run matches the platform, benchmark and metric "
          "given"));
    }
    // A young store (only failed runs, or none): nothing to find yet, which is not an error
    // for the collect job that runs detect after every ingest.
    fmt::print(stderr, "no series to analyse yet: no stored run has a measurement\n");
  }
  if (opt.format == "json") {
    PrintDetectJson(*report, opt.record);
  } else {
    PrintDetectTable(*report, opt.record);
  }
  // Only what is still to look at fails the job: a regression that is new or whose alert is
  // open, not one acknowledged, resolved or marked a false positive.
  if (report->open_regressions() > 0) shell->exit_code = kExitFound;
  if (notify.urls.empty()) return;
  // What this pass kept as new, posted; a webhook that fails is a warning (the notifier
  // printed it), an error only with --notify-required.
  auto sent = service::NotifyRecorded(**store, *report, notify);
  if (!sent.ok()) {
    fmt::print(stderr, "perfledger: warning: notify: {}\n", sent.status().message());
  } else if (sent->messages > 0) {
    fmt::print(stderr, "perfledger: notified {} alert group message{}, {} given up\n",
               sent->messages, sent->messages == 1 ? "" : "s", sent->failed);
  }
  if (opt.notify_required && (!sent.ok() || sent->failed > 0)) {
    shell->exit_code = 1;
  }
}

// ---- alerts ----

struct AlertsOptions {
  std::string status, platform, kind, format = "table", repo, branch;
};

struct AlertUpdateOptions {
  int64_t id = 0;
  std::string note;
  bool has_note = false;
};

void PrintAlertsJson(const std::vector<store::AlertRecord>& alerts,
                     const std::vector<service::AlertGroup>& groups) {
  fmt::print("{}\n", service::AlertsJson(alerts, groups));
}

void PrintAlertsTable(const std::vector<store::AlertRecord>& alerts,
                      const std::vector<service::AlertGroup>& groups, const std::string& status) {
  if (alerts.empty()) {
    fmt::print("no {}alerts (perfledger detect --record keeps the changes it finds)\n",
               status.empty() ? "" : status + " ");
    return;
  }
  std::map<int64_t, const store::AlertRecord*> by_id;
  for (const auto& a : alerts) by_id[a.id] = &a;
  auto commits = [](int64_t n) {
    return fmt::format("{} commit{}", n > 0 ? std::to_string(n) : std::string("?"),
                       n == 1 ? "" : "s");
  };
  for (const auto& g : groups) {
    fmt::print("{}..{} ({}): {}\n", Short(g.range_from), Short(g.range_to), commits(g.range_count),
               g.Summary());
    if (g.likely_from != g.range_from || g.likely_to != g.range_to) {
      // Overlapping ranges: the commits every one of them holds.
      fmt::print("  likely culprit: {}..{} ({}){}\n", Short(g.likely_from), Short(g.likely_to),
                 commits(g.likely_count),
                 g.likely_subject ? fmt::format(" \"{}\"", *g.likely_subject) : "");
    }
    for (int64_t id : g.alert_ids) {
      const store::AlertRecord& a = *by_id.at(id);
      std::string what = Percent(a.change);
      if (a.kind == core::AlertKind::kDrift && a.rate) {
        what += fmt::format(" over {}, {}", commits(a.range_count), RatePerCommit(*a.rate));
      } else if (a.kind == core::AlertKind::kNoise && a.spread_ratio) {
        what = fmt::format("x{:.1f} spread", *a.spread_ratio);
      }
      fmt::print("  #{:<5} {:<11} {:<14} {:<12} {} {}: {} -> {} ({}, confidence {:.3f}){}\n", a.id,
                 core::AlertKindName(a.kind), core::AlertStatusName(a.status), a.platform,
                 a.benchmark, a.metric, WithUnit(a.before_median, a.unit),
                 WithUnit(a.after_median, a.unit), what, a.confidence,
                 a.note ? " note: " + *a.note : "");
    }
  }
}

void RunAlerts(const AlertsOptions& opt, Shell* shell) {
  store::AlertFilter filter;
  // CLI11 checked both words (IsMember below); parsed here, once.
  if (!opt.status.empty()) filter.status = core::ParseAlertStatus(opt.status);
  if (!opt.platform.empty()) filter.platform = opt.platform;
  if (!opt.kind.empty()) filter.kind = core::ParseAlertKind(opt.kind);
  auto store = shell->OpenStore(/*create=*/false);
  if (!store.ok()) return shell->Fail(store.status());
  auto alerts = (*store)->ListAlerts(filter);
  if (!alerts.ok()) return shell->Fail(alerts.status());
  // Ranges that overlap group in the branch's order: --repo, by default the repository the
  // working directory is in, else the history a plan recorded, else the runs' commit times.
  auto order = service::AlertCommitOrder(
      **store, *alerts,
      {opt.repo.empty() ? service::WorkingRepository().value_or("") : opt.repo, opt.branch});
  if (!order.ok()) return shell->Fail(order.status());
  auto groups = service::GroupAlerts(*alerts, *order);
  if (auto s = service::AddGroupSubjects(**store, *alerts, groups); !s.ok()) return shell->Fail(s);
  if (opt.format == "json") {
    PrintAlertsJson(*alerts, groups);
  } else {
    PrintAlertsTable(*alerts, groups, opt.status);
  }
}

void RunAlertUpdate(core::AlertStatus status, const AlertUpdateOptions& opt, Shell* shell) {
  auto store = shell->OpenStore(/*create=*/false);
  if (!store.ok()) return shell->Fail(store.status());
  auto now = NowOption("");
  if (!now.ok()) return shell->Fail(now.status());
  std::optional<std::string> note;
  if (opt.has_note) note = opt.note;
  if (auto s = (*store)->SetAlertStatus(opt.id, status, note, *now); !s.ok()) {
    return shell->Fail(s);
  }
  fmt::print("alert #{} is now {}\n", opt.id, core::AlertStatusName(status));
}

void AddAlertUpdate(CLI::App* alerts, const std::string& name, core::AlertStatus status,
                    const std::string& description, Shell* shell) {
  auto opt = std::make_shared<AlertUpdateOptions>();
  CLI::App* cmd = alerts->add_subcommand(name, description);
  cmd->add_option("ID", opt->id, "The alert's id (perfledger alerts lists them)")->required();
  cmd->add_option("--note", opt->note, "Why: kept with the alert");
  cmd->footer(fmt::format("Example:\n  perfledger alerts {} 12 --note \"{}\"", name,
                          status == core::AlertStatus::kAcknowledged
                              ? "looking into it: new allocator"
                          : status == core::AlertStatus::kResolved ? "fixed in 9f2c1e0"
                                                                   : "the runner image changed"));
  cmd->callback([opt, status, shell, cmd] {
    opt->has_note = cmd->count("--note") > 0;
    RunAlertUpdate(status, *opt, shell);
  });
}

// ---- index ----

struct IndexOptions {
  RunFilterOptions filter;
  std::vector<std::string> metrics;
  std::string format = "table";
};

void PrintIndexJson(const std::vector<analysis::IndexSeries>& index) {
  fmt::print("{}\n", service::IndexJson(index));
}

void PrintIndexTable(const std::vector<analysis::IndexSeries>& index) {
  for (size_t i = 0; i < index.size(); ++i) {
    const auto& s = index[i];
    fmt::print(
        "{}{} {} epoch {} ({}): {}, base {} ({}, {} benchmark{})\n", i == 0 ? "" : "\n", s.platform,
        s.metric, s.epoch ? std::to_string(*s.epoch) : std::string("none"), s.ci ? "ci" : "local",
        s.direction == core::Direction::kLower ? "lower is better" : "higher is better",
        Short(s.base_sha), s.base_source, s.base_benchmarks, s.base_benchmarks == 1 ? "" : "s");
    fmt::print("  {:<10}  {:<10}  {:>7}  {:>10}\n", "COMMIT", "DATE", "INDEX", "BENCHMARKS");
    for (const auto& p : s.points) {
      fmt::print("  {:<10}  {:<10}  {:>7.3f}  {:>10}\n", Short(p.sha),
                 p.commit_time ? base::FormatRfc3339(*p.commit_time).substr(0, 10) : "-", p.value,
                 fmt::format("{}/{}", p.benchmarks, s.base_benchmarks));
    }
  }
}

void RunIndex(const IndexOptions& opt, Shell* shell) {
  auto store = shell->OpenStore(/*create=*/false);
  if (!store.ok()) return shell->Fail(store.status());
  service::IndexRequest request;
  request.runs = opt.filter.Filter();
  request.metrics = opt.metrics;
  // Platforms read side by side on a second connection.
  request.another_store = [shell]() -> base::Result<std::shared_ptr<store::Store>> {
    ASSIGN_OR_RETURN(std::unique_ptr<store::Store> other, shell->OpenStore(/*create=*/false));
    return std::shared_ptr<store::Store>(std::move(other));
  };
  auto index = service::IndexOf(**store, request);
  if (!index.ok()) return shell->Fail(index.status());
  if (index->empty()) {
    return shell->Fail(
        base::NotFound("no index: no stored run matches the platform and metric given"));
  }
  if (opt.format == "json") {
    PrintIndexJson(*index);
  } else {
    PrintIndexTable(*index);
  }
}

}  // namespace

void AddDetectVerb(CLI::App& app, Shell* shell) {
  auto opt = std::make_shared<DetectOptions>();
  CLI::App* cmd = app.add_subcommand(
      "detect", "Find where benchmark series changed level, and between which commits");
  cmd->footer(
      "Every series (benchmark x metric x platform, split by epoch and environment class) is\n"
      "searched for change points in its per-commit medians (seeded binary segmentation, robust\n"
      "to outliers). A change counts when it is significant (--alpha per series) and larger\n"
      "than both --min-effect and 1.5x the series' own run-to-run noise, so a noisy series does\n"
      "not alert for noise. A change at an environment fingerprint change is `environment`,\n"
      "never a regression. The range runs from the last measured commit before the change to\n"
      "the first after it; commits in it are counted from the runs' commit ranges, else the\n"
      "branch history (--repo, by default the repository the working directory is in; outside\n"
      "one, the history the last recorded plan saw).\n\n"
      "Where runs carry samples, a step with only 2 measured commits on one side (a young\n"
      "series, or the newest commits of an older one) is tested with the runs' own samples,\n"
      "and a series of fewer than 30 commits takes its noise from them too.\n\n"
      "A gradual change over a stretch of commits is one `drift`, reported once with its range\n"
      "(from the commit before its first point to its last), its total change and its rate per\n"
      "measured commit: a drift that worsens the series is a regression (a slow 20% slowdown\n"
      "is real), one that improves it an improvement. A change of the spread (a benchmark\n"
      "became bimodal or much noisier) is `noise`, reported at its range with the spread's\n"
      "ratio, and never a regression.\n\n"
      "--record keeps new changes as alerts (perfledger alerts), deduplicated against those\n"
      "kept before; a change found again over a narrower range (bisection measured commits in\n"
      "it) narrows its alert. A recorded pass after the first looks only at the series that\n"
      "received points since the last recorded pass, over their newest 512 points (the store\n"
      "keeps the mark); --all analyses every series in full.\n\n"
      "Exit 3 when a regression is open (a step, or a drift that worsens the series): new (no\n"
      "kept alert is it) or one whose alert is still open; a noise change never exits 3.\n"
      "A regression whose alert was acknowledged, resolved or marked a false positive\n"
      "(perfledger alerts ack|resolve|false-positive) is reported with its status and does\n"
      "not fail the job; exit 0 then. With or without --record, each change is matched\n"
      "against the kept alerts the same way.\n\n"
      "--notify URL posts each alert group this pass kept as new to the webhook (JSON with a\n"
      "Slack-compatible text), once per store and webhook even with serve --notify on the same\n"
      "store, retried with back-off (1s, 2s, 4s, 8s). A webhook that still fails is a warning;\n"
      "the exit status stays as above unless --notify-required (then 1).\n\n"
      "JSON: {series, open_regressions, since_mark (an incremental pass), changes [{platform,\n"
      "benchmark, metric, unit, epoch, environment, commit_range {from, to, count},\n"
      "before_median, after_median, change, confidence, kind, noise, min_effect, status (the\n"
      "kept alert's; open for a new change), alert {id, recorded: new|narrowed|existing} with\n"
      "--record; a drift: first, rate, worse, measured; a noise change: spread_ratio}],\n"
      "skipped [{platform, benchmark, metric, epoch, reason}]}.\n\n"
      "Example:\n"
      "  perfledger detect --platform x86-64-linux --benchmark 'sort/*' --record\n"
      "  perfledger detect --format json | jq '.changes[] | select(.kind == \"regression\")'");
  opt->filter.AddTo(cmd);
  cmd->add_option("--benchmark", opt->benchmark, "Only benchmarks matching this shell glob");
  cmd->add_option("--metric", opt->metrics, "Only this metric (repeatable)");
  cmd->add_option("--min-effect", opt->min_effect,
                  "The smallest change reported, e.g. 2% (default 1%; a noisy series' own "
                  "noise raises it)");
  cmd->add_option("--alpha", opt->alpha, "False alarms per series of pure noise (default 0.01)");
  cmd->add_option("--min-segment", opt->min_segment,
                  "Measured commits needed on each side of a change (default 3; 2 finds changes "
                  "sooner and alerts on shorter excursions)");
  cmd->add_option("--repo", opt->repo,
                  "Count commits in ranges from this git repository (default: the one the "
                  "working directory is in, if any; else the history the last recorded plan "
                  "saw)");
  cmd->add_option("--branch", opt->branch, "The repository's branch (default: its HEAD)");
  cmd->add_flag("--record", opt->record, "Keep new changes as alerts");
  cmd->add_option("--notify", opt->notify,
                  "With --record: post the alert groups this pass kept as new to this webhook "
                  "(repeatable; docs/api.md \"Webhooks\")");
  cmd->add_flag("--notify-required", opt->notify_required,
                "Exit 1 when a --notify webhook could not be reached after its retries "
                "(default: a warning on stderr, the exit status unchanged)");
  cmd->add_option("--public-url", opt->public_url,
                  "The dashboard's address, e.g. https://perf.example.org: notifications link "
                  "to it");
  cmd->add_flag("--all", opt->all,
                "With --record: every series in full, not only those with points since the "
                "last recorded pass");
  cmd->add_option("--now", opt->now, "Record alerts as of this RFC 3339 time (default: now)");
  cmd->add_option("--format", opt->format, "table or json")
      ->check(CLI::IsMember({"table", "json"}));
  cmd->callback([opt, shell] { RunDetect(*opt, shell); });
}

void AddAlertsVerb(CLI::App& app, Shell* shell) {
  auto opt = std::make_shared<AlertsOptions>();
  CLI::App* cmd = app.add_subcommand("alerts", "List alerts grouped by commit range; triage them");
  cmd->footer(
      "Alerts are the changes perfledger detect --record kept. Alerts whose commit ranges\n"
      "overlap are grouped across benchmarks and platforms; the commits all their ranges hold\n"
      "are the likely culprit range. Ranges are ordered by the branch (--repo, by default the\n"
      "repository the working directory is in; else the history the last recorded plan saw;\n"
      "else the runs' commit times); a range the order does not place groups only with ranges\n"
      "of the same ends. Triage with the subcommands; an open regression alert whose range\n"
      "holds unmeasured commits gets bisect jobs from perfledger plan until its range is one\n"
      "commit.\n\n"
      "JSON: {alerts [{id, project, platform, benchmark, metric, unit, epoch, commit_range\n"
      "{from, to, count}, before_median, after_median, change, confidence, noise, kind, status,\n"
      "note, created_at, updated_at; a drift: first, rate, worse; a noise change:\n"
      "spread_ratio}], groups [{commit_range (the range all its alerts lie\n"
      "in), platforms, regressions, improvements, environment, alert_ids, summary, subject,\n"
      "likely_range {from, to, count}, likely_subject, kinds {kind: alerts}}]}.\n\n"
      "Example:\n"
      "  perfledger alerts --status open\n"
      "  perfledger alerts ack 12 --note \"looking into it\"");
  cmd->add_option("--status", opt->status, "open, acknowledged, resolved or false-positive")
      ->check(CLI::IsMember({"open", "acknowledged", "resolved", "false-positive"}));
  cmd->add_option("--platform", opt->platform, "Only this platform's alerts");
  cmd->add_option("--kind", opt->kind, core::AlertKindList())
      ->check(CLI::Validator(
          [](std::string& v) {
            return core::ParseAlertKind(v) ? std::string()
                                           : fmt::format("expected {}", core::AlertKindList());
          },
          "KIND"));
  cmd->add_option("--repo", opt->repo,
                  "Order commit ranges by this git repository's branch (default: the one the "
                  "working directory is in, if any)");
  cmd->add_option("--branch", opt->branch, "The repository's branch (default: its HEAD)");
  cmd->add_option("--format", opt->format, "table or json")
      ->check(CLI::IsMember({"table", "json"}));
  AddAlertUpdate(cmd, "ack", core::AlertStatus::kAcknowledged,
                 "Acknowledge an alert: someone is on it", shell);
  AddAlertUpdate(cmd, "resolve", core::AlertStatus::kResolved, "Mark an alert resolved", shell);
  AddAlertUpdate(cmd, "false-positive", core::AlertStatus::kFalsePositive,
                 "Mark an alert a false positive: detect will not raise it again", shell);
  AddAlertUpdate(cmd, "reopen", core::AlertStatus::kOpen, "Open an alert again", shell);
  cmd->callback([opt, shell, cmd] {
    if (cmd->get_subcommands().empty()) RunAlerts(*opt, shell);
  });
}

void AddIndexVerb(CLI::App& app, Shell* shell) {
  auto opt = std::make_shared<IndexOptions>();
  CLI::App* cmd = app.add_subcommand(
      "index", "The headline index per platform and epoch: how the whole suite moved");
  cmd->footer(
      "Per platform, epoch and metric, for every measured commit: the geometric mean over the\n"
      "suite's benchmarks of median / median at the epoch's first complete run (1.000 = where\n"
      "the epoch started; 1.050 = 5% more of the metric). Benchmarks a commit did not measure\n"
      "are left out of its mean (BENCHMARKS says how many it holds). Runs without an epoch use\n"
      "the first run measuring every benchmark as the base.\n\n"
      "JSON: {indexes [{platform, epoch, environment, metric, unit, direction, base {sha,\n"
      "source, benchmarks}, points [{sha, run_id, commit_time, index, benchmarks}]}]}.\n\n"
      "Example:\n"
      "  perfledger index --platform x86-64-linux --metric wall_time\n"
      "  perfledger index --format json | jq '.indexes[0].points[-1].index'");
  opt->filter.AddTo(cmd);
  cmd->add_option("--metric", opt->metrics, "Only this metric (repeatable)");
  cmd->add_option("--format", opt->format, "table or json")
      ->check(CLI::IsMember({"table", "json"}));
  cmd->callback([opt, shell] { RunIndex(*opt, shell); });
}

}  // namespace perfledger::cli
