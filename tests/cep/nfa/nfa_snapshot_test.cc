// Snapshot/restore (cep/nfa/README.md): snapshot at a random point, restore,
// continue == uninterrupted; corrupt bytes give kDataLoss.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>

#include "tests/cep/nfa/nfa_test_util.h"

namespace cep::nfa_test {
namespace {

std::shared_ptr<const NfaProgram> Compile(std::shared_ptr<const Pattern> pattern) {
  return NfaProgram::Compile(std::move(pattern)).value();
}

// A random stream over types a, b, c, x with values 0..9 and rising timestamps.
std::string RandomStream(std::mt19937& rng, int length) {
  std::string out;
  int64_t ts = 1;
  for (int i = 0; i < length; ++i) {
    ts += static_cast<int64_t>(rng() % 4);
    out += std::string(1, "abcx"[rng() % 4]) + std::to_string(i) + "=" + std::to_string(rng() % 10) +
           "@" + std::to_string(ts) + " ";
  }
  return out;
}

std::vector<std::shared_ptr<const Pattern>> Patterns() {
  Stage sum_loop = Inner(Loop(S("b")), Contiguity::kNonDeterministic);
  sum_loop.where = MakeCondition([](const Event& e, const MatchView& view) {
    int64_t sum = e.field(kValueSlot).int_value();
    view.ForEachEvent(1, [&](const Event& b) { sum += b.field(kValueSlot).int_value(); });
    return e.field(kTypeSlot).string_value() == "b" && sum < 20;
  });
  return {
      P({S("a"), Any("b"), S("c")}, Duration::Millis(15), {}, true),
      P({S("a"), sum_loop, NotNext("x"), S("c")}, Duration::Millis(20)),
      P({S("a"), Loop(S("b")), NotFollowedBy("x")}, Duration::Millis(10),
        {SkipStrategy::kSkipToNext, 0}),
      P({Opt(S("a")), Greedy(Loop(S("b"), 2, 4)), S("c")}, Duration::Millis(25),
        {SkipStrategy::kSkipPastLastEvent, 0}, true),
  };
}

TEST(NfaSnapshotTest, RestoreAtARandomPointContinuesLikeAnUninterruptedRun) {
  std::mt19937 rng(7);
  for (const auto& pattern : Patterns()) {
    const auto program = Compile(pattern);
    for (int trial = 0; trial < 20; ++trial) {
      const auto events = Stream(RandomStream(rng, 40));
      const size_t cut = rng() % events.size();
      NfaMatcher whole(program);
      std::vector<Match> expected, actual;
      for (auto& e : events) whole.OnEvent(e, expected);
      whole.AdvanceTime(EventTime::Max(), expected);

      NfaMatcher first(program);
      for (size_t i = 0; i < cut; ++i) first.OnEvent(events[i], actual);
      const std::string bytes = first.Snapshot();
      Result<NfaMatcher> restored = NfaMatcher::Restore(program, bytes);
      ASSERT_TRUE(restored.ok()) << restored.error().ToString();
      EXPECT_EQ(restored->partial_match_count(), first.partial_match_count());
      EXPECT_EQ(restored->Snapshot(), bytes);
      for (size_t i = cut; i < events.size(); ++i) restored->OnEvent(events[i], actual);
      restored->AdvanceTime(EventTime::Max(), actual);
      EXPECT_EQ(FormatAll(actual, true), FormatAll(expected, true)) << "cut " << cut;
    }
  }
}

TEST(NfaSnapshotTest, ValuesOfEveryTypeRoundTrip) {
  EventBuilder builder(8);
  builder.SetTs(EventTime::FromMillis(5)).SetSeq(3).SetId("e1");
  builder.Set(0, Value::String("a")).Set(1, Value::Int(-7)).Set(2, Value::Bool(true));
  builder.Set(3, Value::Float(2.5)).Set(4, Value::Decimal(1'500'000));
  builder.Set(5, Value::Time(EventTime::FromMillis(99))).Set(6, Value::Dur(Duration::Seconds(2)));
  auto event = std::make_shared<const Event>(builder.Build());
  const auto program = Compile(P({S("a"), S("b")}));
  NfaMatcher matcher(program);
  std::vector<Match> out;
  matcher.OnEvent(event, out);
  Result<NfaMatcher> restored = NfaMatcher::Restore(program, matcher.Snapshot());
  ASSERT_TRUE(restored.ok());
  auto b = Stream("b1@6");
  restored->OnEvent(b[0], out);
  ASSERT_EQ(out.size(), 1u);
  const Event& e = *out[0].stages[0][0];
  EXPECT_EQ(e.id(), "e1");
  EXPECT_EQ(e.seq(), 3u);
  for (SlotIndex i = 0; i < 8; ++i) EXPECT_TRUE(e.field(i).SameAs(event->field(i))) << i;
}

TEST(NfaSnapshotTest, CorruptBytesAreDataLoss) {
  const auto program = Compile(P({S("a"), Loop(S("b")), S("c")}));
  NfaMatcher matcher(program);
  std::vector<Match> out;
  for (auto& e : Stream("a1 b1 b2 a2 b3")) matcher.OnEvent(e, out);
  const std::string bytes = matcher.Snapshot();
  EXPECT_FALSE(NfaMatcher::Restore(program, "").ok());
  EXPECT_FALSE(NfaMatcher::Restore(program, bytes.substr(0, bytes.size() / 2)).ok());
  for (size_t i = 0; i < bytes.size(); i += 3) {
    std::string corrupt = bytes;
    corrupt[i] = static_cast<char>(corrupt[i] ^ 0x5A);
    Result<NfaMatcher> restored = NfaMatcher::Restore(program, corrupt);
    ASSERT_FALSE(restored.ok()) << i;
    EXPECT_EQ(restored.error().code(), StatusCode::kDataLoss);
  }
  // A different pattern's program is refused.
  EXPECT_FALSE(NfaMatcher::Restore(Compile(P({S("a"), S("b")})), bytes).ok());
}

}  // namespace
}  // namespace cep::nfa_test
