#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>

#include "api/cli/cli.h"
#include "api/cli/command.h"
#include "api/cli/service_launch.h"
#include "api/cli/shutdown.h"
#include "api/config/config_loader.h"
#include "api/system_clock.h"
#include "engine/service/service.h"

namespace api {
namespace {

constexpr auto kStatsEvery = std::chrono::seconds(10);

int RunServe(const ServiceConfigFlags& flags) {
  ShutdownSignal shutdown;  // before any thread starts
  auto config = LoadServiceConfig(ServiceConfigSourcesFromFlags(flags));
  if (!config) {
    std::cerr << "cep serve: " << config.error().message() << "\n";
    return kExitUserError;
  }
  if (flags.print_config) {
    std::cout << ServiceConfigToYaml(*config);
    return kExitOk;
  }
  spdlog::set_level(spdlog::level::from_str(config->log_level));
  if (config->rulesets.empty()) {
    std::cerr << "cep serve: no rulesets to run: give --rules FILE or list them under "
                 "'rulesets:' in the config\n";
    return kExitUserError;
  }
  auto sources = ReadRulesetFiles(config->rulesets);
  if (!sources) {
    std::cerr << "cep serve: " << sources.error().message() << "\n";
    return kExitUserError;
  }
  auto compiled = CompileRulesets(*sources);
  if (!compiled) return kExitUserError;
  SystemClock clock;
  auto running = StartService(*config, std::move(*compiled), clock);
  if (!running) {
    std::cerr << "cep serve: " << running.error().message() << "\n";
    return kExitUserError;
  }
  if (running->broker) {
    // The one line scripts wait for: where to point kcat and producers.
    std::printf("embedded Kafka broker: %s\n", running->bootstrap.c_str());
    std::fflush(stdout);
  }
  spdlog::info("serving {} ruleset(s); reading '{}' from {}; alerts to '{}'", config->rulesets.size(),
               config->kafka.input_topic, running->bootstrap, config->kafka.alerts_topic);
  spdlog::info("REST API ({}) arrives with issue #6; not served yet", config->rest_address);
  auto next_stats = std::chrono::steady_clock::now() + kStatsEvery;
  while (!shutdown.WaitFor(std::chrono::milliseconds(200))) {
    if (!running->service->running()) break;
    if (std::chrono::steady_clock::now() >= next_stats) {
      spdlog::info("{}", FormatServiceStats(*running->service));
      next_stats += kStatsEvery;
    }
  }
  if (shutdown.signal() != 0) spdlog::info("signal {}: stopping (drain, flush, commit)", shutdown.signal());
  running->service->Stop();
  spdlog::info("stopped: {}", FormatServiceStats(*running->service));
  const cep::Status error = running->service->error();
  if (!error.ok()) {
    std::cerr << "cep serve: " << error.message() << "\n";
    return kExitUserError;
  }
  return kExitOk;
}

}  // namespace

void AddServeCommand(CLI::App& app, Action& action) {
  auto flags = std::make_shared<ServiceConfigFlags>();
  CLI::App* command = app.add_subcommand(
      "serve", "run the service: Kafka in, detection, Kafka out (REST API: issue #6)");
  AddServiceConfigFlags(*command, *flags);
  command->footer(
      "With no brokers configured, an embedded Kafka-protocol broker starts on loopback and its\n"
      "address is printed first ('embedded Kafka broker: 127.0.0.1:PORT'): produce\n"
      "cep.v1.Transaction records (or JSON with kafka.input_format=json) to the input topic and\n"
      "read alerts with any Kafka client. SIGINT/SIGTERM stop consuming, drain the slots, flush\n"
      "the producers and commit the consumed offsets.");
  command->callback([&action, flags] { action = [flags] { return RunServe(*flags); }; });
}

}  // namespace api
