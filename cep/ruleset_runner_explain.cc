// RulesetRunner::Explain: the live state of one key, for `GET /v1/keys/{key}/state`
// (issue #6). Read-only and off the per-event path: it looks the key up in each
// key table without interning it, and copies what the states hold.
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cep/internal/runner_state.h"
#include "cep/key_text.h"
#include "cep/ruleset_runner.h"

namespace cep {

using internal::AsFiring;
using internal::AsLast;
using internal::AsPattern;
using internal::StateKind;
using internal::ToFieldValue;

namespace {

// The aggregate's name as written in the rule; hand-built rules may leave it empty.
std::string AggregateName(const WindowBody& body, size_t i) {
  if (i < body.inputs.size() && !body.inputs[i].name.empty()) return body.inputs[i].name;
  return "agg" + std::to_string(i);
}

std::vector<std::pair<std::string, FieldValue>> NamedValues(const WindowBody& body,
                                                            std::span<const Value> values) {
  std::vector<std::pair<std::string, FieldValue>> out;
  out.reserve(values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    out.emplace_back(AggregateName(body, i), ToFieldValue(values[i]));
  }
  return out;
}

std::vector<PartialMatchView> PatternViews(const PatternBody& body,
                                           const internal::PatternState& state) {
  const Pattern& pattern = body.nfa->pattern();
  std::vector<PartialMatchView> out;
  for (NfaMatcher::PartialMatch& run : state.nfa.PartialMatches()) {
    PartialMatchView view;
    view.started = run.start;
    if (pattern.within) view.expires = run.start + *pattern.within;
    for (size_t s = 0; s < run.stages.size(); ++s) {
      if (run.stages[s].empty()) continue;
      view.stages.emplace_back(pattern.stages[s].name, std::move(run.stages[s]));
    }
    out.push_back(std::move(view));
  }
  return out;
}

std::vector<WindowView> LastViews(const WindowBody& body, const LastWindowState& last) {
  if (last.empty()) return {};
  std::vector<Value> values(body.spec->aggregate_count());
  last.CurrentValues(values);
  WindowView view;
  view.aggregates = NamedValues(body, values);
  view.window_end = last.latest();
  view.window_start = view.window_end - body.spec->size();
  view.events = last.entry_count();
  return {std::move(view)};
}

std::vector<WindowView> FiringViews(const WindowBody& body, const FiringWindowState& firing) {
  // An unfiltered count() is the number of events in the window; nothing else is kept.
  std::optional<size_t> count_index;
  const auto aggregates = body.spec->aggregates();
  for (size_t i = 0; i < aggregates.size() && !count_index; ++i) {
    if (aggregates[i].function == AggregateFunction::kCount && !aggregates[i].has_filter) {
      count_index = i;
    }
  }
  std::vector<WindowView> out;
  for (const WindowResult& window : firing.OpenWindows()) {
    WindowView view;
    view.aggregates = NamedValues(body, window.values);
    view.window_start = window.start;
    view.window_end = window.end;
    if (count_index) view.events = static_cast<uint64_t>(window.values[*count_index].int_value());
    out.push_back(std::move(view));
  }
  return out;
}

}  // namespace

KeyExplanation RulesetRunner::Explain(std::string_view key) const {
  KeyExplanation out;
  out.key = std::string(key);
  out.watermark = watermark_;
  // Buffered events are not keyed yet: name each under every key field list.
  std::string text;
  pending_.ForEach([&](const std::shared_ptr<const Event>& event) {
    for (const auto& table : key_tables_) {
      text.clear();
      if (AppendEventKey(*event, table->slots(), text) && text == key) {
        ++out.pending_events;
        return;
      }
    }
  });
  for (uint32_t r = 0; r < rules_.size(); ++r) {
    const RuleRuntime& runtime = *rules_[r];
    const std::optional<uint32_t> id = key_tables_[runtime.table]->Find(key);
    if (!id || *id >= runtime.states.size() || runtime.states[*id] == nullptr) continue;
    const KeyState& state = *runtime.states[*id];
    RuleKeyExplanation rule;
    rule.rule = r;
    rule.rule_name = runtime.rule->name;
    if (state.suppressed_until > watermark_) rule.suppressed_until = state.suppressed_until;
    switch (runtime.kind) {
      case StateKind::kPattern:
        rule.kind = "pattern";
        rule.partial_matches =
            PatternViews(std::get<PatternBody>(runtime.rule->body), AsPattern(state));
        break;
      case StateKind::kLast:
        rule.kind = "window";
        rule.windows = LastViews(std::get<WindowBody>(runtime.rule->body), AsLast(state).last);
        break;
      case StateKind::kFiring:
        rule.kind = "window";
        rule.windows = FiringViews(std::get<WindowBody>(runtime.rule->body), AsFiring(state).firing);
        break;
    }
    // A state kept only until its eviction timer shows nothing: leave it out.
    if (rule.partial_matches.empty() && rule.windows.empty() && !rule.suppressed_until) continue;
    out.rules.push_back(std::move(rule));
  }
  return out;
}

}  // namespace cep
