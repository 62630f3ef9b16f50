#pragma once

// Helpers for the NFA's own tests: a two-field test schema (slot 0 `type`,
// string; slot 1 `value`, int), event streams written as text, stage builders
// and a compact text form of matches.
#include <cctype>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "cep/event.h"
#include "cep/nfa/nfa_matcher.h"
#include "cep/nfa/pattern.h"

namespace cep::nfa_test {

inline constexpr SlotIndex kTypeSlot = 0;
inline constexpr SlotIndex kValueSlot = 1;

// "a1" -> type "a"; "a1=7" sets value 7; "a1@5" sets ts 5 (default: position + 1).
// seq is the position in the stream.
inline std::vector<std::shared_ptr<const Event>> Stream(const std::string& text) {
  std::vector<std::shared_ptr<const Event>> events;
  std::istringstream in(text);
  std::string token;
  EventBuilder builder(2);
  while (in >> token) {
    int64_t ts = static_cast<int64_t>(events.size()) + 1;
    int64_t value = 0;
    const size_t at = token.find('@');
    if (at != std::string::npos) {
      ts = std::stoll(token.substr(at + 1));
      token = token.substr(0, at);
    }
    const size_t eq = token.find('=');
    if (eq != std::string::npos) {
      value = std::stoll(token.substr(eq + 1));
      token = token.substr(0, eq);
    }
    size_t type_end = 0;
    while (type_end < token.size() && std::isalpha(static_cast<unsigned char>(token[type_end]))) {
      ++type_end;
    }
    builder.SetTs(EventTime::FromMillis(ts))
        .SetSeq(events.size())
        .SetId(token)
        .Set(kTypeSlot, Value::String(token.substr(0, type_end)))
        .Set(kValueSlot, Value::Int(value));
    events.push_back(std::make_shared<const Event>(builder.Build()));
  }
  return events;
}

inline std::shared_ptr<const Condition> IsType(std::string type) {
  return MakeCondition([type](const Event& e, const MatchView&) {
    return e.field(kTypeSlot).string_value() == type;
  });
}

// A positive stage named `name` accepting events of type `name`.
inline Stage S(std::string name, Contiguity contiguity = Contiguity::kRelaxed) {
  Stage stage;
  stage.where = IsType(name);
  stage.name = std::move(name);
  stage.contiguity = contiguity;
  return stage;
}
inline Stage Next(std::string name) { return S(std::move(name), Contiguity::kStrict); }
inline Stage Any(std::string name) { return S(std::move(name), Contiguity::kNonDeterministic); }
inline Stage NotNext(std::string name) {
  Stage stage = S(std::move(name));
  stage.kind = StageKind::kNotNext;
  return stage;
}
inline Stage NotFollowedBy(std::string name) {
  Stage stage = S(std::move(name));
  stage.kind = StageKind::kNotFollowedBy;
  return stage;
}
inline Stage Loop(Stage stage, uint32_t min = 1, uint32_t max = kUnboundedTimes) {
  stage.quantifier.min = min;
  stage.quantifier.max = max;
  return stage;
}
inline Stage Opt(Stage stage) {
  stage.quantifier.optional = true;
  return stage;
}
inline Stage Greedy(Stage stage) {
  stage.quantifier.greedy = true;
  return stage;
}
inline Stage Inner(Stage stage, Contiguity inner) {
  stage.quantifier.inner = inner;
  return stage;
}
inline Stage Until(Stage stage, std::string type) {
  stage.until = IsType(std::move(type));
  return stage;
}

inline std::shared_ptr<const Pattern> P(std::vector<Stage> stages,
                                        std::optional<Duration> within = std::nullopt,
                                        AfterMatchSkip skip = {}, bool emit_timeouts = false) {
  auto pattern = std::make_shared<Pattern>();
  pattern->stages = std::move(stages);
  pattern->within = within;
  pattern->skip = skip;
  pattern->emit_timeouts = emit_timeouts;
  return pattern;
}

// "a1 b2" for a match (events in stage order), "T13:a1" for a timeout at 13;
// "@ts" appended when `with_ts`.
inline std::string Format(const Match& match, bool with_ts = false) {
  std::string out;
  if (match.kind == Match::Kind::kTimeout) out = "T" + std::to_string(match.ts.millis()) + ":";
  bool first = true;
  for (const auto& stage : match.stages) {
    for (const auto& event : stage) {
      if (!first) out += " ";
      out += std::string(event->id());
      first = false;
    }
  }
  if (with_ts) out += "@" + std::to_string(match.ts.millis());
  return out;
}

inline std::vector<std::string> FormatAll(const std::vector<Match>& matches, bool with_ts = false) {
  std::vector<std::string> out;
  for (const Match& m : matches) out.push_back(Format(m, with_ts));
  return out;
}

// Runs the stream through a fresh matcher and, if `watermark` is given,
// advances time to it at the end.
inline std::vector<std::string> Matches(std::shared_ptr<const Pattern> pattern, const std::string& stream,
                                    std::optional<int64_t> watermark = std::nullopt,
                                    bool with_ts = false) {
  NfaMatcher matcher(std::move(pattern));
  std::vector<Match> out;
  for (auto& event : Stream(stream)) matcher.OnEvent(event, out);
  if (watermark) matcher.AdvanceTime(EventTime::FromMillis(*watermark), out);
  return FormatAll(out, with_ts);
}

}  // namespace cep::nfa_test
