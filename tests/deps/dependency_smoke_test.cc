// Proves that every third-party component the architecture names is installed by
// scripts/install-deps.sh, found by CMake, links, and works on this machine: a
// broken install step fails here, not three issues later. Each test uses the
// library the way the service will.
#include <hs/hs.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <rocksdb/db.h>
#include <zlib.h>

#include <boost/beast/http.hpp>
#include <chrono>
#include <filesystem>
#include <gtest/gtest.h>
#include <memory>
#include <string>
#include <vector>

namespace {

TEST(DependencyTest, RocksDbPersistsAcrossReopen) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("cep-deps-rocksdb-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  rocksdb::Options options;
  options.create_if_missing = true;
  {
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(options, dir.string(), &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), "acct-42", "state").ok());
  }
  rocksdb::DB* raw = nullptr;
  ASSERT_TRUE(rocksdb::DB::Open(options, dir.string(), &raw).ok());
  std::unique_ptr<rocksdb::DB> db(raw);
  std::string value;
  ASSERT_TRUE(db->Get(rocksdb::ReadOptions(), "acct-42", &value).ok());
  EXPECT_EQ(value, "state");
  db.reset();
  std::filesystem::remove_all(dir);
}

TEST(DependencyTest, HyperscanScansSeveralPatternsInOnePass) {
  const char* patterns[] = {"casino|poker", "bet(ting)?"};
  const unsigned flags[] = {HS_FLAG_CASELESS | HS_FLAG_SINGLEMATCH, HS_FLAG_SINGLEMATCH};
  const unsigned ids[] = {0, 1};
  hs_database_t* db = nullptr;
  hs_compile_error_t* error = nullptr;
  ASSERT_EQ(hs_compile_multi(patterns, flags, ids, 2, HS_MODE_BLOCK, nullptr, &db, &error),
            HS_SUCCESS);
  hs_scratch_t* scratch = nullptr;
  ASSERT_EQ(hs_alloc_scratch(db, &scratch), HS_SUCCESS);
  unsigned matched = 0;
  auto on_match = [](unsigned id, unsigned long long, unsigned long long, unsigned,
                     void* ctx) -> int {
    *static_cast<unsigned*>(ctx) |= 1u << id;
    return 0;
  };
  const std::string text = "Lucky CASINO and betting";
  ASSERT_EQ(hs_scan(db, text.data(), static_cast<unsigned>(text.size()), 0, scratch, on_match,
                    &matched),
            HS_SUCCESS);
  EXPECT_EQ(matched, 3u);
  hs_free_scratch(scratch);
  hs_free_database(db);

  // A pattern Hyperscan rejects comes back as an error with a message, not a crash.
  ASSERT_NE(hs_compile("(?<=a+)b", 0, HS_MODE_BLOCK, nullptr, &db, &error), HS_SUCCESS);
  EXPECT_NE(std::string(error->message), "");
  hs_free_compile_error(error);
}

// librdkafka's embedded mock cluster speaks the Kafka protocol on loopback: a
// producer and a consumer talk to it exactly as to a real broker.
TEST(DependencyTest, KafkaMockClusterCarriesAMessage) {
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

TEST(DependencyTest, BeastParsesAnHttpRequest) {
  namespace http = boost::beast::http;
  const std::string wire =
      "POST /v1/rulesets HTTP/1.1\r\nHost: localhost\r\nContent-Length: 11\r\n\r\nruleset x 1";
  http::request_parser<http::string_body> parser;
  boost::beast::error_code ec;
  // put() stops after the header; feed the rest until the message is complete.
  size_t offset = 0;
  while (!parser.is_done() && offset < wire.size() && !ec) {
    offset += parser.put(boost::asio::buffer(wire.data() + offset, wire.size() - offset), ec);
  }
  ASSERT_FALSE(ec) << ec.message();
  ASSERT_TRUE(parser.is_done());
  EXPECT_EQ(parser.get().target(), "/v1/rulesets");
  EXPECT_EQ(parser.get().body(), "ruleset x 1");
}

TEST(DependencyTest, ZlibRoundTrip) {
  const std::string text(10'000, 'x');
  uLongf packed_size = compressBound(static_cast<uLong>(text.size()));
  std::vector<Bytef> packed(packed_size);
  ASSERT_EQ(compress(packed.data(), &packed_size, reinterpret_cast<const Bytef*>(text.data()),
                     static_cast<uLong>(text.size())),
            Z_OK);
  std::string unpacked(text.size(), '\0');
  uLongf unpacked_size = static_cast<uLongf>(unpacked.size());
  ASSERT_EQ(uncompress(reinterpret_cast<Bytef*>(unpacked.data()), &unpacked_size, packed.data(),
                       packed_size),
            Z_OK);
  EXPECT_EQ(unpacked, text);
}

}  // namespace
