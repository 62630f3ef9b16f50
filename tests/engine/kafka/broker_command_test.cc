// `cep broker` as users run it: the real binary, a pipe for its stdout, signals.
#include <signal.h>

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "engine/kafka/consumer.h"
#include "engine/kafka/producer.h"
#include "tests/engine/kafka/cep_process.h"
#include "tests/engine/kafka/kafka_test_util.h"

namespace engine::kafka {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

using testing::CepProcess;

TEST(KafkaBrokerCommandTest, ServesClientsUntilSigterm) {
  CepProcess cep({"broker", "--partitions", "2", "--topic", "orders", "--topic", "refunds"});
  ASSERT_TRUE(cep.started());
  const std::string line = cep.ReadLine(seconds(30));
  const std::string prefix = "bootstrap: 127.0.0.1:";
  ASSERT_EQ(line.rfind(prefix, 0), 0u) << line;
  const std::string bootstrap = line.substr(std::string("bootstrap: ").size());

  auto producer = Producer::Create({.bootstrap = bootstrap});
  ASSERT_TRUE(producer) << producer.error().ToString();
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE((*producer)->Produce("orders", "k" + std::to_string(i), "order").ok());
  }
  ASSERT_TRUE((*producer)->Flush(seconds(30)).ok());
  EXPECT_EQ((*producer)->delivered(), 10u);

  auto consumer = Consumer::Create({.bootstrap = bootstrap, .group_id = "cli", .topics = {"orders"}});
  ASSERT_TRUE(consumer) << consumer.error().ToString();
  EXPECT_EQ(testing::ConsumeAtLeast(**consumer, 10, /*until_end=*/true).size(), 10u);
  EXPECT_EQ((*consumer)->assignment().size(), 2u) << "--partitions 2";
  (*consumer)->Close();

  cep.Signal(SIGTERM);
  EXPECT_EQ(cep.Wait(seconds(30)), 0);
  EXPECT_EQ(cep.ReadRest(), "") << "stdout carries the bootstrap line only";
}

TEST(KafkaBrokerCommandTest, ChosenPortIsTheBootstrap) {
  const uint16_t port = testing::FreeLoopbackPort();
  CepProcess cep({"broker", "--port", std::to_string(port), "--topic", "t"});
  ASSERT_TRUE(cep.started());
  EXPECT_EQ(cep.ReadLine(seconds(30)), "bootstrap: 127.0.0.1:" + std::to_string(port));
  cep.Signal(SIGINT);
  EXPECT_EQ(cep.Wait(seconds(30)), 0);
}

TEST(KafkaBrokerCommandTest, BadUsageExitsWithTwo) {
  CepProcess zero_brokers({"broker", "--brokers", "0"});
  ASSERT_TRUE(zero_brokers.started());
  EXPECT_EQ(zero_brokers.Wait(seconds(30)), 2);
  CepProcess bad_topic({"broker", "--topic", "no spaces"});
  ASSERT_TRUE(bad_topic.started());
  EXPECT_EQ(bad_topic.Wait(seconds(30)), 2);
}

TEST(KafkaBrokerCommandTest, HelpDescribesTheCommand) {
  CepProcess help({"broker", "--help"});
  ASSERT_TRUE(help.started());
  EXPECT_EQ(help.Wait(seconds(30)), 0);
  const std::string text = help.ReadRest();
  for (const char* expected : {"--port", "--partitions", "--brokers", "--topic", "bootstrap:",
                               "SIGTERM"}) {
    EXPECT_NE(text.find(expected), std::string::npos) << expected << "\n" << text;
  }
}

}  // namespace
}  // namespace engine::kafka
