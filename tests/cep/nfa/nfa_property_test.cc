// Invariants on random valid patterns and streams (fixed seeds): every match has
// each stage's events in acceptance order and within its quantifier, negated
// stages empty, the window respected; the state survives snapshot/restore at every
// step (which recounts every reference of the shared buffer); windows drain it.
#include <gtest/gtest.h>

#include <random>

#include "tests/cep/nfa/nfa_test_util.h"

namespace cep::nfa_test {
namespace {

Contiguity RandomContiguity(std::mt19937& rng) { return static_cast<Contiguity>(rng() % 3); }

Stage RandomPositive(std::mt19937& rng, size_t index) {
  Stage stage = S(std::string(1, "abc"[rng() % 3]), RandomContiguity(rng));
  stage.name += std::to_string(index);
  stage.where = IsType(stage.name.substr(0, 1));
  switch (rng() % 6) {
    case 0: break;
    case 1: stage.quantifier.optional = true; break;
    case 2: stage = Loop(stage, 2, 2); break;
    case 3: stage = Loop(stage, 1, 3); break;
    case 4: stage = Loop(stage, 1); break;
    case 5: stage = Loop(stage, 2); break;
  }
  if (stage.quantifier.looping()) {
    stage.quantifier.inner = RandomContiguity(rng);
    stage.quantifier.optional = rng() % 3 == 0;
    stage.quantifier.greedy = rng() % 4 == 0;
    if (rng() % 4 == 0) stage.until = IsType("x");
  }
  return stage;
}

std::shared_ptr<const Pattern> RandomPattern(std::mt19937& rng) {
  std::vector<Stage> stages{RandomPositive(rng, 0)};
  const size_t count = 1 + rng() % 4;
  for (size_t i = 1; i < count; ++i) {
    const bool previous_optional = stages.back().quantifier.optional;
    if (!previous_optional && stages.back().kind == StageKind::kPositive && rng() % 4 == 0) {
      stages.push_back(rng() % 2 ? NotNext("x") : NotFollowedBy("x"));
      stages.back().name += std::to_string(i);
    } else {
      stages.push_back(RandomPositive(rng, i));
    }
  }
  AfterMatchSkip skip{static_cast<SkipStrategy>(rng() % 5),
                      static_cast<StageIndex>(rng() % stages.size())};
  return P(std::move(stages), Duration::Millis(5 + rng() % 15), skip, rng() % 2 == 0);
}

void CheckMatch(const Pattern& pattern, const Match& match) {
  ASSERT_EQ(match.stages.size(), pattern.stages.size());
  uint64_t last_seq = 0;
  bool first = true;
  EventTime first_ts;
  for (size_t s = 0; s < pattern.stages.size(); ++s) {
    const Stage& stage = pattern.stages[s];
    const auto& events = match.stages[s];
    if (stage.kind != StageKind::kPositive) {
      EXPECT_TRUE(events.empty());
      continue;
    }
    EXPECT_LE(events.size(), stage.quantifier.max);
    if (match.kind == Match::Kind::kMatch && !events.empty()) {
      EXPECT_GE(events.size(), std::max<uint32_t>(stage.quantifier.min, 1));
    }
    for (const auto& e : events) {
      if (first) {
        first_ts = e->ts();
      } else {
        EXPECT_GT(e->seq(), last_seq);
      }
      first = false;
      last_seq = e->seq();
      EXPECT_LT(e->ts(), first_ts + *pattern.within);
    }
  }
  EXPECT_FALSE(first) << "empty match";
}

TEST(NfaPropertyTest, RandomPatternsKeepTheInvariants) {
  std::mt19937 rng(20261124);
  for (int trial = 0; trial < 300; ++trial) {
    auto pattern = RandomPattern(rng);
    ASSERT_TRUE(ValidatePattern(*pattern).ok()) << ValidatePattern(*pattern).ToString();
    auto program = NfaProgram::Compile(pattern).value();
    std::string text;
    int64_t ts = 1;
    for (int i = 0; i < 25; ++i) {
      ts += static_cast<int64_t>(rng() % 3);
      text += std::string(1, "abcx"[rng() % 4]) + std::to_string(i) + "@" + std::to_string(ts) + " ";
    }
    NfaMatcher matcher(program);
    std::vector<Match> out;
    for (auto& event : Stream(text)) {
      matcher.OnEvent(event, out);
      Result<NfaMatcher> copy = NfaMatcher::Restore(program, matcher.Snapshot());
      ASSERT_TRUE(copy.ok()) << copy.error().ToString();
      matcher = std::move(copy).value();
    }
    matcher.AdvanceTime(EventTime::Max(), out);
    EXPECT_EQ(matcher.partial_match_count(), 0u);
    EXPECT_EQ(matcher.held_match_count(), 0u);
    for (const Match& m : out) CheckMatch(*pattern, m);
  }
}

}  // namespace
}  // namespace cep::nfa_test
