#pragma once

#include <cstddef>
#include <deque>
#include <memory>
#include <optional>
#include <vector>

#include "cep/base/function_ref.h"
#include "cep/base/time.h"
#include "cep/event.h"

namespace cep {

// Holds one key's events until the watermark covers them, then hands them out in
// event-time order: by ts, equal timestamps in arrival (seq) order
// (CEP_SEMANTICS.md §7). Matching in that order is what makes results independent
// of arrival order, so a replay gives the same alerts as live.
//
// Lateness is the caller's decision: an event with ts <= the current watermark is
// late and must not be added (the rule's late policy handles it).
// Threading: one owner (the slot that owns the key).
class EventTimeBuffer {
 public:
  // Adds an event. In-order arrival (the common case) appends to a sorted run
  // in O(1); an out-of-order event goes to a min-heap in O(log n). (Inserting
  // it into the run was O(n): with partitions interleaving, the buffer holds a
  // fetch's worth of events and that cost dominated.)
  void Add(std::shared_ptr<const Event> event);

  // Moves every event with ts <= watermark to `out`, in (ts, seq) order.
  void ReleaseUpTo(EventTime watermark, std::vector<std::shared_ptr<const Event>>& out);

  bool empty() const { return in_order_.empty() && out_of_order_.empty(); }
  size_t size() const { return in_order_.size() + out_of_order_.size(); }
  // The earliest buffered ts: when the watermark reaches it, there is work.
  std::optional<EventTime> earliest() const;

  // Visits every buffered event, in no particular order, without releasing it
  // (checkpoints write them; Add re-adds them on restore, order restored by seq).
  void ForEach(FunctionRef<void(const std::shared_ptr<const Event>&)> fn) const;

 private:
  std::deque<std::shared_ptr<const Event>> in_order_;      // sorted by (ts, seq)
  std::vector<std::shared_ptr<const Event>> out_of_order_;  // a min-heap by (ts, seq)
};

}  // namespace cep
