// Every contiguity x quantifier combination on small streams (CEP_SEMANTICS.md
// §2-§3): outer contiguity of a middle stage b between `a` and `c`, and inner
// contiguity of b's loops. Expected results derived by hand from the rules.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/cep/nfa/nfa_test_util.h"

namespace cep::nfa_test {
namespace {

using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;
using ::testing::UnorderedElementsAreArray;
using C = Contiguity;

Stage B(C outer) { return S("b", outer); }

// Stream: a1 b1 x1 b2 c1.
constexpr char kStream[] = "a1 b1 x1 b2 c1";

TEST(NfaContiguityTest, SingleStage) {
  EXPECT_THAT(Matches(P({S("a"), B(C::kStrict), S("c")}), kStream), UnorderedElementsAre("a1 b1 c1"));
  EXPECT_THAT(Matches(P({S("a"), B(C::kRelaxed), S("c")}), kStream), UnorderedElementsAre("a1 b1 c1"));
  EXPECT_THAT(Matches(P({S("a"), B(C::kNonDeterministic), S("c")}), kStream),
              UnorderedElementsAre("a1 b1 c1", "a1 b2 c1"));
  EXPECT_THAT(Matches(P({S("a"), B(C::kStrict), S("c")}), "a1 x1 b1 c1"), IsEmpty());
}

TEST(NfaContiguityTest, OptionalStage) {
  for (C outer : {C::kStrict, C::kRelaxed, C::kNonDeterministic}) {
    // a1 c1 always matches by skipping b.
    EXPECT_THAT(Matches(P({S("a"), Opt(B(outer)), S("c")}), "a1 c1"), UnorderedElementsAre("a1 c1"));
  }
  // Bypassing b, c (relaxed) is measured from a1 and skips the b's.
  EXPECT_THAT(Matches(P({S("a"), Opt(B(C::kStrict)), S("c")}), kStream),
              UnorderedElementsAre("a1 b1 c1", "a1 c1"));
  EXPECT_THAT(Matches(P({S("a"), Opt(B(C::kStrict)), Next("c")}), kStream), IsEmpty());
  EXPECT_THAT(Matches(P({S("a"), Opt(B(C::kNonDeterministic)), S("c")}), kStream),
              UnorderedElementsAre("a1 b1 c1", "a1 b2 c1", "a1 c1"));
}

TEST(NfaContiguityTest, OneOrMoreByInner) {
  // Relaxed inner: every prefix of the run hands over (§3).
  EXPECT_THAT(Matches(P({S("a"), Loop(B(C::kRelaxed)), S("c")}), kStream),
              UnorderedElementsAre("a1 b1 c1", "a1 b1 b2 c1"));
  // Strict inner: x1 breaks the run.
  EXPECT_THAT(Matches(P({S("a"), Inner(Loop(B(C::kRelaxed)), C::kStrict), S("c")}), kStream),
              UnorderedElementsAre("a1 b1 c1"));
  // Non-deterministic inner: subsets containing the forced first take b1.
  EXPECT_THAT(Matches(P({S("a"), Inner(Loop(B(C::kRelaxed)), C::kNonDeterministic), S("c")}),
                  "a1 b1 b2 b3 c1"),
              UnorderedElementsAre("a1 b1 c1", "a1 b1 b2 c1", "a1 b1 b3 c1", "a1 b1 b2 b3 c1"));
}

TEST(NfaContiguityTest, OneOrMoreByOuter) {
  EXPECT_THAT(Matches(P({S("a"), Loop(B(C::kStrict)), S("c")}), "a1 x1 b1 c1"), IsEmpty());
  EXPECT_THAT(Matches(P({S("a"), Loop(B(C::kStrict)), S("c")}), "a1 b1 b2 c1"),
              UnorderedElementsAre("a1 b1 c1", "a1 b1 b2 c1"));
  // followed_by_any: the first iteration may start at any b.
  EXPECT_THAT(Matches(P({S("a"), Loop(B(C::kNonDeterministic)), S("c")}), "a1 b1 b2 c1"),
              UnorderedElementsAre("a1 b1 c1", "a1 b1 b2 c1", "a1 b2 c1"));
}

TEST(NfaContiguityTest, TimesRangeByInnerAndOuter) {
  const std::string stream = "a1 b1 b2 x1 b3 c1";
  EXPECT_THAT(Matches(P({S("a"), Loop(B(C::kRelaxed), 2, 3), S("c")}), stream),
              UnorderedElementsAre("a1 b1 b2 c1", "a1 b1 b2 b3 c1"));
  EXPECT_THAT(Matches(P({S("a"), Inner(Loop(B(C::kRelaxed), 2, 3), C::kStrict), S("c")}), stream),
              UnorderedElementsAre("a1 b1 b2 c1"));
  EXPECT_THAT(Matches(P({S("a"), Inner(Loop(B(C::kRelaxed), 2, 3), C::kNonDeterministic), S("c")}),
                  stream),
              UnorderedElementsAre("a1 b1 b2 c1", "a1 b1 b3 c1", "a1 b1 b2 b3 c1"));
  EXPECT_THAT(Matches(P({S("a"), Loop(B(C::kStrict), 2, 3), S("c")}), "a1 x1 b1 b2 c1"), IsEmpty());
}

TEST(NfaContiguityTest, TimesOrMore) {
  EXPECT_THAT(Matches(P({S("a"), Loop(B(C::kRelaxed), 2), S("c")}), "a1 b1 b2 b3 c1"),
              UnorderedElementsAre("a1 b1 b2 c1", "a1 b1 b2 b3 c1"));
  EXPECT_THAT(Matches(P({S("a"), Loop(B(C::kRelaxed), 2), S("c")}), "a1 b1 c1"), IsEmpty());
}

TEST(NfaContiguityTest, OptionalLoopEveryOuter) {
  for (C outer : {C::kStrict, C::kRelaxed, C::kNonDeterministic}) {
    EXPECT_THAT(Matches(P({S("a"), Opt(Loop(B(outer))), S("c")}), "a1 c1"), UnorderedElementsAre("a1 c1"))
        << static_cast<int>(outer);
  }
}

TEST(NfaContiguityTest, StrictLastStageAfterLoop) {
  EXPECT_THAT(Matches(P({S("a"), Loop(B(C::kRelaxed)), Next("c")}), "a1 b1 b2 c1"),
              UnorderedElementsAre("a1 b1 b2 c1"));
}

TEST(NfaContiguityTest, FollowedByAnyLastStageAfterLoop) {
  EXPECT_THAT(Matches(P({S("a"), Loop(B(C::kRelaxed)), Any("c")}), "a1 b1 c1 c2"),
              UnorderedElementsAreArray({"a1 b1 c1", "a1 b1 c2"}));
}

}  // namespace
}  // namespace cep::nfa_test
