#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "api/proto/alert.pb.h"
#include "cep/base/clock.h"
#include "cep/base/result.h"
#include "engine/runtime/service_config.h"
#include "rules/compiler.h"

namespace engine {
class Service;
namespace kafka {
class EmbeddedBroker;
}  // namespace kafka
}  // namespace engine

namespace api {

// What `cep serve` and `cep demo` share: the embedded broker when no brokers
// are configured (with the service's topics created), and the running service.
struct RunningService {
  RunningService();
  ~RunningService();  // stops the service, then the broker
  RunningService(RunningService&&) noexcept;
  RunningService& operator=(RunningService&&) noexcept;

  std::unique_ptr<engine::kafka::EmbeddedBroker> broker;  // null with real brokers
  std::unique_ptr<engine::Service> service;
  std::string bootstrap;
};

// A named ruleset text (a file's path, or an embedded example's name).
struct RulesetSource {
  std::string name;
  std::string text;
};

// Compiles every ruleset; on any error prints the diagnostics (file:line:col)
// to stderr and fails.
cep::Result<std::vector<rules::CompiledRuleset>> CompileRulesets(
    const std::vector<RulesetSource>& sources);
cep::Result<std::vector<RulesetSource>> ReadRulesetFiles(const std::vector<std::string>& paths);

// Starts the embedded broker (if config.kafka.brokers is empty) and the service.
// `shadow`: rulesets that run in shadow mode from the start.
cep::Result<RunningService> StartService(const engine::ServiceConfig& config,
                                         std::vector<rules::CompiledRuleset> rulesets,
                                         const cep::Clock& clock,
                                         std::function<void(const cep::v1::Alert&)> on_alert = {},
                                         std::vector<rules::CompiledRuleset> shadow = {});

// One line for logs and shutdown summaries.
std::string FormatServiceStats(const engine::Service& service);

}  // namespace api
