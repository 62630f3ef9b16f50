#include "cep/ruleset_runner.h"

#include <algorithm>
#include <charconv>
#include <deque>
#include <optional>
#include <unordered_map>

#include "cep/base/decimal.h"
#include "cep/expr/eval_context.h"
#include "cep/nfa/nfa_matcher.h"
#include "cep/regex_bits.h"
#include "cep/window/firing_window_state.h"
#include "cep/window/last_window_state.h"

namespace cep {
namespace {

// A partial or complete match seen through the MatchView interface, for emit
// expressions that read stages (`sum(small.amount)`, `large.amount`).
class StagesView final : public MatchView {
 public:
  explicit StagesView(const std::vector<std::vector<std::shared_ptr<const Event>>>& stages)
      : stages_(stages) {}
  void ForEachEvent(StageIndex stage, FunctionRef<void(const Event&)> fn) const override {
    if (stage >= stages_.size()) return;
    for (const auto& event : stages_[stage]) fn(*event);
  }

 private:
  const std::vector<std::vector<std::shared_ptr<const Event>>>& stages_;
};

FieldValue ToFieldValue(const Value& v) {
  switch (v.type()) {
    case Type::kNull: return std::monostate();
    case Type::kBool: return v.bool_value();
    case Type::kInt: return v.int_value();
    case Type::kFloat: return v.float_value();
    case Type::kDecimal: return v.AsDouble();
    case Type::kString: return std::string(v.string_value());
    case Type::kTime: return v.time_value().millis();
    case Type::kDuration: return v.duration_value().millis();
  }
  return std::monostate();
}

// The text of one key field; nullopt when it is null (the event has no key).
std::optional<std::string> KeyText(const Value& v) {
  switch (v.type()) {
    case Type::kNull: return std::nullopt;
    case Type::kString: return std::string(v.string_value());
    case Type::kInt: return std::to_string(v.int_value());
    case Type::kDecimal: return FormatDecimalMicros(v.decimal_micros());
    case Type::kBool: return v.bool_value() ? "true" : "false";
    case Type::kTime: return std::to_string(v.time_value().millis());
    case Type::kDuration: return std::to_string(v.duration_value().millis());
    case Type::kFloat: {
      char buf[32];
      auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v.float_value());
      return std::string(buf, end);
    }
  }
  return std::nullopt;
}

// `key F, G` as one string ("acct-42", or "acct-42|card-7"); "" for `key none`.
std::optional<std::string> KeyOf(const Event& event, const std::vector<SlotIndex>& slots) {
  std::string key;
  for (size_t i = 0; i < slots.size(); ++i) {
    auto text = KeyText(event.field(slots[i]));
    if (!text) return std::nullopt;
    if (i > 0) key += '|';
    key += *text;
  }
  return key;
}

}  // namespace

// The state of one rule for one key.
struct KeyState {
  std::optional<NfaMatcher> nfa;
  // Pattern rules: first + within of each partial started, in order. The NFA's
  // timeouts are due at these times; each becomes the key's timer in turn.
  std::deque<EventTime> deadlines;
  std::optional<LastWindowState> last;
  std::optional<FiringWindowState> firing;
  EventTime suppressed_until = EventTime::Min();
  EventTime armed = EventTime::Max();  // the timer pending for this key, if any
};

struct RulesetRunner::RuleRuntime {
  const Rule* rule = nullptr;
  std::unordered_map<std::string, KeyState> keys;
};

struct RulesetRunner::Timer {
  EventTime when;
  uint32_t rule;
  std::string key;
  // std::push_heap builds a max-heap: invert for the earliest first.
  bool operator<(const Timer& other) const { return when > other.when; }
};

namespace {

// Per-call evaluation scratch shared by the helpers below; lives in the .cc so
// the header stays free of expression internals.
struct Scratch {
  EvalContext ctx;
  std::vector<uint64_t> regex_words;
  std::vector<Match> matches;
  std::vector<AggregateInput> inputs;
  std::vector<Value> results;
  std::vector<WindowResult> fired;
};
thread_local Scratch scratch;

void PointAt(const Program& program, const Event* event) {
  scratch.ctx.event = event;
  scratch.ctx.match = nullptr;
  scratch.ctx.aggregates = {};
  scratch.ctx.regex = event != nullptr
                          ? ReadRegexMatches(*event, program.regex, scratch.regex_words)
                          : RegexMatches();
}

}  // namespace

RulesetRunner::RulesetRunner(std::shared_ptr<const Program> program)
    : program_(std::move(program)) {
  for (const Rule& rule : program_->rules) {
    auto runtime = std::make_unique<RuleRuntime>();
    runtime->rule = &rule;
    rules_.push_back(std::move(runtime));
  }
  stats_.rules.resize(rules_.size());
}

RulesetRunner::~RulesetRunner() = default;

size_t RulesetRunner::key_count() const {
  size_t keys = 0;
  for (const auto& rule : rules_) keys += rule->keys.size();
  return keys;
}

void RulesetRunner::OnEvent(std::shared_ptr<const Event> event,
                            std::vector<std::shared_ptr<const Event>>* late_out) {
  ++stats_.events;
  if (event->ts() > watermark_) {
    pending_.Add(std::move(event));
    return;
  }
  ++stats_.late_events;
  bool side_output = false;
  for (uint32_t r = 0; r < rules_.size(); ++r) {
    const LatePolicy& late = rules_[r]->rule->late;
    if (late.kind == LatePolicy::Kind::kAccept && event->ts() > watermark_ - late.accept_within) {
      Process(r, event, late_alerts_);
      continue;
    }
    ++stats_.rules[r].late;
    side_output = side_output || late.kind == LatePolicy::Kind::kSideOutput;
  }
  if (side_output && late_out != nullptr) {
    ++stats_.late_side_output;
    late_out->push_back(std::move(event));
  }
}

void RulesetRunner::AdvanceWatermark(EventTime watermark, std::vector<RuleAlert>& out) {
  CHECK(watermark >= watermark_, "the watermark never goes backwards");
  for (RuleAlert& alert : late_alerts_) out.push_back(std::move(alert));
  late_alerts_.clear();
  watermark_ = watermark;
  released_.clear();
  pending_.ReleaseUpTo(watermark, released_);
  for (const auto& event : released_) {
    for (uint32_t r = 0; r < rules_.size(); ++r) Process(r, event, out);
  }
  released_.clear();
  FireTimers(watermark, out);
}

void RulesetRunner::Process(uint32_t r, const std::shared_ptr<const Event>& event,
                            std::vector<RuleAlert>& out) {
  const Rule& rule = *rules_[r]->rule;
  PointAt(*program_, event.get());
  if (rule.where != nullptr && !rule.where->Test(scratch.ctx)) return;
  std::optional<std::string> key = KeyOf(*event, rule.key_slots);
  if (!key) {
    ++stats_.rules[r].unkeyed;
    return;
  }
  ++stats_.rules[r].evaluated;
  KeyState& state = rules_[r]->keys[*key];
  if (rule.is_pattern()) {
    ProcessPattern(r, *key, state, event, out);
  } else {
    ProcessWindow(r, *key, state, event, out);
  }
}

void RulesetRunner::ProcessPattern(uint32_t r, const std::string& key, KeyState& state,
                                   const std::shared_ptr<const Event>& event,
                                   std::vector<RuleAlert>& out) {
  const auto& body = std::get<PatternBody>(rules_[r]->rule->body);
  if (!state.nfa) state.nfa.emplace(body.nfa);
  scratch.matches.clear();
  state.nfa->OnEvent(event, scratch.matches);
  EmitMatches(r, key, state, out);
  const std::optional<Duration> within = body.nfa->window();
  if (within && state.nfa->partial_match_count() + state.nfa->held_match_count() > 0) {
    const EventTime deadline = event->ts() + *within;
    if (state.deadlines.empty() || state.deadlines.back() < deadline) {
      state.deadlines.push_back(deadline);
    }
    Arm(r, key, state, state.deadlines.front());
  }
}

void RulesetRunner::ProcessWindow(uint32_t r, const std::string& key, KeyState& state,
                                  const std::shared_ptr<const Event>& event,
                                  std::vector<RuleAlert>& out) {
  const auto& body = std::get<WindowBody>(rules_[r]->rule->body);
  // Aggregate inputs: each filter and value read the event (strings borrow the
  // event, which outlives the window's OnEvent call).
  scratch.inputs.resize(body.inputs.size());
  for (size_t i = 0; i < body.inputs.size(); ++i) {
    const WindowBody::Input& input = body.inputs[i];
    scratch.inputs[i].included = input.filter == nullptr || input.filter->Test(scratch.ctx);
    scratch.inputs[i].value = input.value != nullptr ? input.value->Evaluate(scratch.ctx) : Value();
  }
  if (body.spec->kind() == WindowKind::kLast) {
    if (!state.last) state.last.emplace(*body.spec);
    scratch.results.resize(body.inputs.size());
    if (!state.last->OnEvent(event->ts(), scratch.inputs, scratch.results).ok()) {
      ++stats_.rules[r].late;  // behind the key's latest event: only via `late accept`
      return;
    }
    std::vector<Value> results = scratch.results;  // EmitWindow evaluates more expressions
    EmitWindow(r, key, state, event->ts(), event, results, out);
    Arm(r, key, state, state.last->NextDeadline());
    return;
  }
  if (!state.firing) state.firing.emplace(*body.spec);
  if (!state.firing->OnEvent(event->ts(), scratch.inputs).ok()) {
    ++stats_.rules[r].late;
    return;
  }
  Arm(r, key, state, state.firing->NextDeadline());
}

void RulesetRunner::EmitMatches(uint32_t r, const std::string& key, KeyState& state,
                                std::vector<RuleAlert>& out) {
  const Rule& rule = *rules_[r]->rule;
  const auto& body = std::get<PatternBody>(rule.body);
  // Deliver may evaluate expressions, which reuse the scratch: take the matches.
  std::vector<Match> matches = std::move(scratch.matches);
  scratch.matches.clear();
  for (Match& match : matches) {
    RuleAlert alert;
    alert.rule = r;
    alert.kind = match.kind == Match::Kind::kMatch ? RuleAlert::Kind::kMatch
                                                   : RuleAlert::Kind::kTimeout;
    alert.key = key;
    alert.ts = match.ts;
    alert.stages = std::move(match.stages);
    if (alert.kind == RuleAlert::Kind::kMatch && !body.ends_in_negation) {
      // The completing event: the match's last, by (ts, arrival).
      for (const auto& stage : alert.stages) {
        for (const auto& event : stage) {
          if (!alert.event || event->ts() > alert.event->ts() ||
              (event->ts() == alert.event->ts() && event->seq() > alert.event->seq())) {
            alert.event = event;
          }
        }
      }
    }
    if (!rule.emit.empty()) {
      PointAt(*program_, alert.event.get());
      StagesView view(alert.stages);
      scratch.ctx.match = &view;
      for (const EmitField& field : rule.emit) {
        alert.fields.emplace_back(field.name, ToFieldValue(field.expr->Evaluate(scratch.ctx)));
      }
      scratch.ctx.match = nullptr;
    }
    Deliver(r, state, std::move(alert), out);
  }
}

void RulesetRunner::EmitWindow(uint32_t r, const std::string& key, KeyState& state, EventTime ts,
                               std::shared_ptr<const Event> event,
                               std::span<const Value> aggregates, std::vector<RuleAlert>& out) {
  const Rule& rule = *rules_[r]->rule;
  const auto& body = std::get<WindowBody>(rule.body);
  PointAt(*program_, event.get());
  scratch.ctx.aggregates = aggregates;
  if (!body.when->Test(scratch.ctx)) return;
  RuleAlert alert;
  alert.rule = r;
  alert.kind = RuleAlert::Kind::kWindow;
  alert.key = key;
  alert.ts = ts;
  alert.event = std::move(event);
  if (rule.emit.empty()) {
    for (size_t i = 0; i < aggregates.size(); ++i) {
      alert.fields.emplace_back(body.inputs[i].name, ToFieldValue(aggregates[i]));
    }
  } else {
    for (const EmitField& field : rule.emit) {
      alert.fields.emplace_back(field.name, ToFieldValue(field.expr->Evaluate(scratch.ctx)));
    }
  }
  scratch.ctx.aggregates = {};
  Deliver(r, state, std::move(alert), out);
}

void RulesetRunner::Deliver(uint32_t r, KeyState& state, RuleAlert alert,
                            std::vector<RuleAlert>& out) {
  const Rule& rule = *rules_[r]->rule;
  if (rule.suppress) {
    // `suppress D`: after an alert at t, the (rule, key) stays quiet until t + D.
    if (alert.ts < state.suppressed_until) {
      ++stats_.rules[r].suppressed;
      return;
    }
    state.suppressed_until = alert.ts + *rule.suppress;
  }
  ++stats_.rules[r].alerts;
  out.push_back(std::move(alert));
}

void RulesetRunner::Arm(uint32_t r, const std::string& key, KeyState& state, EventTime when) {
  // One live timer per key: the earliest due. Later ones are armed when it fires.
  if (when == EventTime::Max() || state.armed <= when) return;
  state.armed = when;
  timers_.push_back({when, r, key});
  std::push_heap(timers_.begin(), timers_.end());
}

void RulesetRunner::FireTimers(EventTime watermark, std::vector<RuleAlert>& out) {
  while (!timers_.empty() && timers_.front().when <= watermark) {
    std::pop_heap(timers_.begin(), timers_.end());
    Timer timer = std::move(timers_.back());
    timers_.pop_back();
    auto& keys = rules_[timer.rule]->keys;
    auto it = keys.find(timer.key);
    if (it == keys.end() || it->second.armed != timer.when) continue;  // stale
    KeyState& state = it->second;
    state.armed = EventTime::Max();
    FireKey(timer.rule, timer.key, state, watermark, out);
    const bool idle = (!state.nfa || state.nfa->partial_match_count() +
                                             state.nfa->held_match_count() == 0) &&
                      (!state.last || state.last->empty()) &&
                      (!state.firing || state.firing->empty());
    if (idle && state.armed == EventTime::Max() && state.suppressed_until <= watermark) {
      keys.erase(it);  // nothing left to remember for this key
    }
  }
}

void RulesetRunner::FireKey(uint32_t r, const std::string& key, KeyState& state,
                            EventTime watermark, std::vector<RuleAlert>& out) {
  if (state.nfa) {
    scratch.matches.clear();
    state.nfa->AdvanceTime(watermark, scratch.matches);
    EmitMatches(r, key, state, out);
    while (!state.deadlines.empty() && state.deadlines.front() <= watermark) {
      state.deadlines.pop_front();
    }
    if (state.nfa->partial_match_count() + state.nfa->held_match_count() == 0) {
      state.deadlines.clear();
    } else if (!state.deadlines.empty()) {
      Arm(r, key, state, state.deadlines.front());
    }
  }
  if (state.firing) {
    std::vector<WindowResult> fired;
    state.firing->AdvanceWatermark(watermark, fired);
    for (const WindowResult& window : fired) {
      // Stamped with the window's end: the alert says "this window, closed".
      EmitWindow(r, key, state, window.end, nullptr, window.values, out);
    }
    Arm(r, key, state, state.firing->NextDeadline());
  }
  if (state.last) {
    state.last->AdvanceWatermark(watermark);
    if (!state.last->empty()) Arm(r, key, state, state.last->NextDeadline());
  }
}

}  // namespace cep
