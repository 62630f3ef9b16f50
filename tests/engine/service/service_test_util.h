#pragma once

// Helpers for the engine::Service tests: polling with a deadline, rulesets,
// reading a topic from its beginning, and the offline reference run.

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "api/proto/alert.pb.h"
#include "cep/base/time.h"
#include "engine/kafka/embedded_broker.h"
#include "engine/service/service.h"
#include "rules/compiler.h"
#include "tests/engine/kafka/kafka_test_util.h"

namespace engine::testing {

using kafka::testing::OwnedRecord;

inline constexpr std::chrono::milliseconds kDeadline = std::chrono::seconds(30);

// Partitions of every output topic (alerts, shadow, late, dead letters) of the tests.
inline constexpr int kOutputPartitions = 2;

// The tests' base configuration: topics and group named with `suffix` (so
// several services can share one broker), consumer settings for the embedded
// broker (kMockConsumerSettings), two slots, queues of 256.
ServiceConfig TestServiceConfig(const std::string& suffix);

// Consumers of the tests' groups. librdkafka 2.0.2's mock coordinator makes a
// group wait session.timeout.ms - 1 s to rejoin after a member left (see
// engine/kafka/embedded_broker.h); fetch.wait.max.ms: the mock holds a fetch of
// a partition with nothing new that long (500 ms by default).
extern const std::map<std::string, std::string> kMockConsumerSettings;

// Creates `kafka`'s input topic with `input_partitions` and its output topics
// with kOutputPartitions; fails the test when the broker refuses.
void CreateTopics(kafka::EmbeddedBroker& broker, const KafkaConfig& kafka, int input_partitions);

// Checks `done` every few milliseconds until it holds or `limit` passes; returns
// whether it held. Polling, not a sleep for synchronisation: the wait ends as
// soon as the condition does.
bool WaitUntil(const std::function<bool()>& done, std::chrono::milliseconds limit = kDeadline);

// The counters of a stats snapshot on one line, for failure messages.
std::string Describe(const ServiceStats& stats);

// rulesets/<file> of the source tree (CEP_SOURCE_DIR, set by ctest; the
// compiled-in source dir otherwise).
std::string ReadRulesetFile(const std::string& file);

// Compiles rule text; fails the test with the diagnostics when it does not.
rules::CompiledRuleset CompileOrFail(std::string_view text);

// Reads `topic` (partitions 0..partitions-1) from the beginning with its own
// consumer until `want` records arrived and every partition is at its end, or
// `limit` passes. Fewer than `want` fails the test, unless `fewer_is_ok` (a
// poll that tries again).
std::vector<OwnedRecord> ReadTopic(const std::string& bootstrap, const std::string& topic,
                                   int partitions, size_t want,
                                   std::chrono::milliseconds limit = kDeadline,
                                   bool fewer_is_ok = false);

// The value of header `name` of a record ("" when absent).
std::string HeaderOf(const OwnedRecord& record, std::string_view name);

// Parses alert records (protobuf); fails the test on bytes that do not parse.
std::vector<cep::v1::Alert> ParseAlerts(const std::vector<OwnedRecord>& records);

// The offline reference (as `cep replay` runs it): the record values decoded
// with the ruleset's own decoder (seq = position in `values`), routed through a
// SlotPool of `slots` slots with the automatic watermark (largest ts -
// `out_of_orderness` - 1 ms), then Finish (watermark +infinity). Alerts in no
// particular order; `holdback` receives the pool's ordering_holdback().
std::vector<cep::v1::Alert> RunOffline(const rules::CompiledRuleset& ruleset,
                                       const std::vector<std::string>& values, uint32_t slots,
                                       cep::Duration out_of_orderness, cep::Duration* holdback);

// The alerts of `ruleset` stamped at or before `bound`, serialized and sorted:
// a set to compare.
std::vector<std::string> AlertSet(const std::vector<cep::v1::Alert>& alerts,
                                  const std::string& ruleset, cep::EventTime bound);

}  // namespace engine::testing
