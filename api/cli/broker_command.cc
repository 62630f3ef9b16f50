// `cep broker`: the embedded Kafka-protocol broker (engine/kafka/embedded_broker.h)
// as a process of its own, for development and tests.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <condition_variable>
#include <csignal>
#include <iostream>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "api/cli/cli.h"
#include "api/cli/command.h"
#include "api/cli/shutdown.h"
#include "engine/kafka/embedded_broker.h"

namespace api {
namespace {

struct BrokerOptions {
  uint16_t port = 0;
  int partitions = 4;
  int brokers = 1;
  std::vector<std::string> topics = {"transactions", "alerts", "alerts-shadow", "late",
                                     "dead-letters"};
};

// Kafka's rule for topic names: 1 to 249 of [a-zA-Z0-9._-], not "." or "..".
std::string CheckTopicName(const std::string& name) {
  if (name.empty() || name.size() > 249 || name == "." || name == "..") {
    return "a topic name has 1 to 249 characters and is not '.' or '..': '" + name + "'";
  }
  for (const char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) return "a topic name uses only letters, digits, '.', '_' and '-': '" + name + "'";
  }
  return {};
}

int RunBroker(const BrokerOptions& o) {
  // Before any thread starts (librdkafka's), so that only its watcher sees signals.
  ShutdownSignal shutdown;
  // Logs already go to stderr (RunCli), so stdout carries only the bootstrap line.
  engine::kafka::EmbeddedBroker::Options options;
  options.brokers = o.brokers;
  options.port = o.port;
  auto broker = engine::kafka::EmbeddedBroker::Start(options);
  if (!broker) {
    std::cerr << "cep broker: " << broker.error().message() << "\n";
    return kExitUserError;
  }
  for (const std::string& topic : o.topics) {
    if (cep::Status created = (*broker)->CreateTopic(topic, o.partitions); !created.ok()) {
      std::cerr << "cep broker: " << created.message() << "\n";
      return kExitUserError;
    }
  }
  std::cout << "bootstrap: " << (*broker)->bootstrap() << std::endl;  // flushed: scripts wait for it
  std::string topic_list;
  for (const std::string& topic : o.topics) topic_list += (topic_list.empty() ? "" : ", ") + topic;
  spdlog::info("cep broker: {} broker(s) on loopback ({}); topics with {} partitions: {}",
               o.brokers, (*broker)->brokers(), o.partitions,
               topic_list.empty() ? "none" : topic_list);
  spdlog::info("cep broker: new topics are created on first use with 4 partitions; "
               "Ctrl-C or SIGTERM stops");

  std::mutex mu;
  std::condition_variable_any stopped;
  std::unique_lock lock(mu);
  stopped.wait(lock, shutdown.token(), [] { return false; });
  spdlog::info("cep broker: stopping on {}; records kept in memory are gone",
               shutdown.signal() == SIGINT ? "SIGINT" : "SIGTERM");
  return kExitOk;
}

}  // namespace

void AddBrokerCommand(CLI::App& app, Action& action) {
  auto o = std::make_shared<BrokerOptions>();
  CLI::App* command = app.add_subcommand(
      "broker", "run the embedded Kafka-protocol broker on loopback (development and tests)");
  command->add_option("--port", o->port,
                      "also accept clients on 127.0.0.1:PORT (0: only the ports the OS picks)")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  command->add_option("--partitions", o->partitions, "partitions of each --topic")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  command->add_option("--brokers", o->brokers, "brokers in the cluster (ids 1..N)")
      ->check(CLI::Range(1, 16))
      ->capture_default_str();
  command->add_option("--topic", o->topics, "a topic to create at start; repeat for more")
      ->check(CLI::Validator(CheckTopicName, "NAME"))
      ->capture_default_str();
  command->footer(
      "Prints one line 'bootstrap: 127.0.0.1:PORT' to stdout, then logs to stderr, and\n"
      "runs until SIGINT or SIGTERM (exit 0). Any Kafka client (kcat, the cep service)\n"
      "can produce, consume, join groups and commit offsets with that bootstrap address.\n"
      "It is librdkafka's in-memory mock cluster: records are lost when it stops, and\n"
      "each partition keeps only its newest 100000 batches or 5 MiB. Topics that clients\n"
      "use without creating them appear with 4 partitions. A consumer group rejoined\n"
      "after a member left waits the member's session.timeout.ms - 1 s (44 s by\n"
      "default): consumers restarting against it should set session.timeout.ms=6000.\n"
      "With --port, 127.0.0.1:PORT forwards to the first broker; the cluster still\n"
      "advertises its own loopback ports, so clients must run on this machine.\n"
      "Example: cep broker --port 9092 --partitions 8 --topic transactions --topic alerts");
  command->callback([&action, o] { action = [o] { return RunBroker(*o); }; });
}

}  // namespace api
