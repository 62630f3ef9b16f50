#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cep/base/result.h"

// The JSON report of `cep replay --report`, read back for the HTML page
// (engine/replay/html_report.h). Only what the page shows; every field is
// optional in the JSON and falls back to zero or empty, because reports without
// labels, sweep, histogram or score period are normal.
namespace engine::html {

using Pairs = std::vector<std::pair<std::string, std::string>>;  // name -> value, in order
using Days = std::map<int64_t, double>;  // days since 1970-01-01 (UTC) -> alerts

struct Bucket {
  std::optional<double> le_ms;  // none: the last bucket, everything above the previous
  double keys = 0;
};

struct TimeToDetect {
  double keys_with_fraud = 0;
  double keys_detected = 0;
  double median_ms = 0;
  double p90_ms = 0;
  std::vector<Bucket> histogram;  // empty when the report has none
};

struct Score {
  double true_positives = 0;
  double false_positives = 0;
  double precision = 0;
  double recall = 0;
  double f1 = 0;
  std::optional<double> caught_alone;  // per rule only
  TimeToDetect ttd;
};

struct RuleFigures {
  std::string name;
  double alerts = 0;
  double per_1000 = 0;
  double per_day = 0;
  Days by_day;
  std::optional<Score> score;  // with labels
  std::string color;           // the rule's colour in every chart, "#rrggbb"
};

struct Variant {  // one variant of a sweep
  Pairs set;
  double alerts = 0;
  double per_day = 0;
  std::optional<double> precision, recall, f1;  // with labels
  bool pareto = false;
  bool selected = false;  // the one the report's top-level figures describe
};

struct CompareRow {  // one rule of `--compare`
  std::string rule;
  double before = 0, after = 0, both = 0, added = 0, removed = 0;
};

struct Report {
  std::string ruleset, version, input;
  std::string score_from, score_to;  // --score-from/--score-to, as written
  double events = 0, rejected = 0, late = 0, alerts = 0, days = 0, per_day_mean = 0;
  std::optional<double> seconds;
  std::vector<std::string> set;  // --set overrides, NAME=VALUE
  Pairs selected;                // the selected sweep variant's values
  std::optional<Score> overall;  // with labels only
  double fraud_events = 0;
  std::string label_field, label_scope;
  Days by_day;
  std::vector<RuleFigures> rules;
  std::vector<std::string> parameters;  // of the sweep
  std::vector<Variant> variants;
  std::optional<double> sweep_seconds;
  std::optional<std::string> compare_with;  // "ruleset vN" of --compare
  std::vector<CompareRow> compare;

  bool has_labels() const { return overall.has_value(); }
};

inline constexpr const char* kOverallColor = "#222222";

// InvalidArgument for text that is not JSON, or not an object with "ruleset" and
// a "rules" array. Does not throw.
cep::Result<Report> ReadBacktestReport(std::string_view json);

// Dates: the report's days are "YYYY-MM-DD" (UTC).
struct Civil {
  int64_t year, month, day;
};
Civil CivilFromDays(int64_t days);
std::optional<int64_t> ParseDay(std::string_view text);  // reads the first 10 characters
std::string DayText(int64_t days);                       // "YYYY-MM-DD"

}  // namespace engine::html
