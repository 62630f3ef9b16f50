#include "engine/kafka/embedded_broker.h"

#include <gtest/gtest.h>

#include <string>

#include "engine/kafka/consumer.h"
#include "engine/kafka/producer.h"
#include "tests/engine/kafka/kafka_test_util.h"

namespace engine::kafka {
namespace {

using testing::ConsumeAtLeast;
using testing::FreeLoopbackPort;

TEST(KafkaEmbeddedBrokerTest, StartsOnLoopbackAndGivesABootstrap) {
  auto broker = EmbeddedBroker::Start({});
  ASSERT_TRUE(broker) << broker.error().ToString();
  EXPECT_EQ((*broker)->bootstrap().rfind("127.0.0.1:", 0), 0u) << (*broker)->bootstrap();
  EXPECT_EQ((*broker)->bootstrap().find(','), std::string::npos);
  EXPECT_EQ((*broker)->brokers(), (*broker)->bootstrap());
}

TEST(KafkaEmbeddedBrokerTest, SeveralBrokersAreAdvertised) {
  auto broker = EmbeddedBroker::Start({.brokers = 3});
  ASSERT_TRUE(broker) << broker.error().ToString();
  const std::string& list = (*broker)->brokers();
  EXPECT_EQ(std::count(list.begin(), list.end(), ','), 2) << list;
  EXPECT_EQ(list.rfind((*broker)->bootstrap(), 0), 0u);
  EXPECT_TRUE((*broker)->CreateTopic("replicated", 6).ok());
}

TEST(KafkaEmbeddedBrokerTest, RejectsBadOptions) {
  auto no_brokers = EmbeddedBroker::Start({.brokers = 0});
  ASSERT_FALSE(no_brokers);
  EXPECT_EQ(no_brokers.error().code(), cep::StatusCode::kInvalidArgument);
  // librdkafka 2.0.2's mock has its auto-create partition count fixed at 4.
  auto eight = EmbeddedBroker::Start({.default_partitions = 8});
  ASSERT_FALSE(eight);
  EXPECT_EQ(eight.error().code(), cep::StatusCode::kInvalidArgument);
  EXPECT_NE(eight.error().message().find("4 partitions"), std::string::npos);
}

TEST(KafkaEmbeddedBrokerTest, CreateTopicIsIdempotentAndChecksItsArguments) {
  auto broker = EmbeddedBroker::Start({});
  ASSERT_TRUE(broker) << broker.error().ToString();
  EXPECT_TRUE((*broker)->CreateTopic("transactions", 3).ok());
  EXPECT_TRUE((*broker)->CreateTopic("transactions", 3).ok());
  EXPECT_EQ((*broker)->CreateTopic("zero", 0).code(), cep::StatusCode::kInvalidArgument);
  EXPECT_EQ((*broker)->CreateTopic("", 1).code(), cep::StatusCode::kInvalidArgument);

  // The topic really has 3 partitions: a group member gets all three.
  auto consumer = Consumer::Create({.bootstrap = (*broker)->bootstrap(),
                                    .group_id = "partition-count",
                                    .topics = {"transactions"}});
  ASSERT_TRUE(consumer) << consumer.error().ToString();
  EXPECT_TRUE(testing::WaitForAssignment(**consumer, 3));
}

// The mock cannot listen on a chosen port: a forwarder does, and clients
// bootstrap through it.
TEST(KafkaEmbeddedBrokerTest, ChosenPortForwardsToTheCluster) {
  const uint16_t port = FreeLoopbackPort();
  auto broker = EmbeddedBroker::Start({.port = port});
  ASSERT_TRUE(broker) << broker.error().ToString();
  EXPECT_EQ((*broker)->bootstrap(), "127.0.0.1:" + std::to_string(port));
  EXPECT_NE((*broker)->brokers(), (*broker)->bootstrap());

  auto producer = Producer::Create({.bootstrap = (*broker)->bootstrap()});
  ASSERT_TRUE(producer) << producer.error().ToString();
  ASSERT_TRUE((*producer)->Produce("via-port", "k", "hello").ok());
  ASSERT_TRUE((*producer)->Flush(std::chrono::seconds(30)).ok());
  EXPECT_EQ((*producer)->delivered(), 1u);

  auto consumer = Consumer::Create({.bootstrap = (*broker)->bootstrap()});
  ASSERT_TRUE(consumer) << consumer.error().ToString();
  std::vector<PartitionOffset> all;
  for (int32_t p = 0; p < 4; ++p) all.push_back({{"via-port", p}, kOffsetBeginning});
  ASSERT_TRUE((*consumer)->Assign(all).ok());
  auto records = ConsumeAtLeast(**consumer, 1, /*until_end=*/true);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].value, "hello");

  // A second broker cannot take the same port.
  auto second = EmbeddedBroker::Start({.port = port});
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code(), cep::StatusCode::kUnavailable);
  EXPECT_NE(second.error().message().find(std::to_string(port)), std::string::npos);
}

}  // namespace
}  // namespace engine::kafka
