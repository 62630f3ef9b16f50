#include <google/protobuf/io/coded_stream.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "api/cli/cli.h"
#include "api/cli/command.h"
#include "api/cli/shutdown.h"
#include "api/proto/transaction.pb.h"
#include "api/proto/transaction_json.h"
#include "cep/base/result.h"
#include "cep/base/status.h"
#include "cep/base/time.h"
#include "engine/gen/transaction_generator.h"
#include "engine/kafka/producer.h"

namespace api {
namespace {

struct GenCommandOptions {
  uint64_t count = 100'000;
  uint64_t seed = 42;
  uint32_t accounts = 10'000;
  std::string start = "2026-01-01T00:00:00Z";
  double fraud_rate = 0.002;
  std::vector<std::string> scenarios;
  std::string format;  // empty: jsonl to a file, protobuf to Kafka
  std::string out = "-";
  std::string brokers;  // produce to Kafka instead of writing --out
  std::string topic = "transactions";
  double rate = 0;
  std::string max_out_of_orderness = "0s";
};

// Where generated records go: one call per record, in order. A file or stdout
// today; a Kafka producer (--brokers/--topic) plugs in as another RecordSink.
using RecordSink = std::function<cep::Status(const cep::v1::Transaction&)>;

// A file (or stdout) with a large buffer; closes what it opened.
class OutputFile {
 public:
  static cep::Result<std::unique_ptr<OutputFile>> Open(const std::string& path) {
    FILE* file = path == "-" ? stdout : std::fopen(path.c_str(), "wb");
    if (file == nullptr) {
      return cep::NotFound("cannot write '" + path + "': " + std::strerror(errno));
    }
    return std::unique_ptr<OutputFile>(new OutputFile(file, path));
  }
  ~OutputFile() {
    if (file_ != stdout) std::fclose(file_);
  }
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  cep::Status Write(const void* data, size_t size) {
    if (std::fwrite(data, 1, size, file_) != size) {
      return cep::Unavailable("writing '" + path_ + "': " + std::strerror(errno));
    }
    return cep::Status::Ok();
  }
  cep::Status Flush() {
    if (std::fflush(file_) != 0) {
      return cep::Unavailable("writing '" + path_ + "': " + std::strerror(errno));
    }
    return cep::Status::Ok();
  }

 private:
  OutputFile(FILE* file, std::string path) : file_(file), path_(std::move(path)) {
    std::setvbuf(file_, nullptr, _IOFBF, 1 << 20);
  }
  FILE* file_;
  std::string path_;
};

// JSON lines, one object per record (wire::TransactionToJson).
RecordSink JsonlSink(OutputFile& file) {
  return [&file](const cep::v1::Transaction& tx) {
    std::string line = wire::TransactionToJson(tx);
    line += '\n';
    return file.Write(line.data(), line.size());
  };
}

// Length-delimited protobuf: a varint byte count, then the message, what
// `cep replay --format protobuf` reads (SerializeDelimitedToOstream's framing).
RecordSink ProtobufSink(OutputFile& file) {
  auto buffer = std::make_shared<std::string>();
  return [&file, buffer](const cep::v1::Transaction& tx) {
    const size_t size = tx.ByteSizeLong();
    buffer->resize(size + 10);
    auto* begin = reinterpret_cast<uint8_t*>(buffer->data());
    uint8_t* end = google::protobuf::io::CodedOutputStream::WriteVarint32ToArray(
        static_cast<uint32_t>(size), begin);
    end = tx.SerializeWithCachedSizesToArray(end);
    return file.Write(begin, static_cast<size_t>(end - begin));
  };
}

// Holds output to `rate` records per second of wall time, if rate > 0.
class Pacer {
 public:
  explicit Pacer(double rate) : rate_(rate), start_(std::chrono::steady_clock::now()) {}
  // True when the caller should flush: it is about to wait.
  bool Ahead(uint64_t sent) const {
    if (rate_ <= 0) return false;
    return std::chrono::steady_clock::now() < Due(sent) - std::chrono::milliseconds(1);
  }
  void Wait(uint64_t sent) const {
    if (rate_ > 0) std::this_thread::sleep_until(Due(sent));
  }

 private:
  std::chrono::steady_clock::time_point Due(uint64_t sent) const {
    return start_ + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                        std::chrono::duration<double>(static_cast<double>(sent) / rate_));
  }
  double rate_;
  std::chrono::steady_clock::time_point start_;
};

void PrintSummary(const engine::TransactionGenerator& generator, double seconds) {
  std::fprintf(stderr, "cep gen: %llu events, %llu fraud (%.3f%%) in %.2f s, %.0f events/s\n",
               static_cast<unsigned long long>(generator.generated()),
               static_cast<unsigned long long>(generator.fraud_generated()),
               generator.generated() > 0 ? 100.0 * static_cast<double>(generator.fraud_generated()) /
                                               static_cast<double>(generator.generated())
                                         : 0.0,
               seconds, seconds > 0 ? static_cast<double>(generator.generated()) / seconds : 0.0);
  for (const auto& count : generator.scenario_counts()) {
    std::fprintf(stderr, "  %-20s %6llu incidents %8llu fraud events  (rulesets/%s.rules)\n",
                 count.name.c_str(), static_cast<unsigned long long>(count.incidents),
                 static_cast<unsigned long long>(count.fraud_events),
                 engine::TransactionGenerator::RulesetOf(count.name).c_str());
  }
}

cep::Result<engine::GenOptions> ToGenOptions(const GenCommandOptions& o) {
  engine::GenOptions options;
  options.seed = o.seed;
  options.accounts = o.accounts;
  options.count = o.count;
  options.fraud_accounts = o.fraud_rate;
  options.scenarios = o.scenarios;
  auto start = cep::ParseIso8601(o.start);
  if (!start) return cep::InvalidArgument("--start: " + start.error().message());
  options.start = *start;
  auto out_of_orderness = cep::ParseDuration(o.max_out_of_orderness);
  if (!out_of_orderness) {
    return cep::InvalidArgument("--max-out-of-orderness: " + out_of_orderness.error().message());
  }
  options.max_out_of_orderness = *out_of_orderness;
  if (cep::Status valid = engine::ValidateGenOptions(options); !valid.ok()) return valid;
  if (!(o.rate >= 0)) return cep::InvalidArgument("--rate must be 0 or more events per second");
  return options;
}

// To Kafka: one record per transaction, key = account_id (so an account's
// events stay in order on one partition), value protobuf, or JSON with
// --format jsonl.
RecordSink KafkaSink(engine::kafka::Producer& producer, const std::string& topic, bool json) {
  return [&producer, topic, json, bytes = std::string()](const cep::v1::Transaction& tx) mutable {
    bytes = json ? wire::TransactionToJson(tx) : tx.SerializeAsString();
    return producer.Produce(topic, tx.account_id(), bytes);
  };
}

int RunGen(const GenCommandOptions& o) {
  ShutdownSignal shutdown;  // first: Ctrl-C ends an unbounded or paced stream cleanly
  auto options = ToGenOptions(o);
  if (!options) {
    std::cerr << "cep gen: " << options.error().message() << "\n";
    return kExitUsage;
  }
  std::unique_ptr<engine::kafka::Producer> producer;
  if (!o.brokers.empty()) {
    auto created = engine::kafka::Producer::Create({.bootstrap = o.brokers, .client_id = "cep-gen"});
    if (!created) {
      std::cerr << "cep gen: " << created.error().message() << "\n";
      return kExitUserError;
    }
    producer = std::move(*created);
  }
  auto file = OutputFile::Open(producer ? "-" : o.out);
  if (!file) {
    std::cerr << "cep gen: " << file.error().message() << "\n";
    return kExitUserError;
  }
  const std::string format = !o.format.empty() ? o.format : producer ? "protobuf" : "jsonl";
  const RecordSink sink = producer               ? KafkaSink(*producer, o.topic, format == "jsonl")
                          : format == "protobuf" ? ProtobufSink(**file)
                                                   : JsonlSink(**file);

  const std::stop_token stop = shutdown.token();
  const auto started = std::chrono::steady_clock::now();
  engine::TransactionGenerator generator(*std::move(options));
  const Pacer pacer(o.rate);
  cep::v1::Transaction tx;
  while (!stop.stop_requested() && generator.Next(tx)) {
    if (cep::Status written = sink(tx); !written.ok()) {
      std::cerr << "cep gen: " << written.message() << "\n";
      return kExitUserError;
    }
    if (pacer.Ahead(generator.generated())) {
      if (cep::Status flushed = (*file)->Flush(); !flushed.ok()) {
        std::cerr << "cep gen: " << flushed.message() << "\n";
        return kExitUserError;
      }
      pacer.Wait(generator.generated());
    }
  }
  if (cep::Status flushed = (*file)->Flush(); !flushed.ok()) {
    std::cerr << "cep gen: " << flushed.message() << "\n";
    return kExitUserError;
  }
  if (producer) {
    if (cep::Status flushed = producer->Flush(std::chrono::seconds(30)); !flushed.ok() ||
                                                                         producer->failed() > 0) {
      std::cerr << "cep gen: " << producer->failed() << " records not delivered to " << o.brokers
                << ": " << producer->first_error().message() << "\n";
      return kExitUserError;
    }
  }
  PrintSummary(generator, std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  return kExitOk;
}

}  // namespace

void AddGenCommand(CLI::App& app, Action& action) {
  auto o = std::make_shared<GenCommandOptions>();
  CLI::App* command = app.add_subcommand(
      "gen", "generate a synthetic transaction stream with labelled fraud");
  command->add_option("--count", o->count, "events to generate (0: until Ctrl-C)")
      ->capture_default_str();
  command->add_option("--seed", o->seed, "random seed: the same options give the same stream")
      ->capture_default_str();
  command->add_option("--accounts", o->accounts, "account holders in the population")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  command->add_option("--start", o->start, "event time of the first event (ISO 8601)")
      ->capture_default_str();
  command->add_option("--fraud-rate", o->fraud_rate,
                      "fraud incidents per simulated day, as a share of accounts")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  command->add_option("--scenario", o->scenarios, "inject only these scenarios (repeatable; default: all)")
      ->check(CLI::IsMember(engine::TransactionGenerator::ScenarioNames()));
  command->add_option("--format", o->format, "jsonl|protobuf (length-delimited cep.v1.Transaction); default jsonl to a file, protobuf to Kafka")
      ->check(CLI::IsMember({"jsonl", "protobuf"}));
  command->add_option("--out", o->out, "write to FILE, or - for stdout")->capture_default_str();
  command->add_option("--brokers", o->brokers,
                      "produce to Kafka at HOST:PORT instead (key = account_id; protobuf, or JSON with --format jsonl)");
  command->add_option("--topic", o->topic, "topic for --brokers")->capture_default_str();
  command->add_option("--rate", o->rate, "events per second of wall time (0: as fast as possible)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  command->add_option("--max-out-of-orderness", o->max_out_of_orderness,
                      "let events leave up to D out of ts order, e.g. 5s (bounded)")
      ->capture_default_str();
  std::string scenarios;
  for (const std::string& name : engine::TransactionGenerator::ScenarioNames()) {
    scenarios += "  " + name + std::string(name.size() < 20 ? 20 - name.size() : 1, ' ') +
                 "rulesets/" + engine::TransactionGenerator::RulesetOf(name) + ".rules\n";
  }
  command->footer(
      "A population of account holders (cards, devices, home cities) shopping, paying and\n"
      "logging in at a daily rhythm, about 4 events per account per simulated day, with fraud\n"
      "scenarios injected; each scenario is built to make one example ruleset fire:\n" +
      scenarios +
      "Fraud events carry label 1 and attrs.scenario; all others label 0. Score a ruleset with\n"
      "  cep gen --out g.jsonl && cep replay --rules rulesets/velocity.rules --input g.jsonl "
      "--label-field label\n"
      "Events are in ts order unless --max-out-of-orderness is set (then replay with the same\n"
      "--max-out-of-orderness). A summary (events, fraud per scenario) goes to stderr.");
  command->callback([&action, o] { action = [o] { return RunGen(*o); }; });
}

}  // namespace api
