// CEP_SEMANTICS.md §5 (within, timeouts) and §7/§10 (the NFA never reorders).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/cep/nfa/nfa_test_util.h"

namespace cep::nfa_test {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

TEST(NfaTimeTest, S5_EventAtExactlyFirstPlusWindowIsTooLate) {
  auto pattern = P({S("start"), S("end")}, Duration::Millis(10));
  EXPECT_THAT(Matches(pattern, "start1@1 end1@11"), IsEmpty());
  EXPECT_THAT(Matches(pattern, "start1@2 end1@11"), ElementsAre("start1 end1"));
}

TEST(NfaTimeTest, S5_TimeAdvancesBeforeTheEventIsProcessed) {
  auto pattern = P({S("a"), S("b")}, Duration::Millis(10), {}, true);
  // b1@11 first times out a1 (reported at 11), then cannot complete it.
  EXPECT_THAT(Matches(pattern, "a1@1 b1@11", std::nullopt, true), ElementsAre("T11:a1@11"));
}

TEST(NfaTimeTest, S5_EmptyStartStateNeverTimesOut) {
  NfaMatcher matcher(P({S("a"), S("b")}, Duration::Millis(10), {}, true));
  std::vector<Match> out;
  matcher.AdvanceTime(EventTime::FromMillis(1'000'000), out);
  EXPECT_TRUE(out.empty());
  for (auto& e : Stream("a1@2000000 b1@2000001")) matcher.OnEvent(e, out);
  EXPECT_THAT(FormatAll(out), ElementsAre("a1 b1"));
}

TEST(NfaTimeTest, S5_EveryDiscardedBranchIsReportedUnderFollowedByAny) {
  auto pattern = P({S("start"), Any("middle"), S("end")}, Duration::Millis(10), {}, true);
  EXPECT_THAT(Matches(pattern, "start1@1 middle1@2", 20, true),
              UnorderedElementsAre("T11:start1@11", "T11:start1 middle1@11"));
}

TEST(NfaTimeTest, S5_TimeoutTimestampIsFirstPlusWindowEvenWhenDetectedLater) {
  auto pattern = P({S("a"), S("b")}, Duration::Millis(10), {}, true);
  EXPECT_THAT(Matches(pattern, "a1@3", 13, true), ElementsAre("T13:a1@13"));
  EXPECT_THAT(Matches(pattern, "a1@3", 500, true), ElementsAre("T13:a1@13"));
  EXPECT_THAT(Matches(pattern, "a1@3", 12, true), IsEmpty());
}

TEST(NfaTimeTest, S5_WithoutEmitTimeoutsRunsVanishSilently) {
  NfaMatcher matcher(P({S("a"), S("b")}, Duration::Millis(10)));
  std::vector<Match> out;
  for (auto& e : Stream("a1@1 a2@5")) matcher.OnEvent(e, out);
  EXPECT_EQ(matcher.partial_match_count(), 2u);
  matcher.AdvanceTime(EventTime::FromMillis(11), out);
  EXPECT_EQ(matcher.partial_match_count(), 1u);
  EXPECT_TRUE(out.empty());
}

TEST(NfaTimeTest, S5_TimeoutsCarryTheEventsAcceptedSoFar) {
  auto pattern = P({S("a"), Loop(S("b")), S("c")}, Duration::Millis(10), {}, true);
  EXPECT_THAT(Matches(pattern, "a1@1 b1@2 b2@3", 11),
              UnorderedElementsAre("T11:a1 b1", "T11:a1 b1 b2"));
}

TEST(NfaTimeTest, S7_NfaProcessesEventsInTheOrderGiven) {
  // Non-monotonic timestamps, fed directly: no reordering.
  EXPECT_THAT(Matches(P({S("a"), S("b")}), "b1@1 a1@5 b2@3"), ElementsAre("a1 b2"));
}

TEST(NfaTimeTest, S7_EqualEventsAreDistinctOccurrences) {
  EXPECT_THAT(Matches(P({S("a"), Any("b")}), "a1@1 b1@2 b1@2"), ElementsAre("a1 b1", "a1 b1"));
}

TEST(NfaTimeTest, MatchesOfTheAdvanceComeBeforeTimeouts) {
  // A not_followed_by-at-end pattern can also time out a run that is not pending.
  auto pattern = P({S("a"), S("b"), NotFollowedBy("x")}, Duration::Millis(10), {}, true);
  EXPECT_THAT(Matches(pattern, "a1@1 a2@2 b1@3", 20, true),
              ElementsAre("a1 b1@11", "a2 b1@12"));
  EXPECT_THAT(Matches(pattern, "a1@1 a2@2 b1@3 a3@4", 20, true),
              ElementsAre("a1 b1@11", "a2 b1@12", "T14:a3@14"));
}

}  // namespace
}  // namespace cep::nfa_test
