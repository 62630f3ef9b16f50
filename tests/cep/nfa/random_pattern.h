#pragma once

// Random small valid patterns and streams for the differential property test
// (NfaMatcher vs ReferenceMatcher) and the reference matcher's invariants test.
// Deterministic for a given seed: conditions are plain predicates on the
// event's `type` and `value` (they never read the MatchView), and the generator
// uses its own arithmetic on a fixed PRNG, not the library's distributions.

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "cep/base/time.h"
#include "cep/event.h"
#include "cep/nfa/pattern.h"
#include "tests/cep/nfa/semantics_fixtures.h"

namespace cep::testing {

struct RandomStep {
  bool is_time = false;  // AdvanceTime(time) instead of an event
  EventTime time;
  std::shared_ptr<const Event> event;
};

struct RandomCase {
  std::shared_ptr<const Pattern> pattern;
  std::string description;  // the pattern in DSL-like words, for failure messages
  std::vector<RandomStep> steps;
  std::string stream;  // the steps as a script, for failure messages
};

class RandomCaseGenerator {
 public:
  explicit RandomCaseGenerator(uint64_t seed) : rng_(seed) {}

  RandomCase Next() {
    RandomCase c;
    Pattern pattern;
    const int stage_count = Uniform(1, 4);
    bool previous_optional = false;
    bool previous_negation = false;
    for (int i = 0; i < stage_count; ++i) {
      Stage stage;
      stage.name = "s" + std::to_string(i);
      // Negations: never first, never right after an optional stage (§6), and
      // never two in a row (their interplay is outside CEP_SEMANTICS.md).
      const bool may_negate = i > 0 && !previous_optional && !previous_negation;
      const int kind = may_negate ? Uniform(0, 5) : 0;
      std::string cond_text;
      stage.where = RandomCondition(cond_text);
      if (kind == 4 || kind == 5) {
        stage.kind = kind == 4 ? StageKind::kNotNext : StageKind::kNotFollowedBy;
        c.description += (kind == 4 ? " not_next " : " not_followed_by ") + stage.name +
                         " where " + cond_text;
        previous_negation = true;
        previous_optional = false;
        pattern.stages.push_back(std::move(stage));
        continue;
      }
      previous_negation = false;
      stage.contiguity = static_cast<Contiguity>(Uniform(0, 2));
      if (i == 0) {
        c.description += "begin " + stage.name;
      } else {
        static const char* const kWords[] = {" next ", " followed_by ", " followed_by_any "};
        c.description += kWords[static_cast<int>(stage.contiguity)] + stage.name;
      }
      Quantifier& q = stage.quantifier;
      switch (Uniform(0, 5)) {
        case 0: break;  // single
        case 1: q.min = q.max = static_cast<uint32_t>(Uniform(2, 3)); break;
        case 2: q.min = static_cast<uint32_t>(Uniform(1, 2)); q.max = q.min + static_cast<uint32_t>(Uniform(1, 2)); break;
        case 3: q.min = 1; q.max = kUnboundedTimes; break;
        case 4: q.min = 2; q.max = kUnboundedTimes; break;
        default: break;
      }
      q.optional = Uniform(0, 3) == 0;
      if (q.looping()) {
        q.inner = static_cast<Contiguity>(Uniform(0, 2));
        q.greedy = Uniform(0, 3) == 0;
        if (Uniform(0, 3) == 0) {
          std::string until_text;
          stage.until = RandomCondition(until_text);
          c.description += " until " + until_text;
        }
      }
      c.description += " where " + cond_text + QuantifierText(q);
      previous_optional = q.optional;
      pattern.stages.push_back(std::move(stage));
    }
    const bool ends_in_nfb = pattern.stages.back().kind == StageKind::kNotFollowedBy;
    if (ends_in_nfb || Uniform(0, 2) != 0) {
      pattern.within = Duration::Millis(Uniform(3, 15));
      c.description += " within " + std::to_string(pattern.within->millis()) + "ms";
    }
    pattern.emit_timeouts = Uniform(0, 1) == 0;
    if (pattern.emit_timeouts) c.description += " on_timeout_emit";
    pattern.skip.strategy = static_cast<SkipStrategy>(Uniform(0, 4));
    pattern.skip.stage = static_cast<StageIndex>(Uniform(0, stage_count - 1));
    static const char* const kSkips[] = {"no_skip", "skip_to_next", "skip_past_last_event",
                                         "skip_to_first", "skip_to_last"};
    c.description += std::string(" skip ") + kSkips[static_cast<int>(pattern.skip.strategy)];
    if (pattern.skip.strategy == SkipStrategy::kSkipToFirst ||
        pattern.skip.strategy == SkipStrategy::kSkipToLast) {
      c.description += " s" + std::to_string(pattern.skip.stage);
    }
    c.pattern = std::make_shared<const Pattern>(std::move(pattern));

    // The stream: up to 12 events in timestamp order (equal timestamps allowed),
    // with a few time advances in between and one at the end.
    EventFactory factory;
    int64_t ts = Uniform(0, 3);
    const int events = Uniform(0, 12);
    for (int i = 0; i < events; ++i) {
      ts += Uniform(0, 3);
      if (Uniform(0, 7) == 0) {
        c.steps.push_back({true, EventTime::FromMillis(ts), nullptr});
        c.stream += " ~" + std::to_string(ts);
        ts += 1;  // an event at the watermark would be late
      }
      const std::string type(1, static_cast<char>('a' + Uniform(0, 3)));
      const int64_t value = Uniform(0, 5);
      const std::string id = type + std::to_string(i);
      c.steps.push_back({false, EventTime::FromMillis(ts), factory.MakeTyped(id, type, ts, value)});
      c.stream += " " + id + "@" + std::to_string(ts) + ":" + std::to_string(value);
    }
    const int64_t end = ts + Uniform(0, 20);
    c.steps.push_back({true, EventTime::FromMillis(end), nullptr});
    c.stream += " ~" + std::to_string(end);
    return c;
  }

 private:
  int Uniform(int lo, int hi) {  // inclusive
    return lo + static_cast<int>(rng_() % static_cast<uint64_t>(hi - lo + 1));
  }

  std::shared_ptr<const Condition> RandomCondition(std::string& text) {
    const std::string type(1, static_cast<char>('a' + Uniform(0, 3)));
    const int bound = Uniform(0, 4);
    switch (Uniform(0, 3)) {
      case 0:
      case 1:
        text = "type==" + type;
        return IsType(type);
      case 2:
        text = "type==" + type + "&&value>" + std::to_string(bound);
        return TypeAndValueAbove(type, bound);
      default:
        text = "value>" + std::to_string(bound);
        return ValueAbove(bound);
    }
  }

  static std::string QuantifierText(const Quantifier& q) {
    std::string out;
    if (q.max == kUnboundedTimes) {
      out = q.min == 1 ? " one_or_more" : " times_or_more " + std::to_string(q.min);
    } else if (q.max > 1) {
      out = " times " + std::to_string(q.min) + (q.min == q.max ? "" : ".." + std::to_string(q.max));
    }
    if (q.optional) out += " optional";
    if (q.looping()) {
      if (q.greedy) out += " greedy";
      if (q.inner == Contiguity::kStrict) out += " consecutive";
      if (q.inner == Contiguity::kNonDeterministic) out += " allow_combinations";
    }
    return out;
  }

  std::mt19937_64 rng_;
};

}  // namespace cep::testing
