// The API's job hand-out (docs/api.md "Agents"): agents claim jobs of their platform, renew
// their lease while they run, and complete or fail them; the Queue page reads them all.

#include <fmt/format.h>

#include <charconv>
#include <nlohmann/json.hpp>
#include <variant>

#include "server/api_impl.h"

namespace perfledger::server {

using base::JsonWriter;

namespace {

// The request body as a JSON object, or the 400 that refuses it.
std::variant<nlohmann::json, Response> BodyObject(const Request& req, std::string_view example) {
  nlohmann::json body = nlohmann::json::parse(req.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded() || !body.is_object()) {
    return Error(400, "bad_request",
                 fmt::format("request body: expected a JSON object like {}", example));
  }
  return body;
}

// A string member of `body`, or the 400 naming its JSON pointer.
std::variant<std::string, Response> StringField(const nlohmann::json& body, const std::string& key,
                                                bool required = true) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) {
    if (!required) return std::string();
    return Error(400, "bad_request", fmt::format("request body: /{}: expected a string", key),
                 "/" + key);
  }
  if (!it->is_string()) {
    return Error(400, "bad_request", fmt::format("request body: /{}: expected a string", key),
                 "/" + key);
  }
  return it->get<std::string>();
}

std::optional<int64_t> JobId(const std::string& text) {
  int64_t id = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || end != text.data() + text.size() || id <= 0) return std::nullopt;
  return id;
}

}  // namespace

service::HandoutPolicy Api::Impl::Handout() const {
  service::HandoutPolicy policy;
  policy.lease_nanos = api_->options_.lease_nanos;
  policy.max_attempts = api_->options_.max_attempts;
  return policy;
}

Response Api::Impl::PostClaim(Ctx& c) {
  auto body = BodyObject(c.req, R"({"platform": "x86-64-linux", "agent": "runner-1"})");
  if (auto* r = std::get_if<Response>(&body)) return std::move(*r);
  const auto& json = std::get<nlohmann::json>(body);
  auto platform = StringField(json, "platform");
  if (auto* r = std::get_if<Response>(&platform)) return std::move(*r);
  auto agent = StringField(json, "agent");
  if (auto* r = std::get_if<Response>(&agent)) return std::move(*r);
  auto job = service::ClaimJob(*c.store, std::get<std::string>(platform),
                               std::get<std::string>(agent), Now(), Handout());
  if (!job.ok()) return FromStatus(job.status());
  if (!job->has_value()) {
    Response none;
    none.status = 204;
    return none;
  }
  return Json(200, service::JobHandoutJson(**job));
}

Response Api::Impl::PostHeartbeat(Ctx& c) {
  const auto id = JobId(c.params["job"]);
  if (!id) return Error(404, "not_found", fmt::format("no job with id {}", c.params["job"]));
  auto body = BodyObject(c.req, R"({"agent": "runner-1"})");
  if (auto* r = std::get_if<Response>(&body)) return std::move(*r);
  auto agent = StringField(std::get<nlohmann::json>(body), "agent");
  if (auto* r = std::get_if<Response>(&agent)) return std::move(*r);
  auto job = service::RenewJob(*c.store, *id, std::get<std::string>(agent), Now(), Handout());
  if (!job.ok()) return FromStatus(job.status());
  return Json(200, service::JobHandoutJson(*job));
}

Response Api::Impl::PostComplete(Ctx& c) {
  const auto id = JobId(c.params["job"]);
  if (!id) return Error(404, "not_found", fmt::format("no job with id {}", c.params["job"]));
  auto body = BodyObject(c.req, R"({"agent": "runner-1", "run_id": "..."})");
  if (auto* r = std::get_if<Response>(&body)) return std::move(*r);
  const auto& json = std::get<nlohmann::json>(body);
  auto agent = StringField(json, "agent");
  if (auto* r = std::get_if<Response>(&agent)) return std::move(*r);
  auto run_id = StringField(json, "run_id");
  if (auto* r = std::get_if<Response>(&run_id)) return std::move(*r);
  auto job = service::CompleteJob(*c.store, *id, std::get<std::string>(agent),
                                  std::get<std::string>(run_id), Now(), Handout());
  if (!job.ok()) return FromStatus(job.status());
  return Json(200, service::JobHandoutJson(*job));
}

Response Api::Impl::PostFail(Ctx& c) {
  const auto id = JobId(c.params["job"]);
  if (!id) return Error(404, "not_found", fmt::format("no job with id {}", c.params["job"]));
  auto body = BodyObject(c.req, R"({"agent": "runner-1", "log": "last lines of output"})");
  if (auto* r = std::get_if<Response>(&body)) return std::move(*r);
  const auto& json = std::get<nlohmann::json>(body);
  auto agent = StringField(json, "agent");
  if (auto* r = std::get_if<Response>(&agent)) return std::move(*r);
  auto log = StringField(json, "log", /*required=*/false);
  if (auto* r = std::get_if<Response>(&log)) return std::move(*r);
  auto job = service::FailJob(*c.store, *id, std::get<std::string>(agent),
                              std::get<std::string>(log), Now(), Handout());
  if (!job.ok()) return FromStatus(job.status());
  return Json(200, service::JobHandoutJson(*job));
}

Response Api::Impl::GetQueue(Ctx& c) {
  // Elapsed times follow the clock, so the document is made per request (no cache).
  auto view = service::QueueOf(*c.store, Param(c, "platform"), Now());
  if (!view.ok()) return FromStatus(view.status());
  return Json(200, service::QueueJson(*view));
}

base::Result<service::PlanOutcome> Api::Impl::PlanNow(store::Store& s) {
  const auto& planning = api_->options_.planning;
  if (!planning) {
    return base::NotFound(
        "this server does not plan: start it with --repo DIR (and --plan-every 15m for plans "
        "on a timer)");
  }
  std::lock_guard<std::mutex> lock(plan_mu_);
  service::PlanRequest request = *planning;
  request.now = Now();
  bool fetched = false;
  return service::FetchAndPlan(s, request, &fetched);
}

Response Api::Impl::PostPush(Ctx& c) {
  // The body (a webhook's, or {"sha": HEAD}) is informational: the plan reads the branch as
  // the repository has it after fetching, which includes the pushed head.
  if (!c.req.body.empty()) {
    auto body = BodyObject(c.req, R"({"sha": "<the pushed head>"})");
    if (auto* r = std::get_if<Response>(&body)) return std::move(*r);
  }
  auto outcome = PlanNow(*c.store);
  if (!outcome.ok()) {
    if (outcome.status().code() == base::StatusCode::kNotFound) {
      return Error(409, "conflict", outcome.status().message());
    }
    return FromStatus(outcome.status());
  }
  JsonWriter w;
  w.BeginObject();
  w.Key("branch").String(outcome->branch);
  w.Key("head").String(outcome->head);
  w.Key("jobs").BeginArray();
  for (const auto& j : outcome->plan.jobs) {
    for (const auto& p : j.platforms) {
      w.BeginObject();
      w.Key("sha").String(j.sha);
      w.Key("platform").String(p);
      w.Key("reason").String(j.reason);
      w.EndObject();
    }
  }
  w.EndArray();
  w.EndObject();
  return Json(200, w.Take());
}

}  // namespace perfledger::server
