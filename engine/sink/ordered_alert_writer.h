#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "api/proto/alert.pb.h"
#include "cep/base/time.h"

namespace engine {

// Puts a replay's alerts in their documented order (AlertOrderLess) while
// streaming: an alert is final once the watermark has reached its ts, because
// every alert is stamped at or before the watermark that fires it, and no later
// event or timer can produce an alert at or before an already-passed watermark.
// So alerts wait here only until the next watermark, not until the end of input.
// Threading: one owner.
class OrderedAlertWriter {
 public:
  using Write = std::function<void(const cep::v1::Alert&)>;
  explicit OrderedAlertWriter(Write write) : write_(std::move(write)) {}

  void Add(cep::v1::Alert alert) { pending_.push_back(std::move(alert)); }
  // Writes, in order, every pending alert with ts <= watermark.
  void AdvanceTo(cep::EventTime watermark);
  // Writes everything left (end of input: the watermark went to +infinity).
  void Flush() { AdvanceTo(cep::EventTime::Max()); }

  uint64_t written() const { return written_; }

 private:
  Write write_;
  std::vector<cep::v1::Alert> pending_;
  uint64_t written_ = 0;
};

}  // namespace engine
