// CEP_SEMANTICS.md §6 (negation) and §10.6, one test per rule and example.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/cep/nfa/nfa_test_util.h"

namespace cep::nfa_test {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

TEST(NfaNegationTest, S6_NotNextInspectsOnlyTheNextEvent) {
  auto pattern = P({S("a"), NotNext("x"), S("b")});
  EXPECT_THAT(Matches(pattern, "a1 x1 b1"), IsEmpty());
  EXPECT_THAT(Matches(pattern, "a1 c1 x1 b1"), ElementsAre("a1 b1"));
}

TEST(NfaNegationTest, S6_NotNextAfterLoopMeansAfterTheLoopsLastTake) {
  auto pattern = P({S("c"), Loop(S("a")), NotNext("x"), S("b")});
  // c a1 a2 x b: hand-over after a1 is followed by a2 (fine), after a2 by x (dead).
  EXPECT_THAT(Matches(pattern, "c1 a1 a2 x1 b1"), ElementsAre("c1 a1 b1"));
}

TEST(NfaNegationTest, S6_NotNextAtEndEmitsOnTheNextNonMatchingEvent) {
  auto pattern = P({S("a"), NotNext("x")});
  NfaMatcher matcher(pattern);
  std::vector<Match> out;
  auto events = Stream("a1 c1");
  matcher.OnEvent(events[0], out);
  EXPECT_TRUE(out.empty());  // needs the next event
  matcher.OnEvent(events[1], out);
  EXPECT_THAT(FormatAll(out, true), ElementsAre("a1@2"));  // c1 completes it, not part of it
  EXPECT_THAT(Matches(pattern, "a1 x1"), IsEmpty());
}

TEST(NfaNegationTest, S6_NotFollowedByBetweenStages) {
  auto pattern = P({S("a"), NotFollowedBy("x"), S("b")});
  EXPECT_THAT(Matches(pattern, "a1 c1 x1 b1"), IsEmpty());
  EXPECT_THAT(Matches(pattern, "a1 c1 b1 x1"), ElementsAre("a1 b1"));
}

TEST(NfaNegationTest, S6_OnceBAcceptedXNoLongerMatters) {
  // a, not_followed_by b, followed_by times 2 c optional, followed_by d on a1 c1 b1 c2 d.
  auto pattern = P({S("a"), NotFollowedBy("b"), Opt(Loop(S("c"), 2, 2)), S("d")});
  EXPECT_THAT(Matches(pattern, "a1 c1 b1 c2 d1"), ElementsAre("a1 c1 c2 d1"));
}

TEST(NfaNegationTest, S6_SkippedOptionalBExtendsTheConstraint) {
  auto pattern = P({S("a"), NotFollowedBy("x"), Opt(S("b")), S("c")});
  EXPECT_THAT(Matches(pattern, "a1 x1 c1"), IsEmpty());
  EXPECT_THAT(Matches(pattern, "a1 c1"), ElementsAre("a1 c1"));
  EXPECT_THAT(Matches(pattern, "a1 b1 x1 c1"), ElementsAre("a1 b1 c1"));
}

TEST(NfaNegationTest, S6_LoopBeforeNotFollowedByCarriesTheGuard) {
  // An X anywhere after A's first event kills the partial.
  auto pattern = P({Loop(S("a")), NotFollowedBy("x"), S("b")});
  EXPECT_THAT(Matches(pattern, "a1 x1 a2 b1"), ElementsAre("a2 b1"));
}

TEST(NfaNegationTest, S6_OptionalTailAfterNegationCompletesImmediately) {
  auto pattern = P({S("a"), NotFollowedBy("b"), Opt(S("c"))});
  NfaMatcher matcher(P({S("a"), NotFollowedBy("b"), Opt(S("c"))}, Duration::Millis(100)));
  std::vector<Match> out;
  for (auto& e : Stream("a1 b1")) matcher.OnEvent(e, out);
  EXPECT_THAT(FormatAll(out), ElementsAre("a1"));
  EXPECT_THAT(Matches(pattern, "a1 b1"), ElementsAre("a1"));
  EXPECT_THAT(Matches(pattern, "a1 c1"), ElementsAre("a1", "a1 c1"));
}

TEST(NfaNegationTest, S6_NegationHitDiscardsEveryBranchSpawnedOnThatEvent) {
  // a, followed_by one_or_more b, not_next c, followed_by d on a b1 c b2 d: nothing,
  // not even the branch that merely skipped c inside the loop.
  auto pattern = P({S("a"), Loop(S("b")), NotNext("c"), S("d")});
  EXPECT_THAT(Matches(pattern, "a1 b1 c1 b2 d1"), IsEmpty());
}

TEST(NfaNegationTest, S6_NotFollowedByAtEndBecomesAMatchWhenTheWindowCloses) {
  auto pattern = P({S("a"), NotFollowedBy("x")}, Duration::Millis(10));
  // a1@1 closes at 11; c@5 does not complete it; the watermark at 11 does.
  EXPECT_THAT(Matches(pattern, "a1@1 c1@5", 10, true), IsEmpty());
  EXPECT_THAT(Matches(pattern, "a1@1 c1@5", 11, true), ElementsAre("a1@11"));
  // An event at exactly 11 advances time first: the match comes before it is seen.
  EXPECT_THAT(Matches(pattern, "a1@1 x1@11", std::nullopt, true), ElementsAre("a1@11"));
  EXPECT_THAT(Matches(pattern, "a1@1 x1@10", 100, true), IsEmpty());
}

TEST(NfaNegationTest, S6_NotFollowedByAtEndIsAMatchNotATimeout) {
  auto pattern = P({S("a"), NotFollowedBy("x")}, Duration::Millis(10), {}, true);
  EXPECT_THAT(Matches(pattern, "a1@1", 50, true), ElementsAre("a1@11"));
}

TEST(NfaNegationTest, S10_6_CompletesBeforeForbiddenEventAndHitDiscardsBranches) {
  auto pattern = P({S("a"), NotFollowedBy("b"), Opt(Loop(S("c")))});
  EXPECT_THAT(Matches(pattern, "a1 c1 b1 c2"), ElementsAre("a1", "a1 c1", "a1 c1 c2"));
}

TEST(NfaNegationTest, NotNextBeforeOptionalStageAndEnd) {
  auto pattern = P({S("a"), NotNext("x"), Opt(S("b")), S("c")});
  // c is relaxed from a1 when b is bypassed, so it may skip b1 (§2).
  EXPECT_THAT(Matches(pattern, "a1 b1 c1"), UnorderedElementsAre("a1 b1 c1", "a1 c1"));
  EXPECT_THAT(Matches(pattern, "a1 c1"), ElementsAre("a1 c1"));
  EXPECT_THAT(Matches(pattern, "a1 x1 c1"), IsEmpty());
}

}  // namespace
}  // namespace cep::nfa_test
