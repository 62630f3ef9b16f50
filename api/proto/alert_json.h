#pragma once

#include <string>
#include <string_view>

#include "api/proto/alert.pb.h"
#include "cep/base/result.h"

namespace wire {

// The JSON form of an Alert, exactly as INTERFACES.md ("Alerts") shows it:
//   {"alert_id": …, "ruleset": …, "version": 3, "rule": …, "severity": "high",
//    "kind": "match", "key": …, "ts": 1700000000123, "event": "t4",
//    "stages": {"small": ["t1", "t2"], "large": ["t4"]}, "fields": {…}, "mode": "live"}
// Keys appear in that order; `stages` and `fields` keep pattern and emit order;
// `event` and `stages` are omitted when absent. Output is deterministic: the same
// Alert always gives the same bytes (replay diffs them).
std::string AlertToJson(const cep::v1::Alert& alert);

// Reads the form above back (for tests, `--compare` and consumers of replay output).
cep::Result<cep::v1::Alert> AlertFromJson(std::string_view json);

}  // namespace wire
