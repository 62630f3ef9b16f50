#include "engine/replay/label_scorer.h"

namespace engine {

double LabelScorer::Score::precision() const {
  const uint64_t scored = true_positives + false_positives;
  return scored == 0 ? 0.0 : static_cast<double>(true_positives) / static_cast<double>(scored);
}

double LabelScorer::Score::recall(uint64_t fraud_events) const {
  return fraud_events == 0 ? 0.0
                           : static_cast<double>(fraud_events_caught) /
                                 static_cast<double>(fraud_events);
}

double LabelScorer::Score::f1(uint64_t fraud_events) const {
  const double p = precision();
  const double r = recall(fraud_events);
  return p + r == 0 ? 0.0 : 2 * p * r / (p + r);
}

void LabelScorer::ObserveEvent(std::string_view id, bool fraud) {
  ++labelled_;
  if (fraud) {
    // Genuine events are the common case: remember them only to tell "labelled
    // genuine" from "unlabelled" when an alert names them.
    if (fraud_ids_.emplace(id).second) ++fraud_events_;
  } else {
    genuine_ids_.emplace(id);
  }
}

void LabelScorer::ObserveAlert(const cep::v1::Alert& alert) {
  Score& rule = by_rule_[alert.rule()];
  ++rule.alerts;
  ++overall_.alerts;
  if (!alert.has_event()) {
    ++rule.unscored;
    ++overall_.unscored;
    return;
  }
  const std::string& id = alert.event();
  if (fraud_ids_.count(id) != 0) {
    ++rule.true_positives;
    ++overall_.true_positives;
    if (caught_by_rule_[alert.rule()].insert(id).second) ++rule.fraud_events_caught;
    if (caught_.insert(id).second) ++overall_.fraud_events_caught;
  } else if (genuine_ids_.count(id) != 0) {
    ++rule.false_positives;
    ++overall_.false_positives;
  } else {
    ++rule.unscored;
    ++overall_.unscored;
  }
}

}  // namespace engine
