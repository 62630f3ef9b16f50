// /v1/replays: replay a stored ruleset version over history, in a child process.
#include <nlohmann/json.hpp>

#include "api/registry/ruleset_registry.h"
#include "api/replay_jobs/replay_jobs.h"
#include "api/server/routes.h"
#include "engine/service/service.h"

namespace api::server {
namespace {

using rest::ErrorResponse;
using rest::HttpRequest;
using rest::HttpResponse;
using rest::JsonResponse;
using rest::Scope;

HttpResponse NoJobs() {
  return ErrorResponse(503, "unavailable", "replay jobs are not available on this server");
}

HttpResponse StartReplay(ApiContext& c, HttpRequest& request) {
  if (c.replays == nullptr) return NoJobs();
  JsonBody body = ParseJsonBody(request);
  if (body.error) return *body.error;
  auto parsed = replay_jobs::ParseReplayRequest(body.value);
  if (!parsed) return StatusResponse(parsed.error());
  replay_jobs::ReplayRequest job = std::move(*parsed);
  if (job.version == 0) {
    // The live version when one runs, else the latest stored.
    auto info = c.registry->Info(job.ruleset);
    if (!info) return ErrorResponse(404, "not_found", "no ruleset " + job.ruleset);
    job.version = info->active.live.value_or(info->versions.back());
  }
  auto stored = c.registry->Version(job.ruleset, job.version);
  if (!stored) {
    return ErrorResponse(404, "not_found", job.ruleset + " has no version " + std::to_string(job.version));
  }
  job.source = stored->source;
  auto id = c.replays->Start(std::move(job));
  if (!id) return StatusResponse(id.error());
  HttpResponse response = JsonResponse(202, *c.replays->Get(*id));
  response.headers.emplace_back("Location", "/v1/replays/" + *id);
  return response;
}

}  // namespace

void AddReplayRoutes(rest::Router& router, ApiContext& c) {
  router.Add("POST", "/v1/replays", Scope::kAdmin, [&c](HttpRequest& r) { return StartReplay(c, r); });
  router.Add("GET", "/v1/replays", Scope::kRead, [&c](HttpRequest&) {
    return c.replays == nullptr ? NoJobs() : JsonResponse(200, c.replays->List());
  });
  router.Add("GET", "/v1/replays/{id}", Scope::kRead, [&c](HttpRequest& r) {
    if (c.replays == nullptr) return NoJobs();
    auto job = c.replays->Get(r.params.at("id"));
    if (!job) return ErrorResponse(404, "not_found", "no replay job " + r.params.at("id"));
    return JsonResponse(200, *job);
  });
  router.Add("DELETE", "/v1/replays/{id}", Scope::kAdmin, [&c](HttpRequest& r) {
    if (c.replays == nullptr) return NoJobs();
    if (cep::Status s = c.replays->Cancel(r.params.at("id")); !s.ok()) return StatusResponse(s);
    return JsonResponse(202, *c.replays->Get(r.params.at("id")));
  });
}

}  // namespace api::server
