#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "engine/kafka/consumer.h"
#include "engine/kafka/embedded_broker.h"
#include "engine/kafka/producer.h"
#include "tests/engine/kafka/kafka_test_util.h"

namespace engine::kafka {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::ConsumeAtLeast;
using testing::OwnedRecord;

class KafkaClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto started = EmbeddedBroker::Start({});
    ASSERT_TRUE(started) << started.error().ToString();
    broker_ = std::move(*started);
  }

  std::unique_ptr<Producer> NewProducer() {
    auto producer = Producer::Create({.bootstrap = broker_->bootstrap()});
    EXPECT_TRUE(producer) << producer.error().ToString();
    return producer ? std::move(*producer) : nullptr;
  }

  std::unique_ptr<Consumer> NewConsumer(ConsumerOptions options) {
    options.bootstrap = broker_->bootstrap();
    auto consumer = Consumer::Create(options);
    EXPECT_TRUE(consumer) << consumer.error().ToString();
    return consumer ? std::move(*consumer) : nullptr;
  }

  // Produces `count` records "v<i>" with key "acct-<i % 7>" and two headers,
  // to `partition` (or any), and flushes.
  void ProduceValues(Producer& producer, const std::string& topic, int from, int count,
                     int32_t partition = Producer::kAnyPartition) {
    for (int i = from; i < from + count; ++i) {
      const std::string seq = std::to_string(i);
      const Header headers[] = {{"source", "test"}, {"seq", seq}};
      ASSERT_TRUE(producer
                      .Produce(topic, "acct-" + std::to_string(i % 7), "v" + seq, headers,
                               partition)
                      .ok());
    }
    ASSERT_TRUE(producer.Flush(seconds(30)).ok());
  }

  std::unique_ptr<EmbeddedBroker> broker_;
};

std::vector<int> Indexes(const std::vector<OwnedRecord>& records) {
  std::vector<int> out;
  for (const OwnedRecord& r : records) out.push_back(std::stoi(r.value.substr(1)));
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<int> Range(int from, int count) {
  std::vector<int> out;
  for (int i = from; i < from + count; ++i) out.push_back(i);
  return out;
}

TEST_F(KafkaClientTest, GroupSubscriptionReadsEveryRecordWithItsHeaders) {
  ASSERT_TRUE(broker_->CreateTopic("transactions", 3).ok());
  auto producer = NewProducer();
  ProduceValues(*producer, "transactions", 0, 300);
  EXPECT_EQ(producer->delivered(), 300u);
  EXPECT_EQ(producer->failed(), 0u);
  EXPECT_TRUE(producer->first_error().ok());

  std::vector<RebalanceEvent> rebalances;
  auto consumer = NewConsumer({.group_id = "readers",
                               .topics = {"transactions"},
                               .on_rebalance = [&](const RebalanceEvent& e) {
                                 rebalances.push_back(e);
                               }});
  const std::vector<OwnedRecord> records = ConsumeAtLeast(*consumer, 300, /*until_end=*/true);
  EXPECT_EQ(Indexes(records), Range(0, 300));

  ASSERT_FALSE(rebalances.empty());
  EXPECT_EQ(rebalances.front().kind, RebalanceEvent::Kind::kAssigned);
  const std::vector<TopicPartition> all = {
      {"transactions", 0}, {"transactions", 1}, {"transactions", 2}};
  EXPECT_EQ(rebalances.front().partitions, all);
  EXPECT_EQ(consumer->assignment(), all);
  EXPECT_TRUE(consumer->AtEndOfAllAssigned());

  std::map<int32_t, int64_t> next_offset;
  std::map<std::string, int32_t> partition_of_key;
  for (const OwnedRecord& r : records) {
    EXPECT_EQ(r.topic, "transactions");
    // In order within a partition, offsets dense from 0.
    EXPECT_EQ(r.offset, next_offset[r.partition]++) << r.partition;
    // One key, one partition.
    auto [it, inserted] = partition_of_key.emplace(r.key, r.partition);
    EXPECT_EQ(it->second, r.partition) << r.key;
    ASSERT_EQ(r.headers.size(), 2u);
    EXPECT_EQ(r.headers[0], std::make_pair(std::string("source"), std::string("test")));
    EXPECT_EQ(r.headers[1].first, "seq");
    EXPECT_EQ("v" + r.headers[1].second, r.value);
    EXPECT_GT(r.timestamp_ms, 0);
  }
  EXPECT_GT(next_offset.size(), 1u) << "keys spread over partitions";

  consumer->Close();
  ASSERT_GE(rebalances.size(), 2u);
  EXPECT_EQ(rebalances.back().kind, RebalanceEvent::Kind::kRevoked);
  EXPECT_EQ(rebalances.back().partitions, all);
  EXPECT_EQ(consumer->Poll(10, milliseconds(0)).error().code(),
            cep::StatusCode::kFailedPrecondition);
}

TEST_F(KafkaClientTest, AssignReadsFromTheGivenOffsets) {
  ASSERT_TRUE(broker_->CreateTopic("history", 3).ok());
  auto producer = NewProducer();
  ProduceValues(*producer, "history", 0, 30, /*partition=*/0);
  ProduceValues(*producer, "history", 100, 20, /*partition=*/1);

  auto consumer = NewConsumer({});
  ASSERT_TRUE(consumer->Assign({{{"history", 0}, 10},
                                {{"history", 1}, kOffsetBeginning},
                                {{"history", 2}, kOffsetBeginning}})
                  .ok());
  EXPECT_EQ(consumer->assignment().size(), 3u);
  const std::vector<OwnedRecord> records = ConsumeAtLeast(*consumer, 40, /*until_end=*/true);
  EXPECT_TRUE(consumer->AtEndOfAllAssigned());
  std::vector<int> expected = Range(10, 20);
  for (int i : Range(100, 20)) expected.push_back(i);
  EXPECT_EQ(Indexes(records), expected);
  for (const OwnedRecord& r : records) {
    if (r.partition == 0) {
      EXPECT_EQ(r.offset, std::stoi(r.value.substr(1)));
    } else if (r.partition == 1) {
      EXPECT_EQ(r.offset, std::stoi(r.value.substr(1)) - 100);
    }
    EXPECT_NE(r.partition, 2);
  }

  // A record produced later is read, and the end is no longer reached until
  // Poll passes it.
  ProduceValues(*producer, "history", 500, 1, /*partition=*/2);
  const std::vector<OwnedRecord> more = ConsumeAtLeast(*consumer, 1, /*until_end=*/true);
  ASSERT_EQ(more.size(), 1u);
  EXPECT_EQ(more[0].value, "v500");
  EXPECT_EQ(more[0].partition, 2);
  EXPECT_TRUE(consumer->AtEndOfAllAssigned());
}

TEST_F(KafkaClientTest, AssignIsRefusedToAGroupSubscriber) {
  auto consumer = NewConsumer({.group_id = "g", .topics = {"transactions"}});
  EXPECT_EQ(consumer->Assign({{{"transactions", 0}, 0}}).code(),
            cep::StatusCode::kFailedPrecondition);
  auto no_group = Consumer::Create({.bootstrap = broker_->bootstrap(), .topics = {"t"}});
  ASSERT_FALSE(no_group);
  EXPECT_EQ(no_group.error().code(), cep::StatusCode::kInvalidArgument);
}

// librdkafka 2.0.2's mock coordinator: once a member has left, the next JoinGroup
// waits for session.timeout.ms - 1 s (44 s with the default 45 s) before the
// group rebalances. A short session keeps the test quick; it must stay above the
// mock's 3 s initial rebalance delay, or members expire while they join.
const std::map<std::string, std::string> kShortSession = {{"session.timeout.ms", "6000"},
                                                          {"heartbeat.interval.ms", "1000"}};

TEST_F(KafkaClientTest, ANewGroupMemberResumesAfterTheCommittedOffsets) {
  ASSERT_TRUE(broker_->CreateTopic("payments", 3).ok());
  auto producer = NewProducer();
  for (int32_t p = 0; p < 3; ++p) ProduceValues(*producer, "payments", p * 100, 20, p);

  {
    auto first = NewConsumer({.group_id = "resumers", .topics = {"payments"}, .settings = kShortSession});
    const std::vector<OwnedRecord> records = ConsumeAtLeast(*first, 60, /*until_end=*/true);
    ASSERT_EQ(records.size(), 60u);
    // Pretend only the first 10 of each partition were processed.
    ASSERT_TRUE(first
                    ->Commit({{{"payments", 0}, 10}, {{"payments", 1}, 10}, {{"payments", 2}, 10}})
                    .ok());
    first->Close();
  }
  auto second = NewConsumer({.group_id = "resumers", .topics = {"payments"}, .settings = kShortSession});
  const std::vector<OwnedRecord> records = ConsumeAtLeast(*second, 30, /*until_end=*/true);
  std::vector<int> expected;
  for (int p = 0; p < 3; ++p) {
    for (int i : Range(p * 100 + 10, 10)) expected.push_back(i);
  }
  EXPECT_EQ(Indexes(records), expected);
  for (const OwnedRecord& r : records) EXPECT_GE(r.offset, 10);
}

TEST_F(KafkaClientTest, ProducingToAnUnknownTopicCreatesIt) {
  auto producer = NewProducer();
  ProduceValues(*producer, "created-on-first-use", 0, 5);
  EXPECT_EQ(producer->delivered(), 5u);
  // librdkafka 2.0.2's mock: auto-created topics have 4 partitions.
  auto consumer = NewConsumer({.group_id = "g", .topics = {"created-on-first-use"}});
  const std::vector<OwnedRecord> records = ConsumeAtLeast(*consumer, 5, /*until_end=*/true);
  EXPECT_EQ(Indexes(records), Range(0, 5));
  EXPECT_EQ(consumer->assignment().size(), 4u);
}

TEST_F(KafkaClientTest, SubscribingToAnUnknownTopicCreatesIt) {
  auto consumer = NewConsumer({.group_id = "early", .topics = {"not-yet-produced"}});
  ASSERT_TRUE(testing::WaitForAssignment(*consumer, 4));
  auto producer = NewProducer();
  ProduceValues(*producer, "not-yet-produced", 0, 3);
  EXPECT_EQ(Indexes(ConsumeAtLeast(*consumer, 3)), Range(0, 3));
}

TEST_F(KafkaClientTest, PollReturnsAtMostMaxRecords) {
  ASSERT_TRUE(broker_->CreateTopic("batched", 1).ok());
  auto producer = NewProducer();
  ProduceValues(*producer, "batched", 0, 50);
  auto consumer = NewConsumer({});
  ASSERT_TRUE(consumer->Assign({{{"batched", 0}, kOffsetBeginning}}).ok());
  size_t total = 0;
  size_t largest = 0;
  const auto deadline = std::chrono::steady_clock::now() + seconds(30);
  while (total < 50 && std::chrono::steady_clock::now() < deadline) {
    auto batch = consumer->Poll(7, milliseconds(200));
    ASSERT_TRUE(batch) << batch.error().ToString();
    EXPECT_LE(batch->size(), 7u);
    for (const Record& r : *batch) EXPECT_EQ(r.offset, static_cast<int64_t>(total++));
    largest = std::max(largest, batch->size());
  }
  EXPECT_EQ(total, 50u);
  EXPECT_EQ(largest, 7u) << "batches fill up to max when records are waiting";
  auto none = consumer->Poll(0, seconds(5));
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
}

TEST_F(KafkaClientTest, NullAndEmptyKeysReadAsEmpty) {
  ASSERT_TRUE(broker_->CreateTopic("keyless", 1).ok());
  auto producer = NewProducer();
  ASSERT_TRUE(producer->Produce("keyless", "", "no key").ok());
  ASSERT_TRUE(producer->Produce("keyless", "k", "").ok());
  ASSERT_TRUE(producer->Flush(seconds(30)).ok());
  auto consumer = NewConsumer({});
  ASSERT_TRUE(consumer->Assign({{{"keyless", 0}, kOffsetBeginning}}).ok());
  const std::vector<OwnedRecord> records = ConsumeAtLeast(*consumer, 2, /*until_end=*/true);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].key, "");
  EXPECT_EQ(records[0].value, "no key");
  EXPECT_TRUE(records[0].headers.empty());
  EXPECT_EQ(records[1].key, "k");
  EXPECT_EQ(records[1].value, "");
}

TEST_F(KafkaClientTest, ProducerRejectsBadSettings) {
  auto bad = Producer::Create({.bootstrap = broker_->bootstrap(),
                               .settings = {{"no.such.property", "1"}}});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), cep::StatusCode::kInvalidArgument);
  EXPECT_NE(bad.error().message().find("no.such.property"), std::string::npos);
  auto no_bootstrap = Producer::Create({});
  ASSERT_FALSE(no_bootstrap);
  EXPECT_EQ(no_bootstrap.error().code(), cep::StatusCode::kInvalidArgument);
}

// Nothing listens on the bootstrap port: the record times out and is counted
// as failed, with a retryable first_error.
TEST(KafkaProducerTest, ReportsFailedDeliveries) {
  const uint16_t closed_port = testing::FreeLoopbackPort();
  auto producer = Producer::Create({.bootstrap = "127.0.0.1:" + std::to_string(closed_port),
                                    .settings = {{"message.timeout.ms", "300"},
                                                 {"log_level", "0"}}});
  ASSERT_TRUE(producer) << producer.error().ToString();
  ASSERT_TRUE((*producer)->Produce("nowhere", "k", "v").ok());
  ASSERT_TRUE((*producer)->Flush(seconds(30)).ok());
  EXPECT_EQ((*producer)->delivered(), 0u);
  EXPECT_EQ((*producer)->failed(), 1u);
  const cep::Status error = (*producer)->first_error();
  EXPECT_EQ(error.code(), cep::StatusCode::kDeadlineExceeded) << error.ToString();
  EXPECT_TRUE(error.IsRetryable());
}

// A tiny queue fills at once; Produce then waits for room (backpressure) and
// gives up after its timeout while the broker is unreachable.
TEST(KafkaProducerTest, FullQueueIsBackpressureWithATimeout) {
  const uint16_t closed_port = testing::FreeLoopbackPort();
  auto producer = Producer::Create({.bootstrap = "127.0.0.1:" + std::to_string(closed_port),
                                    .close_timeout = milliseconds(0),
                                    .settings = {{"queue.buffering.max.messages", "2"},
                                                 {"message.timeout.ms", "60000"},
                                                 {"log_level", "0"}}});
  ASSERT_TRUE(producer) << producer.error().ToString();
  ASSERT_TRUE((*producer)->Produce("t", "k", "1").ok());
  ASSERT_TRUE((*producer)->Produce("t", "k", "2").ok());
  const auto start = std::chrono::steady_clock::now();
  const cep::Status full = (*producer)->Produce("t", "k", "3", {}, Producer::kAnyPartition,
                                                milliseconds(300));
  EXPECT_EQ(full.code(), cep::StatusCode::kDeadlineExceeded) << full.ToString();
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(300));
  EXPECT_EQ((*producer)->in_flight(), 2);
  const cep::Status flush = (*producer)->Flush(milliseconds(100));
  EXPECT_EQ(flush.code(), cep::StatusCode::kDeadlineExceeded) << flush.ToString();
}

}  // namespace
}  // namespace engine::kafka
