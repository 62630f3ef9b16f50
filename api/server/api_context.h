#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <string>

#include "api/rest/http_server.h"
#include "cep/base/clock.h"

namespace engine {
class Service;
}  // namespace engine
namespace api::registry {
class RulesetRegistry;
}  // namespace api::registry
namespace api::replay_jobs {
class ReplayJobs;
}  // namespace api::replay_jobs

namespace api::server {

// What the route handlers work on: the running service, the ruleset registry
// and the replay jobs, all borrowed (they outlive the server).
//
// Threading: handlers run on the REST server's threads; the service, registry
// and jobs are safe to share. Ruleset lifecycle calls (activate, deactivate)
// take `lifecycle` so that the engine and the registry change in one order.
struct ApiContext {
  engine::Service* service = nullptr;
  registry::RulesetRegistry* registry = nullptr;
  replay_jobs::ReplayJobs* replays = nullptr;  // null: replay routes answer 503
  const cep::Clock* clock = nullptr;
  std::string version;  // the build's, for /metrics
  std::chrono::milliseconds swap_timeout{30'000};
  std::chrono::milliseconds ingest_timeout{10'000};
  std::function<rest::HttpServerStats()> http_stats;  // the server's figures for /metrics
  std::mutex lifecycle;
};

}  // namespace api::server
