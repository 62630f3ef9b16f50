#include "cep/window/last_window_state.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace cep {
namespace {

using F = AggregateFunction;

EventTime T(int64_t ms) { return EventTime::FromMillis(ms); }

// Drives a state with one input per aggregate and returns the results.
class LastWindowHarness {
 public:
  explicit LastWindowHarness(WindowSpec spec) : spec_(std::move(spec)), state_(spec_) {}

  std::vector<Value> Add(int64_t ts, std::vector<AggregateInput> inputs) {
    std::vector<Value> results(spec_.aggregate_count());
    const Status status = state_.OnEvent(T(ts), inputs, results);
    EXPECT_TRUE(status.ok()) << status.ToString();
    return results;
  }
  int64_t Count(int64_t ts) { return Add(ts, {{}})[0].int_value(); }
  LastWindowState& state() { return state_; }

 private:
  WindowSpec spec_;
  LastWindowState state_;
};

WindowSpec CountSpec(int64_t d) {
  return *WindowSpec::Last(Duration::Millis(d), {{F::kCount, Type::kNull, false}});
}

TEST(LastWindowStateTest, EventExactlyDBeforeIsOut) {
  LastWindowHarness h(CountSpec(10));
  EXPECT_EQ(h.Count(0), 1);
  EXPECT_EQ(h.Count(5), 2);
  EXPECT_EQ(h.Count(9), 3);
  EXPECT_EQ(h.Count(10), 3);  // (0, 10]: the event at 0 is out
  EXPECT_EQ(h.Count(19), 2);  // (9, 19]: 10 and 19
  EXPECT_EQ(h.Count(40), 1);
}

TEST(LastWindowStateTest, EqualTimestampsCountInArrivalOrder) {
  LastWindowHarness h(CountSpec(10));
  EXPECT_EQ(h.Count(100), 1);
  EXPECT_EQ(h.Count(100), 2);
  EXPECT_EQ(h.Count(100), 3);
  EXPECT_EQ(h.Count(110), 1);  // all three at exactly t - D are out together
}

TEST(LastWindowStateTest, EarlierEventIsRefusedAndChangesNothing) {
  LastWindowHarness h(CountSpec(10));
  EXPECT_EQ(h.Count(50), 1);
  std::vector<AggregateInput> inputs(1);
  std::vector<Value> results(1, Value::Int(-1));
  const Status status = h.state().OnEvent(T(49), inputs, results);
  EXPECT_EQ(status.code(), StatusCode::kOutOfRange);
  EXPECT_EQ(results[0].int_value(), -1);
  EXPECT_EQ(h.Count(51), 2);
}

TEST(LastWindowStateTest, WatermarkEvictsWhatNoLaterEventCanSee) {
  LastWindowHarness h(CountSpec(10));
  h.Count(0);
  h.Count(5);
  EXPECT_EQ(h.state().NextDeadline(), T(15));
  h.state().AdvanceWatermark(T(10));  // evicts ts <= 0
  EXPECT_EQ(h.state().entry_count(), 1u);
  h.state().AdvanceWatermark(T(15));
  EXPECT_TRUE(h.state().empty());
  EXPECT_EQ(h.state().NextDeadline(), EventTime::Max());
  EXPECT_EQ(h.Count(16), 1);
}

TEST(LastWindowStateTest, SumKeepsTheInputTypeAndIsZeroWhenEmpty) {
  LastWindowHarness h(*WindowSpec::Last(Duration::Millis(10), {{F::kSum, Type::kInt, false},
                                                               {F::kSum, Type::kDecimal, true},
                                                               {F::kSum, Type::kFloat, false}}));
  auto r = h.Add(0, {{true, Value::Null()}, {false, Value::Decimal(5)}, {true, Value::Null()}});
  EXPECT_TRUE(r[0].SameAs(Value::Int(0)));
  EXPECT_TRUE(r[1].SameAs(Value::Decimal(0)));
  EXPECT_TRUE(r[2].SameAs(Value::Float(0.0)));
  r = h.Add(1,
            {{true, Value::Int(7)}, {true, Value::Decimal(2'500'000)}, {true, Value::Float(0.5)}});
  r = h.Add(2, {{true, Value::Int(-2)}, {true, Value::Decimal(10)}, {true, Value::Float(0.25)}});
  EXPECT_TRUE(r[0].SameAs(Value::Int(5)));
  EXPECT_TRUE(r[1].SameAs(Value::Decimal(2'500'010)));
  EXPECT_TRUE(r[2].SameAs(Value::Float(0.75)));
  r = h.Add(12, {{true, Value::Null()}, {true, Value::Null()}, {true, Value::Null()}});
  EXPECT_TRUE(r[0].SameAs(Value::Int(0)));  // everything before 2 < 12 - 10 left
  EXPECT_TRUE(r[2].SameAs(Value::Float(0.0)));
}

TEST(LastWindowStateTest, AvgIsFloatForIntsAndRoundedDecimalForDecimals) {
  LastWindowHarness h(*WindowSpec::Last(
      Duration::Millis(100), {{F::kAvg, Type::kInt, false}, {F::kAvg, Type::kDecimal, true}}));
  auto r = h.Add(0, {{true, Value::Null()}, {false, Value::Decimal(1)}});
  EXPECT_TRUE(r[0].is_null());
  EXPECT_TRUE(r[1].is_null());
  h.Add(1, {{true, Value::Int(1)}, {true, Value::Decimal(1)}});
  r = h.Add(2, {{true, Value::Int(2)}, {true, Value::Decimal(2)}});
  EXPECT_TRUE(r[0].SameAs(Value::Float(1.5)));
  EXPECT_TRUE(r[1].SameAs(Value::Decimal(2)));  // 1.5 micro rounds half away from zero
  r = h.Add(3, {{true, Value::Null()}, {true, Value::Decimal(-10)}});
  EXPECT_TRUE(r[0].SameAs(Value::Float(1.5)));   // null does not count in the divisor
  EXPECT_TRUE(r[1].SameAs(Value::Decimal(-2)));  // -7 / 3 = -2.33
}

TEST(LastWindowStateTest, MinMaxFollowEvictionWithoutRescan) {
  LastWindowHarness h(*WindowSpec::Last(
      Duration::Millis(10), {{F::kMin, Type::kInt, false}, {F::kMax, Type::kFloat, true}}));
  auto r = h.Add(0, {{true, Value::Int(1)}, {true, Value::Float(9.0)}});
  r = h.Add(4, {{true, Value::Int(5)}, {false, Value::Float(100.0)}});
  r = h.Add(8, {{true, Value::Int(3)}, {true, Value::Float(2.0)}});
  EXPECT_TRUE(r[0].SameAs(Value::Int(1)));
  EXPECT_TRUE(r[1].SameAs(Value::Float(9.0)));
  r = h.Add(10, {{true, Value::Null()}, {true, Value::Null()}});  // 0 leaves
  EXPECT_TRUE(r[0].SameAs(Value::Int(3)));
  EXPECT_TRUE(r[1].SameAs(Value::Float(2.0)));
  r = h.Add(20, {{true, Value::Null()}, {true, Value::Null()}});
  EXPECT_TRUE(r[0].is_null());
  EXPECT_TRUE(r[1].is_null());
}

TEST(LastWindowStateTest, CountWithFilterCountsIncludedEvents) {
  LastWindowHarness h(*WindowSpec::Last(
      Duration::Millis(10), {{F::kCount, Type::kNull, false}, {F::kCount, Type::kNull, true}}));
  h.Add(0, {{}, {false, {}}});
  h.Add(1, {{}, {true, {}}});
  auto r = h.Add(2, {{}, {false, {}}});
  EXPECT_EQ(r[0].int_value(), 3);
  EXPECT_EQ(r[1].int_value(), 1);
  r = h.Add(11, {{}, {false, {}}});
  EXPECT_EQ(r[0].int_value(), 2);
  EXPECT_EQ(r[1].int_value(), 0);
}

TEST(LastWindowStateTest, CountDistinctOwnsStringsWhoseEventsDied) {
  LastWindowHarness h(
      *WindowSpec::Last(Duration::Millis(10), {{F::kCountDistinct, Type::kString, false}}));
  std::string buffer;
  auto add = [&](int64_t ts, const char* text) {
    buffer = text;  // the "event" bytes, overwritten by the next event
    const auto r = h.Add(ts, {{true, Value::String(buffer)}});
    buffer.assign(buffer.size(), 'X');
    return r[0].int_value();
  };
  EXPECT_EQ(add(0, "casino-royale-online-gaming"), 1);
  EXPECT_EQ(add(1, "grocer"), 2);
  EXPECT_EQ(add(2, "casino-royale-online-gaming"), 2);
  EXPECT_EQ(add(3, "XXXXXX"), 3);   // the bytes the buffer now holds are a new value
  EXPECT_EQ(add(10, "grocer"), 3);  // the first casino left, the second stays
  EXPECT_EQ(add(13, "grocer"), 1);  // (3, 13]: only the two grocers
}

TEST(LastWindowStateTest, CountAndSumFitTheMemoryBudget) {
  const WindowSpec spec = *WindowSpec::Last(
      Duration::Minutes(30), {{F::kCount, Type::kNull, false}, {F::kSum, Type::kDecimal, false}});
  LastWindowState state(spec);
  const size_t empty = state.ByteSize();
  EXPECT_LE(empty, 128u);
  std::vector<AggregateInput> inputs = {{}, {true, Value::Decimal(1)}};
  std::vector<Value> results(2);
  for (int i = 0; i < 64; ++i) ASSERT_TRUE(state.OnEvent(T(i), inputs, results).ok());
  EXPECT_EQ(state.ByteSize(), empty + 64 * 16);  // 16 bytes per entry at a full ring
}

}  // namespace
}  // namespace cep
