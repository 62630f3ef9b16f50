#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <mutex>
#include <string>

#include "api/cli/cli.h"
#include "api/cli/command.h"
#include "api/cli/service_launch.h"
#include "api/cli/shutdown.h"
#include "api/config/config_loader.h"
#include "api/proto/alert_json.h"
#include "api/system_clock.h"
#include "engine/service/service.h"

namespace api {
namespace {

constexpr auto kStatsEvery = std::chrono::seconds(10);

// Alerts also as JSON lines to a file or stdout (`--alerts-out`), beside Kafka.
// Sink threads (one per ruleset) call it concurrently, hence the mutex; alerts
// are few, so the lock is off the per-event path.
class AlertLines {
 public:
  cep::Status Open(const std::string& path) {
    if (path.empty()) return {};
    if (path == "-") {
      out_ = &std::cout;
      return {};
    }
    file_.open(path, std::ios::app);
    if (!file_) return cep::InvalidArgument("--alerts-out: cannot write '" + path + "'");
    out_ = &file_;
    return {};
  }
  std::function<void(const cep::v1::Alert&)> Writer() {
    if (out_ == nullptr) return {};
    return [this](const cep::v1::Alert& alert) {
      const std::string line = wire::AlertToJson(alert);
      std::lock_guard lock(mutex_);
      *out_ << line << std::endl;
    };
  }

 private:
  std::mutex mutex_;
  std::ofstream file_;
  std::ostream* out_ = nullptr;
};

int RunServe(const ServiceConfigFlags& flags, const std::string& alerts_out) {
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
  AlertLines alert_lines;
  if (cep::Status opened = alert_lines.Open(alerts_out); !opened.ok()) {
    std::cerr << "cep serve: " << opened.message() << "\n";
    return kExitUserError;
  }
  SystemClock clock;
  auto running = StartService(*config, std::move(*compiled), clock, alert_lines.Writer());
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
  auto alerts_out = std::make_shared<std::string>();
  CLI::App* command = app.add_subcommand(
      "serve", "run the service: Kafka in, detection, Kafka out (REST API: issue #6)");
  AddServiceConfigFlags(*command, *flags);
  command->add_option("--alerts-out", *alerts_out,
                      "also write alerts as JSON lines to FILE (appended), or - for stdout");
  command->footer(
      "With no brokers configured, an embedded Kafka-protocol broker starts on loopback and its\n"
      "address is printed first ('embedded Kafka broker: 127.0.0.1:PORT'): produce\n"
      "cep.v1.Transaction records (or JSON with kafka.input_format=json) to the input topic and\n"
      "read alerts with any Kafka client. SIGINT/SIGTERM stop consuming, drain the slots, flush\n"
      "the producers and commit the consumed offsets.");
  command->callback([&action, flags, alerts_out] {
    action = [flags, alerts_out] { return RunServe(*flags, *alerts_out); };
  });
}

}  // namespace api
