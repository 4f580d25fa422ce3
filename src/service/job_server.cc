// The HTTP JobServer: each call one POST with a JSON body and the bearer token; an answer
// outside 2xx becomes a Status carrying the server's {"error": {"message"}} (or the start of
// whatever else it sent, a proxy's HTML page), classified as job_server.h says.
#include "service/job_server.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <string_view>
#include <utility>

#include "base/json_writer.h"
#include "env/http_client.h"

namespace perfledger::service {
namespace {

using nlohmann::json;

// A path segment: everything but RFC 3986's unreserved characters percent-encoded.
std::string PercentEncode(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

// The server's message in an error answer, else the first line of the body (at most 200 bytes).
std::string ServerMessage(const env::HttpResponse& r) {
  json doc = json::parse(r.body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_object() && doc.contains("error") && doc["error"].is_object()) {
    const json& e = doc["error"];
    if (e.contains("message") && e["message"].is_string()) return e["message"].get<std::string>();
  }
  std::string_view text = r.body;
  text = text.substr(0, text.find('\n'));
  if (text.size() > 200) text = text.substr(0, 200);
  return text.empty() ? "(no message)" : std::string(text);
}

base::Status ErrorOf(const env::HttpResponse& r, const std::string& url,
                     const std::string& project) {
  std::string message = fmt::format("{} answered {}: {}", url, r.status, ServerMessage(r));
  switch (r.status) {
    case 401:
    case 403:
      return base::InvalidInput(
          fmt::format("{} (--token must be a write token of project {})", message, project));
    case 404:
      return base::NotFound(std::move(message));
    case 409:
      return base::Conflict(std::move(message));
    case 408:
    case 429:
      return base::Busy(std::move(message));
    default:
      if (r.status >= 500) return base::Busy(std::move(message));
      if (r.status >= 400) return base::InvalidInput(std::move(message));
      return base::Internal(std::move(message));
  }
}

std::optional<base::Timestamp> TimeField(const json& o, const char* key) {
  auto it = o.find(key);
  if (it == o.end() || !it->is_string()) return std::nullopt;
  auto t = base::ParseRfc3339(it->get<std::string>());
  if (!t.ok()) return std::nullopt;
  return *t;
}

// {"job": {"id", "sha", "platform", "reason", "commit_range": {"from", "count"}, "attempt",
// "claimed_at", "lease_expires_at", ...}}
base::Result<ClaimedJob> ParseJob(const std::string& body, const std::string& url) {
  auto bad = [&](std::string_view what) {
    return base::Internal(fmt::format("{}: unexpected answer ({}): {}", url, what,
                                      std::string_view(body).substr(0, 200)));
  };
  json doc = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object() || !doc.contains("job") || !doc["job"].is_object()) {
    return bad("expected {\"job\": {...}}");
  }
  const json& j = doc["job"];
  ClaimedJob job;
  if (!j.contains("id") || !j["id"].is_number_integer()) return bad("no job id");
  job.id = j["id"].get<int64_t>();
  if (!j.contains("sha") || !j["sha"].is_string()) return bad("no job sha");
  job.sha = j["sha"].get<std::string>();
  if (j.contains("platform") && j["platform"].is_string()) {
    job.platform = j["platform"].get<std::string>();
  }
  job.reason =
      j.contains("reason") && j["reason"].is_string() ? j["reason"].get<std::string>() : "manual";
  if (j.contains("commit_range") && j["commit_range"].is_object()) {
    const json& range = j["commit_range"];
    if (range.contains("from") && range["from"].is_string()) {
      job.range_from = range["from"].get<std::string>();
    }
    if (range.contains("count") && range["count"].is_number_integer()) {
      job.range_count = std::max<int64_t>(1, range["count"].get<int64_t>());
    }
  }
  if (j.contains("attempt") && j["attempt"].is_number_integer()) {
    job.attempt = j["attempt"].get<int64_t>();
  }
  job.claimed_at = TimeField(j, "claimed_at");
  job.lease_expires_at = TimeField(j, "lease_expires_at");
  return job;
}

class HttpJobServer final : public JobServer {
 public:
  HttpJobServer(env::HttpClient http, std::string token, std::string project)
      : http_(std::move(http)),
        token_(std::move(token)),
        project_(std::move(project)),
        base_("/api/v1/projects/" + PercentEncode(project_)) {}

  base::Result<std::optional<ClaimedJob>> Claim(const std::string& platform,
                                                const std::string& agent) override {
    base::JsonWriter w;
    w.BeginObject();
    w.Key("platform").String(platform);
    w.Key("agent").String(agent);
    w.EndObject();
    const std::string path = base_ + "/jobs/claim";
    ASSIGN_OR_RETURN(env::HttpResponse r, Call(path, w.Take()));
    if (r.status == 204) return std::optional<ClaimedJob>();
    ASSIGN_OR_RETURN(ClaimedJob job, ParseJob(r.body, http_.UrlOf(path)));
    return std::optional<ClaimedJob>(std::move(job));
  }

  base::Result<ClaimedJob> Heartbeat(int64_t id, const std::string& agent) override {
    base::JsonWriter w;
    w.BeginObject();
    w.Key("agent").String(agent);
    w.EndObject();
    const std::string path = fmt::format("{}/jobs/{}/heartbeat", base_, id);
    ASSIGN_OR_RETURN(env::HttpResponse r, Call(path, w.Take()));
    return ParseJob(r.body, http_.UrlOf(path));
  }

  base::Status Upload(const std::string& artifact) override {
    return Call(base_ + "/runs", artifact).status();
  }

  base::Status Complete(int64_t id, const std::string& agent, const std::string& run_id) override {
    base::JsonWriter w;
    w.BeginObject();
    w.Key("agent").String(agent);
    w.Key("run_id").String(run_id);
    w.EndObject();
    return Call(fmt::format("{}/jobs/{}/complete", base_, id), w.Take()).status();
  }

  base::Status Fail(int64_t id, const std::string& agent, const std::string& log) override {
    base::JsonWriter w;
    w.BeginObject();
    w.Key("agent").String(agent);
    w.Key("log").String(log);
    w.EndObject();
    return Call(fmt::format("{}/jobs/{}/fail", base_, id), w.Take()).status();
  }

 private:
  base::Result<env::HttpResponse> Call(const std::string& path, const std::string& body) {
    ASSIGN_OR_RETURN(env::HttpResponse r, http_.Post(path, body, "application/json",
                                                     {{"Authorization", "Bearer " + token_},
                                                      {"Accept", "application/json"}}));
    if (r.status >= 200 && r.status < 300) return r;
    return ErrorOf(r, http_.UrlOf(path), project_);
  }

  const env::HttpClient http_;
  const std::string token_, project_, base_;
};

}  // namespace

bool IsTransient(const base::Status& status) {
  return status.code() == base::StatusCode::kIoError || status.code() == base::StatusCode::kBusy;
}

base::Result<std::unique_ptr<JobServer>> NewHttpJobServer(const std::string& url,
                                                          const std::string& token,
                                                          const std::string& project) {
  if (token.empty()) return base::InvalidInput("--token: expected a write token of the project");
  if (project.empty()) return base::InvalidInput("no project name: pass --project NAME");
  ASSIGN_OR_RETURN(env::HttpClient http, env::HttpClient::Open(url));
  return std::unique_ptr<JobServer>(
      std::make_unique<HttpJobServer>(std::move(http), token, project));
}

}  // namespace perfledger::service
