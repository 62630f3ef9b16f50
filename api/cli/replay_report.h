#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "api/cli/replay_run.h"
#include "api/proto/alert.pb.h"
#include "cep/program.h"
#include "cep/ruleset_runner.h"
#include "engine/replay/alert_diff.h"
#include "engine/replay/label_scorer.h"
#include "engine/replay/replay_input.h"

namespace api {

// What `cep replay` says about a run: the stderr summary and the JSON report
// (`--report`, also the input of `--html`). Threading: one owner.

// Alert counts of one run (of one variant, in a sweep), within the score period.
struct Totals {
  uint64_t alerts = 0;  // in the score period
  uint64_t alerts_outside_period = 0;
  std::map<std::string, uint64_t> alerts_by_rule;
  std::map<int64_t, uint64_t> alerts_by_day;  // UTC day (LabelScorer::DayOf) of the alert ts
  std::map<std::string, std::map<int64_t, uint64_t>> alerts_by_rule_day;
  std::optional<ScorePeriod> period;
  InputSpan span;                             // set after the run
  const engine::LabelScorer* labels = nullptr;  // with --label-field, after Finish()

  // Counts an alert; false (and not counted) when it lies outside the score period.
  bool Count(const cep::v1::Alert& alert);
  uint64_t days() const { return span.days(); }
  double per_day(uint64_t count) const {
    return days() == 0 ? 0.0 : static_cast<double>(count) / static_cast<double>(days());
  }
  uint64_t rule_alerts(const std::string& rule) const;
};

// The JSON report of one run (compare and sweep parts are added by the caller).
// `set`: the const overrides in effect, as "NAME=VALUE".
nlohmann::ordered_json ReportJson(const ReplayOptions& o, const cep::Program& program,
                                  const cep::RunnerStats& stats, const engine::ReplayInput& input,
                                  const Totals& totals, double seconds,
                                  const std::vector<std::string>& set);

// The summary on stderr: one line for the run, one per rule, the overall scores.
void PrintSummary(const cep::Program& program, const cep::RunnerStats& stats,
                  const engine::ReplayInput& input, const Totals& totals, double seconds);

nlohmann::ordered_json DiffJson(const engine::AlertDiff& diff, const cep::Program& other);
void PrintDiff(const engine::AlertDiff& diff, const cep::Program& program,
               const cep::Program& other);

// Writes `json` (indented) to `path`; false after saying why on stderr.
bool WriteJsonFile(const std::string& path, const nlohmann::ordered_json& json);

// `--html FILE`: renders the report and the ruleset's text into one HTML file;
// false after saying why on stderr.
bool WriteHtmlReport(const std::string& path, const nlohmann::ordered_json& report,
                     const std::string& ruleset_source);

}  // namespace api
