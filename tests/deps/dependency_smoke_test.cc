// Proves that every third-party component the architecture names is installed by
// scripts/install-deps.sh, found by CMake, links, and works on this machine: a
// broken install step fails here, not three issues later. Each test uses the
// library the way the service will.
#include <hs/hs.h>
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
