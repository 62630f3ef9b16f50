#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "api/cli/cli.h"
#include "api/cli/command.h"
#include "api/cli/service_launch.h"
#include "api/cli/shutdown.h"
#include "api/demo/embedded_rulesets.h"
#include "api/registry/ruleset_registry.h"
#include "api/rest/auth.h"
#include "api/server/api_server.h"
#include "api/server/registry_seed.h"
#include "state/state_store.h"
#include "api/proto/alert_json.h"
#include "api/proto/transaction.pb.h"
#include "api/system_clock.h"
#include "engine/gen/transaction_generator.h"
#include "engine/kafka/consumer.h"
#include "engine/kafka/embedded_broker.h"
#include "engine/kafka/producer.h"
#include "engine/service/service.h"

namespace api {
namespace {

struct DemoOptions {
  double rate = 500;            // events per second of wall time
  std::string duration = "0s";  // 0: until Ctrl-C
  uint64_t seed = 42;
  uint32_t accounts = 2'000;
  double fraud = 0.05;
  int slots = 0;
};

const char* SeverityName(cep::v1::Alert::Severity s) {
  switch (s) {
    case cep::v1::Alert::SEVERITY_LOW: return "low";
    case cep::v1::Alert::SEVERITY_MEDIUM: return "medium";
    case cep::v1::Alert::SEVERITY_HIGH: return "HIGH";
    case cep::v1::Alert::SEVERITY_CRITICAL: return "CRITICAL";
    default: return "-";
  }
}

std::string FieldText(const cep::v1::Alert::Value& v) {
  switch (v.kind_case()) {
    case cep::v1::Alert::Value::kBoolValue: return v.bool_value() ? "true" : "false";
    case cep::v1::Alert::Value::kIntValue: return std::to_string(v.int_value());
    case cep::v1::Alert::Value::kNumberValue: {
      char buffer[32];
      std::snprintf(buffer, sizeof buffer, "%.2f", v.number_value());
      return buffer;
    }
    case cep::v1::Alert::Value::kStringValue: return v.string_value();
    default: return "null";
  }
}

// One readable line per alert: event time, severity, ruleset/rule, key, what matched.
std::string AlertLine(const cep::v1::Alert& alert) {
  std::string line = cep::FormatIso8601(cep::EventTime::FromMillis(alert.ts_ms())).substr(11, 12);
  char head[160];
  std::snprintf(head, sizeof head, "  %-8s %-44s key=%-8s", SeverityName(alert.severity()),
                (alert.ruleset() + "/" + alert.rule()).c_str(), alert.key().c_str());
  line += head;
  for (const auto& stage : alert.stages()) {
    line += " " + stage.name() + "=[";
    for (int i = 0; i < stage.event_ids_size(); ++i) {
      if (i == 3 && stage.event_ids_size() > 4) {
        line += ",+" + std::to_string(stage.event_ids_size() - 3);
        break;
      }
      line += (i > 0 ? "," : "") + stage.event_ids(i);
    }
    line += "]";
  }
  for (const auto& field : alert.fields()) line += " " + field.name() + "=" + FieldText(field.value());
  if (alert.kind() == cep::v1::Alert::KIND_TIMEOUT) line += " (timeout)";
  return line;
}

// Reads the alerts topic from outside the service, as kcat would, and prints
// each alert as it arrives.
void PrintAlerts(const std::string& bootstrap, const std::string& topic, int partitions,
                 std::stop_token stop, std::atomic<uint64_t>& printed) {
  engine::kafka::ConsumerOptions options;
  options.bootstrap = bootstrap;
  options.client_id = "cep-demo-printer";
  auto consumer = engine::kafka::Consumer::Create(options);
  if (!consumer) {
    spdlog::error("alert printer: {}", consumer.error().message());
    return;
  }
  std::vector<engine::kafka::PartitionOffset> from_start;
  for (int p = 0; p < partitions; ++p) from_start.push_back({{topic, p}, engine::kafka::kOffsetBeginning});
  if (cep::Status s = (*consumer)->Assign(from_start); !s.ok()) {
    spdlog::error("alert printer: {}", s.message());
    return;
  }
  cep::v1::Alert alert;
  while (!stop.stop_requested()) {
    auto batch = (*consumer)->Poll(256, std::chrono::milliseconds(100));
    if (!batch) continue;
    for (const auto& record : *batch) {
      auto parsed = wire::AlertFromJson(record.value);
      if (!parsed) continue;
      std::printf("%s\n", AlertLine(*parsed).c_str());
      ++printed;
    }
    std::fflush(stdout);
  }
  (*consumer)->Close();
}

// Produces the generated stream to the input topic at `rate` events/s.
void Generate(const std::string& bootstrap, const std::string& topic, const DemoOptions& o,
              std::stop_token stop, std::atomic<uint64_t>& produced) {
  engine::kafka::ProducerOptions options;
  options.bootstrap = bootstrap;
  options.client_id = "cep-demo-gen";
  auto producer = engine::kafka::Producer::Create(options);
  if (!producer) {
    spdlog::error("generator: {}", producer.error().message());
    return;
  }
  engine::GenOptions gen;
  gen.seed = o.seed;
  gen.accounts = o.accounts;
  gen.fraud_accounts = o.fraud;
  const auto wall_start = std::chrono::system_clock::now();
  gen.start = cep::EventTime::FromMillis(
      std::chrono::duration_cast<std::chrono::milliseconds>(wall_start.time_since_epoch()).count());
  engine::TransactionGenerator generator(gen);
  cep::v1::Transaction transaction;
  std::string bytes;
  const auto start = std::chrono::steady_clock::now();
  uint64_t n = 0;
  while (!stop.stop_requested() && generator.Next(transaction)) {
    transaction.SerializeToString(&bytes);
    if (!(*producer)->Produce(topic, transaction.account_id(), bytes).ok()) break;
    ++n;
    produced.store(n);
    // Pace in wall time: event n is due at start + n / rate.
    const auto due = start + std::chrono::duration<double>(static_cast<double>(n) / o.rate);
    if (due > std::chrono::steady_clock::now()) {
      (*producer)->Poll();
      std::this_thread::sleep_until(due);  // pacing output, not synchronisation
    }
  }
  (void)(*producer)->Flush(std::chrono::seconds(5));
}

int RunDemo(const DemoOptions& o) {
  ShutdownSignal shutdown;  // before any thread starts
  auto duration = cep::ParseDuration(o.duration);
  if (!duration) {
    std::cerr << "cep demo: --duration: " << duration.error().message() << "\n";
    return kExitUsage;
  }
  std::vector<RulesetSource> sources;
  for (const EmbeddedRuleset& r : EmbeddedRulesets()) {
    sources.push_back({"rulesets/" + std::string(r.file), std::string(r.text)});
  }
  SystemClock clock;
  // The demo's registry lives in memory, like its broker: a REST API to try.
  std::unique_ptr<state::StateStore> registry_store = state::NewMemoryStore();
  auto registry = registry::RulesetRegistry::Open(registry_store.get(), &clock);
  if (!registry) {
    std::cerr << "cep demo: " << registry.error().message() << "\n";
    return kExitUserError;
  }
  std::vector<std::pair<std::string, std::string>> files;
  for (const RulesetSource& source : sources) files.emplace_back(source.name, source.text);
  auto compiled = server::SeedRegistry(**registry, files);
  if (!compiled) {
    std::cerr << "cep demo: " << compiled.error().message() << "\n";
    return kExitUserError;
  }

  engine::ServiceConfig config;
  config.kafka.alert_format = "json";  // readable from outside with kcat
  config.slots = o.slots;
  config.idle_timeout = cep::Duration::Seconds(2);
  // The embedded broker forgets everything on exit, so the demo's state may too.
  config.state_backend = "none";
  auto running = StartService(config, std::move(compiled->live), clock);
  if (!running) {
    std::cerr << "cep demo: " << running.error().message() << "\n";
    return kExitUserError;
  }
  config.rest_address = "127.0.0.1:0";
  const std::string token = rest::TokenAuth::GenerateToken();
  auto context = std::make_unique<server::ApiContext>();
  context->service = running->service.get();
  context->registry = registry->get();
  context->clock = &clock;
  context->version = CEP_VERSION;
  auto api = server::ApiServer::Start(config, std::move(context), {{token, rest::Scope::kAdmin}});
  if (!api) {
    std::cerr << "cep demo: REST API: " << api.error().message() << "\n";
    return kExitUserError;
  }
  std::printf(
      "cep demo: %zu example rulesets, %.0f generated transactions/s with injected fraud\n"
      "embedded Kafka broker: %s\n"
      "  watch from outside:  kcat -b %s -t %s -C\n"
      "REST API: %s  (admin token for this run: %s)\n"
      "  try:  curl -H 'Authorization: Bearer %s' %s/v1/rulesets\n"
      "  Ctrl-C stops.\n\n",
      sources.size(), o.rate, running->bootstrap.c_str(), running->bootstrap.c_str(),
      config.kafka.alerts_topic.c_str(), (*api)->url().c_str(), token.c_str(), token.c_str(),
      (*api)->url().c_str());
  std::fflush(stdout);

  std::atomic<uint64_t> produced{0}, printed{0};
  std::jthread printer([&](std::stop_token stop) {
    PrintAlerts(running->bootstrap, config.kafka.alerts_topic, config.kafka.embedded_partitions,
                stop, printed);
  });
  std::jthread generator([&](std::stop_token stop) {
    Generate(running->bootstrap, config.kafka.input_topic, o, stop, produced);
  });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(duration->millis());
  while (!shutdown.WaitFor(std::chrono::milliseconds(100))) {
    if (duration->millis() > 0 && std::chrono::steady_clock::now() >= deadline) break;
    if (!running->service->running()) break;
  }
  generator.request_stop();
  generator.join();
  (*api)->Stop();
  running->service->Stop();
  // Let the printer catch up with what the service produced before it stopped.
  const auto drain_until = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  const engine::ServiceStats stats = running->service->stats();
  while (printed.load() < stats.alerts && std::chrono::steady_clock::now() < drain_until) {
    if (shutdown.WaitFor(std::chrono::milliseconds(50)) && shutdown.signal() != 0 &&
        std::chrono::steady_clock::now() >= drain_until) {
      break;
    }
  }
  printer.request_stop();
  printer.join();
  std::fprintf(stderr, "\ncep demo: %llu transactions produced; %s\n",
               static_cast<unsigned long long>(produced.load()),
               FormatServiceStats(*running->service).c_str());
  return kExitOk;
}

}  // namespace

void AddDemoCommand(CLI::App& app, Action& action) {
  auto o = std::make_shared<DemoOptions>();
  CLI::App* command = app.add_subcommand(
      "demo", "embedded broker, example rulesets, generated traffic, alerts printed live");
  command->add_option("--rate", o->rate, "generated transactions per second")
      ->check(CLI::Range(1.0, 1e7))
      ->capture_default_str();
  command->add_option("--duration", o->duration, "stop after this long, e.g. 30s (0: until Ctrl-C)")
      ->capture_default_str();
  command->add_option("--seed", o->seed, "generator seed")->capture_default_str();
  command->add_option("--accounts", o->accounts, "accounts in the generated population")
      ->check(CLI::Range(10u, 10'000'000u))
      ->capture_default_str();
  command->add_option("--fraud-rate", o->fraud, "new fraud victims per simulated day, share of accounts")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  command->add_option("--slots", o->slots, "worker slots per ruleset (0: one per core)")
      ->check(CLI::Range(0, 256))
      ->capture_default_str();
  command->footer(
      "Runs everything in one process: the embedded Kafka broker (its address is printed; any\n"
      "Kafka client can use it), the service with the example rulesets built into the binary,\n"
      "and `cep gen` traffic. Alerts are read back from the alerts topic (JSON) and printed one\n"
      "line each: event time, severity, ruleset/rule, key, the events per stage, the fields.");
  command->callback([&action, o] { action = [o] { return RunDemo(*o); }; });
}

}  // namespace api
