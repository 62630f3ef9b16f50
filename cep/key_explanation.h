#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cep/base/time.h"
#include "cep/field_value.h"

namespace cep {

class Event;

// What RulesetRunner::Explain returns: the live state of one key across the
// rules of a runner (`GET /v1/keys/{key}/state`). Plain values, built on the
// runner's thread; the events are shared with the runner (immutable), so the
// explanation may be read on any thread afterwards.

// One partial match ("run") of a pattern rule in flight.
struct PartialMatchView {
  // The stages that took events so far, in pattern order: (stage name, events in
  // acceptance order). Stages with no event yet are left out.
  std::vector<std::pair<std::string, std::vector<std::shared_ptr<const Event>>>> stages;
  EventTime started;  // the first event's ts
  // started + within, when the pattern has `within`: the watermark at which the
  // run times out (or, for a pattern ending in not_followed_by, completes).
  std::optional<EventTime> expires;
};

// One window of a velocity rule for the key, with its aggregates as the rule's
// `when` (and emit) would see them.
struct WindowView {
  // (the aggregate as written in the rule, e.g. "sum(amount)", its value), in the
  // order of WindowBody::inputs.
  std::vector<std::pair<std::string, FieldValue>> aggregates;
  // `tumbling`/`sliding`/`session`: the open window [window_start, window_end),
  // which fires once the watermark reaches window_end - 1.
  // `last D`: the window of the key's latest event at t, (t - D, t]
  // (window_start = t - D, excluded; window_end = t, included): the values `when`
  // saw at that event.
  EventTime window_start;
  EventTime window_end;
  // Events in the window: always known for `last`; for the firing windows only when
  // the rule has an unfiltered count() (the window keeps per-aggregate counts only).
  std::optional<uint64_t> events;
};

// One rule's state for the key.
struct RuleKeyExplanation {
  uint32_t rule = 0;  // index into Program::rules
  std::string rule_name;
  std::string kind;  // "pattern" or "window"
  std::vector<PartialMatchView> partial_matches;  // patterns: oldest first
  std::vector<WindowView> windows;  // windows: `last` one; firing ones by start
  // The end of the rule's `suppress` for this key, when it is still ahead of the
  // watermark (alerts before it are held back).
  std::optional<EventTime> suppressed_until;
};

struct KeyExplanation {
  std::string key;  // as alerts carry it (RuleAlert::key)
  EventTime watermark;
  // Events buffered for the watermark (not matched yet) whose key, under any
  // rule's `key` fields, is this key.
  size_t pending_events = 0;
  // Only rules with state for the key, by rule index.
  std::vector<RuleKeyExplanation> rules;
};

}  // namespace cep
