#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_set>

#include "api/proto/alert.pb.h"

namespace engine {

// Scores a replay's alerts against ground truth at the transaction level
// (issue #7): an alert is a true positive when the event that completed it (its
// `event`) is labelled fraud, a false positive when that event is labelled
// genuine, and unscored when it has no event (alerts fired by the watermark:
// timeouts, closed windows) or its event carries no label. Recall counts the
// fraud events that completed at least one alert.
// Threading: one owner.
class LabelScorer {
 public:
  struct Score {
    uint64_t alerts = 0;
    uint64_t true_positives = 0;
    uint64_t false_positives = 0;
    uint64_t unscored = 0;
    uint64_t fraud_events_caught = 0;  // distinct fraud events this rule alerted on
    double precision() const;
    double recall(uint64_t fraud_events) const;
    double f1(uint64_t fraud_events) const;
  };

  // An input event and its label (true: fraud). Call before any alert on it.
  void ObserveEvent(std::string_view id, bool fraud);
  void ObserveAlert(const cep::v1::Alert& alert);

  uint64_t fraud_events() const { return fraud_events_; }
  uint64_t labelled_events() const { return labelled_; }
  const std::map<std::string, Score>& by_rule() const { return by_rule_; }
  const Score& overall() const { return overall_; }

 private:
  std::unordered_set<std::string> fraud_ids_;
  std::unordered_set<std::string> genuine_ids_;
  std::map<std::string, std::unordered_set<std::string>> caught_by_rule_;
  std::unordered_set<std::string> caught_;
  std::map<std::string, Score> by_rule_;
  Score overall_;
  uint64_t fraud_events_ = 0;
  uint64_t labelled_ = 0;
};

}  // namespace engine
