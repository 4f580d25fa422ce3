// Notifications: the messages, the claims over store marks and the sending threads.
#include "service/notify.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <utility>

#include "base/json_writer.h"
#include "core/artifact.h"
#include "service/documents.h"

namespace perfledger::service {
namespace {

// Slack's mrkdwn reserves these three; everything else is sent as it is.
std::string SlackEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '&') {
      out += "&amp;";
    } else if (c == '<') {
      out += "&lt;";
    } else if (c == '>') {
      out += "&gt;";
    } else {
      out += c;
    }
  }
  return out;
}

std::string Short(const std::string& sha) { return sha.substr(0, 10); }

// A value with its unit, times in the unit that reads best: "41.71 ms".
std::string WithUnit(double v, const std::string& unit) {
  static constexpr std::pair<const char*, double> kTimes[] = {
      {"ns", 1}, {"us", 1e3}, {"ms", 1e6}, {"s", 1e9}};
  for (const auto& [name, scale] : kTimes) {
    if (unit != name || v < 0) continue;
    const base::ScaledTime t = base::ScaleNanos(v * scale);
    return fmt::format("{:.4g} {}", t.value, t.unit);
  }
  return fmt::format("{:.4g}", v) + (unit.empty() ? "" : " " + unit);
}

// "#/alerts?range=SHA" under the dashboard's address.
std::string Link(const std::string& public_url, const std::string& route) {
  if (public_url.empty()) return "";
  std::string base = public_url;
  while (base.ends_with('/')) base.pop_back();
  return base + "/#/" + route;
}

void WriteLink(base::JsonWriter& w, const std::string& link) {
  w.Key("url");
  if (link.empty()) {
    w.Null();
  } else {
    w.String(link);
  }
}

std::string AlertGroupMessage(const AlertGroup& g, const std::string& project,
                              const std::vector<const store::AlertRecord*>& alerts,
                              const std::string& public_url) {
  // A regression when there is one (a worsening drift is one), else an improvement, else the
  // kind of most of its alerts.
  std::string kind = g.regressions > 0 ? "regression" : g.improvements > 0 ? "improvement" : "";
  if (kind.empty()) {
    int most = 0;
    for (const auto& [name, n] : g.kinds) {
      if (n > most) {
        kind = name;
        most = n;
      }
    }
  }
  // The effect: the largest change among the regressions (else among all), by magnitude.
  double effect = 0;
  for (const store::AlertRecord* a : alerts) {
    const bool counts = g.regressions == 0 || IsRegression(*a);
    if (counts && std::abs(a->change) > std::abs(effect)) effect = a->change;
  }
  // Regressions first, largest first.
  std::vector<const store::AlertRecord*> sorted = alerts;
  std::stable_sort(sorted.begin(), sorted.end(), [](const auto* a, const auto* b) {
    const bool ra = IsRegression(*a);
    const bool rb = IsRegression(*b);
    if (ra != rb) return ra;
    return std::abs(a->change) > std::abs(b->change);
  });
  const std::string link =
      Link(public_url, "alerts?status=&range=" + g.range_to);  // the group, any status
  const std::string range = fmt::format(
      "{}..{} ({})", Short(g.range_from), Short(g.range_to),
      g.range_count > 0 ? fmt::format("{} commit{}", g.range_count, g.range_count == 1 ? "" : "s")
                        : std::string("commits unknown"));
  std::string text = fmt::format("*perfledger*: {}: {} in `{}`", SlackEscape(project),
                                 SlackEscape(g.Summary()), range);
  if (g.likely_from != g.range_from || g.likely_to != g.range_to) {
    // Ranges that overlap: the commits all of them hold.
    text += fmt::format("; likely culprit `{}..{} ({})`", Short(g.likely_from), Short(g.likely_to),
                        g.likely_count > 0 ? fmt::format("{} commit{}", g.likely_count,
                                                         g.likely_count == 1 ? "" : "s")
                                           : std::string("commits unknown"));
  }
  constexpr size_t kListed = 5;
  for (size_t i = 0; i < sorted.size() && i < kListed; ++i) {
    const store::AlertRecord& a = *sorted[i];
    text += fmt::format("\n• {} {} ({}): {} → {} ({:+.1f}%)", SlackEscape(a.benchmark),
                        SlackEscape(a.metric), SlackEscape(a.platform),
                        WithUnit(a.before_median, a.unit), WithUnit(a.after_median, a.unit),
                        a.change * 100);
    if (a.kind == core::AlertKind::kDrift) {
      text += a.rate ? fmt::format(", drift {:+.2f}%/commit", *a.rate * 100) : ", drift";
    } else if (a.kind == core::AlertKind::kNoise) {
      text += a.spread_ratio ? fmt::format(", noise x{:.1f} spread", *a.spread_ratio) : ", noise";
    }
  }
  if (sorted.size() > kListed) text += fmt::format("\n… and {} more", sorted.size() - kListed);
  if (!link.empty()) text += fmt::format("\n<{}|Open in perfledger>", link);

  base::JsonWriter w;
  w.BeginObject();
  w.Key("text").String(text);
  w.Key("event").String("alert_group");
  w.Key("project").String(project);
  w.Key("platforms").BeginArray();
  for (const auto& p : g.platforms) w.String(p);
  w.EndArray();
  w.Key("kind").String(kind);
  w.Key("regressions").Int(g.regressions);
  w.Key("improvements").Int(g.improvements);
  w.Key("environment").Int(g.environment);
  w.Key("kinds").BeginObject();  // alerts per kind, every kind ("drift", "noise", ...)
  for (const auto& [name, n] : g.kinds) w.Key(name).Int(n);
  w.EndObject();
  WriteCommitRange(w, g.range_from, g.range_to,
                   g.range_count > 0 ? std::optional<int64_t>(g.range_count) : std::nullopt);
  w.Key("likely_range").BeginObject();
  w.Key("from").String(g.likely_from);
  w.Key("to").String(g.likely_to);
  w.Key("count");
  WriteOptional(w, g.likely_count > 0 ? std::optional<int64_t>(g.likely_count) : std::nullopt);
  w.EndObject();
  w.Key("effect").Number(effect);
  w.Key("benchmarks").BeginArray();
  for (const store::AlertRecord* a : sorted) {
    w.BeginObject();
    w.Key("id").Int(a->id);
    w.Key("platform").String(a->platform);
    w.Key("benchmark").String(a->benchmark);
    w.Key("metric").String(a->metric);
    w.Key("unit").String(a->unit);
    w.Key("kind").String(core::AlertKindName(a->kind));
    w.Key("before_median").Number(a->before_median);
    w.Key("after_median").Number(a->after_median);
    w.Key("change").Number(a->change);
    w.Key("confidence").Number(a->confidence);
    WriteKindFields(w, a->kind, a->first, a->rate, a->spread_ratio, IsRegression(*a));
    w.EndObject();
  }
  w.EndArray();
  WriteLink(w, link);
  w.EndObject();
  return w.str();
}

// AlertGroupMessages with overlapping ranges grouped by `order` (AlertCommitOrder).
std::vector<std::string> OrderedAlertGroupMessages(const std::vector<store::AlertRecord>& alerts,
                                                   const CommitOrder& order,
                                                   const std::string& public_url) {
  // Per project, then by range as GroupAlerts groups them.
  std::map<std::string, std::vector<store::AlertRecord>> by_project;
  for (const auto& a : alerts) by_project[a.project].push_back(a);
  std::vector<std::pair<int64_t, std::string>> messages;  // by the group's newest alert
  for (const auto& [project, list] : by_project) {
    std::map<int64_t, const store::AlertRecord*> by_id;
    for (const auto& a : list) by_id[a.id] = &a;
    for (const AlertGroup& g : GroupAlerts(list, order)) {
      std::vector<const store::AlertRecord*> members;
      for (int64_t id : g.alert_ids) members.push_back(by_id.at(id));
      const int64_t newest = *std::max_element(g.alert_ids.begin(), g.alert_ids.end());
      messages.emplace_back(newest, AlertGroupMessage(g, project, members, public_url));
    }
  }
  std::stable_sort(messages.begin(), messages.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<std::string> out;
  for (auto& [id, m] : messages) out.push_back(std::move(m));
  return out;
}

}  // namespace

std::vector<std::string> AlertGroupMessages(const std::vector<store::AlertRecord>& alerts,
                                            const std::string& public_url) {
  return OrderedAlertGroupMessages(alerts, {}, public_url);
}

std::string StallMessage(const analysis::GapRow& row, const std::string& branch,
                         const std::string& head, const std::string& public_url) {
  const std::string link = Link(public_url, "coverage?platform=" + row.platform);
  std::string text = fmt::format(
      "*perfledger*: {} has stalled on {}: {} commit{} since {}", SlackEscape(row.platform),
      SlackEscape(branch), row.commits_since, row.commits_since == 1 ? "" : "s",
      row.last_complete ? "its last complete run at `" + Short(*row.last_complete) + "`"
                        : std::string("the start, and no complete run yet"));
  if (!row.why.empty()) text += " (" + SlackEscape(row.why) + ")";
  if (!row.missing.empty()) {
    text += fmt::format("; its newest run lacks {} benchmark{}", row.missing.size(),
                        row.missing.size() == 1 ? "" : "s");
  }
  if (!link.empty()) text += fmt::format("\n<{}|Open in perfledger>", link);
  base::JsonWriter w;
  w.BeginObject();
  w.Key("text").String(text);
  w.Key("event").String("stall");
  w.Key("platform").String(row.platform);
  w.Key("branch").String(branch);
  w.Key("head").String(head);
  w.Key("last_complete");
  WriteOptional(w, row.last_complete);
  w.Key("commits_since").Int(row.commits_since);
  w.Key("age_seconds").Int(row.age_nanos / 1'000'000'000);
  w.Key("missing_benchmarks").BeginArray();
  for (const auto& m : row.missing) w.String(m);
  w.EndArray();
  w.Key("why").String(row.why);
  WriteLink(w, link);
  w.EndObject();
  return w.str();
}

std::string RedactedUrl(const std::string& url) {
  const size_t scheme = url.find("://");
  if (scheme == std::string::npos) return "a webhook";
  const size_t path = url.find('/', scheme + 3);
  if (path == std::string::npos || path + 1 == url.size()) return url;
  return url.substr(0, path) + "/…";
}

// ---- claims ----

std::string NotifyMarkPrefix(const std::string& url) {
  return "notify/" + core::Sha256Hex(url).substr(0, 16);
}

base::Result<std::vector<store::AlertRecord>> ClaimAlerts(store::Store& store,
                                                          const std::string& url, int64_t start,
                                                          int64_t upto) {
  const std::string name = NotifyMarkPrefix(url) + "/alerts";
  // Another process claiming at the same time makes ClaimMark fail: read again and claim
  // what is left. Each failure means someone else moved the mark, so this ends.
  for (int attempt = 0; attempt < 64; ++attempt) {
    ASSIGN_OR_RETURN(std::optional<int64_t> mark, store.ReadMark(name));
    const int64_t from = mark.value_or(start);
    if (mark && upto <= from) return std::vector<store::AlertRecord>();
    std::vector<store::AlertRecord> claimed;
    if (upto > from) {
      ASSIGN_OR_RETURN(std::vector<store::AlertRecord> all, store.ListAlerts({}));
      for (auto& a : all) {
        if (a.id > from && a.id <= upto) claimed.push_back(std::move(a));
      }
    }
    ASSIGN_OR_RETURN(bool won, store.ClaimMark(name, mark, std::max(from, upto)));
    if (won) return claimed;
  }
  return base::Busy("notify: other processes kept moving the webhook's mark; try again");
}

base::Result<bool> ClaimStall(store::Store& store, const std::string& url,
                              const analysis::GapRow& row) {
  // 1 while the platform is stalled and was posted, 0 once it was seen caught up.
  const std::string name = fmt::format("{}/stall/{}", NotifyMarkPrefix(url), row.platform);
  if (!row.stalled) {
    ASSIGN_OR_RETURN(std::optional<int64_t> mark, store.ReadMark(name));
    if (mark == 1) RETURN_IF_ERROR(store.ClaimMark(name, 1, 0).status());
    return false;
  }
  ASSIGN_OR_RETURN(bool first, store.ClaimMark(name, std::nullopt, 1));
  if (first) return true;
  return store.ClaimMark(name, 0, 1);
}

// ---- sending ----

struct Notifier::Channel {
  std::string url;
  env::HttpClient client;
  std::string path;  // what is posted to: "" (the URL's own path) or "/"
  std::deque<std::string> queue;
  bool busy = false;  // a message is being delivered
  std::thread thread;
};

base::Status CheckNotifyOptions(const NotifyOptions& options, const std::string& flag) {
  for (const std::string& url : options.urls) {
    auto client = env::HttpClient::Open(url);
    if (!client.ok()) {
      return base::InvalidInput(fmt::format(
          "{}: '{}' is not a webhook URL; expected http(s)://HOST[:PORT][/PATH] without a query, "
          "e.g. https://hooks.slack.com/services/T000/B000/XXXX",
          flag, RedactedUrl(url)));
    }
  }
  if (!options.public_url.empty() && !options.public_url.starts_with("http://") &&
      !options.public_url.starts_with("https://")) {
    return base::InvalidInput(fmt::format(
        "--public-url: expected the dashboard's http(s):// address, got '{}'", options.public_url));
  }
  return base::Status::Ok();
}

Notifier::Notifier(NotifyOptions options) : options_(std::move(options)) {}

base::Result<std::unique_ptr<Notifier>> Notifier::Start(NotifyOptions options) {
  RETURN_IF_ERROR(CheckNotifyOptions(options, "--notify"));
  std::unique_ptr<Notifier> n(new Notifier(std::move(options)));
  std::set<std::string> seen;
  for (const std::string& url : n->options_.urls) {
    if (!seen.insert(url).second) continue;  // the same webhook twice is one
    auto channel = std::make_unique<Channel>();
    channel->url = url;
    ASSIGN_OR_RETURN(channel->client, env::HttpClient::Open(url));
    channel->client.connect_timeout = n->options_.timeout;
    channel->client.io_timeout = n->options_.timeout;
    // HttpClient drops a trailing '/' of its prefix and sends the path given after it.
    const size_t authority = url.find("://") + 3;
    const bool bare = url.find('/', authority) == std::string::npos;
    channel->path = bare || url.ends_with('/') ? "/" : "";
    n->channels_.push_back(std::move(channel));
  }
  for (auto& c : n->channels_) {
    Channel* raw = c.get();
    c->thread = std::thread([self = n.get(), raw] { self->Run(raw); });
  }
  return n;
}

Notifier::~Notifier() {
  size_t left = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    for (auto& c : channels_) left += c->queue.size();
  }
  cv_.notify_all();
  for (auto& c : channels_) c->thread.join();
  if (left > 0) {
    Warn(fmt::format("notify: stopping with {} message{} not sent", left, left == 1 ? "" : "s"));
  }
}

bool Notifier::Post(const std::string& url, std::string json) {
  std::string dropped;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& c : channels_) {
      if (c->url != url) continue;
      if (c->queue.size() >= options_.queue_capacity) {
        ++counts_.dropped;
        dropped = fmt::format("notify {}: {} messages wait already; one dropped", RedactedUrl(url),
                              c->queue.size());
        break;
      }
      c->queue.push_back(std::move(json));
      cv_.notify_all();
      return true;
    }
  }
  Warn(dropped.empty() ? fmt::format("notify: {} is not a --notify webhook", RedactedUrl(url))
                       : dropped);
  return false;
}

void Notifier::Drain() {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] {
    return std::all_of(channels_.begin(), channels_.end(),
                       [](const auto& c) { return c->queue.empty() && !c->busy; });
  });
}

Notifier::Counts Notifier::counts() const {
  std::lock_guard<std::mutex> lock(mu_);
  return counts_;
}

void Notifier::Warn(const std::string& message) const {
  if (options_.warn) {
    options_.warn(message);
  } else {
    fmt::print(stderr, "perfledger: warning: {}\n", message);
  }
}

void Notifier::Run(Channel* channel) {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] { return stopping_ || !channel->queue.empty(); });
    if (stopping_) return;
    std::string json = std::move(channel->queue.front());
    channel->queue.pop_front();
    channel->busy = true;
    lock.unlock();
    const bool sent = Deliver(channel, json);
    lock.lock();
    channel->busy = false;
    ++(sent ? counts_.delivered : counts_.failed);
    cv_.notify_all();
  }
}

bool Notifier::Deliver(Channel* channel, const std::string& json) {
  const std::string where = RedactedUrl(channel->url);
  auto wait = options_.first_retry;
  std::string why;
  const int attempts = std::max(1, options_.max_attempts);
  for (int attempt = 1; attempt <= attempts; ++attempt) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++counts_.attempts;
    }
    auto r = channel->client.Post(channel->path, json, "application/json",
                                  {{"User-Agent", "perfledger"}});
    bool retry = true;
    if (r.ok() && r->status >= 200 && r->status < 300) return true;
    if (r.ok()) {
      why = fmt::format("HTTP {}", r->status);
      retry = r->status == 429 || r->status >= 500;
    } else {
      // HttpClient names the whole URL; a log line names only its host.
      why = r.status().message();
      const std::string full = channel->client.UrlOf(channel->path);
      for (size_t at = why.find(full); at != std::string::npos; at = why.find(full)) {
        why.replace(at, full.size(), where);
      }
    }
    if (!retry) break;
    if (attempt == attempts) break;
    std::unique_lock<std::mutex> lock(mu_);
    if (cv_.wait_for(lock, wait, [&] { return stopping_; })) {
      why += "; stopped before the next attempt";
      break;
    }
    wait *= 2;
  }
  Warn(fmt::format("notify {}: given up: {}", where, why));
  return false;
}

base::Result<NotifyOutcome> NotifyRecorded(store::Store& store, const DetectReport& report,
                                           const NotifyOptions& options) {
  NotifyOutcome outcome;
  std::vector<int64_t> ids;
  for (size_t i = 0; i < report.recorded.size() && i < report.alert_ids.size(); ++i) {
    if (report.recorded[i] == "new") ids.push_back(report.alert_ids[i]);
  }
  if (ids.empty() || options.urls.empty()) return outcome;
  const auto [low, high] = std::minmax_element(ids.begin(), ids.end());
  ASSIGN_OR_RETURN(std::unique_ptr<Notifier> notifier, Notifier::Start(options));
  for (const std::string& url : options.urls) {
    ASSIGN_OR_RETURN(auto claimed, ClaimAlerts(store, url, *low - 1, *high));
    ASSIGN_OR_RETURN(CommitOrder order, AlertCommitOrder(store, claimed));
    for (std::string& m : OrderedAlertGroupMessages(claimed, order, options.public_url)) {
      ++outcome.messages;
      notifier->Post(url, std::move(m));
    }
  }
  notifier->Drain();
  const Notifier::Counts counts = notifier->counts();
  outcome.failed = counts.failed + counts.dropped;
  return outcome;
}

// ---- the server's watch ----

base::Status NotifyWatcher::Pass(store::Store& store, base::Timestamp now) {
  const NotifyOptions& options = notifier_->options();
  ASSIGN_OR_RETURN(int64_t alerts_mark, store.AlertsMark());
  if (alerts_mark_ != alerts_mark) {
    ASSIGN_OR_RETURN(std::vector<store::AlertRecord> all, store.ListAlerts({}));
    int64_t newest = 0;
    for (const auto& a : all) newest = std::max(newest, a.id);
    for (const std::string& url : options.urls) {
      ASSIGN_OR_RETURN(auto claimed, ClaimAlerts(store, url, /*start=*/newest, newest));
      ASSIGN_OR_RETURN(CommitOrder order, AlertCommitOrder(store, claimed));
      for (std::string& m : OrderedAlertGroupMessages(claimed, order, options.public_url)) {
        notifier_->Post(url, std::move(m));
      }
    }
    alerts_mark_ = alerts_mark;
  }
  if (!options_.stalls) return base::Status::Ok();
  if (stalls_looked_at_ &&
      now.unix_nanos - stalls_looked_at_->unix_nanos < options_.stall_interval_nanos) {
    return base::Status::Ok();
  }
  ASSIGN_OR_RETURN(int64_t runs_mark, store.ChangeMark());
  ASSIGN_OR_RETURN(int64_t schedule_mark, store.ScheduleMark());
  const std::pair<int64_t, int64_t> marks{runs_mark, schedule_mark};
  if (stall_marks_ == marks) return base::Status::Ok();
  stalls_looked_at_ = now;
  GapsRequest request;
  request.source = *options_.stalls;
  request.bounds = options_.bounds;
  request.now = now;
  auto gaps = GapsOf(store, request);
  if (!gaps.ok() && gaps.status().code() == base::StatusCode::kNotFound) {
    stall_marks_ = marks;  // no branch history to measure stalls against (yet)
    return base::Status::Ok();
  }
  if (!gaps.ok()) return gaps.status();
  for (const analysis::GapRow& row : gaps->rows) {
    for (const std::string& url : options.urls) {
      ASSIGN_OR_RETURN(bool mine, ClaimStall(store, url, row));
      if (mine)
        notifier_->Post(url, StallMessage(row, gaps->branch, gaps->head, options.public_url));
    }
  }
  stall_marks_ = marks;
  return base::Status::Ok();
}

}  // namespace perfledger::service
