#pragma once

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "cep/base/check.h"

namespace engine {

// A histogram as read: counts per bucket (not cumulative), bucket i holding
// values <= upper_bounds[i] and above the bound before; the last bucket is +Inf
// (counts.size() == upper_bounds.size() + 1).
struct HistogramFigures {
  std::vector<double> upper_bounds;
  std::vector<uint64_t> counts;
  uint64_t count = 0;
  double sum = 0;
};

// A fixed-bucket histogram of durations in seconds (alert latency for /metrics,
// api/metrics/README.md), cheap enough to record into once per alert.
//
// Threading: safe to share. Record() may run on any number of threads at once
// (the sink threads) and Read() on another (the metrics thread); neither takes
// a lock. All atomics are relaxed: a Read() racing Record()s may see a value in
// its bucket but not yet in `sum` (or the reverse), never a torn number, and
// `count` is always the sum of the bucket counts it returns.
//
// The sum is a std::atomic<double> updated by a compare-exchange loop rather
// than integer micro-seconds, so sub-microsecond and negative values keep
// their exact contribution; on x86-64 and arm64 it is lock-free.
class LatencyHistogram {
 public:
  // Prometheus-style defaults: 1 ms to 5 min.
  static std::vector<double> DefaultBounds() {
    return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300};
  }

  LatencyHistogram() : LatencyHistogram(DefaultBounds()) {}

  // `upper_bounds` must be finite and strictly increasing (CHECKed: a bug otherwise).
  explicit LatencyHistogram(std::vector<double> upper_bounds)
      : bounds_(std::move(upper_bounds)),
        counts_(std::make_unique<std::atomic<uint64_t>[]>(bounds_.size() + 1)) {
    for (size_t i = 0; i < bounds_.size(); ++i) {
      CHECK(std::isfinite(bounds_[i]), "histogram bounds must be finite");
      CHECK(i == 0 || bounds_[i - 1] < bounds_[i], "histogram bounds must strictly increase");
    }
  }

  LatencyHistogram(const LatencyHistogram&) = delete;
  LatencyHistogram& operator=(const LatencyHistogram&) = delete;

  // Counts one value: in the first bucket whose bound is >= it (so negative
  // values land in the first bucket), or in +Inf. NaN and infinities are
  // ignored: no duration is one, and one would poison the sum for good.
  void Record(double seconds) {
    if (!std::isfinite(seconds)) return;
    const size_t bucket = static_cast<size_t>(
        std::lower_bound(bounds_.begin(), bounds_.end(), seconds) - bounds_.begin());
    counts_[bucket].fetch_add(1, std::memory_order_relaxed);
    double sum = sum_.load(std::memory_order_relaxed);
    while (!sum_.compare_exchange_weak(sum, sum + seconds, std::memory_order_relaxed)) {
    }
  }

  HistogramFigures Read() const {
    HistogramFigures figures;
    figures.upper_bounds = bounds_;
    figures.counts.resize(bounds_.size() + 1);
    for (size_t i = 0; i < figures.counts.size(); ++i) {
      figures.counts[i] = counts_[i].load(std::memory_order_relaxed);
      figures.count += figures.counts[i];
    }
    figures.sum = sum_.load(std::memory_order_relaxed);
    return figures;
  }

  const std::vector<double>& upper_bounds() const { return bounds_; }

 private:
  const std::vector<double> bounds_;
  const std::unique_ptr<std::atomic<uint64_t>[]> counts_;  // bounds_.size() + 1, last = +Inf
  std::atomic<double> sum_{0};
};

}  // namespace engine
