#include "engine/runtime/watermark_tracker.h"

#include <algorithm>

namespace engine {

WatermarkTracker::Partition& WatermarkTracker::Find(int32_t partition, cep::WallTime now) {
  for (Partition& p : partitions_) {
    if (p.id == partition) return p;
  }
  partitions_.push_back(Partition{partition, cep::EventTime::Min(), now, false});
  return partitions_.back();
}

void WatermarkTracker::Assign(int32_t partition, cep::WallTime now) { Find(partition, now); }

void WatermarkTracker::Revoke(int32_t partition) {
  std::erase_if(partitions_, [&](const Partition& p) { return p.id == partition; });
}

bool WatermarkTracker::Idle(const Partition& p, cep::WallTime now) const {
  return now - p.last_seen >= idle_timeout_;
}

cep::EventTime WatermarkTracker::PartitionWatermark(const Partition& p) const {
  return p.max_ts - out_of_orderness_ - cep::Duration::Millis(1);
}

bool WatermarkTracker::Observe(int32_t partition, cep::EventTime ts, cep::WallTime now) {
  Partition& p = Find(partition, now);
  p.seen = true;
  p.last_seen = now;
  if (ts > p.max_ts) p.max_ts = ts;
  return ts <= watermark_;
}

cep::EventTime WatermarkTracker::Advance(cep::WallTime now) {
  // Minimum over partitions that are not idle (one that never delivered has
  // watermark -infinity). When every one is idle, the stream is quiet: the
  // largest partition watermark is what the source has promised, and moving
  // to it lets the last timeouts fire.
  cep::EventTime active_min = cep::EventTime::Max();
  cep::EventTime idle_max = cep::EventTime::Min();
  bool any_active = false;
  bool any_seen = false;
  for (const Partition& p : partitions_) {
    any_seen = any_seen || p.seen;
    const cep::EventTime w = p.seen ? PartitionWatermark(p) : cep::EventTime::Min();
    if (Idle(p, now)) {
      idle_max = std::max(idle_max, w);
    } else {
      any_active = true;
      active_min = std::min(active_min, w);
    }
  }
  if (any_seen) {
    const cep::EventTime candidate = any_active ? active_min : idle_max;
    watermark_ = std::max(watermark_, candidate);
  }
  return watermark_;
}

std::vector<WatermarkTracker::PartitionView> WatermarkTracker::partitions(cep::WallTime now) const {
  std::vector<PartitionView> out;
  for (const Partition& p : partitions_) {
    out.push_back({p.id, p.seen ? PartitionWatermark(p) : cep::EventTime::Min(), Idle(p, now)});
  }
  return out;
}

}  // namespace engine
