#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
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
#include "api/registry/ruleset_registry.h"
#include "api/replay_jobs/replay_jobs.h"
#include "api/server/api_server.h"
#include "api/server/registry_seed.h"
#include "state/state_store.h"

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

// --print-config without the secrets.
engine::ServiceConfig Redacted(engine::ServiceConfig config) {
  std::map<std::string, std::string> tokens;
  size_t n = 0;
  for (const auto& [token, scope] : config.rest_tokens) tokens["<redacted-" + std::to_string(++n) + ">"] = scope;
  config.rest_tokens = std::move(tokens);
  return config;
}

int RunServe(const ServiceConfigFlags& flags, const std::string& alerts_out) {
  ShutdownSignal shutdown;  // before any thread starts
  auto config = LoadServiceConfig(ServiceConfigSourcesFromFlags(flags));
  if (!config) {
    std::cerr << "cep serve: " << config.error().message() << "\n";
    return kExitUserError;
  }
  if (flags.print_config) {
    std::cout << ServiceConfigToYaml(Redacted(*config));
    return kExitOk;
  }
  spdlog::set_level(spdlog::level::from_str(config->log_level));
  auto sources = ReadRulesetFiles(config->rulesets);
  if (!sources) {
    std::cerr << "cep serve: " << sources.error().message() << "\n";
    return kExitUserError;
  }
  // Stored ruleset versions live in their own RocksDB under data_dir: they
  // survive restarts whatever the state backend.
  std::error_code made;
  std::filesystem::create_directories(config->data_dir, made);
  if (made) {
    std::cerr << "cep serve: cannot create data_dir '" << config->data_dir << "': " << made.message() << "\n";
    return kExitUserError;
  }
  auto registry_store = state::OpenRocksDbStore(std::filesystem::path(config->data_dir) / "registry");
  if (!registry_store) {
    std::cerr << "cep serve: " << registry_store.error().message() << "\n";
    return kExitUserError;
  }
  SystemClock clock;
  auto registry = registry::RulesetRegistry::Open(registry_store->get(), &clock);
  if (!registry) {
    std::cerr << "cep serve: " << registry.error().message() << "\n";
    return kExitUserError;
  }
  std::vector<std::pair<std::string, std::string>> files;
  for (const RulesetSource& source : *sources) files.emplace_back(source.name, source.text);
  auto startup = server::SeedRegistry(**registry, files);
  if (!startup) {
    std::cerr << "cep serve: " << startup.error().message() << "\n";
    return kExitUserError;
  }
  if (startup->live.empty() && startup->shadow.empty()) {
    spdlog::warn("no ruleset is active: the input waits until one is (cep rulesets push FILE --activate)");
  }
  AlertLines alert_lines;
  if (cep::Status opened = alert_lines.Open(alerts_out); !opened.ok()) {
    std::cerr << "cep serve: " << opened.message() << "\n";
    return kExitUserError;
  }
  const size_t active = startup->live.size() + startup->shadow.size();
  auto running = StartService(*config, std::move(startup->live), clock, alert_lines.Writer(),
                              std::move(startup->shadow));
  if (!running) {
    std::cerr << "cep serve: " << running.error().message() << "\n";
    return kExitUserError;
  }
  if (running->broker) {
    // The one line scripts wait for: where to point kcat and producers.
    std::printf("embedded Kafka broker: %s\n", running->bootstrap.c_str());
    std::fflush(stdout);
  }
  bool generated = false;
  auto tokens = server::ApiTokens(*config, generated);
  if (!tokens) {
    std::cerr << "cep serve: " << tokens.error().message() << "\n";
    return kExitUserError;
  }
  replay_jobs::ReplayJobsOptions jobs_options;
  jobs_options.cep_binary = "/proc/self/exe";
  jobs_options.jobs_dir = std::filesystem::path(config->data_dir) / "replays";
  jobs_options.input_dir = config->replay_input_dir;
  jobs_options.kafka_bootstrap = running->bootstrap;
  jobs_options.input_format = config->kafka.input_format;
  jobs_options.clock = &clock;
  auto jobs = replay_jobs::ReplayJobs::Create(jobs_options);
  if (!jobs) {
    std::cerr << "cep serve: " << jobs.error().message() << "\n";
    return kExitUserError;
  }
  auto context = std::make_unique<server::ApiContext>();
  context->service = running->service.get();
  context->registry = registry->get();
  context->replays = jobs->get();
  context->clock = &clock;
  context->version = CEP_VERSION;
  auto api = server::ApiServer::Start(*config, std::move(context), *tokens);
  if (!api) {
    std::cerr << "cep serve: REST API on " << config->rest_address << ": " << api.error().message() << "\n";
    return kExitUserError;
  }
  // The line scripts wait for: where the API listens.
  std::printf("REST API: %s\n", (*api)->url().c_str());
  std::fflush(stdout);
  if (generated) {
    spdlog::info("no rest_tokens configured: an admin token is in {}/api-token (cep rulesets reads it)",
                 config->data_dir);
  }
  spdlog::info("serving {} active ruleset(s); reading '{}' from {}; alerts to '{}'", active,
               config->kafka.input_topic, running->bootstrap, config->kafka.alerts_topic);
  auto next_stats = std::chrono::steady_clock::now() + kStatsEvery;
  while (!shutdown.WaitFor(std::chrono::milliseconds(200))) {
    if (!running->service->running()) break;
    if (std::chrono::steady_clock::now() >= next_stats) {
      spdlog::info("{}", FormatServiceStats(*running->service));
      next_stats += kStatsEvery;
    }
  }
  if (shutdown.signal() != 0) spdlog::info("signal {}: stopping (drain, flush, commit)", shutdown.signal());
  (*api)->Stop();  // no request reaches a stopping service
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
      "serve", "run the service: Kafka in, detection, Kafka out, REST API");
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
