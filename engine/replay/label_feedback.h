#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "cep/base/result.h"
#include "cep/base/time.h"
#include "cep/event.h"
#include "cep/schema.h"

namespace engine {

// Point-in-time correct label feedback for backtests (`cep replay
// --feedback-delay D`). In production, confirmed fraud becomes known days
// later (chargebacks); rules may react to it ("a terminal with 3 reported
// frauds in 28 days") but must not see labels of the future. For every
// labelled fraud event, this makes a feedback event: the original's fields,
// `kind` = "fraud_report", id "<id>#fraud_report", at ts + D, and hands it back
// once the stream's time reaches that ts, so it enters the rules as a normal,
// on-time event. Nothing else about labels reaches the rules.
//
// Feedback events order after input events of the same ts (their arrival
// numbers start at kSeqBase). Threading: one owner (the replay loop).
class LabelFeedback {
 public:
  static constexpr uint64_t kSeqBase = uint64_t{1} << 62;

  // Fails when the schema has no string field `kind` to mark reports with.
  static cep::Result<LabelFeedback> Create(std::shared_ptr<const cep::Schema> schema,
                                           cep::Duration delay);

  // A labelled fraud event of the input.
  void Observe(const cep::Event& fraud);
  // Appends, in (ts, seq) order, the feedback events with ts <= up_to.
  void Release(cep::EventTime up_to, std::vector<std::shared_ptr<const cep::Event>>& out);

  size_t pending() const { return heap_.size(); }
  uint64_t made() const { return made_; }

 private:
  LabelFeedback(std::shared_ptr<const cep::Schema> schema, cep::Duration delay,
                cep::SlotIndex kind, std::optional<cep::SlotIndex> ts);

  std::shared_ptr<const cep::Schema> schema_;
  cep::Duration delay_;
  cep::SlotIndex kind_slot_;
  std::optional<cep::SlotIndex> ts_slot_;
  std::vector<std::shared_ptr<const cep::Event>> heap_;  // min-heap by (ts, seq)
  uint64_t made_ = 0;
};

}  // namespace engine
