#pragma once

#include <string>

#include "api/proto/alert.pb.h"

namespace engine {

// The deterministic id of an alert (INTERFACES.md "Alerts"): 32 hex characters,
// the first 128 bits of SHA-256 over ruleset, version, rule, key, kind, ts and
// the matched event ids per stage, each length-prefixed so that no two
// different alerts hash the same input. The same alert always gets the same id,
// in replay and live, so consumers can drop duplicates.
std::string ComputeAlertId(const cep::v1::Alert& alert);

// The order of alerts in one replay's output: by ts, then rule name, then key,
// then alert_id.
bool AlertOrderLess(const cep::v1::Alert& a, const cep::v1::Alert& b);

}  // namespace engine
