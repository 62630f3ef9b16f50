#include "cep/ruleset_runner.h"

#include <algorithm>
#include <functional>
#include <optional>
#include <string_view>

#include "cep/expr/eval_context.h"
#include "cep/internal/runner_state.h"
#include "cep/key_text.h"
#include "cep/regex_bits.h"

namespace cep {

using internal::AsFiring;
using internal::AsLast;
using internal::AsPattern;
using internal::FiringState;
using internal::LastState;
using internal::PatternIdle;
using internal::PatternState;
using internal::StateKind;
using internal::ToFieldValue;

FieldValue internal::ToFieldValue(const Value& v) {
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

// Per-call evaluation scratch shared by the helpers below; lives in the .cc so
// the header stays free of expression internals.
struct Scratch {
  EvalContext ctx;
  std::vector<uint64_t> regex_words;
  std::vector<Match> matches;
  std::vector<Match> emitting;
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
    if (rule.is_pattern()) {
      runtime->kind = StateKind::kPattern;
    } else {
      runtime->kind = std::get<WindowBody>(rule.body).spec->kind() == WindowKind::kLast
                          ? StateKind::kLast
                          : StateKind::kFiring;
    }
    auto same = std::find_if(key_tables_.begin(), key_tables_.end(),
                             [&](const auto& table) { return table->slots() == rule.key_slots; });
    runtime->table = static_cast<uint32_t>(same - key_tables_.begin());
    if (same == key_tables_.end()) key_tables_.push_back(std::make_unique<KeyTable>(rule.key_slots));
    rules_.push_back(std::move(runtime));
  }
  cached_keys_.resize(key_tables_.size());
  stats_.rules.resize(rules_.size());
}

RulesetRunner::~RulesetRunner() = default;

size_t RulesetRunner::key_count() const {
  size_t keys = 0;
  for (const auto& rule : rules_) keys += rule->live;
  return keys;
}

const std::string& RulesetRunner::KeyText(uint32_t r, uint32_t key) const {
  return key_tables_[rules_[r]->table]->key(key);
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
  ++event_serial_;
  pointed_ = false;
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
  if (!pending_.empty()) {
    released_.clear();
    pending_.ReleaseUpTo(watermark, released_);
    // Keyed state is usually cold (one key among millions): start loading the
    // key index slots of an event a few places ahead while matching this one.
    // (Prefetching the state pointers and states too, in further stages, was
    // slower for round-robin keys: the extra key building costs more than it saves.)
    constexpr size_t kPrefetchAhead = 4;
    for (size_t i = 0; i < released_.size(); ++i) {
      if (i + kPrefetchAhead < released_.size()) PrefetchKeys(*released_[i + kPrefetchAhead]);
      ProcessEvent(released_[i], out);
    }
    released_.clear();
  }
  if (!timers_.empty() && timers_.front().when <= watermark) FireTimers(watermark, out);
}

void RulesetRunner::ProcessEvent(const std::shared_ptr<const Event>& event,
                                 std::vector<RuleAlert>& out) {
  ++event_serial_;  // new event: cached keys and the scratch's pointing are stale
  pointed_ = false;
  for (uint32_t r = 0; r < rules_.size(); ++r) Process(r, event, out);
}

void RulesetRunner::PrefetchKeys(const Event& event) {
  for (const auto& table : key_tables_) {
    const std::vector<SlotIndex>& slots = table->slots();
    if (slots.empty()) continue;
    prefetch_buffer_.clear();
    if (AppendEventKey(event, slots, prefetch_buffer_)) table->Prefetch(prefetch_buffer_);
  }
}

std::optional<uint32_t> RulesetRunner::KeyIdOf(uint32_t t, const Event& event) {
  CachedKey& cached = cached_keys_[t];
  if (cached.serial == event_serial_) return cached.id;
  cached.serial = event_serial_;
  KeyTable& table = *key_tables_[t];
  // `key F, G` as one string ("acct-42", or "acct-42|card-7"); "" for `key none`.
  key_buffer_.clear();
  cached.id = AppendEventKey(event, table.slots(), key_buffer_)
                  ? std::optional<uint32_t>(table.Intern(key_buffer_))
                  : std::nullopt;
  return cached.id;
}

KeyState& RulesetRunner::StateFor(uint32_t r, uint32_t key) {
  RuleRuntime& runtime = *rules_[r];
  if (key >= runtime.states.size()) {
    runtime.states.resize(std::max<size_t>(key_tables_[runtime.table]->id_limit(), 16), nullptr);
  }
  KeyState*& state = runtime.states[key];
  if (state == nullptr) {
    switch (runtime.kind) {
      case StateKind::kPattern:
        state = new PatternState(std::get<PatternBody>(runtime.rule->body).nfa);
        break;
      case StateKind::kLast:
        state = new LastState(*std::get<WindowBody>(runtime.rule->body).spec);
        break;
      case StateKind::kFiring:
        state = new FiringState(*std::get<WindowBody>(runtime.rule->body).spec);
        break;
    }
    state->snapshot_epoch = snapshot_epoch_;  // not part of a snapshot in progress
    key_tables_[runtime.table]->AddHolder(key);
    ++runtime.live;
  } else if (snapshotting_ && state->snapshot_epoch != snapshot_epoch_) {
    WriteKeyRecord(r, key, *state);  // copy on write: the snapshot gets it as it was
  }
  return *state;
}

void RulesetRunner::Process(uint32_t r, const std::shared_ptr<const Event>& event,
                            std::vector<RuleAlert>& out) {
  const RuleRuntime& runtime = *rules_[r];
  const Rule& rule = *runtime.rule;
  if (!pointed_) {
    PointAt(*program_, event.get());
    pointed_ = true;
  }
  if (rule.where != nullptr && !rule.where->Test(scratch.ctx)) return;
  const std::optional<uint32_t> key = KeyIdOf(runtime.table, *event);
  if (!key) {
    ++stats_.rules[r].unkeyed;
    return;
  }
  ++stats_.rules[r].evaluated;
  KeyState& state = StateFor(r, *key);
  state.partition = event->partition();
  if (runtime.kind == StateKind::kPattern) {
    ProcessPattern(r, *key, state, event, out);
  } else {
    ProcessWindow(r, *key, state, event, out);
  }
}

void RulesetRunner::ProcessPattern(uint32_t r, uint32_t key, KeyState& key_state,
                                   const std::shared_ptr<const Event>& event,
                                   std::vector<RuleAlert>& out) {
  PatternState& state = AsPattern(key_state);
  const auto& body = std::get<PatternBody>(rules_[r]->rule->body);
  scratch.matches.clear();
  state.nfa.OnEvent(event, scratch.matches);
  if (!scratch.matches.empty()) EmitMatches(r, key, state, out, &event);
  const std::optional<Duration> within = body.nfa->window();
  if (within && !PatternIdle(state)) {
    const EventTime deadline = event->ts() + *within;
    if (state.deadlines.empty() || state.deadlines.back() < deadline) {
      state.deadlines.push_back(deadline);
    }
    Arm(r, key, state, state.deadlines.front());
  }
  if (PatternIdle(state) && state.armed == EventTime::Max()) {
    // The event started nothing (or completed everything): the key has nothing
    // to remember once the suppression is over. A timer at that time lets
    // FireTimer evict it, so keys that only ever see non-starting events do
    // not pile up.
    Arm(r, key, state, std::max(event->ts(), state.suppressed_until));
  }
}

void RulesetRunner::ProcessWindow(uint32_t r, uint32_t key, KeyState& state,
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
  if (rules_[r]->kind == StateKind::kLast) {
    LastState& last = AsLast(state);
    scratch.results.resize(body.inputs.size());
    if (!last.last.OnEvent(event->ts(), scratch.inputs, scratch.results).ok()) {
      ++stats_.rules[r].late;  // behind the key's latest event: only via `late accept`
      return;
    }
    // EmitWindow evaluates more expressions, none of which touch scratch.results.
    EmitWindow(r, key, state, event->ts(), event, scratch.results, out);
    Arm(r, key, state, last.last.NextDeadline());
    return;
  }
  FiringState& firing = AsFiring(state);
  if (!firing.firing.OnEvent(event->ts(), scratch.inputs).ok()) {
    ++stats_.rules[r].late;
    return;
  }
  Arm(r, key, state, firing.firing.NextDeadline());
}

void RulesetRunner::EmitMatches(uint32_t r, uint32_t key, KeyState& state,
                                std::vector<RuleAlert>& out,
                                const std::shared_ptr<const Event>* trigger) {
  const Rule& rule = *rules_[r]->rule;
  const auto& body = std::get<PatternBody>(rule.body);
  // Deliver may evaluate expressions, which reuse the scratch: take the matches.
  std::vector<Match> matches;
  matches.swap(scratch.emitting);
  matches.swap(scratch.matches);  // scratch.matches gets the spare (empty) buffer
  for (Match& match : matches) {
    RuleAlert alert;
    alert.rule = r;
    alert.kind = match.kind == Match::Kind::kMatch ? RuleAlert::Kind::kMatch
                                                   : RuleAlert::Kind::kTimeout;
    alert.key = KeyText(r, key);
    alert.ts = match.ts;
    alert.stages = std::move(match.stages);
    if (alert.kind == RuleAlert::Kind::kMatch && body.ends_in_not_next && trigger != nullptr &&
        (*trigger)->ts() == match.ts) {
      // not_next at the end (CEP_SEMANTICS.md §6): the event after the match,
      // which is not an X, completed it (INTERFACES.md: `event`).
      alert.event = *trigger;
    } else if (alert.kind == RuleAlert::Kind::kMatch && !body.ends_in_negation) {
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
      pointed_ = false;
      StagesView view(alert.stages);
      scratch.ctx.match = &view;
      for (const EmitField& field : rule.emit) {
        alert.fields.emplace_back(field.name, ToFieldValue(field.expr->Evaluate(scratch.ctx)));
      }
      scratch.ctx.match = nullptr;
    } else {
      // No emit: the values the conditions compared, from each stage's last event.
      for (const PatternBody::ComparedField& field : body.compared_fields) {
        if (field.stage >= alert.stages.size() || alert.stages[field.stage].empty()) continue;
        alert.fields.emplace_back(field.name,
                                  ToFieldValue(alert.stages[field.stage].back()->field(field.slot)));
      }
    }
    Deliver(r, state, std::move(alert), out);
  }
  matches.clear();
  matches.swap(scratch.emitting);  // keep the capacity for the next time
}

void RulesetRunner::EmitWindow(uint32_t r, uint32_t key, KeyState& state, EventTime ts,
                               std::shared_ptr<const Event> event,
                               std::span<const Value> aggregates, std::vector<RuleAlert>& out) {
  const Rule& rule = *rules_[r]->rule;
  const auto& body = std::get<WindowBody>(rule.body);
  if (!pointed_ || scratch.ctx.event != event.get()) {
    PointAt(*program_, event.get());
    pointed_ = false;
  }
  scratch.ctx.aggregates = aggregates;
  if (!body.when->Test(scratch.ctx)) {
    scratch.ctx.aggregates = {};
    return;
  }
  RuleAlert alert;
  alert.rule = r;
  alert.kind = RuleAlert::Kind::kWindow;
  alert.key = KeyText(r, key);
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

void RulesetRunner::Arm(uint32_t r, uint32_t key, KeyState& state, EventTime when) {
  // One live timer per key: the earliest due. Later ones are armed when it fires.
  if (when == EventTime::Max() || state.armed <= when) return;
  state.armed = when;
  timers_.push_back({when, r, key});
  std::push_heap(timers_.begin(), timers_.end());
}

void RulesetRunner::FireTimers(EventTime watermark, std::vector<RuleAlert>& out) {
  pointed_ = false;  // timers evaluate without an event in hand
  while (!timers_.empty() && timers_.front().when <= watermark) {
    // Take every due timer (in heap order, earliest first), then prefetch their
    // states, which are usually cold, before firing them in that order. Firing
    // arms only timers after the watermark, so the order is the heap's.
    due_.clear();
    while (!timers_.empty() && timers_.front().when <= watermark) {
      std::pop_heap(timers_.begin(), timers_.end());
      due_.push_back(timers_.back());
      timers_.pop_back();
    }
    for (const Timer& timer : due_) {
      const RuleRuntime& runtime = *rules_[timer.rule];
      if (timer.key < runtime.states.size()) __builtin_prefetch(&runtime.states[timer.key]);
    }
    for (const Timer& timer : due_) {
      const RuleRuntime& runtime = *rules_[timer.rule];
      if (timer.key < runtime.states.size() && runtime.states[timer.key] != nullptr) {
        __builtin_prefetch(runtime.states[timer.key]);
      }
    }
    for (const Timer& timer : due_) FireTimer(timer, watermark, out);
  }
}

void RulesetRunner::FireTimer(const Timer& timer, EventTime watermark,
                              std::vector<RuleAlert>& out) {
  RuleRuntime& runtime = *rules_[timer.rule];
  // A timer is stale when its state is gone or was re-armed. (A freed key id
  // may be reused; a new state armed at exactly this time is due now anyway.)
  if (timer.key >= runtime.states.size()) return;
  KeyState* state = runtime.states[timer.key];
  if (state == nullptr || state->armed != timer.when) return;
  if (snapshotting_ && state->snapshot_epoch != snapshot_epoch_) {
    WriteKeyRecord(timer.rule, timer.key, *state);  // about to change or go
  }
  state->armed = EventTime::Max();
  FireKey(timer.rule, timer.key, *state, watermark, out);
  bool idle = false;
  switch (runtime.kind) {
    case StateKind::kPattern: idle = PatternIdle(AsPattern(*state)); break;
    case StateKind::kLast: idle = AsLast(*state).last.empty(); break;
    case StateKind::kFiring: idle = AsFiring(*state).firing.empty(); break;
  }
  if (!idle || state->armed != EventTime::Max()) return;
  if (state->suppressed_until > watermark) {
    // Only the suppression is left: forget the key when it ends.
    Arm(timer.rule, timer.key, *state, state->suppressed_until);
    return;
  }
  // Nothing left to remember for this key.
  runtime.Delete(state);
  runtime.states[timer.key] = nullptr;
  --runtime.live;
  key_tables_[runtime.table]->DropHolder(timer.key);
}

void RulesetRunner::FireKey(uint32_t r, uint32_t key, KeyState& state, EventTime watermark,
                            std::vector<RuleAlert>& out) {
  switch (rules_[r]->kind) {
    case StateKind::kPattern: {
      PatternState& pattern = AsPattern(state);
      scratch.matches.clear();
      pattern.nfa.AdvanceTime(watermark, scratch.matches);
      if (!scratch.matches.empty()) EmitMatches(r, key, state, out);
      while (!pattern.deadlines.empty() && pattern.deadlines.front() <= watermark) {
        pattern.deadlines.pop_front();
      }
      if (PatternIdle(pattern)) {
        pattern.deadlines.clear();
      } else if (!pattern.deadlines.empty()) {
        Arm(r, key, state, pattern.deadlines.front());
      }
      break;
    }
    case StateKind::kFiring: {
      FiringState& firing = AsFiring(state);
      scratch.fired.clear();
      firing.firing.AdvanceWatermark(watermark, scratch.fired);
      // EmitWindow reuses the scratch for expressions, not `fired`.
      for (const WindowResult& window : scratch.fired) {
        // Stamped with the window's end: the alert says "this window, closed".
        EmitWindow(r, key, state, window.end, nullptr, window.values, out);
      }
      scratch.fired.clear();
      Arm(r, key, state, firing.firing.NextDeadline());
      break;
    }
    case StateKind::kLast: {
      LastState& last = AsLast(state);
      last.last.AdvanceWatermark(watermark);
      if (!last.last.empty()) Arm(r, key, state, last.last.NextDeadline());
      break;
    }
  }
}

}  // namespace cep
