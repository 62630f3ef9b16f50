#include "engine/replay/replay_input.h"

#include <google/protobuf/io/gzip_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl.h>
#include <google/protobuf/util/delimited_message_util.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "api/proto/transaction.pb.h"

namespace engine {
namespace {

std::string TempPath(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          ("cep-replay-input-" + std::to_string(::getpid()) + "-" + name))
      .string();
}

std::shared_ptr<const cep::Schema> Schema() {
  return std::make_shared<cep::Schema>(cep::Schema::Transaction());
}

// Reads everything as "id@ts" for events and "W@ts" for watermarks.
std::vector<std::string> ReadAll(ReplayInput& input) {
  std::vector<std::string> out;
  ReplayRecord record;
  while (input.Next(record)) {
    if (record.event) out.push_back(std::string(record.event->id()) + "@" + std::to_string(record.event->ts().millis()));
    if (record.watermark) out.push_back("W@" + std::to_string(record.watermark->millis()));
  }
  return out;
}

TEST(ReplayInputTest, FormatComesFromTheFlagOrTheName) {
  EXPECT_EQ(*ParseInputFormat("", "history.csv.gz"), InputFormat::kCsv);
  EXPECT_EQ(*ParseInputFormat("", "events.jsonl"), InputFormat::kJsonl);
  EXPECT_EQ(*ParseInputFormat("", "t.pb.gz"), InputFormat::kProtobuf);
  EXPECT_EQ(*ParseInputFormat("csv", "whatever.txt"), InputFormat::kCsv);
  EXPECT_FALSE(ParseInputFormat("", "whatever.txt").ok());
  EXPECT_FALSE(ParseInputFormat("xml", "a.jsonl").ok());
}

TEST(ReplayInputTest, JsonlWithWatermarksAndBadLines) {
  const std::string path = TempPath("input.jsonl");
  std::ofstream(path) << R"({"id":"a","ts":10})" "\n"
                      << "\n"
                      << R"({"ts":"not a time"})" "\n"
                      << R"({"_watermark": 15})" "\n"
                      << R"({"ts":20})" "\n"
                      << "{broken\n";
  auto input = ReplayInput::Open(Schema(), {path, InputFormat::kJsonl, "", 10, {}});
  ASSERT_TRUE(input.ok()) << input.error().ToString();
  EXPECT_TRUE((*input)->has_explicit_watermarks());
  // Events are numbered by input position among events: the second good event is 1.
  EXPECT_EQ(ReadAll(**input), (std::vector<std::string>{"a@10", "W@15", "1@20"}));
  EXPECT_EQ((*input)->events(), 2u);
  EXPECT_EQ((*input)->rejected(), 2u);
  ASSERT_EQ((*input)->first_rejects().size(), 2u);
  EXPECT_EQ((*input)->first_rejects()[0].line, 3u);
  EXPECT_EQ((*input)->first_rejects()[1].line, 6u);
  std::filesystem::remove(path);
}

TEST(ReplayInputTest, CsvWithoutAMapUsesHeaderNames) {
  const std::string path = TempPath("input.csv");
  std::ofstream(path) << "id,ts,amount,unused\nt1,2018-04-01 00:00:31,5.00,x\nt2,bad,1,x\n";
  auto input = ReplayInput::Open(Schema(), {path, InputFormat::kCsv, "", 10, {}});
  ASSERT_TRUE(input.ok()) << input.error().ToString();
  EXPECT_FALSE((*input)->has_explicit_watermarks());
  EXPECT_EQ(ReadAll(**input), (std::vector<std::string>{"t1@1522540831000"}));
  EXPECT_EQ((*input)->rejected(), 1u);
  std::filesystem::remove(path);
}

TEST(ReplayInputTest, DelimitedProtobufPlainAndGzip) {
  for (bool gzip : {false, true}) {
    const std::string path = TempPath(gzip ? "input.pb.gz" : "input.pb");
    {
      std::ofstream file(path, std::ios::binary);
      google::protobuf::io::OstreamOutputStream raw(&file);
      std::optional<google::protobuf::io::GzipOutputStream> zipped;
      google::protobuf::io::ZeroCopyOutputStream* out = &raw;
      if (gzip) out = &zipped.emplace(&raw);
      for (int i = 0; i < 3; ++i) {
        cep::v1::Transaction t;
        t.set_id("p" + std::to_string(i));
        if (i != 1) t.set_ts_ms(100 + i);  // the second one has no ts: rejected
        ASSERT_TRUE(google::protobuf::util::SerializeDelimitedToZeroCopyStream(t, out));
      }
    }
    auto input = ReplayInput::Open(Schema(), {path, InputFormat::kProtobuf, "", 10, {}});
    ASSERT_TRUE(input.ok()) << input.error().ToString();
    EXPECT_EQ(ReadAll(**input), (std::vector<std::string>{"p0@100", "p2@102"})) << gzip;
    EXPECT_TRUE((*input)->status().ok()) << (*input)->status().ToString();
    EXPECT_EQ((*input)->rejected(), 1u);
    std::filesystem::remove(path);
  }
}

TEST(ReplayInputTest, MissingFileIsAClearError) {
  auto input = ReplayInput::Open(Schema(), {"/nonexistent.jsonl", InputFormat::kJsonl, "", 10, {}});
  ASSERT_FALSE(input.ok());
  EXPECT_NE(input.error().message().find("/nonexistent.jsonl"), std::string::npos);
}

}  // namespace
}  // namespace engine
