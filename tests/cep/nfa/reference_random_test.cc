// The reference matcher on 2,000 random small patterns and streams: it must run
// without CHECK failures, and what it emits must satisfy properties stated
// independently of how it works.

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "tests/cep/nfa/random_pattern.h"
#include "tests/cep/nfa/reference_matcher.h"

namespace cep {
namespace {

class NoEvents final : public MatchView {
 public:
  void ForEachEvent(StageIndex, FunctionRef<void(const Event&)>) const override {}
};

std::vector<const Event*> Flatten(const Match& m) {
  std::vector<const Event*> out;
  for (const auto& stage : m.stages) {
    for (const auto& e : stage) out.push_back(e.get());
  }
  return out;
}

// Checks one emitted item against the stream; returns "" or what is wrong.
std::string CheckMatch(const Pattern& pattern, const Match& m,
                       const std::vector<const Event*>& stream,
                       const std::map<uint64_t, size_t>& index_of) {
  const std::vector<const Event*> events = Flatten(m);
  if (events.empty()) return "empty match";
  if (m.stages.size() != pattern.stages.size()) return "wrong stage count";
  // Stage events in increasing (ts, seq).
  for (size_t i = 1; i < events.size(); ++i) {
    if (!EventBefore(*events[i - 1], *events[i])) return "events out of (ts, seq) order";
  }
  const Event& first = *events.front();
  if (pattern.within) {
    const EventTime deadline = first.ts() + *pattern.within;
    if (!(events.back()->ts() < deadline)) return "match does not respect within";
    if (m.kind == Match::Kind::kTimeout && m.ts != deadline) return "timeout ts != first + within";
  } else if (m.kind == Match::Kind::kTimeout) {
    return "timeout without within";
  }
  const NoEvents no_events;
  int previous_nonempty = -1;
  for (size_t s = 0; s < pattern.stages.size(); ++s) {
    const Stage& stage = pattern.stages[s];
    if (stage.kind != StageKind::kPositive && !m.stages[s].empty()) return "negated stage has events";
    if (m.stages[s].empty()) continue;
    if (m.kind == Match::Kind::kMatch && m.stages[s].size() < stage.quantifier.min) {
      return "stage " + stage.name + " has fewer than min events";
    }
    if (m.stages[s].size() > stage.quantifier.max) return "stage " + stage.name + " above max";
    const size_t first_index = index_of.at(m.stages[s].front()->seq());
    // §2 strict contiguity from the last stage that accepted an event.
    if (previous_nonempty >= 0 && stage.contiguity == Contiguity::kStrict) {
      const size_t last_prev = index_of.at(m.stages[static_cast<size_t>(previous_nonempty)].back()->seq());
      if (first_index != last_prev + 1) return "next violated at stage " + stage.name;
    }
    // §3 consecutive inside a loop.
    if (stage.quantifier.inner == Contiguity::kStrict) {
      for (size_t i = 1; i < m.stages[s].size(); ++i) {
        if (index_of.at(m.stages[s][i]->seq()) != index_of.at(m.stages[s][i - 1]->seq()) + 1) {
          return "consecutive violated at stage " + stage.name;
        }
      }
    }
    // §6 not_followed_by between previous_nonempty (A, the stage right before
    // the negation) and this stage: no X after A's first event and before this
    // stage's first event. (That first event may itself be an X: a match the
    // X-event completes stands, SemanticsTest
    // S6_AnEventThatFiresANegationCanStillCompleteAMatch.)
    if (previous_nonempty >= 0) {
      const size_t a = static_cast<size_t>(previous_nonempty);
      const size_t a_first = index_of.at(m.stages[a].front()->seq());
      for (size_t n = a + 1; n < s; ++n) {
        if (pattern.stages[n].kind != StageKind::kNotFollowedBy) continue;
        for (size_t i = a_first + 1; i < first_index; ++i) {
          if (pattern.stages[n].where->Matches(*stream[i], no_events)) {
            return "forbidden " + pattern.stages[n].name + " event between stages";
          }
        }
      }
      // §6 not_next: the event right after A's last take.
      const size_t a_last = index_of.at(m.stages[a].back()->seq());
      for (size_t n = a + 1; n < s; ++n) {
        if (pattern.stages[n].kind != StageKind::kNotNext) continue;
        if (pattern.stages[n].where->Matches(*stream[a_last + 1], no_events)) {
          return "not_next " + pattern.stages[n].name + " violated";
        }
      }
    }
    previous_nonempty = static_cast<int>(s);
  }
  return "";
}

TEST(ReferenceMatcherRandomTest, InvariantsHoldOnTwoThousandRandomCases) {
  testing::RandomCaseGenerator generator(20240611);
  size_t total_matches = 0;
  size_t total_timeouts = 0;
  for (int i = 0; i < 2000; ++i) {
    const testing::RandomCase c = generator.Next();
    ReferenceMatcher matcher(c.pattern);
    std::vector<const Event*> stream;
    std::map<uint64_t, size_t> index_of;
    std::vector<Match> out;
    for (const testing::RandomStep& step : c.steps) {
      if (step.is_time) {
        matcher.AdvanceTime(step.time, out);
      } else {
        index_of[step.event->seq()] = stream.size();
        stream.push_back(step.event.get());
        matcher.OnEvent(step.event, out);
      }
    }
    const std::string context = "case " + std::to_string(i) + ": " + c.description +
                                " on" + c.stream + "\n  got: " +
                                testing::FormatMatches(out, *c.pattern);
    const Match* previous_match = nullptr;
    for (const Match& m : out) {
      const std::string problem = CheckMatch(*c.pattern, m, stream, index_of);
      ASSERT_EQ(problem, "") << context;
      if (m.kind == Match::Kind::kTimeout) {
        ++total_timeouts;
        continue;
      }
      ++total_matches;
      // §9 skip_past_last_event: emitted matches never overlap.
      if (c.pattern->skip.strategy == SkipStrategy::kSkipPastLastEvent && previous_match) {
        const std::vector<const Event*> prev = Flatten(*previous_match);
        const std::vector<const Event*> cur = Flatten(m);
        ASSERT_TRUE(EventBefore(*prev.back(), *cur.front())) << "overlap; " << context;
      }
      previous_match = &m;
    }
  }
  // The generator must exercise the matcher, not produce empty runs only.
  EXPECT_GT(total_matches, 500u);
  EXPECT_GT(total_timeouts, 50u);
}

}  // namespace
}  // namespace cep
