#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "engine/decode/csv_event_decoder.h"
#include "engine/decode/json_event_decoder.h"
#include "engine/decode/transaction_event_decoder.h"
#include "engine/source/line_reader.h"

namespace engine {
namespace {

std::shared_ptr<cep::Schema> TransactionSchemaWithAttr(const std::string& attr) {
  auto schema = std::make_shared<cep::Schema>(cep::Schema::Transaction());
  EXPECT_TRUE(schema->Add("attrs." + attr, cep::Type::kString).ok());
  return schema;
}

cep::SlotIndex Slot(const cep::Schema& schema, const char* name) { return *schema.Find(name); }

TEST(JsonEventDecoderTest, ReadsFieldsByTheirSchemaTypes) {
  auto schema = TransactionSchemaWithAttr("browser");
  JsonEventDecoder decoder(schema);
  auto record = decoder.Decode(
      R"({"id":"t4","account_id":42,"amount":912.5,"mcc":"7995","ts":"2023-11-14T22:13:20Z",)"
      R"("attrs":{"browser":"firefox","os":"linux"},"score":3})",
      7);
  ASSERT_TRUE(record.ok()) << record.error().ToString();
  ASSERT_TRUE(record->event);
  const cep::Event& e = *record->event;
  EXPECT_EQ(e.id(), "t4");
  EXPECT_EQ(e.seq(), 7u);
  EXPECT_EQ(e.ts().millis(), 1'700'000'000'000);
  EXPECT_EQ(e.field(Slot(*schema, "account_id")).string_value(), "42");
  EXPECT_EQ(e.field(Slot(*schema, "amount")).decimal_micros(), 912'500'000);
  EXPECT_EQ(e.field(Slot(*schema, "mcc")).int_value(), 7995);
  EXPECT_EQ(e.field(Slot(*schema, "attrs.browser")).string_value(), "firefox");
  EXPECT_TRUE(e.field(Slot(*schema, "merchant")).is_null());
}

TEST(JsonEventDecoderTest, WatermarkLinesAreNotEvents) {
  JsonEventDecoder decoder(std::make_shared<cep::Schema>(cep::Schema::Transaction()));
  auto record = decoder.Decode(R"({"_watermark": 1700000000000})", 0);
  ASSERT_TRUE(record.ok());
  EXPECT_FALSE(record->event);
  EXPECT_EQ(record->watermark->millis(), 1'700'000'000'000);
}

TEST(JsonEventDecoderTest, EventsWithoutIdAreNamedByPosition) {
  JsonEventDecoder decoder(std::make_shared<cep::Schema>(cep::Schema::Transaction()));
  auto record = decoder.Decode(R"({"ts": 5})", 12);
  ASSERT_TRUE(record.ok());
  EXPECT_EQ(record->event->id(), "12");
}

TEST(JsonEventDecoderTest, BadInputIsAnErrorThatNamesTheField) {
  JsonEventDecoder decoder(std::make_shared<cep::Schema>(cep::Schema::Transaction()));
  EXPECT_EQ(decoder.Decode(R"({"id":"t1"})", 0).error().message(),
            "missing 'ts': every event needs an event time");
  EXPECT_NE(decoder.Decode(R"({"ts":1,"amount":[1]})", 0).error().message().find("field 'amount'"),
            std::string::npos);
  EXPECT_NE(decoder.Decode(R"({"ts":"never"})", 0).error().message().find("field 'ts'"),
            std::string::npos);
  EXPECT_FALSE(decoder.Decode("{", 0).ok());
  // After errors the decoder is clean: nothing leaks into the next event.
  auto ok = decoder.Decode(R"({"ts": 9})", 1);
  ASSERT_TRUE(ok.ok());
  EXPECT_TRUE(ok->event->field(*cep::Schema::Transaction().Find("amount")).is_null());
}

TEST(CsvTest, SplitsQuotedCells) {
  std::vector<std::string_view> cells;
  std::string unquoted;
  ASSERT_TRUE(SplitCsvLine(R"(1,"Lucky, ""Casino""",,x)", cells, unquoted).ok());
  ASSERT_EQ(cells.size(), 4u);
  EXPECT_EQ(cells[1], R"(Lucky, "Casino")");
  EXPECT_EQ(cells[2], "");
  ASSERT_TRUE(SplitCsvLine("a,b,", cells, unquoted).ok());
  EXPECT_EQ(cells.size(), 3u);
  EXPECT_FALSE(SplitCsvLine(R"(a,"open)", cells, unquoted).ok());
}

TEST(CsvEventDecoderTest, MapsColumnsAndConstants) {
  auto mapping = CsvMapping::FromJson(
      R"({"columns": {"TX": "id", "WHEN": "ts", "AMT": "amount", "NOISE": null},)"
      R"( "constants": {"kind": "purchase"}})");
  ASSERT_TRUE(mapping.ok()) << mapping.error().ToString();
  auto schema = std::make_shared<cep::Schema>(cep::Schema::Transaction());
  auto decoder = CsvEventDecoder::Create(schema, *mapping, "NOISE,TX,AMT,WHEN");
  ASSERT_TRUE(decoder.ok()) << decoder.error().ToString();
  auto event = decoder->Decode("zz,17,57.16,2018-04-01 00:00:31", 0);
  ASSERT_TRUE(event.ok()) << event.error().ToString();
  EXPECT_EQ(event->id(), "17");
  EXPECT_EQ(event->ts().millis(), 1'522'540'831'000);
  EXPECT_EQ(event->field(Slot(*schema, "amount")).decimal_micros(), 57'160'000);
  EXPECT_EQ(event->field(Slot(*schema, "kind")).string_value(), "purchase");

  auto bad = decoder->Decode("zz,18,lots,2018-04-01 00:00:31", 1);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("column 'AMT' (field 'amount')"), std::string::npos)
      << bad.error().message();
  EXPECT_FALSE(decoder->Decode("too,few", 2).ok());
}

TEST(CsvEventDecoderTest, RejectsAMappingTheHeaderDoesNotFit) {
  auto mapping = CsvMapping::FromJson(R"({"columns": {"MISSING": "id"}})");
  ASSERT_TRUE(mapping.ok());
  auto decoder = CsvEventDecoder::Create(std::make_shared<cep::Schema>(cep::Schema::Transaction()),
                                         *mapping, "A,B");
  ASSERT_FALSE(decoder.ok());
  EXPECT_EQ(decoder.error().message(), "CSV header has no column 'MISSING'");
  EXPECT_FALSE(CsvMapping::FromJson(R"({"colums": {}})").ok());
}

TEST(TransactionEventDecoderTest, DecodesWireTransactions) {
  auto schema = TransactionSchemaWithAttr("browser");
  TransactionEventDecoder decoder(schema);
  cep::v1::Transaction t;
  t.set_id("t9");
  t.set_amount_micros(4'990'000);
  t.set_ts_ms(1000);
  (*t.mutable_attrs())["browser"] = "lynx";
  auto event = decoder.DecodeBytes(t.SerializeAsString(), 3);
  ASSERT_TRUE(event.ok()) << event.error().ToString();
  EXPECT_EQ(event->id(), "t9");
  EXPECT_EQ(event->field(Slot(*schema, "amount")).decimal_micros(), 4'990'000);
  EXPECT_EQ(event->field(Slot(*schema, "attrs.browser")).string_value(), "lynx");
  EXPECT_TRUE(event->field(Slot(*schema, "merchant")).is_null());
  EXPECT_FALSE(decoder.DecodeBytes("\xff\xff garbage", 4).ok());
}

// The real FDH history (../shared/data) through the mapping shipped in rulesets/.
TEST(CsvEventDecoderTest, ReadsTheFdhHistoryHead) {
  const std::string source = std::getenv("CEP_SOURCE_DIR") ? std::getenv("CEP_SOURCE_DIR") : ".";
  const std::string data = source + "/../shared/data/fdh-simulated-card-transactions/"
                                    "fdh_transactions_2018-04-01_to_2018-08-31.csv.gz";
  if (!std::filesystem::exists(data)) GTEST_SKIP() << "shared data not beside the checkout: " << data;
  auto mapping = CsvMapping::Load(source + "/rulesets/fdh.csvmap.json");
  ASSERT_TRUE(mapping.ok()) << mapping.error().ToString();
  auto reader = LineReader::Open(data);
  ASSERT_TRUE(reader.ok());
  std::string_view line;
  ASSERT_TRUE((*reader)->Next(line));
  auto schema = std::make_shared<cep::Schema>(cep::Schema::Transaction());
  auto decoder = CsvEventDecoder::Create(schema, *mapping, line);
  ASSERT_TRUE(decoder.ok()) << decoder.error().ToString();
  int64_t frauds = 0;
  uint64_t seq = 0;
  for (; seq < 10'000 && (*reader)->Next(line); ++seq) {
    auto event = decoder->Decode(line, seq);
    ASSERT_TRUE(event.ok()) << "line " << (*reader)->line_number() << ": " << event.error().ToString();
    frauds += event->field(Slot(*schema, "label")).int_value();
    if (seq == 0) {
      // 0,2018-04-01 00:00:31,596,3156,57.16,31,0,0,0
      EXPECT_EQ(event->id(), "0");
      EXPECT_EQ(event->field(Slot(*schema, "account_id")).string_value(), "596");
      EXPECT_EQ(event->field(Slot(*schema, "terminal_id")).string_value(), "3156");
      EXPECT_EQ(event->field(Slot(*schema, "amount")).decimal_micros(), 57'160'000);
    }
  }
  EXPECT_EQ(seq, 10'000u);
  EXPECT_GT(frauds, 0);
}

}  // namespace
}  // namespace engine
