#pragma once

// Helpers shared by the semantics tests and the differential test: a tiny event
// schema, conditions on it, a pattern builder that reads like the DSL, a script
// runner for any matcher with the pattern.h shape, and a formatter that turns
// matches into readable strings such as "a1 b1 | a1 b2".

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cep/base/check.h"
#include "cep/event.h"
#include "cep/nfa/pattern.h"
#include "cep/schema.h"
#include "cep/value.h"

namespace cep::testing {

// The test schema: slot 0 `type` (string), slot 1 `value` (int).
inline constexpr SlotIndex kTypeSlot = 0;
inline constexpr SlotIndex kValueSlot = 1;

inline std::string_view TypeOf(const Event& event) {
  const Value& v = event.field(kTypeSlot);
  return v.is_null() ? std::string_view() : v.string_value();
}
inline int64_t ValueOf(const Event& event) {
  const Value& v = event.field(kValueSlot);
  return v.is_null() ? 0 : v.int_value();
}

// The type of an event id: the id without its trailing digits ("a1" -> "a",
// "ab3" -> "ab", "c" -> "c").
inline std::string TypeFromId(std::string_view id) {
  size_t end = id.size();
  while (end > 0 && std::isdigit(static_cast<unsigned char>(id[end - 1]))) --end;
  return std::string(id.substr(0, end));
}

// Builds events with increasing arrival sequence numbers.
class EventFactory {
 public:
  std::shared_ptr<const Event> Make(std::string_view id, int64_t ts, int64_t value = 0) {
    return MakeTyped(id, TypeFromId(id), ts, value);
  }
  std::shared_ptr<const Event> MakeTyped(std::string_view id, std::string_view type, int64_t ts,
                                         int64_t value) {
    EventBuilder builder(2);
    builder.SetTs(EventTime::FromMillis(ts)).SetSeq(next_seq_++).SetId(id);
    builder.Set(kTypeSlot, Value::String(type)).Set(kValueSlot, Value::Int(value));
    return std::make_shared<const Event>(builder.Build());
  }

 private:
  uint64_t next_seq_ = 1;
};

// ---------------------------------------------------------------------------
// Conditions

inline std::shared_ptr<const Condition> IsType(std::string type) {
  return MakeCondition(
      [type = std::move(type)](const Event& e, const MatchView&) { return TypeOf(e) == type; });
}
inline std::shared_ptr<const Condition> MakeAny() {
  return MakeCondition([](const Event&, const MatchView&) { return true; });
}
inline std::shared_ptr<const Condition> ValueAbove(int64_t bound) {
  return MakeCondition([bound](const Event& e, const MatchView&) { return ValueOf(e) > bound; });
}
inline std::shared_ptr<const Condition> TypeAndValueAbove(std::string type, int64_t bound) {
  return MakeCondition([type = std::move(type), bound](const Event& e, const MatchView&) {
    return TypeOf(e) == type && ValueOf(e) > bound;
  });
}
// type == `type` and value equal to the value of the first event of `stage`.
inline std::shared_ptr<const Condition> TypeWithValueOf(std::string type, StageIndex stage) {
  return MakeCondition([type = std::move(type), stage](const Event& e, const MatchView& m) {
    std::optional<int64_t> first;
    m.ForEachEvent(stage, [&](const Event& x) {
      if (!first) first = ValueOf(x);
    });
    return TypeOf(e) == type && first.has_value() && *first == ValueOf(e);
  });
}

// ---------------------------------------------------------------------------
// Patterns, written like the DSL:
//   PatternBuilder().Begin("c").FollowedBy("a").OneOrMore().Optional().FollowedBy("d").Build()
// A stage named "x" matches events of type "x" unless a condition is given.

class PatternBuilder {
 public:
  PatternBuilder& Begin(std::string name, std::shared_ptr<const Condition> where = nullptr) {
    return Add(std::move(name), StageKind::kPositive, Contiguity::kRelaxed, std::move(where));
  }
  PatternBuilder& Next(std::string name, std::shared_ptr<const Condition> where = nullptr) {
    return Add(std::move(name), StageKind::kPositive, Contiguity::kStrict, std::move(where));
  }
  PatternBuilder& FollowedBy(std::string name, std::shared_ptr<const Condition> where = nullptr) {
    return Add(std::move(name), StageKind::kPositive, Contiguity::kRelaxed, std::move(where));
  }
  PatternBuilder& FollowedByAny(std::string name,
                                std::shared_ptr<const Condition> where = nullptr) {
    return Add(std::move(name), StageKind::kPositive, Contiguity::kNonDeterministic,
               std::move(where));
  }
  PatternBuilder& NotNext(std::string name, std::shared_ptr<const Condition> where = nullptr) {
    return Add(std::move(name), StageKind::kNotNext, Contiguity::kStrict, std::move(where));
  }
  PatternBuilder& NotFollowedBy(std::string name,
                                std::shared_ptr<const Condition> where = nullptr) {
    return Add(std::move(name), StageKind::kNotFollowedBy, Contiguity::kRelaxed,
               std::move(where));
  }
  // Quantifiers and modifiers apply to the last stage added.
  PatternBuilder& Optional() { return Q([](Quantifier& q) { q.optional = true; }); }
  PatternBuilder& OneOrMore() { return Times(1, kUnboundedTimes); }
  PatternBuilder& TimesOrMore(uint32_t n) { return Times(n, kUnboundedTimes); }
  PatternBuilder& Times(uint32_t n) { return Times(n, n); }
  // times N..M; times 0..M is times 1..M optional (DSL.md).
  PatternBuilder& Times(uint32_t n, uint32_t m) {
    return Q([n, m](Quantifier& q) {
      q.min = n == 0 ? 1 : n;
      q.max = m;
      if (n == 0) q.optional = true;
    });
  }
  PatternBuilder& Greedy() { return Q([](Quantifier& q) { q.greedy = true; }); }
  PatternBuilder& Consecutive() { return Q([](Quantifier& q) { q.inner = Contiguity::kStrict; }); }
  PatternBuilder& AllowCombinations() {
    return Q([](Quantifier& q) { q.inner = Contiguity::kNonDeterministic; });
  }
  PatternBuilder& Until(std::shared_ptr<const Condition> until) {
    CHECK(!pattern_.stages.empty(), "until after a stage");
    pattern_.stages.back().until = std::move(until);
    return *this;
  }
  PatternBuilder& Within(int64_t millis) {
    pattern_.within = Duration::Millis(millis);
    return *this;
  }
  PatternBuilder& Skip(SkipStrategy strategy, StageIndex stage = 0) {
    pattern_.skip = AfterMatchSkip{strategy, stage};
    return *this;
  }
  PatternBuilder& EmitTimeouts() {
    pattern_.emit_timeouts = true;
    return *this;
  }
  std::shared_ptr<const Pattern> Build() const { return std::make_shared<const Pattern>(pattern_); }

 private:
  PatternBuilder& Add(std::string name, StageKind kind, Contiguity contiguity,
                      std::shared_ptr<const Condition> where) {
    Stage stage;
    stage.where = where != nullptr ? std::move(where) : IsType(name);
    stage.name = std::move(name);
    stage.kind = kind;
    stage.contiguity = contiguity;
    pattern_.stages.push_back(std::move(stage));
    return *this;
  }
  template <typename F>
  PatternBuilder& Q(F f) {
    CHECK(!pattern_.stages.empty(), "a quantifier after a stage");
    f(pattern_.stages.back().quantifier);
    return *this;
  }
  Pattern pattern_;
};

// ---------------------------------------------------------------------------
// Formatting

enum class Format : uint8_t {
  kPlain,   // "a1 b1" (timeouts: "timeout@13 a1")
  kStages,  // "c:c a:a1,a2 d:d" (stage names, non-empty stages only)
  kTimed,   // "a1 b1@5": the match's ts appended
};

inline std::string FormatMatch(const Match& match, const Pattern& pattern,
                               Format format = Format::kPlain) {
  std::ostringstream out;
  if (match.kind == Match::Kind::kTimeout) out << "timeout@" << match.ts.millis() << ' ';
  bool first = true;
  for (size_t s = 0; s < match.stages.size(); ++s) {
    if (match.stages[s].empty()) continue;
    if (format == Format::kStages) {
      out << (first ? "" : " ") << pattern.stages[s].name << ':';
      for (size_t i = 0; i < match.stages[s].size(); ++i) {
        out << (i == 0 ? "" : ",") << match.stages[s][i]->id();
      }
      first = false;
      continue;
    }
    for (const auto& event : match.stages[s]) {
      out << (first ? "" : " ") << event->id();
      first = false;
    }
  }
  if (format == Format::kTimed && match.kind == Match::Kind::kMatch) {
    out << '@' << match.ts.millis();
  }
  return out.str();
}

inline std::string FormatMatches(const std::vector<Match>& matches, const Pattern& pattern,
                                 Format format = Format::kPlain) {
  std::string out;
  for (size_t i = 0; i < matches.size(); ++i) {
    if (i > 0) out += " | ";
    out += FormatMatch(matches[i], pattern, format);
  }
  return out;
}

// ---------------------------------------------------------------------------
// Scripts: whitespace-separated steps.
//   "a1"      an event with id a1, type a, ts = previous ts + 1 (first: 1), value 0
//   "a1@5"    ts 5;  "a1@5:7"  ts 5, value 7;  "a1:7"  value 7
//   "~20"     advance time to 20 (a watermark)
struct ScriptStep {
  bool is_time = false;
  int64_t ts = 0;
  std::string id;
  int64_t value = 0;
};

inline std::vector<ScriptStep> ParseScript(std::string_view script) {
  std::vector<ScriptStep> steps;
  std::istringstream in{std::string(script)};
  std::string token;
  int64_t last_ts = 0;
  while (in >> token) {
    ScriptStep step;
    if (token[0] == '~') {
      step.is_time = true;
      step.ts = std::stoll(token.substr(1));
      steps.push_back(step);
      continue;
    }
    std::string id = token;
    std::optional<int64_t> ts;
    const size_t colon = id.find(':');
    if (colon != std::string::npos) {
      step.value = std::stoll(id.substr(colon + 1));
      id = id.substr(0, colon);
    }
    const size_t at = id.find('@');
    if (at != std::string::npos) {
      ts = std::stoll(id.substr(at + 1));
      id = id.substr(0, at);
    }
    step.id = id;
    step.ts = ts.value_or(last_ts + 1);
    last_ts = step.ts;
    steps.push_back(step);
  }
  return steps;
}

// Canonical order within one batch of output (one OnEvent or AdvanceTime call):
// CEP_SEMANTICS.md §8 leaves the order of matches with the same first event
// open, so each run of adjacent items of the same kind with the same first event
// is stably re-sorted by a fixed tie-break before comparing. Everything else
// keeps the emission order (by first event, and a time advance's matches before
// its timeouts), so the tests see it.
inline std::optional<std::pair<int64_t, uint64_t>> FirstEventPosition(const Match& match) {
  std::optional<std::pair<int64_t, uint64_t>> first;
  for (const auto& stage : match.stages) {
    for (const auto& e : stage) {
      const std::pair<int64_t, uint64_t> pos{e->ts().millis(), e->seq()};
      if (!first || pos < *first) first = pos;
    }
  }
  return first;
}

template <typename Less>
void CanonicalizeBatch(std::vector<Match>& out, size_t batch_begin, Less less) {
  size_t begin = batch_begin;
  while (begin < out.size()) {
    size_t end = begin + 1;
    while (end < out.size() && out[end].kind == out[begin].kind &&
           FirstEventPosition(out[end]) == FirstEventPosition(out[begin])) {
      ++end;
    }
    std::stable_sort(out.begin() + static_cast<std::ptrdiff_t>(begin),
                     out.begin() + static_cast<std::ptrdiff_t>(end), less);
    begin = end;
  }
}

// Runs `script` through a fresh matcher of type M and formats what it emitted.
template <typename M, typename Less>
std::vector<Match> RunScriptRaw(const std::shared_ptr<const Pattern>& pattern,
                                std::string_view script, Less less,
                                size_t* partials_left = nullptr) {
  M matcher(pattern);
  EventFactory factory;
  std::vector<Match> out;
  for (const ScriptStep& step : ParseScript(script)) {
    const size_t begin = out.size();
    if (step.is_time) {
      matcher.AdvanceTime(EventTime::FromMillis(step.ts), out);
    } else {
      matcher.OnEvent(factory.Make(step.id, step.ts, step.value), out);
    }
    CanonicalizeBatch(out, begin, less);
  }
  if (partials_left != nullptr) *partials_left = matcher.partial_match_count();
  return out;
}

}  // namespace cep::testing
