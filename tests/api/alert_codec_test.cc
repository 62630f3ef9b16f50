#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include "api/proto/alert.pb.h"
#include "api/proto/alert_json.h"

namespace wire {
namespace {

using cep::v1::Alert;
using google::protobuf::util::MessageDifferencer;

// The example of INTERFACES.md ("Alerts"), byte for byte as we write it.
constexpr char kInterfacesExample[] =
    R"({"alert_id":"a1b2c3","ruleset":"card_fraud","version":3,)"
    R"("rule":"card_testing_then_large","severity":"high","kind":"match","key":"acct-42",)"
    R"("ts":1700000000123,"event":"t4","stages":{"small":["t1","t2","t3"],"large":["t4"]},)"
    R"("fields":{"total_small":7.5,"large":912.0},"mode":"live"})";

Alert ExampleAlert() {
  Alert a;
  a.set_alert_id("a1b2c3");
  a.set_ruleset("card_fraud");
  a.set_version(3);
  a.set_rule("card_testing_then_large");
  a.set_severity(Alert::SEVERITY_HIGH);
  a.set_kind(Alert::KIND_MATCH);
  a.set_key("acct-42");
  a.set_ts_ms(1'700'000'000'123);
  a.set_event("t4");
  Alert::Stage* small = a.add_stages();
  small->set_name("small");
  for (const char* id : {"t1", "t2", "t3"}) small->add_event_ids(id);
  Alert::Stage* large = a.add_stages();
  large->set_name("large");
  large->add_event_ids("t4");
  Alert::Field* total = a.add_fields();
  total->set_name("total_small");
  total->mutable_value()->set_number_value(7.5);
  Alert::Field* amount = a.add_fields();
  amount->set_name("large");
  amount->mutable_value()->set_number_value(912.0);
  a.set_mode(Alert::MODE_LIVE);
  return a;
}

void ExpectEqual(const Alert& a, const Alert& b) {
  EXPECT_TRUE(MessageDifferencer::Equals(a, b))
      << a.ShortDebugString() << "\nvs\n" << b.ShortDebugString();
}

TEST(AlertCodecTest, WritesTheDocumentedShape) {
  EXPECT_EQ(AlertToJson(ExampleAlert()), kInterfacesExample);
}

TEST(AlertCodecTest, JsonRoundTripKeepsStageAndFieldOrder) {
  auto decoded = AlertFromJson(kInterfacesExample);
  ASSERT_TRUE(decoded.ok()) << decoded.error().ToString();
  ExpectEqual(*decoded, ExampleAlert());
  EXPECT_EQ(decoded->stages(0).name(), "small");  // pattern order, not alphabetical
  EXPECT_EQ(decoded->fields(0).name(), "total_small");
  EXPECT_EQ(AlertToJson(*decoded), kInterfacesExample);
}

TEST(AlertCodecTest, ProtobufRoundTrip) {
  Alert decoded;
  ASSERT_TRUE(decoded.ParseFromString(ExampleAlert().SerializeAsString()));
  ExpectEqual(decoded, ExampleAlert());
}

TEST(AlertCodecTest, WindowAlertsHaveNoStagesAndWatermarkAlertsNoEvent) {
  Alert a;
  a.set_alert_id("w1");
  a.set_ruleset("card_fraud");
  a.set_version(3);
  a.set_rule("velocity_30m");
  a.set_severity(Alert::SEVERITY_MEDIUM);
  a.set_kind(Alert::KIND_WINDOW);
  a.set_key("acct-7");
  a.set_ts_ms(1'700'000'600'000);
  Alert::Field* count = a.add_fields();
  count->set_name("count");
  count->mutable_value()->set_int_value(6);
  Alert::Field* country = a.add_fields();
  country->set_name("country");
  country->mutable_value()->set_null_value(true);
  a.set_mode(Alert::MODE_SHADOW);
  const std::string json = AlertToJson(a);
  EXPECT_EQ(json,
            R"({"alert_id":"w1","ruleset":"card_fraud","version":3,"rule":"velocity_30m",)"
            R"("severity":"medium","kind":"window","key":"acct-7","ts":1700000600000,)"
            R"("fields":{"count":6,"country":null},"mode":"shadow"})");
  auto decoded = AlertFromJson(json);
  ASSERT_TRUE(decoded.ok()) << decoded.error().ToString();
  ExpectEqual(*decoded, a);
}

TEST(AlertCodecTest, TimeoutAlertsKeepThePartialStages) {
  Alert a = ExampleAlert();
  a.set_kind(Alert::KIND_TIMEOUT);
  a.clear_event();
  a.mutable_stages()->RemoveLast();
  auto decoded = AlertFromJson(AlertToJson(a));
  ASSERT_TRUE(decoded.ok());
  ExpectEqual(*decoded, a);
  EXPECT_EQ(AlertToJson(a).find("\"event\""), std::string::npos);
}

TEST(AlertCodecTest, RejectsMalformedAlerts) {
  const char* cases[][2] = {
      {R"({"ruleset":"r","rule":"x","key":"k","ts":1})", "field 'alert_id'"},
      {R"({"alert_id":"a","ruleset":"r","rule":"x","key":"k"})", "field 'ts'"},
      {R"({"alert_id":"a","ruleset":"r","rule":"x","key":"k","ts":1,"severity":"urgent"})",
       "expected one of low, medium, high, critical"},
      {R"({"alert_id":"a","ruleset":"r","rule":"x","key":"k","ts":1,"stages":{"s":"t1"}})",
       "field 'stages.s'"},
      {R"({"alert_id":"a","ruleset":"r","rule":"x","key":"k","ts":1,"fields":{"f":[1]}})",
       "field 'fields.f'"},
      {R"({"alert_id":"a","ruleset":"r","rule":"x","key":"k","ts":1,"version":-3})",
       "field 'version'"},
      {"not json", "not valid JSON"},
  };
  for (const auto& c : cases) {
    auto decoded = AlertFromJson(c[0]);
    ASSERT_FALSE(decoded.ok()) << c[0];
    EXPECT_NE(decoded.error().message().find(c[1]), std::string::npos)
        << c[0] << " -> " << decoded.error().message();
  }
}

}  // namespace
}  // namespace wire
