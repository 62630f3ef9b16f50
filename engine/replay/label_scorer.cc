#include "engine/replay/label_scorer.h"

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdint>
#include <functional>
#include <cstdio>

namespace engine {

namespace {

constexpr int64_t kDayMs = 86'400'000;

LabelScorer::TimeToDetect Summarize(std::vector<int64_t> delays, uint64_t keys_with_fraud) {
  LabelScorer::TimeToDetect ttd;
  ttd.keys_with_fraud = keys_with_fraud;
  ttd.keys_detected = delays.size();
  if (delays.empty()) return ttd;
  std::sort(delays.begin(), delays.end());
  for (const int64_t delay : delays) {
    const auto& bounds = LabelScorer::kHistogramBoundsMs;
    const auto bucket = std::lower_bound(bounds.begin(), bounds.end(), delay) - bounds.begin();
    ++ttd.histogram[static_cast<size_t>(bucket)];
  }
  // Nearest rank: the smallest value with at least p of the values at or below it.
  const auto rank = [&](uint64_t percent) {
    const uint64_t n = delays.size();
    const uint64_t r = (percent * n + 99) / 100;  // ceil(p * n), >= 1
    return delays[std::max<uint64_t>(r, 1) - 1];
  };
  ttd.median_ms = rank(50);
  ttd.p90_ms = rank(90);
  return ttd;
}

}  // namespace

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

LabelScorer::LabelScorer(Options options)
    : options_(std::move(options)),
      keys_(options_.key_groups.size()),
      first_alert_by_group_(options_.key_groups.size()) {}

int64_t LabelScorer::DayOf(int64_t ts_ms) {
  return ts_ms >= 0 ? ts_ms / kDayMs : -((-ts_ms + kDayMs - 1) / kDayMs);
}

std::string LabelScorer::DayText(int64_t day) {
  const std::chrono::year_month_day ymd{std::chrono::sys_days{std::chrono::days{day}}};
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return buf;
}

void LabelScorer::ObserveEvent(std::string_view id, bool fraud, int64_t ts_ms,
                               std::span<const std::optional<std::string>> keys) {
  ++labelled_;
  // Every event: its ts (key scope: an alert's span starts at its first stage
  // event) and that it is labelled at all.
  const uint64_t hash = std::hash<std::string_view>{}(id);
  if (!seen_.empty() && seen_.back().first > hash) seen_sorted_ = false;
  seen_.emplace_back(hash, ts_ms);
  if (!fraud) return;
  const auto index = static_cast<uint32_t>(fraud_ts_.size());
  if (!fraud_ids_.try_emplace(std::string(id), index).second) return;
  fraud_ts_.push_back(ts_ms);
  const size_t groups = std::min(keys.size(), keys_.size());
  for (size_t g = 0; g < groups; ++g) {
    if (!keys[g]) continue;
    KeyFrauds& frauds = keys_[g][*keys[g]];
    if (!frauds.frauds.empty() && frauds.frauds.back().first > ts_ms) frauds.sorted = false;
    frauds.frauds.emplace_back(ts_ms, index);
  }
}

std::optional<LabelScorer::EventInfo> LabelScorer::Find(const std::string& id) {
  if (auto it = fraud_ids_.find(id); it != fraud_ids_.end()) {
    return EventInfo{fraud_ts_[it->second], it->second};
  }
  if (!seen_sorted_) {
    std::sort(seen_.begin(), seen_.end());
    seen_sorted_ = true;
  }
  const uint64_t hash = std::hash<std::string_view>{}(id);
  auto it = std::lower_bound(seen_.begin(), seen_.end(), std::pair<uint64_t, int64_t>{hash, INT64_MIN});
  if (it == seen_.end() || it->first != hash) return std::nullopt;
  return EventInfo{it->second, -1};
}

LabelScorer::KeyFrauds* LabelScorer::FraudsOf(uint32_t group, const std::string& key) {
  if (group >= keys_.size()) return nullptr;
  auto it = keys_[group].find(key);
  if (it == keys_[group].end()) return nullptr;
  KeyFrauds& frauds = it->second;
  if (!frauds.sorted) {
    std::sort(frauds.frauds.begin(), frauds.frauds.end());
    frauds.sorted = true;
  }
  return &frauds;
}

void LabelScorer::Catch(RuleState& rule, Score& score, uint32_t fraud) {
  if (rule.caught.size() <= fraud) rule.caught.resize(fraud_ts_.size());
  if (!rule.caught[fraud]) {
    rule.caught[fraud] = true;
    ++score.fraud_events_caught;
  }
  if (caught_.size() <= fraud) caught_.resize(fraud_ts_.size());
  if (!caught_[fraud]) {
    caught_[fraud] = true;
    ++overall_.fraud_events_caught;
  }
}

void LabelScorer::ObserveAlert(const cep::v1::Alert& alert) {
  Score& rule = by_rule_[alert.rule()];
  RuleState& state = rule_state_[alert.rule()];
  const int64_t ts = alert.ts_ms();
  ++rule.alerts;
  ++overall_.alerts;

  auto info = options_.rules.find(alert.rule());
  const RuleInfo* rule_info = info == options_.rules.end() ? nullptr : &info->second;
  KeyFrauds* key_frauds = rule_info ? FraudsOf(rule_info->key_group, alert.key()) : nullptr;

  // Time-to-detect: the first alert on a key at or after its first fraud event.
  if (key_frauds != nullptr && ts >= key_frauds->first()) {
    const auto remember = [&](FirstAlerts& first) {
      auto [it, added] = first.try_emplace(alert.key(), ts);
      if (!added) it->second = std::min(it->second, ts);
    };
    remember(state.first_alert);
    remember(first_alert_by_group_[rule_info->key_group]);
  }

  std::optional<EventInfo> completing;
  if (alert.has_event()) completing = Find(alert.event());

  enum class Outcome { kTrue, kFalse, kUnscored };
  Outcome outcome = Outcome::kUnscored;
  if (options_.scope == Scope::kTransaction || rule_info == nullptr) {
    if (completing) {
      if (completing->fraud >= 0) {
        outcome = Outcome::kTrue;
        Catch(state, rule, static_cast<uint32_t>(completing->fraud));
      } else {
        outcome = Outcome::kFalse;
      }
    }
  } else {
    std::optional<int64_t> start;
    for (const auto& stage : alert.stages()) {
      for (const std::string& id : stage.event_ids()) {
        if (auto event = Find(id)) start = std::min(start.value_or(event->ts), event->ts);
      }
    }
    if (!start) start = rule_info->lookback_ms ? ts - *rule_info->lookback_ms : ts;
    if (key_frauds != nullptr) {
      const auto& frauds = key_frauds->frauds;
      auto it = std::lower_bound(frauds.begin(), frauds.end(),
                                 std::pair<int64_t, uint32_t>{*start, 0});
      for (; it != frauds.end() && it->first <= ts; ++it) {
        outcome = Outcome::kTrue;
        Catch(state, rule, it->second);
      }
    }
    if (outcome != Outcome::kTrue && (completing || !alert.has_event())) {
      outcome = Outcome::kFalse;
    }
  }
  switch (outcome) {
    case Outcome::kTrue:
      ++rule.true_positives;
      ++overall_.true_positives;
      break;
    case Outcome::kFalse:
      ++rule.false_positives;
      ++overall_.false_positives;
      break;
    case Outcome::kUnscored:
      ++rule.unscored;
      ++overall_.unscored;
      break;
  }
}

void LabelScorer::ClearAlerts() {
  rule_state_.clear();
  caught_.clear();
  first_alert_by_group_.assign(options_.key_groups.size(), {});
  by_rule_.clear();
  overall_ = {};
  ttd_by_group_.clear();
}

void LabelScorer::Finish() {
  // Caught alone: fraud events exactly one rule caught.
  std::vector<uint32_t> catchers(fraud_ts_.size(), 0);
  for (const auto& [name, state] : rule_state_) {
    for (size_t i = 0; i < state.caught.size(); ++i) catchers[i] += state.caught[i] ? 1 : 0;
  }
  const auto delays = [&](uint32_t group, const FirstAlerts& first, std::vector<int64_t>& out) {
    for (const auto& [key, alert_ts] : first) {
      auto it = keys_[group].find(key);
      if (it == keys_[group].end()) continue;
      int64_t first_fraud = it->second.frauds.front().first;
      for (const auto& fraud : it->second.frauds) first_fraud = std::min(first_fraud, fraud.first);
      out.push_back(alert_ts - first_fraud);
    }
  };
  for (auto& [name, score] : by_rule_) {
    const RuleState& state = rule_state_[name];
    score.caught_alone = 0;
    for (size_t i = 0; i < state.caught.size(); ++i) {
      if (state.caught[i] && catchers[i] == 1) ++score.caught_alone;
    }
    auto info = options_.rules.find(name);
    if (info == options_.rules.end() || info->second.key_group >= keys_.size()) {
      score.time_to_detect = {};
      continue;
    }
    const uint32_t group = info->second.key_group;
    std::vector<int64_t> d;
    delays(group, state.first_alert, d);
    score.time_to_detect = Summarize(std::move(d), keys_[group].size());
  }
  // Overall: per key group, and over every group any rule uses.
  std::vector<bool> used(keys_.size(), false);
  for (const auto& [name, info] : options_.rules) {
    if (info.key_group < used.size()) used[info.key_group] = true;
  }
  ttd_by_group_.clear();
  std::vector<int64_t> all;
  uint64_t all_keys = 0;
  for (uint32_t g = 0; g < keys_.size(); ++g) {
    std::vector<int64_t> d;
    delays(g, first_alert_by_group_[g], d);
    if (used[g]) {
      all.insert(all.end(), d.begin(), d.end());
      all_keys += keys_[g].size();
    }
    ttd_by_group_.push_back(Summarize(std::move(d), keys_[g].size()));
  }
  overall_.time_to_detect = Summarize(std::move(all), all_keys);
}

}  // namespace engine
