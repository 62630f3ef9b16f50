#include "api/cli/service_launch.h"

#include <spdlog/spdlog.h>

#include <fstream>
#include <iostream>
#include <sstream>

#include "engine/kafka/embedded_broker.h"
#include "engine/service/service.h"

namespace api {

RunningService::RunningService() = default;
RunningService::RunningService(RunningService&&) noexcept = default;
RunningService& RunningService::operator=(RunningService&&) noexcept = default;
RunningService::~RunningService() {
  if (service) service->Stop();
  service.reset();
  broker.reset();
}

cep::Result<std::vector<RulesetSource>> ReadRulesetFiles(const std::vector<std::string>& paths) {
  std::vector<RulesetSource> sources;
  for (const std::string& path : paths) {
    std::ifstream in(path);
    if (!in) return cep::Unexpected(cep::NotFound("cannot read ruleset '" + path + "'"));
    std::stringstream text;
    text << in.rdbuf();
    sources.push_back({path, text.str()});
  }
  return sources;
}

cep::Result<std::vector<rules::CompiledRuleset>> CompileRulesets(
    const std::vector<RulesetSource>& sources) {
  std::vector<rules::CompiledRuleset> compiled;
  bool failed = false;
  for (const RulesetSource& source : sources) {
    auto result = rules::CompileRuleset(source.text);
    if (!result) {
      std::cerr << rules::FormatDiagnostics(source.name, source.text, result.error());
      failed = true;
      continue;
    }
    compiled.push_back(std::move(*result));
  }
  if (failed) return cep::Unexpected(cep::InvalidArgument("a ruleset has errors (above)"));
  return compiled;
}

cep::Result<RunningService> StartService(const engine::ServiceConfig& config,
                                         std::vector<rules::CompiledRuleset> rulesets,
                                         const cep::Clock& clock,
                                         std::function<void(const cep::v1::Alert&)> on_alert,
                                         std::vector<rules::CompiledRuleset> shadow) {
  RunningService running;
  running.bootstrap = config.kafka.brokers;
  if (running.bootstrap.empty()) {
    ASSIGN_OR_RETURN(running.broker, engine::kafka::EmbeddedBroker::Start({}));
    const engine::KafkaConfig& k = config.kafka;
    for (const std::string& topic :
         {k.input_topic, k.alerts_topic, k.shadow_topic, k.late_topic, k.dead_letter_topic}) {
      RETURN_IF_ERROR(running.broker->CreateTopic(topic, k.embedded_partitions));
    }
    running.bootstrap = running.broker->bootstrap();
  }
  engine::ServiceOptions options;
  options.config = config;
  options.bootstrap = running.bootstrap;
  options.rulesets = std::move(rulesets);
  options.shadow_rulesets = std::move(shadow);
  options.clock = &clock;
  options.on_alert = std::move(on_alert);
  if (running.broker) {
    // The embedded broker makes a rejoining member wait most of the session
    // timeout (45 s by default); a short one keeps restarts quick.
    options.config.kafka.consumer_settings.try_emplace("session.timeout.ms", "6000");
    // It also holds a fetch for the whole fetch.wait.max.ms (500 ms by
    // default) even when records arrive meanwhile, which is the alert latency
    // unless lowered; a real broker answers as soon as there is data.
    options.config.kafka.consumer_settings.try_emplace("fetch.wait.max.ms", "5");
  }
  ASSIGN_OR_RETURN(running.service, engine::Service::Start(std::move(options)));
  return running;
}

std::string FormatServiceStats(const engine::Service& service) {
  const engine::ServiceStats s = service.stats();
  std::ostringstream line;
  line << s.records << " records, " << s.events << " events, " << s.dead_letters
       << " dead letters, " << s.late << " late (" << s.late_routed << " to the late topic), "
       << s.alerts << " alerts, " << s.shadow_alerts << " shadow alerts";
  if (s.produce_errors > 0) line << ", " << s.produce_errors << " produce errors";
  return line.str();
}

}  // namespace api
