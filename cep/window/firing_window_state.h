#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "cep/base/result.h"
#include "cep/base/time.h"
#include "cep/window/internal/aggregate_ops.h"
#include "cep/window/window_spec.h"

namespace cep::internal {
class ByteReader;
}  // namespace cep::internal

namespace cep {

// The state of one (rule, key) for the windows that fire on the watermark:
// `tumbling D` ([kD, (k+1)D)), `sliding D every S` ([kS, kS + D)) and
// `session gap D` ([first, last + D), merging activity closer than D apart).
// A window [start, end) fires once the watermark is >= end - 1, i.e. once every event
// with ts < end has arrived (an event is late when ts <= watermark). Windows fire in
// order of end; a window exists only once an event fell in it, so empty windows never
// fire. Semantics: cep/window/README.md.
//
// Ownership: borrows `spec`, which must outlive the state. Move-only.
// Threading: one owner, the slot that owns the key.
class FiringWindowState {
 public:
  // CHECK: spec.kind() is kTumbling, kSliding or kSession.
  explicit FiringWindowState(const WindowSpec& spec);
  FiringWindowState(FiringWindowState&&) noexcept = default;
  FiringWindowState& operator=(FiringWindowState&&) noexcept = default;
  ~FiringWindowState() = default;

  // Adds an event that passed the rule's `where` (one input per aggregate) to every
  // window containing it that has not fired. Events should come in ts order, but a late
  // one (accepted by the rule's late policy) still joins the windows still open.
  // OutOfRange, state unchanged, when all of its windows already fired (too late) or
  // |ts| >= 2^62 ms.
  Status OnEvent(EventTime ts, std::span<const AggregateInput> inputs);

  // Fires every window with end - 1 <= watermark: appends them to `out` in order of
  // end, then forgets them. CHECK: the watermark never goes backwards.
  void AdvanceWatermark(EventTime watermark, std::vector<WindowResult>& out);

  // The watermark at which the next window fires (end - 1 of the earliest open
  // window), or Max when none is open: the engine's timer for this key.
  EventTime NextDeadline() const;
  bool empty() const { return windows_.empty(); }
  size_t open_window_count() const { return windows_.size(); }
  // For inspection (RulesetRunner::Explain), read-only: every open window with
  // its aggregates so far (what it would fire with now), in order of start.
  std::vector<WindowResult> OpenWindows() const;
  EventTime watermark() const { return watermark_; }

  // Memory held for this key: the object plus its heap.
  size_t ByteSize() const;

  // The state as bytes (README, "Snapshot format"); Restore() rebuilds an equal state.
  // DataLoss on truncated or corrupt bytes, InvalidArgument when written for another
  // spec; never crashes.
  std::string Snapshot() const;
  static Result<FiringWindowState> Restore(const WindowSpec& spec, std::string_view bytes);

 private:
  struct KeyHash {
    using is_transparent = void;
    size_t operator()(std::string_view key) const { return std::hash<std::string_view>{}(key); }
  };
  using DistinctSet = std::unordered_set<std::string, KeyHash, std::equal_to<>>;

  struct OpenWindow {
    int64_t start = 0;
    int64_t end = 0;                                   // exclusive
    std::unique_ptr<internal::AggregateSlot[]> slots;  // one per aggregate
    std::unique_ptr<DistinctSet[]> distinct;           // one per count_distinct
  };

  OpenWindow NewWindow(int64_t start, int64_t end) const;
  bool HasFired(int64_t end) const { return watermark_.millis() >= end - 1; }
  OpenWindow& FindOrInsert(int64_t start, int64_t end);
  Status AddToSession(int64_t ts, std::span<const AggregateInput> inputs);
  void MergeInto(OpenWindow& into, OpenWindow& from) const;
  void Accumulate(OpenWindow& window, std::span<const AggregateInput> inputs) const;
  WindowResult Finish(const OpenWindow& window) const;
  Status RestoreWindow(internal::ByteReader& reader);

  const WindowSpec* spec_;
  std::vector<OpenWindow> windows_;  // by start; non-overlapping or equal-length, so by end too
  EventTime watermark_ = EventTime::Min();
};

}  // namespace cep
