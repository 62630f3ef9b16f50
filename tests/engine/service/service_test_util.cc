#include "tests/engine/service/service_test_util.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <thread>

#include "engine/kafka/consumer.h"
#include "engine/runtime/slot_pool.h"
#include "engine/service/record_decoder.h"

namespace engine::testing {

const std::map<std::string, std::string> kMockConsumerSettings = {{"session.timeout.ms", "6000"},
                                                                  {"heartbeat.interval.ms", "1000"},
                                                                  {"fetch.wait.max.ms", "20"}};

ServiceConfig TestServiceConfig(const std::string& suffix) {
  ServiceConfig config;
  config.kafka.input_topic = "transactions" + suffix;
  config.kafka.alerts_topic = "alerts" + suffix;
  config.kafka.shadow_topic = "alerts-shadow" + suffix;
  config.kafka.late_topic = "late" + suffix;
  config.kafka.dead_letter_topic = "dead-letters" + suffix;
  config.kafka.group_id = "cep" + suffix;
  config.kafka.consumer_settings = kMockConsumerSettings;
  config.slots = 2;
  config.queue_capacity = 256;
  return config;
}

void CreateTopics(kafka::EmbeddedBroker& broker, const KafkaConfig& kafka, int input_partitions) {
  ASSERT_TRUE(broker.CreateTopic(kafka.input_topic, input_partitions).ok()) << kafka.input_topic;
  for (const std::string& topic :
       {kafka.alerts_topic, kafka.shadow_topic, kafka.late_topic, kafka.dead_letter_topic}) {
    ASSERT_TRUE(broker.CreateTopic(topic, kOutputPartitions).ok()) << topic;
  }
}

bool WaitUntil(const std::function<bool()>& done, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // poll interval
  }
  return true;
}

std::string Describe(const ServiceStats& s) {
  std::ostringstream out;
  out << "records=" << s.records << " events=" << s.events << " dead_letters=" << s.dead_letters
      << " late=" << s.late << " late_routed=" << s.late_routed << " alerts=" << s.alerts
      << " shadow_alerts=" << s.shadow_alerts << " produce_errors=" << s.produce_errors
      << " watermark=" << s.watermark.millis();
  return out.str();
}

std::string ReadRulesetFile(const std::string& file) {
  const char* dir = std::getenv("CEP_SOURCE_DIR");
  const std::string path = std::string(dir != nullptr ? dir : CEP_SOURCE_DIR_DEFAULT) +
                           "/rulesets/" + file;
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

rules::CompiledRuleset CompileOrFail(std::string_view text) {
  auto compiled = rules::CompileRuleset(text);
  if (!compiled) {
    std::string all;
    for (const auto& d : compiled.error()) all += d.message + "\n";
    ADD_FAILURE() << "ruleset does not compile:\n" << all;
    return {};
  }
  return std::move(*compiled);
}

std::vector<OwnedRecord> ReadTopic(const std::string& bootstrap, const std::string& topic,
                                   int partitions, size_t want, std::chrono::milliseconds limit,
                                   bool fewer_is_ok) {
  // fetch.wait.max.ms: an empty partition's end shows after one fetch wait.
  auto consumer = kafka::Consumer::Create({.bootstrap = bootstrap,
                                           .client_id = "test-reader",
                                           .settings = {{"fetch.wait.max.ms", "20"}}});
  if (!consumer) {
    ADD_FAILURE() << consumer.error().ToString();
    return {};
  }
  std::vector<kafka::PartitionOffset> assignment;
  for (int32_t p = 0; p < partitions; ++p) {
    assignment.push_back({{topic, p}, kafka::kOffsetBeginning});
  }
  if (cep::Status s = (*consumer)->Assign(assignment); !s.ok()) {
    ADD_FAILURE() << s.ToString();
    return {};
  }
  auto records = kafka::testing::ConsumeAtLeast(**consumer, want, /*until_end=*/true, limit);
  if (!fewer_is_ok) {
    EXPECT_GE(records.size(), want) << "records of " << topic << " within " << limit.count()
                                    << " ms";
  }
  (*consumer)->Close();
  return records;
}

std::string HeaderOf(const OwnedRecord& record, std::string_view name) {
  for (const auto& [key, value] : record.headers) {
    if (key == name) return value;
  }
  return "";
}

std::vector<cep::v1::Alert> ParseAlerts(const std::vector<OwnedRecord>& records) {
  std::vector<cep::v1::Alert> out;
  for (const OwnedRecord& r : records) {
    cep::v1::Alert alert;
    EXPECT_TRUE(alert.ParseFromString(r.value)) << r.topic << "@" << r.offset;
    EXPECT_EQ(r.key, alert.key()) << "alerts are keyed by the rule's key";
    out.push_back(std::move(alert));
  }
  return out;
}

std::vector<cep::v1::Alert> RunOffline(const rules::CompiledRuleset& ruleset,
                                       const std::vector<std::string>& values, uint32_t slots,
                                       cep::Duration out_of_orderness, cep::Duration* holdback) {
  RecordDecoder decoder(ruleset, RecordDecoder::Format::kProtobuf, "id");
  std::vector<cep::v1::Alert> alerts;
  SlotPool pool(ruleset.program, {.slots = slots, .queue_capacity = 256});
  *holdback = pool.ordering_holdback();
  std::thread collector([&] {
    SlotPool::Output out;
    for (;;) {
      pool.Collect(out, std::chrono::milliseconds(20));
      for (auto& alert : out.alerts) alerts.push_back(std::move(alert));
      out.alerts.clear();
      if (out.finished) break;
    }
  });
  cep::EventTime max_ts = cep::EventTime::Min();
  for (size_t i = 0; i < values.size(); ++i) {
    auto event = decoder.Decode(values[i], i);
    if (!event) {
      ADD_FAILURE() << "record " << i << ": " << event.error().ToString();
      continue;
    }
    const cep::EventTime ts = event->ts();
    pool.Route(std::make_shared<const cep::Event>(std::move(*event)));
    if (ts > max_ts) {
      max_ts = ts;
      pool.AdvanceWatermark(max_ts - out_of_orderness - cep::Duration::Millis(1));
    }
  }
  pool.Finish();
  collector.join();
  return alerts;
}

std::vector<std::string> AlertSet(const std::vector<cep::v1::Alert>& alerts,
                                  const std::string& ruleset, cep::EventTime bound) {
  std::vector<std::string> out;
  for (const cep::v1::Alert& a : alerts) {
    if (a.ruleset() == ruleset && a.ts_ms() <= bound.millis()) out.push_back(a.SerializeAsString());
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace engine::testing
