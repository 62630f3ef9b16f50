#include "engine/replay/alert_diff.h"

#include <algorithm>
#include <map>
#include <string_view>

namespace engine {
namespace {

void Append(std::string& out, std::string_view field) {
  out += std::to_string(field.size());
  out += ':';
  out += field;
}

}  // namespace

std::string AlertSignature(const cep::v1::Alert& alert) {
  std::string out;
  Append(out, std::to_string(alert.kind()));
  Append(out, alert.key());
  Append(out, std::to_string(alert.ts_ms()));
  for (const auto& stage : alert.stages()) {
    Append(out, stage.name());
    for (const std::string& id : stage.event_ids()) Append(out, id);
    out += ';';
  }
  Append(out, alert.event());
  return out;
}

namespace {

// Per rule: signature -> (count in A, count in B).
using Counts = std::map<std::string, std::map<std::string, std::pair<uint64_t, uint64_t>>>;

}  // namespace

AlertDiff DiffAlerts(const std::vector<cep::v1::Alert>& a, const std::vector<cep::v1::Alert>& b,
                     size_t examples) {
  Counts counts;
  std::map<std::string, std::map<std::string, std::string>> keys;  // rule -> signature -> key
  for (const auto& alert : a) {
    const std::string signature = AlertSignature(alert);
    ++counts[alert.rule()][signature].first;
    keys[alert.rule()][signature] = alert.key();
  }
  for (const auto& alert : b) {
    const std::string signature = AlertSignature(alert);
    ++counts[alert.rule()][signature].second;
    keys[alert.rule()][signature] = alert.key();
  }
  AlertDiff diff;
  for (const auto& [rule, signatures] : counts) {
    RuleDiff r;
    r.rule = rule;
    for (const auto& [signature, count] : signatures) {
      const auto [in_a, in_b] = count;
      r.alerts_a += in_a;
      r.alerts_b += in_b;
      const uint64_t shared = std::min(in_a, in_b);
      r.both += shared;
      if (in_b > shared) {
        r.added += in_b - shared;
        if (r.added_keys.size() < examples) r.added_keys.push_back(keys[rule][signature]);
      }
      if (in_a > shared) {
        r.removed += in_a - shared;
        if (r.removed_keys.size() < examples) r.removed_keys.push_back(keys[rule][signature]);
      }
    }
    diff.added += r.added;
    diff.removed += r.removed;
    diff.both += r.both;
    diff.rules.push_back(std::move(r));
  }
  return diff;
}

}  // namespace engine
