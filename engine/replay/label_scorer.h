#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "api/proto/alert.pb.h"

namespace engine {

// Scores a replay's alerts against ground truth (issue #7).
//
// Scope kTransaction (the default): an alert is a true positive when the event
// that completed it (its `event`) is labelled fraud, a false positive when that
// event is labelled genuine, and unscored when it has no event (alerts fired by
// the watermark: timeouts, closed windows) or its event carries no label. It
// catches the fraud event that completed it.
//
// Scope kKey: an alert is a true positive when any fraud event of the alert's
// key (in its rule's key group) lies in the alert's span [start, ts]: start is
// the earliest labelled event of its stages; for alerts without known stage
// events (windows), ts minus the rule's `lookback_ms` (window size or session
// gap; `within` for patterns); without either, start = ts. It catches every
// fraud event of its key in the span. Otherwise it is a false positive when its
// completing event is labelled or it has none (watermark alerts are judged by
// their span), unscored when its completing event carries no label.
//
// Recall counts the distinct fraud events caught. Time-to-detect: for each key
// (per key group) with a fraud event, from its first fraud event (event time)
// to the first alert on that key with ts at or after it; per rule (its own
// alerts) and overall (any rule of that key group). Median and p90 are
// nearest-rank over the detected keys. DayOf/DayText bucket alerts by UTC day
// (the replay counts alerts per day, labels or not).
//
// The scorer knows no rules: the replay tells it the key groups (distinct key
// field lists) and, per rule name, its group and lookback. Only fraud events
// keep per-key state. Alerts may be observed in any order; call Finish() after
// the last one, before reading results. Threading: one owner.
class LabelScorer {
 public:
  enum class Scope { kTransaction, kKey };

  // Upper bounds (inclusive) of the time-to-detect histogram's buckets: 1 min,
  // 10 min, 1 h, 6 h, 1 d, 3 d, 7 d, 14 d, 28 d; a last bucket takes the rest.
  static constexpr std::array<int64_t, 9> kHistogramBoundsMs = {
      60'000, 600'000, 3'600'000, 21'600'000, 86'400'000,
      259'200'000, 604'800'000, 1'209'600'000, 2'419'200'000};

  struct TimeToDetect {
    uint64_t keys_with_fraud = 0;
    uint64_t keys_detected = 0;
    int64_t median_ms = 0;  // 0 when no key was detected
    int64_t p90_ms = 0;
    // Detected keys per bucket (not cumulative): histogram[i] counts delays in
    // (kHistogramBoundsMs[i-1], kHistogramBoundsMs[i]]; the last one, above 28 d.
    std::array<uint64_t, kHistogramBoundsMs.size() + 1> histogram = {};
  };

  struct Score {
    uint64_t alerts = 0;
    uint64_t true_positives = 0;
    uint64_t false_positives = 0;
    uint64_t unscored = 0;
    uint64_t fraud_events_caught = 0;  // distinct fraud events this rule caught
    uint64_t caught_alone = 0;         // of those, ones no other rule caught (per rule only)
    TimeToDetect time_to_detect;       // set by Finish()
    double precision() const;
    double recall(uint64_t fraud_events) const;
    double f1(uint64_t fraud_events) const;
  };

  struct RuleInfo {
    uint32_t key_group = 0;              // index into Options::key_groups
    std::optional<int64_t> lookback_ms;  // key scope: span of alerts without stage events
  };

  struct Options {
    Scope scope = Scope::kTransaction;
    std::vector<std::string> key_groups;        // names, e.g. "account_id" or "a|b"
    std::map<std::string, RuleInfo> rules;      // by rule name; others: no key data
  };

  LabelScorer() = default;
  explicit LabelScorer(Options options);

  // An input event, its label (true: fraud), event time and, for fraud events,
  // its key text per key group (nullopt: no key in that group; an empty span:
  // no key data). Keys of genuine events are not read. Call before Finish().
  void ObserveEvent(std::string_view id, bool fraud, int64_t ts_ms = 0,
                    std::span<const std::optional<std::string>> keys = {});
  void ObserveAlert(const cep::v1::Alert& alert);
  // Computes time-to-detect and caught-alone; idempotent.
  void Finish();
  // Forgets every alert (and the results of Finish) but keeps the events, so
  // one scorer scores several alert sets over the same input in turn (the
  // variants of a sweep) without observing the events again.
  void ClearAlerts();

  Scope scope() const { return options_.scope; }
  uint64_t fraud_events() const { return fraud_ts_.size(); }
  uint64_t labelled_events() const { return labelled_; }
  const std::map<std::string, Score>& by_rule() const { return by_rule_; }
  // Overall: time-to-detect over every (key group, key) pair with fraud.
  const Score& overall() const { return overall_; }
  // Overall time-to-detect per key group, in Options::key_groups order.
  const std::vector<TimeToDetect>& time_to_detect_by_group() const { return ttd_by_group_; }
  const std::vector<std::string>& key_groups() const { return options_.key_groups; }

  static int64_t DayOf(int64_t ts_ms);
  static std::string DayText(int64_t day);  // "YYYY-MM-DD"

 private:
  struct EventInfo {
    int64_t ts = 0;
    int64_t fraud = -1;  // index into fraud_ts_, or -1: genuine
  };
  struct KeyFrauds {
    std::vector<std::pair<int64_t, uint32_t>> frauds;  // (ts, fraud index)
    bool sorted = true;
    int64_t first() const { return frauds.front().first; }
  };
  using FirstAlerts = std::unordered_map<std::string, int64_t>;  // key -> first alert ts >= first fraud
  struct RuleState {
    std::vector<bool> caught;  // by fraud index
    FirstAlerts first_alert;
  };

  KeyFrauds* FraudsOf(uint32_t group, const std::string& key);
  std::optional<EventInfo> Find(const std::string& id);
  void Catch(RuleState& rule, Score& score, uint32_t fraud);

  Options options_;
  // Fraud events by id (few); every labelled event as (hash of id, ts), sorted
  // on the first alert: a vector push per event instead of a string node. Two
  // ids colliding in 64 bits are vanishingly unlikely at replay sizes.
  std::unordered_map<std::string, uint32_t> fraud_ids_;
  std::vector<std::pair<uint64_t, int64_t>> seen_;
  bool seen_sorted_ = true;
  std::vector<int64_t> fraud_ts_;
  std::vector<std::unordered_map<std::string, KeyFrauds>> keys_;  // per key group
  std::map<std::string, RuleState> rule_state_;
  std::vector<bool> caught_;
  std::vector<FirstAlerts> first_alert_by_group_;
  std::map<std::string, Score> by_rule_;
  Score overall_;
  std::vector<TimeToDetect> ttd_by_group_;
  uint64_t labelled_ = 0;
};

}  // namespace engine
