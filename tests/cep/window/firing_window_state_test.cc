#include "cep/window/firing_window_state.h"

#include <vector>

#include <gtest/gtest.h>

namespace cep {
namespace {

using F = AggregateFunction;

EventTime T(int64_t ms) { return EventTime::FromMillis(ms); }

const std::vector<AggregateSpec> kCountSum = {{F::kCount, Type::kNull, false},
                                              {F::kSum, Type::kInt, false}};

class FiringHarness {
 public:
  explicit FiringHarness(WindowSpec spec) : spec_(std::move(spec)), state_(spec_) {}

  Status Add(int64_t ts, int64_t value = 1) {
    const std::vector<AggregateInput> inputs = {{}, {true, Value::Int(value)}};
    return state_.OnEvent(T(ts), inputs);
  }
  std::vector<WindowResult> Advance(int64_t watermark) {
    std::vector<WindowResult> out;
    state_.AdvanceWatermark(T(watermark), out);
    return out;
  }
  FiringWindowState& state() { return state_; }

 private:
  WindowSpec spec_;
  FiringWindowState state_;
};

void ExpectWindow(const WindowResult& w, int64_t start, int64_t end, int64_t count, int64_t sum) {
  EXPECT_EQ(w.start, T(start));
  EXPECT_EQ(w.end, T(end));
  ASSERT_EQ(w.values.size(), 2u);
  EXPECT_EQ(w.values[0].int_value(), count);
  EXPECT_EQ(w.values[1].int_value(), sum);
}

TEST(FiringWindowStateTest, TumblingFiresWhenWatermarkReachesEndMinusOne) {
  FiringHarness h(*WindowSpec::Tumbling(Duration::Millis(10), kCountSum));
  ASSERT_TRUE(h.Add(0, 1).ok());
  ASSERT_TRUE(h.Add(9, 2).ok());
  ASSERT_TRUE(h.Add(10, 4).ok());  // [10, 20)
  EXPECT_EQ(h.state().NextDeadline(), T(9));
  EXPECT_TRUE(h.Advance(8).empty());  // an event at 9 could still come
  const auto fired = h.Advance(9);    // every event with ts < 10 is in
  ASSERT_EQ(fired.size(), 1u);
  ExpectWindow(fired[0], 0, 10, 2, 3);
  EXPECT_EQ(h.state().NextDeadline(), T(19));
}

TEST(FiringWindowStateTest, TumblingUsesFloorForNegativeTimes) {
  FiringHarness h(*WindowSpec::Tumbling(Duration::Millis(10), kCountSum));
  ASSERT_TRUE(h.Add(-1).ok());
  const auto fired = h.Advance(100);
  ASSERT_EQ(fired.size(), 1u);
  ExpectWindow(fired[0], -10, 0, 1, 1);
}

TEST(FiringWindowStateTest, EmptyWindowsNeverFire) {
  FiringHarness h(*WindowSpec::Tumbling(Duration::Millis(10), kCountSum));
  ASSERT_TRUE(h.Add(5).ok());
  ASSERT_TRUE(h.Add(45).ok());
  const auto fired = h.Advance(1000);
  ASSERT_EQ(fired.size(), 2u);
  ExpectWindow(fired[0], 0, 10, 1, 1);
  ExpectWindow(fired[1], 40, 50, 1, 1);
  EXPECT_TRUE(h.state().empty());
  EXPECT_EQ(h.state().NextDeadline(), EventTime::Max());
}

TEST(FiringWindowStateTest, LateEventJoinsOpenWindowButNotFiredOne) {
  FiringHarness h(*WindowSpec::Tumbling(Duration::Millis(10), kCountSum));
  ASSERT_TRUE(h.Add(12).ok());
  EXPECT_TRUE(h.Advance(15).empty());
  ASSERT_TRUE(h.Add(11, 5).ok());                       // late (11 <= 15) but [10, 20) is open
  EXPECT_EQ(h.Add(3).code(), StatusCode::kOutOfRange);  // [0, 10) fired at watermark 9
  const auto fired = h.Advance(19);
  ASSERT_EQ(fired.size(), 1u);
  ExpectWindow(fired[0], 10, 20, 2, 6);
}

TEST(FiringWindowStateTest, SlidingEventJoinsEveryOverlappingWindowFiredByEnd) {
  FiringHarness h(*WindowSpec::Sliding(Duration::Millis(10), Duration::Millis(5), kCountSum));
  ASSERT_TRUE(h.Add(7, 1).ok());   // [0, 10) and [5, 15)
  ASSERT_TRUE(h.Add(12, 2).ok());  // [5, 15) and [10, 20)
  EXPECT_TRUE(h.Advance(8).empty());
  auto fired = h.Advance(14);
  ASSERT_EQ(fired.size(), 2u);
  ExpectWindow(fired[0], 0, 10, 1, 1);
  ExpectWindow(fired[1], 5, 15, 2, 3);
  fired = h.Advance(19);
  ASSERT_EQ(fired.size(), 1u);
  ExpectWindow(fired[0], 10, 20, 1, 2);
}

TEST(FiringWindowStateTest, SessionGapOfExactlyDStartsANewSession) {
  FiringHarness h(*WindowSpec::Session(Duration::Millis(10), kCountSum));
  ASSERT_TRUE(h.Add(0, 1).ok());
  ASSERT_TRUE(h.Add(9, 2).ok());  // 9 < 0 + 10: same session
  EXPECT_EQ(h.state().NextDeadline(), T(18));
  EXPECT_TRUE(h.Advance(17).empty());
  ASSERT_TRUE(h.Add(19, 4).ok());  // exactly 9 + 10: a new session
  EXPECT_EQ(h.state().open_window_count(), 2u);
  auto fired = h.Advance(18);
  ASSERT_EQ(fired.size(), 1u);
  ExpectWindow(fired[0], 0, 19, 2, 3);  // [first, last + D)
  fired = h.Advance(28);
  ASSERT_EQ(fired.size(), 1u);
  ExpectWindow(fired[0], 19, 29, 1, 4);
}

TEST(FiringWindowStateTest, LateEventBridgesTwoSessions) {
  FiringHarness h(*WindowSpec::Session(Duration::Millis(10), kCountSum));
  ASSERT_TRUE(h.Add(0, 1).ok());
  ASSERT_TRUE(h.Add(18, 2).ok());
  EXPECT_EQ(h.state().open_window_count(), 2u);
  ASSERT_TRUE(h.Add(9, 4).ok());  // [9, 19) overlaps [0, 10) and [18, 28)
  EXPECT_EQ(h.state().open_window_count(), 1u);
  const auto fired = h.Advance(100);
  ASSERT_EQ(fired.size(), 1u);
  ExpectWindow(fired[0], 0, 28, 3, 7);
}

TEST(FiringWindowStateTest, SessionOfTooLateEventIsRefused) {
  FiringHarness h(*WindowSpec::Session(Duration::Millis(10), kCountSum));
  ASSERT_TRUE(h.Add(50).ok());
  EXPECT_TRUE(h.Advance(30).empty());
  EXPECT_EQ(h.Add(15).code(), StatusCode::kOutOfRange);  // [15, 25) would be due already
  ASSERT_TRUE(h.Add(25).ok());                           // [25, 35) is not due at 30
  EXPECT_EQ(h.state().open_window_count(), 2u);
}

TEST(FiringWindowStateTest, AggregatesOfAFiredWindow) {
  FiringHarness h(
      *WindowSpec::Tumbling(Duration::Millis(10), {{F::kCount, Type::kNull, true},
                                                   {F::kAvg, Type::kDecimal, false},
                                                   {F::kMin, Type::kInt, false},
                                                   {F::kCountDistinct, Type::kString, true},
                                                   {F::kSum, Type::kFloat, true}}));
  std::string buffer;
  auto add = [&](int64_t ts, bool included, Value decimal, Value integer, const char* text) {
    buffer = text;
    const std::vector<AggregateInput> inputs = {{included, {}},
                                                {true, decimal},
                                                {true, integer},
                                                {included, Value::String(buffer)},
                                                {included, Value::Float(1.5)}};
    ASSERT_TRUE(h.state().OnEvent(T(ts), inputs).ok());
    buffer.assign(buffer.size(), '?');
  };
  add(1, true, Value::Decimal(1), Value::Int(4), "a-long-merchant-name-over-sso");
  add(2, false, Value::Null(), Value::Int(-3), "excluded");
  add(3, true, Value::Decimal(2), Value::Null(), "a-long-merchant-name-over-sso");
  std::vector<WindowResult> fired;
  h.state().AdvanceWatermark(T(9), fired);
  ASSERT_EQ(fired.size(), 1u);
  const auto& v = fired[0].values;
  EXPECT_TRUE(v[0].SameAs(Value::Int(2)));
  EXPECT_TRUE(v[1].SameAs(Value::Decimal(2)));  // 1.5 micro rounds away from zero
  EXPECT_TRUE(v[2].SameAs(Value::Int(-3)));
  EXPECT_TRUE(v[3].SameAs(Value::Int(1)));
  EXPECT_TRUE(v[4].SameAs(Value::Float(3.0)));
}

}  // namespace
}  // namespace cep
