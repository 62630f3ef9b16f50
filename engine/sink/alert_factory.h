#pragma once

#include "api/proto/alert.pb.h"
#include "cep/program.h"
#include "cep/ruleset_runner.h"

namespace engine {

// The wire form of what a rule raised (INTERFACES.md "Alerts"): ruleset,
// version, rule, severity, mode, key, ts, the completing event's id, the events
// per stage by name (stages that took no event, such as negations, are left
// out), the computed fields, and the deterministic alert_id.
cep::v1::Alert MakeWireAlert(const cep::Program& program, const cep::RuleAlert& alert);

}  // namespace engine
