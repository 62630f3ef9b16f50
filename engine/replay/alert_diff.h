#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "api/proto/alert.pb.h"

namespace engine {

// Offline shadow diff (`cep replay --rules A --compare B`): which alerts ruleset
// B raises that A does not (added) and the reverse (removed), per rule name,
// over the same history. Alert ids differ between rulesets (they hash the
// ruleset and its version), so alerts are matched by what they say: rule, kind,
// key, ts, the events of each stage and the completing event.
struct RuleDiff {
  std::string rule;
  uint64_t alerts_a = 0;
  uint64_t alerts_b = 0;
  uint64_t both = 0;
  uint64_t added = 0;    // in B only
  uint64_t removed = 0;  // in A only
  std::vector<std::string> added_keys;    // the first few, for a look
  std::vector<std::string> removed_keys;
};

struct AlertDiff {
  std::vector<RuleDiff> rules;  // by rule name; rules of either ruleset
  uint64_t added = 0;
  uint64_t removed = 0;
  uint64_t both = 0;
};

// What an alert says, without its ruleset, version or the id they make: two
// alerts with equal signatures report the same thing (offline and live shadow diff).
std::string AlertSignature(const cep::v1::Alert& alert);

// `examples`: at most this many keys per rule and direction.
AlertDiff DiffAlerts(const std::vector<cep::v1::Alert>& a, const std::vector<cep::v1::Alert>& b,
                     size_t examples = 5);

}  // namespace engine
