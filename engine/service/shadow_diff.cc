#include "engine/service/shadow_diff.h"

#include <algorithm>

#include "engine/replay/alert_diff.h"

namespace engine {

ShadowDiff::ShadowDiff(uint32_t shadow_version, int64_t since_ms, size_t max_pending)
    : shadow_version_(shadow_version), since_ms_(since_ms), max_pending_(std::max<size_t>(1, max_pending)) {}

void ShadowDiff::Add(Side side, const cep::v1::Alert& alert) {
  std::string signature = AlertSignature(alert);
  std::lock_guard lock(mutex_);
  RuleFigures& rule = rules_[alert.rule()];
  rule.rule = alert.rule();
  (side == Side::kLive ? rule.live : rule.shadow)++;
  auto [it, inserted] = pending_.try_emplace(signature);
  Pending& p = it->second;
  if (inserted) {
    p.rule = alert.rule();
    p.ts_ms = alert.ts_ms();
    by_ts_.emplace(p.ts_ms, std::move(signature));
  }
  (side == Side::kLive ? p.live : p.shadow)++;
  while (pending_.size() > max_pending_ && !by_ts_.empty()) {
    auto oldest = by_ts_.begin();
    auto found = pending_.find(oldest->second);
    if (found != pending_.end()) {
      Count(found->second);
      pending_.erase(found);
      ++overflowed_;
    }
    by_ts_.erase(oldest);
  }
}

void ShadowDiff::SettledUpTo(Side side, cep::EventTime settled) {
  std::lock_guard lock(mutex_);
  cep::EventTime& mine = settled_[side == Side::kLive ? 0 : 1];
  if (settled <= mine) return;
  mine = settled;
  Settle(std::min(settled_[0], settled_[1]).millis());
}

void ShadowDiff::Settle(int64_t before_ms) {
  while (!by_ts_.empty() && by_ts_.begin()->first < before_ms) {
    auto found = pending_.find(by_ts_.begin()->second);
    if (found != pending_.end()) {
      Count(found->second);
      pending_.erase(found);
    }
    by_ts_.erase(by_ts_.begin());
  }
}

void ShadowDiff::Count(const Pending& pending) {
  RuleFigures& rule = rules_[pending.rule];
  const uint64_t both = std::min(pending.live, pending.shadow);
  rule.both += both;
  rule.added += pending.shadow - both;
  rule.removed += pending.live - both;
}

void ShadowDiff::SetLiveVersion(uint32_t version) {
  std::lock_guard lock(mutex_);
  live_version_ = version;
}

void ShadowDiff::SetShadowVersion(uint32_t version) {
  std::lock_guard lock(mutex_);
  shadow_version_ = version;
}

ShadowDiff::Report ShadowDiff::report() const {
  std::lock_guard lock(mutex_);
  Report report;
  report.live_version = live_version_;
  report.shadow_version = shadow_version_;
  report.since_ms = since_ms_;
  report.overflowed = overflowed_;
  std::map<std::string, RuleFigures> rules = rules_;
  for (const auto& [signature, p] : pending_) {
    RuleFigures& rule = rules[p.rule];
    rule.rule = p.rule;
    rule.pending += p.live + p.shadow;
  }
  for (auto& [name, figures] : rules) report.rules.push_back(figures);
  return report;
}

}  // namespace engine
