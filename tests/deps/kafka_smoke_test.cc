// librdkafka, found and working: its own binary because librdkafka starts threads
// with C11 thrd_create, which clang 14's ThreadSanitizer does not intercept, so
// every test that touches librdkafka carries the ctest label "kafka" and the tsan
// preset leaves that label out.
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <gtest/gtest.h>
#include <string>

namespace {

// librdkafka's embedded mock cluster speaks the Kafka protocol on loopback: a
// producer and a consumer talk to it exactly as to a real broker.
TEST(KafkaDependencyTest, MockClusterCarriesAMessage) {
  char err[512];
  // The handle that owns the mock cluster never connects anywhere; silence its
  // "no bootstrap.servers" notice.
  rd_kafka_conf_t* host_conf = rd_kafka_conf_new();
  ASSERT_EQ(rd_kafka_conf_set(host_conf, "log_level", "3", err, sizeof err), RD_KAFKA_CONF_OK);
  rd_kafka_t* host = rd_kafka_new(RD_KAFKA_PRODUCER, host_conf, err, sizeof err);
  ASSERT_NE(host, nullptr) << err;
  rd_kafka_mock_cluster_t* cluster = rd_kafka_mock_cluster_new(host, 1);
  ASSERT_NE(cluster, nullptr);
  const std::string bootstrap = rd_kafka_mock_cluster_bootstraps(cluster);
  EXPECT_EQ(bootstrap.rfind("127.0.0.1:", 0), 0u) << bootstrap;
  ASSERT_EQ(rd_kafka_mock_topic_create(cluster, "transactions", 1, 1), RD_KAFKA_RESP_ERR_NO_ERROR);

  auto make_conf = [&] {
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    EXPECT_EQ(rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), err, sizeof err),
              RD_KAFKA_CONF_OK);
    return conf;
  };
  rd_kafka_t* producer = rd_kafka_new(RD_KAFKA_PRODUCER, make_conf(), err, sizeof err);
  ASSERT_NE(producer, nullptr) << err;
  const std::string payload = R"({"id":"t1","amount":12.5})";
  ASSERT_EQ(rd_kafka_producev(producer, RD_KAFKA_V_TOPIC("transactions"),
                              RD_KAFKA_V_KEY("acct-42", 7),
                              RD_KAFKA_V_VALUE(const_cast<char*>(payload.data()), payload.size()),
                              RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END),
            RD_KAFKA_RESP_ERR_NO_ERROR);
  ASSERT_EQ(rd_kafka_flush(producer, 10'000), RD_KAFKA_RESP_ERR_NO_ERROR);
  rd_kafka_destroy(producer);

  // The high-level consumer wants a group id even though assign() joins no group.
  rd_kafka_conf_t* consumer_conf = make_conf();
  ASSERT_EQ(rd_kafka_conf_set(consumer_conf, "group.id", "deps-test", err, sizeof err),
            RD_KAFKA_CONF_OK);
  rd_kafka_t* consumer = rd_kafka_new(RD_KAFKA_CONSUMER, consumer_conf, err, sizeof err);
  ASSERT_NE(consumer, nullptr) << err;
  rd_kafka_topic_partition_list_t* assignment = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(assignment, "transactions", 0)->offset =
      RD_KAFKA_OFFSET_BEGINNING;
  const rd_kafka_resp_err_t assigned = rd_kafka_assign(consumer, assignment);
  rd_kafka_topic_partition_list_destroy(assignment);
  ASSERT_EQ(assigned, RD_KAFKA_RESP_ERR_NO_ERROR) << rd_kafka_err2str(assigned);
  std::string received;
  // Bounded: at most 100 polls of 100 ms, stops at the first message.
  for (int i = 0; i < 100 && received.empty(); ++i) {
    rd_kafka_message_t* message = rd_kafka_consumer_poll(consumer, 100);
    if (message == nullptr) continue;
    if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      received.assign(static_cast<const char*>(message->payload), message->len);
    }
    rd_kafka_message_destroy(message);
  }
  EXPECT_EQ(received, payload);
  rd_kafka_consumer_close(consumer);
  rd_kafka_destroy(consumer);
  rd_kafka_mock_cluster_destroy(cluster);
  rd_kafka_destroy(host);
}

}  // namespace
