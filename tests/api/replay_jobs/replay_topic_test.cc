// A replay job over a time range of a Kafka topic, against the embedded broker.
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include <nlohmann/json.hpp>

#include "api/replay_jobs/replay_jobs.h"
#include "engine/kafka/embedded_broker.h"
#include "tests/api/replay_jobs/replay_test_util.h"
#include "tests/fakes/fake_clock.h"

namespace api::replay_jobs {
namespace {

constexpr int64_t kT0 = 1'790'000'000'000;  // the first record's timestamp

// Produces records with chosen timestamps and partitions. Our Producer lets
// Kafka stamp records, so the test speaks librdkafka directly.
void ProduceWithTimestamps(const std::string& bootstrap, const std::string& topic,
                           const std::vector<std::pair<int64_t, std::string>>& records) {
  char error[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  ASSERT_EQ(rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), error, sizeof error),
            RD_KAFKA_CONF_OK);
  rd_kafka_t* producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof error);
  ASSERT_NE(producer, nullptr) << error;
  for (size_t i = 0; i < records.size(); ++i) {
    const auto& [ts, value] = records[i];
    const rd_kafka_resp_err_t err = rd_kafka_producev(
        producer, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(static_cast<int32_t>(i % 2)),
        RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
        RD_KAFKA_V_TIMESTAMP(ts), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
    ASSERT_EQ(err, RD_KAFKA_RESP_ERR_NO_ERROR) << rd_kafka_err2str(err);
  }
  EXPECT_EQ(rd_kafka_flush(producer, 30'000), RD_KAFKA_RESP_ERR_NO_ERROR);
  EXPECT_EQ(rd_kafka_outq_len(producer), 0);
  rd_kafka_destroy(producer);
}

TEST(ReplayTopicTest, ReplaysTheRecordsOfATimeRange) {
  auto broker = engine::kafka::EmbeddedBroker::Start({});
  ASSERT_TRUE(broker) << broker.error().message();
  ASSERT_TRUE((*broker)->CreateTopic("transactions", 2).ok());
  // Record i: timestamp kT0 + 1000 i, event ts the same, amount 150 (large) when
  // i % 3 == 0, else 50; on partition i % 2.
  std::vector<std::pair<int64_t, std::string>> records;
  for (int i = 0; i < 100; ++i) {
    const int64_t ts = kT0 + 1000 * i;
    records.emplace_back(ts, nlohmann::json({{"id", "e" + std::to_string(i)},
                                             {"account_id", "a" + std::to_string(i % 5)},
                                             {"kind", "purchase"},
                                             {"amount", i % 3 == 0 ? 150 : 50},
                                             {"ts", ts}})
                                 .dump());
  }
  ProduceWithTimestamps((*broker)->bootstrap(), "transactions", records);

  testing::TempDir dir("topic");
  std::filesystem::create_directories(dir.path() / "input");
  fakes::FakeClock clock;
  ReplayJobsOptions options;
  options.cep_binary = CEP_CLI_BINARY;
  options.jobs_dir = dir.path() / "jobs";
  options.input_dir = dir.path() / "input";
  options.kafka_bootstrap = (*broker)->bootstrap();
  options.input_format = "json";
  options.clock = &clock;
  auto jobs = ReplayJobs::Create(options);
  ASSERT_TRUE(jobs) << jobs.error().message();

  auto request = ParseReplayRequest(nlohmann::json{
      {"ruleset", "large"}, {"version", 1}, {"topic", "transactions"},
       {"from", kT0 + 20'000}, {"to", kT0 + 70'000}, {"threads", 1}});
  ASSERT_TRUE(request) << request.error().message();
  request->source = testing::kLargePurchaseRules;
  auto id = (*jobs)->Start(*request);
  ASSERT_TRUE(id) << id.error().message();
  auto job = (*jobs)->WaitFor(
      *id, [](const nlohmann::json& j) { return j["state"] != "queued" && j["state"] != "running"; },
      std::chrono::seconds(120));
  ASSERT_TRUE(job);
  ASSERT_EQ((*job)["state"], "done") << job->dump(2);
  // Records 20..69 are in range; the large ones are i % 3 == 0: 21, 24, ..., 69.
  EXPECT_EQ((*job)["progress"]["topic_records"], 50);
  EXPECT_EQ((*job)["report"]["events"], 50);
  EXPECT_EQ((*job)["report"]["alerts"], 17);
  EXPECT_EQ((*job)["report"]["late"], 0);  // partitions merged in timestamp order
  EXPECT_EQ((*job)["topic"], "transactions");
  EXPECT_EQ((*job)["from_ms"], kT0 + 20'000);

  // A range before every record: nothing to replay, an empty report.
  request->from_ms = 0;
  request->to_ms = kT0;
  auto empty = (*jobs)->Start(*request);
  ASSERT_TRUE(empty) << empty.error().message();
  auto none = (*jobs)->WaitFor(
      *empty, [](const nlohmann::json& j) { return j["state"] != "queued" && j["state"] != "running"; },
      std::chrono::seconds(120));
  ASSERT_TRUE(none);
  ASSERT_EQ((*none)["state"], "done") << none->dump(2);
  EXPECT_EQ((*none)["progress"]["topic_records"], 0);
  EXPECT_EQ((*none)["report"]["alerts"], 0);
}

}  // namespace
}  // namespace api::replay_jobs
