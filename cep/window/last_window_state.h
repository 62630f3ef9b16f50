#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>

#include "cep/base/result.h"
#include "cep/base/time.h"
#include "cep/value.h"
#include "cep/window/internal/aggregate_ops.h"
#include "cep/window/internal/word_ring.h"
#include "cep/window/window_spec.h"

namespace cep::internal {
class ByteReader;
}  // namespace cep::internal

namespace cep {

// The `window last D` state of one (rule, key): at each event at t, the rule's
// aggregates over the key's events with ts in (t - D, t] (an event at exactly t - D is
// out; events with equal ts count in arrival order, so the k-th of them sees the k-1
// before it). Semantics: cep/window/README.md.
//
// Incremental: a ring of entries (ts, mask, payloads) with running counts and sums,
// monotonic deques for min/max, reference-counted owned strings for count_distinct;
// each event is amortised O(aggregates).
//
// Ownership: borrows `spec`, which must outlive the state (the rule's operator holds
// the spec and all its keys' states; a reload swaps both). Move-only.
// Threading: one owner, the slot that owns the key.
class LastWindowState {
 public:
  explicit LastWindowState(const WindowSpec& spec);  // CHECK: spec.kind() == kLast
  LastWindowState(LastWindowState&&) noexcept = default;
  LastWindowState& operator=(LastWindowState&&) noexcept = default;
  ~LastWindowState() = default;

  // Adds an event that passed the rule's `where`: `inputs` has one entry per aggregate.
  // Writes the aggregates at ts into `results` (one per aggregate, spec order).
  // OutOfRange, state and results untouched, when ts is before the latest ts: events
  // must come in ts order (the event-time layer sorts), so this is a late event.
  Status OnEvent(EventTime ts, std::span<const AggregateInput> inputs, std::span<Value> results);

  // Drops entries no later non-late event can see (ts <= watermark - D), so an idle
  // key's memory goes back; when empty() the engine may drop the state altogether.
  void AdvanceWatermark(EventTime watermark);
  // The watermark at which the state becomes empty: latest ts + D (Max when empty).
  EventTime NextDeadline() const;
  bool empty() const { return entries_.empty(); }
  size_t entry_count() const { return entries_.size(); }

  // For inspection (RulesetRunner::Explain), read-only: the ts of the key's latest
  // entry (Min when empty), and the aggregates over the entries kept, as the latest
  // OnEvent returned them (unless AdvanceWatermark evicted entries since), one per
  // aggregate in spec order (CHECK).
  EventTime latest() const;
  void CurrentValues(std::span<Value> results) const;

  // Memory held for this key: the object plus its heap (ring, slots, deques, maps).
  size_t ByteSize() const;

  // The state as bytes (README, "Snapshot format"); Restore() rebuilds an equal state.
  // Restore fails with DataLoss on truncated or corrupt bytes and InvalidArgument when
  // they were written for another spec; it never crashes.
  std::string Snapshot() const;
  static Result<LastWindowState> Restore(const WindowSpec& spec, std::string_view bytes);

 private:
  // Owned strings (or 8 payload bytes) with the number of entries holding each.
  struct KeyHash {
    using is_transparent = void;
    size_t operator()(std::string_view key) const { return std::hash<std::string_view>{}(key); }
  };
  using DistinctCounts = std::unordered_map<std::string, uint32_t, KeyHash, std::equal_to<>>;
  using DistinctNode = DistinctCounts::value_type;

  void Append(EventTime ts, std::span<const AggregateInput> inputs);
  void AppendExtreme(size_t aggregate, uint64_t payload);
  uint64_t AddDistinct(size_t aggregate, std::string_view key);
  void EvictUpTo(EventTime cutoff);
  void EvictFront();
  void AfterEvictions(uint32_t evicted);
  void ResumFloats();
  void WriteResults(std::span<Value> results) const;
  Status RestoreEntries(internal::ByteReader& reader);
  Status RestoreExtremes(internal::ByteReader& reader);

  const WindowSpec* spec_;
  internal::WordRing entries_;
  internal::AggregateSlot* slots() { return heap_slots_ ? heap_slots_.get() : inline_slots_; }
  const internal::AggregateSlot* slots() const {
    return heap_slots_ ? heap_slots_.get() : inline_slots_;
  }

  // One slot per aggregate; up to kInlineSlots live in the object, which saves an
  // allocation and a cache miss per event for the common count+sum rule.
  static constexpr size_t kInlineSlots = 2;
  internal::AggregateSlot inline_slots_[kInlineSlots];
  std::unique_ptr<internal::AggregateSlot[]> heap_slots_;
  std::unique_ptr<internal::WordRing[]> extremes_;  // rows (entry seq, payload)
  std::unique_ptr<DistinctCounts[]> distinct_;
  uint64_t first_seq_ = 0;  // sequence number of the oldest entry
  // Float sums are running additions and subtractions, so rounding residue builds up;
  // they are recomputed from the entries after as many evictions as there are entries
  // (amortised O(1)), which bounds the error to about one window's worth of operations.
  uint32_t evictions_since_resum_ = 0;
};

}  // namespace cep
