// The fields of pattern alerts: `emit` when the rule has one; without it, the
// fields the conditions compared, from each stage's last event
// (PatternBody::compared_fields, decided by rules/compiler.cc).
#include <gtest/gtest.h>

#include <iostream>
#include <string>
#include <variant>
#include <vector>

#include "cep/ruleset_runner.h"
#include "rules/compiler.h"

namespace cep {
namespace {

constexpr int64_t kMinute = 60'000;

class AlertFieldsTest : public ::testing::Test {
 protected:
  void Compile(const std::string& text) {
    auto compiled = rules::CompileRuleset(text);
    ASSERT_TRUE(compiled.ok());
    program_ = compiled->program;
  }

  std::shared_ptr<const Event> E(int64_t ts, const std::string& kind, int64_t amount_cents,
                                 int64_t mcc = 5411, const char* country = nullptr) {
    const Schema& schema = *program_->schema;
    EventBuilder b(schema.size());
    b.SetTs(EventTime::FromMillis(ts)).SetSeq(seq_).SetId("e" + std::to_string(seq_));
    ++seq_;
    b.Set(*schema.Find("account_id"), Value::String("acct-1"));
    b.Set(*schema.Find("kind"), Value::String(kind));
    b.Set(*schema.Find("mcc"), Value::Int(mcc));
    b.Set(*schema.Find("amount"), Value::Decimal(amount_cents * 10'000));
    if (country != nullptr) b.Set(*schema.Find("country"), Value::String(country));
    return std::make_shared<const Event>(b.Build());
  }

  std::vector<RuleAlert> Run(const std::vector<std::shared_ptr<const Event>>& events) {
    RulesetRunner runner(program_);
    for (const auto& event : events) runner.OnEvent(event);
    std::vector<RuleAlert> alerts;
    runner.AdvanceWatermark(EventTime::Max(), alerts);
    return alerts;
  }

  static std::vector<std::string> Names(const RuleAlert& alert) {
    std::vector<std::string> names;
    for (const auto& [name, value] : alert.fields) names.push_back(name);
    return names;
  }

  static const FieldValue& Field(const RuleAlert& alert, const std::string& name) {
    for (const auto& [n, value] : alert.fields) {
      if (n == name) return value;
    }
    static const FieldValue kMissing = std::string("<missing>");
    return kMissing;
  }

  std::shared_ptr<const Program> program_;
  uint64_t seq_ = 0;
};

TEST_F(AlertFieldsTest, WithoutEmitAPatternAlertCarriesTheComparedFields) {
  Compile(R"(ruleset f version 1
rule small_then_large {
  key account_id
  where kind == "purchase"
  pattern
    begin small where amount < 5.00
    followed_by large where amount > 500.00 and mcc == 7995 and amount > small.amount
    within 10m
}
)");
  const auto alerts =
      Run({E(0, "purchase", 300), E(kMinute, "login", 90'000, 7995), E(2 * kMinute, "purchase", 91'200, 7995)});
  ASSERT_EQ(alerts.size(), 1u);
  // Per stage in pattern order: its `where` fields by first appearance (large's
  // `small.amount` belongs to small), then the rule's `where` fields.
  EXPECT_EQ(Names(alerts[0]), (std::vector<std::string>{"small.amount", "small.kind", "large.amount",
                                                        "large.mcc", "large.kind"}));
  EXPECT_DOUBLE_EQ(std::get<double>(Field(alerts[0], "small.amount")), 3.0);
  EXPECT_EQ(std::get<std::string>(Field(alerts[0], "small.kind")), "purchase");
  EXPECT_DOUBLE_EQ(std::get<double>(Field(alerts[0], "large.amount")), 912.0);
  EXPECT_EQ(std::get<int64_t>(Field(alerts[0], "large.mcc")), 7995);
}

TEST_F(AlertFieldsTest, LoopsGiveTheirLastEventAndNullsStayNull) {
  Compile(R"(ruleset f version 1
rule foreign_twice {
  key account_id
  pattern
    begin a where country != "US" times 2
    followed_by b where country is null
    within 10m
}
)");
  const auto alerts = Run({E(0, "purchase", 100, 5411, "FR"), E(1, "purchase", 100, 5411, "DE"),
                           E(2, "purchase", 100, 5411, nullptr)});
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(Names(alerts[0]), (std::vector<std::string>{"a.country", "b.country"}));
  EXPECT_EQ(std::get<std::string>(Field(alerts[0], "a.country")), "DE");
  EXPECT_TRUE(std::holds_alternative<std::monostate>(Field(alerts[0], "b.country")));
}

TEST_F(AlertFieldsTest, TimeoutsCarryOnlyTheStagesThatTookEvents) {
  Compile(R"(ruleset f version 1
rule never_large {
  key account_id
  pattern
    begin small where amount < 5.00
    followed_by large where amount > 500.00
    not_followed_by refund where kind == "refund"
    within 10m
  on timeout emit
}
)");
  const auto alerts = Run({E(0, "purchase", 300)});
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].kind, RuleAlert::Kind::kTimeout);
  EXPECT_EQ(Names(alerts[0]), (std::vector<std::string>{"small.amount"}));  // no refund.kind: negated
}

TEST_F(AlertFieldsTest, WithEmitOnlyTheEmitFields) {
  Compile(R"(ruleset f version 1
rule small_then_large {
  key account_id
  pattern
    begin small where amount < 5.00
    followed_by large where amount > 500.00
    within 10m
  emit { big: large.amount }
}
)");
  const auto alerts = Run({E(0, "purchase", 300), E(1, "purchase", 91'200)});
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(Names(alerts[0]), (std::vector<std::string>{"big"}));
  EXPECT_DOUBLE_EQ(std::get<double>(Field(alerts[0], "big")), 912.0);
}

}  // namespace
}  // namespace cep
