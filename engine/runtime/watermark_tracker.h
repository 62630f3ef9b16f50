#pragma once

#include <cstdint>
#include <vector>

#include "cep/base/time.h"

namespace engine {

// Event time of a partitioned source (ARCHITECTURE.md "Event time"): each
// partition's watermark is its largest ts seen minus the allowed
// out-of-orderness minus 1 ms; the source's watermark is the minimum over the
// active partitions. A partition that has delivered nothing for `idle_timeout`
// of wall time stops holding the watermark back until it delivers again, so a
// quiet partition cannot stall `within` timeouts and window ends. A partition
// just assigned holds the watermark back (at -infinity) until it delivers or
// idles out, so its first events are not late because another partition ran
// ahead. When every partition idles, the watermark moves to the largest
// partition watermark: the stream is quiet and the last timeouts may fire.
// The watermark never goes back.
//
// Wall time comes in as arguments (the caller's clock), so tests drive it.
// Threading: one owner (the source thread).
class WatermarkTracker {
 public:
  WatermarkTracker(cep::Duration max_out_of_orderness, cep::Duration idle_timeout)
      : out_of_orderness_(max_out_of_orderness), idle_timeout_(idle_timeout) {}

  // A partition was assigned (at wall time `now`) or revoked (consumer group
  // rebalance). Observe registers unknown partitions by itself.
  void Assign(int32_t partition, cep::WallTime now);
  void Revoke(int32_t partition);

  // An event of `partition` with event time `ts` arrived at wall time `now`.
  // Returns true when it is late: at or behind the source watermark.
  bool Observe(int32_t partition, cep::EventTime ts, cep::WallTime now);
  // Recomputes the source watermark at wall time `now` (idleness may have
  // changed without events); returns it.
  cep::EventTime Advance(cep::WallTime now);

  cep::EventTime watermark() const { return watermark_; }
  // Per partition, for metrics: the partition's own watermark and idleness.
  struct PartitionView {
    int32_t partition;
    cep::EventTime watermark;
    bool idle;
  };
  std::vector<PartitionView> partitions(cep::WallTime now) const;

 private:
  struct Partition {
    int32_t id;
    cep::EventTime max_ts = cep::EventTime::Min();
    cep::WallTime last_seen;
    bool seen = false;
  };
  Partition& Find(int32_t partition, cep::WallTime now);
  bool Idle(const Partition& p, cep::WallTime now) const;
  cep::EventTime PartitionWatermark(const Partition& p) const;

  cep::Duration out_of_orderness_;
  cep::Duration idle_timeout_;
  std::vector<Partition> partitions_;  // few: a linear scan beats a map
  cep::EventTime watermark_ = cep::EventTime::Min();
};

}  // namespace engine
