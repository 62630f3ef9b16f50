#pragma once

// Internal to engine/bench: the stopwatch, the service set-up every Kafka run
// shares, and a plain reader of a topic. Only engine/bench/*.cc include it.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "api/proto/alert.pb.h"
#include "cep/base/result.h"
#include "engine/bench/pipeline_bench.h"
#include "engine/runtime/service_config.h"

namespace engine::kafka {
class Consumer;
class EmbeddedBroker;
}  // namespace engine::kafka

namespace engine::bench::internal {

using SteadyClock = std::chrono::steady_clock;

double Seconds(SteadyClock::duration d);

// Wall time (steady clock) and the process's CPU time from construction.
class Stopwatch {
 public:
  Stopwatch();
  Timing Elapsed() const;

 private:
  SteadyClock::time_point start_;
  double user_s_ = 0;
  double sys_s_ = 0;
};

// The service configuration of a run: the given input partitions and slots,
// protobuf or JSON alerts, a fresh consumer group, watermarks with no allowed
// out-of-orderness, and a short idle timeout.
ServiceConfig BenchServiceConfig(int partitions, uint32_t slots, bool json_alerts,
                                 std::chrono::milliseconds idle_timeout, const KafkaTuning& tuning);

// A fresh directory under the system temp dir ("<prefix>-<pid>-<n>"), removed
// with everything in it on destruction.
class TempDir {
 public:
  explicit TempDir(std::string_view prefix);
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// An embedded broker with the service's topics: the input topic with
// config.kafka.embedded_partitions partitions, the others with 4.
cep::Result<std::unique_ptr<kafka::EmbeddedBroker>> StartBroker(const ServiceConfig& config);

// Reads partitions 0..partitions-1 of `topic` from their beginning until every
// one is at its end (and at least `want` records came), or `limit` passes.
struct TopicRead {
  uint64_t records = 0;
  std::vector<int64_t> first_offsets;  // -1: nothing read
  std::vector<int64_t> end_offsets;    // last offset read + 1; -1: nothing read
  // When the first and the last record arrived: the read rate leaves out
  // connecting, and waiting to see every partition's end.
  SteadyClock::time_point first_seen{}, last_seen{};
};
// A consumer assigned to partitions 0..partitions-1 of `topic` from their
// beginning (no group), as every reader in the benches is.
cep::Result<std::unique_ptr<kafka::Consumer>> ConsumeFromStart(
    const std::string& bootstrap, const std::string& topic, int partitions,
    const std::string& client_id, const std::map<std::string, std::string>& settings);

cep::Result<TopicRead> ReadTopic(const std::string& bootstrap, const std::string& topic,
                                 int partitions, uint64_t want, std::chrono::milliseconds limit,
                                 const std::map<std::string, std::string>& settings);

// The alert in a record value (protobuf or JSON); false if it does not parse.
bool ParseAlert(std::string_view value, bool json, cep::v1::Alert& out);

}  // namespace engine::bench::internal
