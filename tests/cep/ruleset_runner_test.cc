#include "cep/ruleset_runner.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cep/expr/expr_builder.h"
#include "cep/nfa/nfa_program.h"

namespace cep {
namespace {

// Events of a tiny schema: key, type, value, ts, id.
class RunnerTest : public ::testing::Test {
 protected:
  RunnerTest() {
    schema_ = std::make_shared<Schema>();
    for (auto [name, type] : {std::pair{"key", Type::kString}, {"type", Type::kString},
                              {"value", Type::kInt}, {"ts", Type::kTime}, {"id", Type::kString}}) {
      EXPECT_TRUE(schema_->Add(name, type).ok());
    }
  }

  SlotIndex Slot(const char* name) const { return *schema_->Find(name); }

  std::shared_ptr<const Event> E(const std::string& id, const std::string& key,
                                 const std::string& type, int64_t ts, int64_t value = 0) {
    EventBuilder b(schema_->size());
    b.SetTs(EventTime::FromMillis(ts)).SetSeq(seq_++).SetId(id);
    b.Set(Slot("key"), Value::String(key)).Set(Slot("type"), Value::String(type));
    b.Set(Slot("value"), Value::Int(value)).Set(Slot("ts"), Value::Time(EventTime::FromMillis(ts)));
    return std::make_shared<Event>(b.Build());
  }

  // `type == "<type>"` as a compiled expression.
  std::shared_ptr<const Expr> TypeIs(const std::string& type) {
    ExprBuilder b;
    auto eq = b.Binary(BinaryOp::kEq, b.Field(Slot("type"), Type::kString),
                       b.Literal(Value::String(type)));
    return *b.Build(*eq);
  }

  std::shared_ptr<const Condition> Cond(const std::string& type) {
    return MakeCondition([this, type](const Event& e, const MatchView&) {
      return e.field(Slot("type")).string_value() == type;
    });
  }

  // SEQ(a; b) followed_by, within `within` ms, keyed by `key`.
  Rule PatternRule(int64_t within, bool emit_timeouts) {
    auto pattern = std::make_shared<Pattern>();
    pattern->stages.push_back({"a", StageKind::kPositive, Contiguity::kRelaxed, {}, Cond("a"), {}});
    pattern->stages.push_back({"b", StageKind::kPositive, Contiguity::kRelaxed, {}, Cond("b"), {}});
    pattern->within = Duration::Millis(within);
    pattern->emit_timeouts = emit_timeouts;
    Rule rule;
    rule.name = "a_then_b";
    rule.key_slots = {Slot("key")};
    rule.body = PatternBody{*NfaProgram::Compile(pattern), false, false};
    return rule;
  }

  // window KIND over events of type "x": count() >= threshold.
  Rule WindowRule(Result<WindowSpec> spec, int64_t threshold) {
    ExprBuilder b;
    auto when = b.Binary(BinaryOp::kGe, b.WindowAggregate(0, Type::kInt), b.Literal(Value::Int(threshold)));
    Rule rule;
    rule.name = "velocity";
    rule.key_slots = {Slot("key")};
    rule.where = TypeIs("x");
    WindowBody body;
    body.spec = std::make_shared<WindowSpec>(*std::move(spec));
    body.inputs.push_back({nullptr, nullptr, "count()"});
    body.when = *b.Build(*when);
    rule.body = std::move(body);
    return rule;
  }

  RulesetRunner Runner(std::vector<Rule> rules) {
    auto program = std::make_shared<Program>();
    program->ruleset = "test";
    program->schema = schema_;
    program->rules = std::move(rules);
    return RulesetRunner(program);
  }

  // "kind:key@ts[ids]" per alert, stages joined by '/'.
  static std::vector<std::string> Describe(const std::vector<RuleAlert>& alerts) {
    std::vector<std::string> out;
    for (const RuleAlert& a : alerts) {
      std::string kind = a.kind == RuleAlert::Kind::kMatch     ? "match"
                         : a.kind == RuleAlert::Kind::kTimeout ? "timeout"
                                                               : "window";
      std::string text = kind + ":" + a.key + "@" + std::to_string(a.ts.millis());
      std::string ids;
      for (const auto& stage : a.stages) {
        for (const auto& e : stage) ids += (ids.empty() ? "" : "/") + std::string(e->id());
      }
      if (!ids.empty()) text += "[" + ids + "]";
      out.push_back(text);
    }
    return out;
  }

  std::shared_ptr<Schema> schema_;
  uint64_t seq_ = 0;
};

TEST_F(RunnerTest, NothingIsMatchedBeforeTheWatermarkCoversIt) {
  auto runner = Runner({PatternRule(100, false)});
  std::vector<RuleAlert> out;
  runner.OnEvent(E("a1", "k", "a", 10));
  runner.OnEvent(E("b1", "k", "b", 20));
  runner.AdvanceWatermark(EventTime::FromMillis(19), out);
  EXPECT_TRUE(out.empty());
  runner.AdvanceWatermark(EventTime::FromMillis(20), out);  // ts <= watermark is covered
  EXPECT_EQ(Describe(out), (std::vector<std::string>{"match:k@20[a1/b1]"}));
  EXPECT_EQ(out[0].event->id(), "b1");
}

TEST_F(RunnerTest, ArrivalOrderDoesNotMatterWithinTheWatermark) {
  auto run = [&](std::vector<std::shared_ptr<const Event>> events) {
    auto runner = Runner({PatternRule(100, false)});
    std::vector<RuleAlert> out;
    for (auto& e : events) runner.OnEvent(e);
    runner.AdvanceWatermark(EventTime::Max(), out);
    return Describe(out);
  };
  auto a = E("a1", "k", "a", 10), b = E("b1", "k", "b", 20), c = E("a2", "j", "a", 15),
       d = E("b2", "j", "b", 30);
  EXPECT_EQ(run({a, b, c, d}), run({d, b, c, a}));
  EXPECT_EQ(run({a, b, c, d}).size(), 2u);
}

TEST_F(RunnerTest, KeysAreIndependent) {
  auto runner = Runner({PatternRule(100, false)});
  std::vector<RuleAlert> out;
  runner.OnEvent(E("a1", "k", "a", 10));
  runner.OnEvent(E("b1", "other", "b", 20));
  runner.AdvanceWatermark(EventTime::Max(), out);
  EXPECT_TRUE(out.empty());
}

TEST_F(RunnerTest, TimeoutsFireFromTheWatermarkStampedFirstPlusWithin) {
  auto runner = Runner({PatternRule(100, true)});
  std::vector<RuleAlert> out;
  runner.OnEvent(E("a1", "k", "a", 10));
  runner.AdvanceWatermark(EventTime::FromMillis(109), out);
  EXPECT_TRUE(out.empty());
  runner.AdvanceWatermark(EventTime::FromMillis(500), out);  // a watermark alone fires it
  EXPECT_EQ(Describe(out), (std::vector<std::string>{"timeout:k@110[a1]"}));
  EXPECT_EQ(out[0].event, nullptr);
  EXPECT_EQ(runner.key_count(), 0u);  // the idle key's state is gone
}

TEST_F(RunnerTest, KeysWhoseEventsStartNothingAreEvicted) {
  // Without a `where`, every event of a key reaches the pattern rule, and most
  // start nothing: their states must not pile up (issue #5: idle keys evicted).
  auto runner = Runner({PatternRule(100, false)});
  std::vector<RuleAlert> out;
  for (int i = 0; i < 1000; ++i) runner.OnEvent(E("y" + std::to_string(i), "k" + std::to_string(i), "y", 10));
  runner.AdvanceWatermark(EventTime::FromMillis(9), out);
  EXPECT_EQ(runner.key_count(), 0u);  // buffered, not matched yet
  runner.AdvanceWatermark(EventTime::FromMillis(10), out);
  EXPECT_EQ(runner.key_count(), 0u);
  // A key whose match left nothing behind is freed once its suppression is
  // over (not before: it must still hold repeats back), here at 20 + 500.
  Rule suppressed = PatternRule(100, false);
  suppressed.suppress = Duration::Millis(500);
  auto other = Runner({std::move(suppressed)});
  other.OnEvent(E("a1", "k", "a", 10));
  other.OnEvent(E("b1", "k", "b", 20));
  other.AdvanceWatermark(EventTime::FromMillis(200), out);
  EXPECT_EQ(out.size(), 1u);
  EXPECT_EQ(other.key_count(), 1u);  // the `within` deadline passed; suppressed until 520
  other.AdvanceWatermark(EventTime::FromMillis(519), out);
  EXPECT_EQ(other.key_count(), 1u);
  other.AdvanceWatermark(EventTime::FromMillis(520), out);
  EXPECT_EQ(other.key_count(), 0u);
}

TEST_F(RunnerTest, LastWindowFiresAtTheEventAndSuppressionHoldsRepeats) {
  Rule rule = WindowRule(WindowSpec::Last(Duration::Millis(100), {{AggregateFunction::kCount}}), 2);
  rule.suppress = Duration::Millis(50);
  auto runner = Runner({std::move(rule)});
  std::vector<RuleAlert> out;
  for (int64_t ts : {10, 20, 30, 90, 200}) runner.OnEvent(E("x" + std::to_string(ts), "k", "x", ts));
  runner.OnEvent(E("ignored", "k", "y", 25));  // filtered by `where`
  runner.AdvanceWatermark(EventTime::Max(), out);
  // count >= 2 at 20, 30 (suppressed until 70), 90; at 200 the window (100, 200] holds one.
  EXPECT_EQ(Describe(out), (std::vector<std::string>{"window:k@20", "window:k@90"}));
  EXPECT_EQ(runner.stats().rules[0].suppressed, 1u);
  EXPECT_EQ(runner.stats().rules[0].evaluated, 5u);
  ASSERT_EQ(out[0].fields.size(), 1u);
  EXPECT_EQ(out[0].fields[0].first, "count()");
  EXPECT_EQ(std::get<int64_t>(out[0].fields[0].second), 2);
  EXPECT_EQ(out[0].event->id(), "x20");
}

TEST_F(RunnerTest, TumblingWindowsFireWhenTheWatermarkPassesTheirEnd) {
  auto runner = Runner({WindowRule(WindowSpec::Tumbling(Duration::Millis(100), {{AggregateFunction::kCount}}), 2)});
  std::vector<RuleAlert> out;
  for (int64_t ts : {10, 50, 150}) runner.OnEvent(E("x", "k", "x", ts));
  runner.AdvanceWatermark(EventTime::FromMillis(98), out);
  EXPECT_TRUE(out.empty());
  runner.AdvanceWatermark(EventTime::FromMillis(99), out);  // end - 1: [0, 100) is complete
  EXPECT_EQ(Describe(out), (std::vector<std::string>{"window:k@100"}));
  EXPECT_EQ(out[0].event, nullptr);
  runner.AdvanceWatermark(EventTime::Max(), out);  // [100, 200) has one event: no alert
  EXPECT_EQ(out.size(), 1u);
}

TEST_F(RunnerTest, LateEventsFollowTheRulePolicy) {
  Rule drop = PatternRule(100, false);
  Rule side = PatternRule(100, false);
  side.name = "side";
  side.late.kind = LatePolicy::Kind::kSideOutput;
  auto runner = Runner({std::move(drop), std::move(side)});
  std::vector<RuleAlert> out;
  runner.OnEvent(E("a1", "k", "a", 10));
  runner.AdvanceWatermark(EventTime::FromMillis(50), out);
  std::vector<std::shared_ptr<const Event>> late;
  runner.OnEvent(E("b-late", "k", "b", 50), &late);  // ts == watermark: late
  runner.AdvanceWatermark(EventTime::Max(), out);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(runner.stats().late_events, 1u);
  EXPECT_EQ(runner.stats().rules[0].late, 1u);
  ASSERT_EQ(late.size(), 1u);
  EXPECT_EQ(late[0]->id(), "b-late");
}

TEST_F(RunnerTest, EventsWithANullKeyAreCountedNotMatched) {
  Rule rule = PatternRule(100, false);
  auto runner = Runner({std::move(rule)});
  EventBuilder b(schema_->size());
  b.SetTs(EventTime::FromMillis(5)).SetSeq(99).SetId("nokey").Set(Slot("type"), Value::String("a"));
  runner.OnEvent(std::make_shared<Event>(b.Build()));
  std::vector<RuleAlert> out;
  runner.AdvanceWatermark(EventTime::Max(), out);
  EXPECT_EQ(runner.stats().rules[0].unkeyed, 1u);
}

}  // namespace
}  // namespace cep
