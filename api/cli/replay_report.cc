#include "api/cli/replay_report.h"

#include <cstdio>
#include <fstream>
#include <iostream>

#if __has_include("engine/replay/html_report.h")
#include "engine/replay/html_report.h"
#define CEP_REPLAY_HTML 1
#endif

namespace api {

namespace {

nlohmann::ordered_json DaysJson(const std::map<int64_t, uint64_t>& days) {
  nlohmann::ordered_json json = nlohmann::ordered_json::object();
  for (const auto& [day, count] : days) json[engine::LabelScorer::DayText(day)] = count;
  return json;
}

nlohmann::ordered_json TimeToDetectJson(const engine::LabelScorer::TimeToDetect& ttd) {
  nlohmann::ordered_json histogram = nlohmann::ordered_json::array();
  const auto& bounds = engine::LabelScorer::kHistogramBoundsMs;
  for (size_t i = 0; i < ttd.histogram.size(); ++i) {
    nlohmann::ordered_json bucket;
    bucket["le_ms"] = i < bounds.size() ? nlohmann::ordered_json(bounds[i]) : nlohmann::ordered_json();
    bucket["keys"] = ttd.histogram[i];
    histogram.push_back(std::move(bucket));
  }
  return {{"keys_with_fraud", ttd.keys_with_fraud},
          {"keys_detected", ttd.keys_detected},
          {"median_ms", ttd.median_ms},
          {"p90_ms", ttd.p90_ms},
          {"histogram", std::move(histogram)}};
}

// Per rule (`per_rule`): also the fraud events it caught that no other rule caught.
nlohmann::ordered_json ScoreJson(const engine::LabelScorer::Score& score, uint64_t fraud_events,
                                 bool per_rule = false) {
  nlohmann::ordered_json json = {{"true_positives", score.true_positives},
                                 {"false_positives", score.false_positives},
                                 {"unscored", score.unscored},
                                 {"fraud_events_caught", score.fraud_events_caught},
                                 {"precision", score.precision()},
                                 {"recall", score.recall(fraud_events)},
                                 {"f1", score.f1(fraud_events)},
                                 {"time_to_detect", TimeToDetectJson(score.time_to_detect)}};
  if (per_rule) json["caught_alone"] = score.caught_alone;
  return json;
}

// A duration for people: "850 ms", "42.0 s", "12.5 min", "6.3 h", "2.4 d".
std::string Human(int64_t ms) {
  char buf[32];
  const auto d = static_cast<double>(ms);
  if (ms < 1'000) {
    std::snprintf(buf, sizeof buf, "%lld ms", static_cast<long long>(ms));
  } else if (ms < 60'000) {
    std::snprintf(buf, sizeof buf, "%.1f s", d / 1e3);
  } else if (ms < 3'600'000) {
    std::snprintf(buf, sizeof buf, "%.1f min", d / 6e4);
  } else if (ms < 172'800'000) {
    std::snprintf(buf, sizeof buf, "%.1f h", d / 3.6e6);
  } else {
    std::snprintf(buf, sizeof buf, "%.1f d", d / 8.64e7);
  }
  return buf;
}

constexpr const char* kTransactionScope =
    "transaction: an alert is a true positive when its completing event is labelled fraud, "
    "a false positive when it is labelled genuine, unscored otherwise (no completing event: "
    "timeouts, closed windows; or an unlabelled one); it catches its completing event";
constexpr const char* kKeyScope =
    "key: an alert is a true positive when any fraud event of its key lies in its span "
    "[start, alert ts], start being its earliest labelled stage event, else (windows) alert ts "
    "minus the rule's window size or session gap, else alert ts minus its `within`; it catches "
    "every such fraud event; otherwise a false positive when its completing event is labelled "
    "or it has none, unscored when that event is unlabelled";
constexpr const char* kTimeToDetect =
    "per key (of each rule's key fields) with a fraud event: from its first fraud event (event "
    "time) to the first alert on that key with ts at or after it; per rule its own alerts, "
    "overall any rule's; median and p90 nearest-rank over the detected keys, in ms; histogram: "
    "detected keys per bucket of delay (le_ms: the bucket's inclusive upper bound, null: above "
    "the last), not cumulative";
constexpr const char* kScorePeriod =
    "only alerts with ts in [from, to) and labelled events in it are scored and counted; the "
    "replay ran over the whole input";

}  // namespace

bool Totals::Count(const cep::v1::Alert& alert) {
  if (period && !period->Contains(alert.ts_ms())) {
    ++alerts_outside_period;
    return false;
  }
  ++alerts;
  ++alerts_by_rule[alert.rule()];
  const int64_t day = engine::LabelScorer::DayOf(alert.ts_ms());
  ++alerts_by_day[day];
  ++alerts_by_rule_day[alert.rule()][day];
  return true;
}

uint64_t Totals::rule_alerts(const std::string& rule) const {
  auto it = alerts_by_rule.find(rule);
  return it == alerts_by_rule.end() ? 0 : it->second;
}

nlohmann::ordered_json ReportJson(const ReplayOptions& o, const cep::Program& program,
                                  const cep::RunnerStats& stats, const engine::ReplayInput& input,
                                  const Totals& totals, double seconds,
                                  const std::vector<std::string>& set) {
  nlohmann::ordered_json report;
  const uint64_t events = input.events();
  report["ruleset"] = program.ruleset;
  report["version"] = program.version;
  report["input"] = o.input;
  if (!set.empty()) report["set"] = set;
  report["events"] = events;
  report["rejected"] = input.rejected();
  report["late"] = stats.late_events;
  report["alerts"] = totals.alerts;
  if (totals.period) {
    report["score_period"] = {
        {"from", totals.period->from_text.empty() ? nlohmann::ordered_json()
                                                   : nlohmann::ordered_json(totals.period->from_text)},
        {"to", totals.period->to_text.empty() ? nlohmann::ordered_json()
                                               : nlohmann::ordered_json(totals.period->to_text)},
        {"events", totals.span.events},
        {"alerts_outside", totals.alerts_outside_period},
        {"note", kScorePeriod}};
  }
  if (totals.labels != nullptr) {
    const engine::LabelScorer& labels = *totals.labels;
    const uint64_t frauds = labels.fraud_events();
    report["labels"] = {
        {"field", o.label_field},
        {"labelled_events", labels.labelled_events()},
        {"fraud_events", frauds},
        {"scope",
         labels.scope() == engine::LabelScorer::Scope::kKey ? kKeyScope : kTransactionScope},
        {"time_to_detect", kTimeToDetect},
        {"overall", ScoreJson(labels.overall(), frauds)}};
    nlohmann::ordered_json by_group = nlohmann::ordered_json::object();
    const auto& groups = labels.key_groups();
    for (size_t g = 0; g < groups.size(); ++g) {
      by_group[groups[g]] = TimeToDetectJson(labels.time_to_detect_by_group()[g]);
    }
    report["labels"]["overall"]["time_to_detect_by_key"] = by_group;
  }
  report["days"] = totals.days();
  report["alerts_per_day_mean"] = totals.per_day(totals.alerts);
  report["alerts_per_day"] = DaysJson(totals.alerts_by_day);
  report["seconds"] = seconds;
  report["events_per_second"] = seconds > 0 ? static_cast<double>(events) / seconds : 0.0;
  nlohmann::ordered_json rules = nlohmann::ordered_json::array();
  for (size_t i = 0; i < program.rules.size(); ++i) {
    const cep::RuleStats& rule_stats = stats.rules[i];
    const std::string& name = program.rules[i].name;
    const uint64_t alerts = totals.rule_alerts(name);
    rules.push_back({{"rule", name},
                     {"evaluated", rule_stats.evaluated},
                     {"alerts", alerts},
                     {"alerts_per_1000_events",
                      events > 0 ? 1000.0 * static_cast<double>(alerts) / static_cast<double>(events)
                                 : 0.0},
                     {"suppressed", rule_stats.suppressed},
                     {"late", rule_stats.late},
                     {"unkeyed", rule_stats.unkeyed},
                     {"alerts_per_day_mean", totals.per_day(alerts)}});
    auto days = totals.alerts_by_rule_day.find(name);
    rules.back()["alerts_per_day"] = DaysJson(
        days == totals.alerts_by_rule_day.end() ? std::map<int64_t, uint64_t>{} : days->second);
    if (totals.labels != nullptr) {
      auto score = totals.labels->by_rule().find(name);
      rules.back()["labels"] =
          ScoreJson(score == totals.labels->by_rule().end() ? engine::LabelScorer::Score{}
                                                            : score->second,
                    totals.labels->fraud_events(), true);
    }
  }
  report["rules"] = rules;
  return report;
}

void PrintSummary(const cep::Program& program, const cep::RunnerStats& stats,
                  const engine::ReplayInput& input, const Totals& totals, double seconds) {
  const double rate = seconds > 0 ? static_cast<double>(input.events()) / seconds : 0;
  std::fprintf(stderr,
               "cep replay: %llu events (%llu rejected, %llu late), %llu alerts in %.2f s, %.0f "
               "events/s\n",
               static_cast<unsigned long long>(input.events()),
               static_cast<unsigned long long>(input.rejected()),
               static_cast<unsigned long long>(stats.late_events),
               static_cast<unsigned long long>(totals.alerts + totals.alerts_outside_period),
               seconds, rate);
  if (totals.period) {
    std::fprintf(stderr, "  scored %s .. %s: %llu events, %llu alerts (%llu outside)\n",
                 totals.period->from_text.empty() ? "start" : totals.period->from_text.c_str(),
                 totals.period->to_text.empty() ? "end" : totals.period->to_text.c_str(),
                 static_cast<unsigned long long>(totals.span.events),
                 static_cast<unsigned long long>(totals.alerts),
                 static_cast<unsigned long long>(totals.alerts_outside_period));
  }
  for (size_t i = 0; i < program.rules.size(); ++i) {
    const std::string& name = program.rules[i].name;
    std::fprintf(stderr, "  %-32s %8llu alerts, %llu suppressed", name.c_str(),
                 static_cast<unsigned long long>(totals.rule_alerts(name)),
                 static_cast<unsigned long long>(stats.rules[i].suppressed));
    if (totals.labels != nullptr) {
      auto score = totals.labels->by_rule().find(name);
      if (score != totals.labels->by_rule().end()) {
        const uint64_t frauds = totals.labels->fraud_events();
        const auto& ttd = score->second.time_to_detect;
        std::fprintf(stderr,
                     ", precision %.3f, recall %.3f, %llu alone, detect %llu/%llu keys median %s",
                     score->second.precision(), score->second.recall(frauds),
                     static_cast<unsigned long long>(score->second.caught_alone),
                     static_cast<unsigned long long>(ttd.keys_detected),
                     static_cast<unsigned long long>(ttd.keys_with_fraud),
                     Human(ttd.median_ms).c_str());
      }
    }
    std::fprintf(stderr, "\n");
  }
  if (totals.labels != nullptr) {
    const auto& overall = totals.labels->overall();
    const uint64_t frauds = totals.labels->fraud_events();
    const auto& ttd = overall.time_to_detect;
    std::fprintf(stderr,
                 "  overall: %llu fraud events, precision %.3f, recall %.3f, F1 %.3f, "
                 "detect %llu/%llu keys median %s p90 %s\n",
                 static_cast<unsigned long long>(frauds), overall.precision(),
                 overall.recall(frauds), overall.f1(frauds),
                 static_cast<unsigned long long>(ttd.keys_detected),
                 static_cast<unsigned long long>(ttd.keys_with_fraud),
                 Human(ttd.median_ms).c_str(), Human(ttd.p90_ms).c_str());
  }
  std::fprintf(stderr, "  %.1f alerts/day over %llu days\n", totals.per_day(totals.alerts),
               static_cast<unsigned long long>(totals.days()));
  for (const auto& reject : input.first_rejects()) {
    std::fprintf(stderr, "  rejected line %llu: %s\n", static_cast<unsigned long long>(reject.line),
                 reject.reason.c_str());
  }
}

nlohmann::ordered_json DiffJson(const engine::AlertDiff& diff, const cep::Program& other) {
  nlohmann::ordered_json rules = nlohmann::ordered_json::array();
  for (const engine::RuleDiff& r : diff.rules) {
    rules.push_back({{"rule", r.rule},
                     {"alerts", r.alerts_a},
                     {"alerts_compared", r.alerts_b},
                     {"both", r.both},
                     {"added", r.added},
                     {"removed", r.removed},
                     {"added_keys", r.added_keys},
                     {"removed_keys", r.removed_keys}});
  }
  return {{"ruleset", other.ruleset}, {"version", other.version}, {"both", diff.both},
          {"added", diff.added},      {"removed", diff.removed},   {"rules", rules}};
}

void PrintDiff(const engine::AlertDiff& diff, const cep::Program& program,
               const cep::Program& other) {
  std::fprintf(stderr, "compare: %s v%u -> %s v%u: %llu alerts in both, %llu added, %llu removed\n",
               program.ruleset.c_str(), program.version, other.ruleset.c_str(), other.version,
               static_cast<unsigned long long>(diff.both),
               static_cast<unsigned long long>(diff.added),
               static_cast<unsigned long long>(diff.removed));
  std::fprintf(stderr, "  %-32s %8s %8s %8s %8s %8s\n", "rule", "before", "after", "both",
               "added", "removed");
  for (const engine::RuleDiff& r : diff.rules) {
    std::fprintf(stderr, "  %-32s %8llu %8llu %8llu %8llu %8llu\n", r.rule.c_str(),
                 static_cast<unsigned long long>(r.alerts_a),
                 static_cast<unsigned long long>(r.alerts_b),
                 static_cast<unsigned long long>(r.both),
                 static_cast<unsigned long long>(r.added),
                 static_cast<unsigned long long>(r.removed));
  }
}

bool WriteJsonFile(const std::string& path, const nlohmann::ordered_json& json) {
  std::ofstream out(path);
  out << json.dump(2) << "\n";
  if (!out) {
    std::cerr << "cep replay: cannot write '" << path << "'\n";
    return false;
  }
  return true;
}

bool WriteHtmlReport(const std::string& path, const nlohmann::ordered_json& report,
                     const std::string& ruleset_source) {
#ifdef CEP_REPLAY_HTML
  auto html = engine::RenderHtmlReport(report.dump(), ruleset_source);
  if (!html) {
    std::cerr << "cep replay: --html: " << html.error().message() << "\n";
    return false;
  }
  std::ofstream out(path);
  out << *html;
  if (!out) {
    std::cerr << "cep replay: cannot write '" << path << "'\n";
    return false;
  }
  return true;
#else
  (void)report;
  (void)ruleset_source;
  std::cerr << "cep replay: --html " << path << ": this build has no HTML report renderer\n";
  return false;
#endif
}

}  // namespace api
