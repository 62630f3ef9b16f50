#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include "api/proto/transaction.pb.h"
#include "api/proto/transaction_json.h"

namespace wire {
namespace {

using cep::v1::Transaction;
using google::protobuf::util::MessageDifferencer;

Transaction FullTransaction() {
  Transaction t;
  t.set_id("t4");
  t.set_account_id("acct-42");
  t.set_card_id("card-7");
  t.set_device_id("dev-1");
  t.set_ip("10.1.2.3");
  t.set_terminal_id("term-9");
  t.set_merchant("Lucky Casino");
  t.set_mcc(7995);
  t.set_amount_micros(912'000'000);
  t.set_currency("EUR");
  t.set_channel("ecom");
  t.set_kind("purchase");
  t.set_country("MT");
  t.set_home_country("DE");
  t.set_lat(35.8989);
  t.set_lon(14.5146);
  t.set_ts_ms(1'700'000'000'123);
  t.set_label(1);
  (*t.mutable_attrs())["browser"] = "firefox";
  (*t.mutable_attrs())["3ds"] = "false";
  return t;
}

void ExpectEqual(const Transaction& a, const Transaction& b) {
  EXPECT_TRUE(MessageDifferencer::Equals(a, b))
      << a.ShortDebugString() << "\nvs\n" << b.ShortDebugString();
}

TEST(TransactionCodecTest, ProtobufRoundTrip) {
  const Transaction original = FullTransaction();
  Transaction decoded;
  ASSERT_TRUE(decoded.ParseFromString(original.SerializeAsString()));
  ExpectEqual(decoded, original);
}

TEST(TransactionCodecTest, JsonRoundTrip) {
  const Transaction original = FullTransaction();
  const std::string json = TransactionToJson(original);
  auto decoded = TransactionFromJson(json);
  ASSERT_TRUE(decoded.ok()) << decoded.error().ToString();
  ExpectEqual(*decoded, original);
  EXPECT_EQ(TransactionToJson(*decoded), json);
}

TEST(TransactionCodecTest, JsonShapeIsReadable) {
  Transaction t;
  t.set_id("t1");
  t.set_amount_micros(12'500'000);
  t.set_ts_ms(1'700'000'000'000);
  (*t.mutable_attrs())["b"] = "2";
  (*t.mutable_attrs())["a"] = "1";
  EXPECT_EQ(TransactionToJson(t),
            R"({"id":"t1","amount":12.5,"ts":1700000000000,"attrs":{"a":"1","b":"2"}})");
}

TEST(TransactionCodecTest, AbsentAndNullFieldsStayAbsent) {
  auto t = TransactionFromJson(R"({"id": "t1", "merchant": null, "amount": 0})");
  ASSERT_TRUE(t.ok());
  EXPECT_FALSE(t->has_merchant());
  EXPECT_FALSE(t->has_currency());
  EXPECT_TRUE(t->has_amount_micros());  // zero is a value, not an absence
  EXPECT_EQ(t->amount_micros(), 0);
  EXPECT_EQ(TransactionToJson(*t), R"({"id":"t1","amount":0.0})");
}

TEST(TransactionCodecTest, AcceptsTheFormsRealFeedsSend) {
  auto t = TransactionFromJson(R"({"id": 17, "account_id": 42, "amount": "57.16",
      "ts": "2018-04-01 00:00:31", "mcc": "0742", "label": true, "score": 0.93,
      "vip": false})");
  ASSERT_TRUE(t.ok()) << t.error().ToString();
  EXPECT_EQ(t->id(), "17");
  EXPECT_EQ(t->account_id(), "42");
  EXPECT_EQ(t->amount_micros(), 57'160'000);
  EXPECT_EQ(t->ts_ms(), 1'522'540'831'000);
  EXPECT_EQ(t->mcc(), 742);
  EXPECT_EQ(t->label(), 1);
  // Unknown scalars are kept, as text, in attrs.
  EXPECT_EQ(t->attrs().at("score"), "0.93");
  EXPECT_EQ(t->attrs().at("vip"), "false");
}

TEST(TransactionCodecTest, AmountsAreExact) {
  for (const char* amount : {"0.01", "4.99", "1999.99", "123456789.123456"}) {
    auto t = TransactionFromJson(std::string(R"({"amount": )") + amount + "}");
    ASSERT_TRUE(t.ok()) << amount;
    auto back = TransactionFromJson(TransactionToJson(*t));
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(back->amount_micros(), t->amount_micros()) << amount;
  }
  // Beyond 15 significant digits the amount is written as a string, not rounded.
  Transaction big;
  big.set_amount_micros(9'000'000'000'000'000'001);
  EXPECT_EQ(TransactionToJson(big), R"({"amount":"9000000000000.000001"})");
  EXPECT_EQ(TransactionFromJson(TransactionToJson(big))->amount_micros(), big.amount_micros());
}

TEST(TransactionCodecTest, ErrorsNameTheFieldAndWhatWasExpected) {
  struct Case {
    const char* json;
    const char* message;
  };
  const Case cases[] = {
      {R"({"amount": "12,50"})", "field 'amount'"},
      {R"({"amount": 1.0000001})", "more than 6 decimal places"},
      {R"({"amount": [1]})", "field 'amount': expected a number or a decimal string, got array"},
      {R"({"ts": "yesterday"})", "field 'ts': invalid timestamp 'yesterday'"},
      {R"({"ts": 1.5})", "field 'ts': expected integer milliseconds"},
      {R"({"account_id": {"x": 1}})", "field 'account_id': expected a string, got object"},
      {R"({"mcc": "79x5"})", "field 'mcc': expected an integer"},
      {R"({"mcc": 123456})", "field 'mcc': out of range"},
      {R"({"label": 2})", "field 'label': expected 0, 1, false or true"},
      {R"({"lat": "north"})", "field 'lat': expected a number"},
      {R"({"attrs": {"k": [1]}})", "field 'attrs.k': expected a scalar"},
      {R"({"extra": {"nested": 1}})", "field 'extra': expected a scalar"},
      {R"([1, 2])", "expected a JSON object"},
      {R"({"id": "t1")", "not valid JSON"},
      {"", "not valid JSON"},
  };
  for (const Case& c : cases) {
    auto t = TransactionFromJson(c.json);
    ASSERT_FALSE(t.ok()) << c.json;
    EXPECT_EQ(t.error().code(), cep::StatusCode::kInvalidArgument);
    EXPECT_NE(t.error().message().find(c.message), std::string::npos)
        << c.json << " -> " << t.error().message();
  }
}

}  // namespace
}  // namespace wire
