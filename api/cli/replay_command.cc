#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "api/cli/cli.h"
#include "api/cli/command.h"
#include "api/proto/alert_json.h"
#include "cep/nfa/nfa_program.h"
#include "cep/key_text.h"
#include "cep/ruleset_runner.h"
#include "engine/replay/alert_diff.h"
#include "engine/replay/label_feedback.h"
#include "engine/replay/label_scorer.h"
#include "engine/replay/replay_input.h"
#include "engine/runtime/slot_pool.h"
#include "engine/sink/alert_factory.h"
#include "engine/sink/ordered_alert_writer.h"
#include "rules/compiler.h"

namespace api {
namespace {

struct ReplayOptions {
  std::string rules;
  std::string input;
  std::string format;
  std::string csv_map;
  std::string id_field = "id";
  std::string max_out_of_orderness = "0s";
  std::string alerts = "-";
  std::string report;
  int threads = 0;  // 0: one per core
  std::string label_field;  // ground truth: alerts are scored against it
  std::string label_scope = "transaction";  // or "key"
  std::string feedback_delay;
  std::string compare;  // a second ruleset: alerts added and removed per rule
  // Arrive with the backtesting issue (#7); refused plainly until then.
  std::string html;
  std::vector<std::string> set, sweep;
  std::string progress;  // --progress FILE: progress JSON, replaced atomically (replay jobs)
};

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

cep::Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return cep::NotFound("cannot read '" + path + "'");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// `--progress FILE`: one JSON object, replaced atomically (write a temporary
// file next to it, then rename) so a reader (api/replay_jobs) never sees half of
// one. Written at the start, about every 250 ms while reading, and at the end.
class ProgressFile {
 public:
  explicit ProgressFile(const ReplayOptions& o) : path_(o.progress) {
    std::error_code ec;
    if (!path_.empty() && o.input != "-" && std::filesystem::is_regular_file(o.input, ec)) {
      bytes_total_ = std::filesystem::file_size(o.input, ec);
      if (ec) bytes_total_ = 0;
    }
  }
  // Cheap enough per event: looks at the clock every 4096 events only.
  void MaybeWrite(const engine::ReplayInput& input) {
    if (path_.empty() || ++calls_ % 4096 != 0) return;
    if (Clock::now() - last_ < std::chrono::milliseconds(250)) return;
    Write(input, false);
  }
  void Write(const engine::ReplayInput& input, bool done) {
    if (path_.empty()) return;
    last_ = Clock::now();
    const nlohmann::json json = {{"events", input.events()},
                                 {"bytes_read", input.bytes_read()},
                                 {"bytes_total", bytes_total_},
                                 {"done", done}};
    const std::string tmp = path_ + ".tmp";
    {
      std::ofstream out(tmp, std::ios::trunc);
      out << json.dump() << "\n";
      if (!out) return;  // progress is best effort: the replay itself goes on
    }
    std::error_code ec;
    std::filesystem::rename(tmp, path_, ec);
  }

 private:
  std::string path_;
  uint64_t bytes_total_ = 0;  // 0: unknown (stdin, a pipe)
  uint64_t calls_ = 0;
  Clock::time_point last_ = Clock::now();
};

// Options of the interface that later issues build: say so instead of ignoring them.
int RefuseUnbuilt(const ReplayOptions& o) {
  const std::pair<bool, const char*> unbuilt[] = {
      {!o.html.empty(), "--html"}, {!o.sweep.empty(), "--sweep"}};
  for (const auto& [used, flag] : unbuilt) {
    if (used) {
      std::cerr << "cep replay: " << flag << " is not built yet (planned in issue #7)\n";
      return kExitUsage;
    }
  }
  return kExitOk;
}

struct Totals {
  uint64_t alerts = 0;
  std::map<std::string, uint64_t> alerts_by_rule;
  std::map<int64_t, uint64_t> alerts_by_day;  // UTC day (LabelScorer::DayOf) of the alert ts
  std::map<std::string, std::map<int64_t, uint64_t>> alerts_by_rule_day;
  std::optional<cep::EventTime> first_ts, last_ts;  // of the input's events
  std::optional<engine::LabelScorer> labels;  // with --label-field
  // Days the input spans (first to last event, UTC days, inclusive); 0 when empty.
  uint64_t days() const {
    if (!first_ts) return 0;
    return static_cast<uint64_t>(engine::LabelScorer::DayOf(last_ts->millis()) -
                                 engine::LabelScorer::DayOf(first_ts->millis()) + 1);
  }
  double per_day(uint64_t count) const {
    return days() == 0 ? 0.0 : static_cast<double>(count) / static_cast<double>(days());
  }
};

// What the scorer needs to know of the rules: the distinct key field lists
// (key groups) and, per rule, its group and lookback (window size or session
// gap; a pattern's `within`).
engine::LabelScorer::Options ScorerOptions(const cep::Program& program, engine::LabelScorer::Scope scope,
                                           std::vector<std::vector<cep::SlotIndex>>& groups) {
  engine::LabelScorer::Options options;
  options.scope = scope;
  for (const cep::Rule& rule : program.rules) {
    auto it = std::find(groups.begin(), groups.end(), rule.key_slots);
    if (it == groups.end()) {
      groups.push_back(rule.key_slots);
      std::string name;
      for (size_t i = 0; i < rule.key_slots.size(); ++i) {
        if (i > 0) name += '|';
        name += program.schema->field(rule.key_slots[i]).name;
      }
      options.key_groups.push_back(rule.key_slots.empty() ? "none" : name);
      it = groups.end() - 1;
    }
    engine::LabelScorer::RuleInfo info;
    info.key_group = static_cast<uint32_t>(it - groups.begin());
    if (const auto* pattern = std::get_if<cep::PatternBody>(&rule.body)) {
      if (auto within = pattern->nfa->window()) info.lookback_ms = within->millis();
    } else {
      info.lookback_ms = std::get<cep::WindowBody>(rule.body).spec->size().millis();
    }
    options.rules.emplace(rule.name, info);
  }
  return options;
}

nlohmann::ordered_json DaysJson(const std::map<int64_t, uint64_t>& days) {
  nlohmann::ordered_json json = nlohmann::ordered_json::object();
  for (const auto& [day, count] : days) json[engine::LabelScorer::DayText(day)] = count;
  return json;
}

nlohmann::ordered_json TimeToDetectJson(const engine::LabelScorer::TimeToDetect& ttd) {
  return {{"keys_with_fraud", ttd.keys_with_fraud},
          {"keys_detected", ttd.keys_detected},
          {"median_ms", ttd.median_ms},
          {"p90_ms", ttd.p90_ms}};
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
    "overall any rule's; median and p90 nearest-rank over the detected keys, in ms";

// One pass over the input. `--compare` makes two: first the compared ruleset,
// quietly, keeping its alerts; then the main one, which reports the difference.
struct Pass {
  bool quiet = false;                          // no summary, no report
  std::vector<cep::v1::Alert>* keep = nullptr;  // every alert raised
  std::shared_ptr<const cep::Program>* program = nullptr;  // the pass's program
  // The main pass of --compare: the other ruleset's alerts and program.
  const std::vector<cep::v1::Alert>* compare_with = nullptr;
  const cep::Program* compare_program = nullptr;
};

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

void PrintDiff(const engine::AlertDiff& diff, const cep::Program& program, const cep::Program& other) {
  std::fprintf(stderr, "compare: %s v%u -> %s v%u: %llu alerts in both, %llu added, %llu removed\n",
               program.ruleset.c_str(), program.version, other.ruleset.c_str(), other.version,
               static_cast<unsigned long long>(diff.both), static_cast<unsigned long long>(diff.added),
               static_cast<unsigned long long>(diff.removed));
  std::fprintf(stderr, "  %-32s %8s %8s %8s %8s %8s\n", "rule", "before", "after", "both", "added",
               "removed");
  for (const engine::RuleDiff& r : diff.rules) {
    std::fprintf(stderr, "  %-32s %8llu %8llu %8llu %8llu %8llu\n", r.rule.c_str(),
                 static_cast<unsigned long long>(r.alerts_a), static_cast<unsigned long long>(r.alerts_b),
                 static_cast<unsigned long long>(r.both), static_cast<unsigned long long>(r.added),
                 static_cast<unsigned long long>(r.removed));
  }
}

void WriteReport(const ReplayOptions& o, const cep::Program& program,
                 const cep::RunnerStats& stats, const engine::ReplayInput& input,
                 const Totals& totals, double seconds, const nlohmann::ordered_json& compare) {
  nlohmann::ordered_json report;
  const uint64_t events = input.events();
  report["ruleset"] = program.ruleset;
  report["version"] = program.version;
  report["input"] = o.input;
  if (!o.set.empty()) report["set"] = o.set;
  report["events"] = events;
  report["rejected"] = input.rejected();
  report["late"] = stats.late_events;
  report["alerts"] = totals.alerts;
  if (totals.labels) {
    const uint64_t frauds = totals.labels->fraud_events();
    report["labels"] = {{"field", o.label_field},
                        {"labelled_events", totals.labels->labelled_events()},
                        {"fraud_events", frauds},
                        {"scope", totals.labels->scope() == engine::LabelScorer::Scope::kKey
                                      ? kKeyScope
                                      : kTransactionScope},
                        {"time_to_detect", kTimeToDetect},
                        {"overall", ScoreJson(totals.labels->overall(), frauds)}};
    nlohmann::ordered_json by_group = nlohmann::ordered_json::object();
    const auto& groups = totals.labels->key_groups();
    for (size_t g = 0; g < groups.size(); ++g) {
      by_group[groups[g]] = TimeToDetectJson(totals.labels->time_to_detect_by_group()[g]);
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
    auto it = totals.alerts_by_rule.find(program.rules[i].name);
    const uint64_t alerts = it == totals.alerts_by_rule.end() ? 0 : it->second;
    rules.push_back({{"rule", program.rules[i].name},
                     {"evaluated", rule_stats.evaluated},
                     {"alerts", alerts},
                     {"alerts_per_1000_events",
                      events > 0 ? 1000.0 * static_cast<double>(alerts) / static_cast<double>(events) : 0.0},
                     {"suppressed", rule_stats.suppressed},
                     {"late", rule_stats.late},
                     {"unkeyed", rule_stats.unkeyed},
                     {"alerts_per_day_mean", totals.per_day(alerts)}});
    auto days = totals.alerts_by_rule_day.find(program.rules[i].name);
    rules.back()["alerts_per_day"] =
        DaysJson(days == totals.alerts_by_rule_day.end() ? std::map<int64_t, uint64_t>{} : days->second);
    if (totals.labels) {
      auto score = totals.labels->by_rule().find(program.rules[i].name);
      rules.back()["labels"] = ScoreJson(score == totals.labels->by_rule().end()
                                             ? engine::LabelScorer::Score{}
                                             : score->second,
                                         totals.labels->fraud_events(), true);
    }
  }
  report["rules"] = rules;
  if (!compare.is_null()) report["compare"] = compare;
  std::ofstream(o.report) << report.dump(2) << "\n";
}

void PrintSummary(const cep::Program& program, const cep::RunnerStats& stats,
                  const engine::ReplayInput& input, const Totals& totals, double seconds) {
  const double rate = seconds > 0 ? static_cast<double>(input.events()) / seconds : 0;
  std::fprintf(stderr, "cep replay: %llu events (%llu rejected, %llu late), %llu alerts in %.2f s, %.0f events/s\n",
               static_cast<unsigned long long>(input.events()),
               static_cast<unsigned long long>(input.rejected()),
               static_cast<unsigned long long>(stats.late_events),
               static_cast<unsigned long long>(totals.alerts), seconds, rate);
  for (size_t i = 0; i < program.rules.size(); ++i) {
    auto it = totals.alerts_by_rule.find(program.rules[i].name);
    std::fprintf(stderr, "  %-32s %8llu alerts, %llu suppressed", program.rules[i].name.c_str(),
                 static_cast<unsigned long long>(it == totals.alerts_by_rule.end() ? 0 : it->second),
                 static_cast<unsigned long long>(stats.rules[i].suppressed));
    if (totals.labels) {
      auto score = totals.labels->by_rule().find(program.rules[i].name);
      if (score != totals.labels->by_rule().end()) {
        const uint64_t frauds = totals.labels->fraud_events();
        const auto& ttd = score->second.time_to_detect;
        std::fprintf(stderr, ", precision %.3f, recall %.3f, %llu alone, detect %llu/%llu keys median %s",
                     score->second.precision(), score->second.recall(frauds),
                     static_cast<unsigned long long>(score->second.caught_alone),
                     static_cast<unsigned long long>(ttd.keys_detected),
                     static_cast<unsigned long long>(ttd.keys_with_fraud),
                     Human(ttd.median_ms).c_str());
      }
    }
    std::fprintf(stderr, "\n");
  }
  if (totals.labels) {
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

int RunPass(const ReplayOptions& o, const Pass& pass) {
  auto out_of_orderness = cep::ParseDuration(o.max_out_of_orderness);
  if (!out_of_orderness) {
    std::cerr << "cep replay: --max-out-of-orderness: " << out_of_orderness.error().message() << "\n";
    return kExitUsage;
  }
  auto format = engine::ParseInputFormat(o.format, o.input);
  if (!format) {
    std::cerr << "cep replay: " << format.error().message() << "\n";
    return kExitUsage;
  }
  auto text = ReadFile(o.rules);
  if (!text) {
    std::cerr << "cep replay: " << text.error().message() << "\n";
    return kExitUserError;
  }
  rules::CompileOptions compile_options;
  for (const std::string& set : o.set) {
    const size_t eq = set.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == set.size()) {
      std::cerr << "cep replay: --set " << set << ": expected NAME=VALUE, e.g. --set LARGE=400\n";
      return kExitUsage;
    }
    const std::string name = set.substr(0, eq);
    if (name.find('.') != std::string::npos) {
      std::cerr << "cep replay: --set " << set
                << ": consts belong to the ruleset, not to a rule: write --set "
                << name.substr(name.rfind('.') + 1) << "=" << set.substr(eq + 1) << "\n";
      return kExitUsage;
    }
    compile_options.const_overrides.emplace_back(name, set.substr(eq + 1));
  }
  auto compiled = rules::CompileRuleset(*text, compile_options);
  if (!compiled) {
    std::cerr << rules::FormatDiagnostics(o.rules, *text, compiled.error());
    return kExitUserError;
  }
  const std::shared_ptr<const cep::Program> program = compiled->program;
  if (pass.program != nullptr) *pass.program = program;
  engine::ReplayInputOptions input_options{o.input, *format, o.csv_map, 10,
                                           {o.id_field, compiled->regexes}};
  auto input = engine::ReplayInput::Open(program->schema, input_options);
  if (!input) {
    std::cerr << "cep replay: " << input.error().message() << "\n";
    return kExitUserError;
  }
  std::ofstream file;
  std::ostream* out = &std::cout;
  if (o.alerts != "-") {
    file.open(o.alerts);
    if (!file) {
      std::cerr << "cep replay: cannot write '" << o.alerts << "'\n";
      return kExitUserError;
    }
    out = &file;
  }

  std::optional<engine::LabelFeedback> feedback;
  if (!o.feedback_delay.empty()) {
    if (o.label_field.empty()) {
      std::cerr << "cep replay: --feedback-delay needs --label-field (feedback is made from the labels)\n";
      return kExitUsage;
    }
    auto delay = cep::ParseDuration(o.feedback_delay);
    if (!delay) {
      std::cerr << "cep replay: --feedback-delay: " << delay.error().message() << "\n";
      return kExitUsage;
    }
    auto made = engine::LabelFeedback::Create(program->schema, *delay);
    if (!made) {
      std::cerr << "cep replay: " << made.error().message() << "\n";
      return kExitUserError;
    }
    feedback.emplace(std::move(*made));
  }
  std::optional<cep::SlotIndex> label_slot;
  if (!o.label_field.empty()) {
    label_slot = program->schema->Find(o.label_field);
    if (!label_slot) {
      std::cerr << "cep replay: --label-field: the schema has no field '" << o.label_field << "'\n";
      return kExitUsage;
    }
  }
  engine::LabelScorer::Scope scope = engine::LabelScorer::Scope::kTransaction;
  if (o.label_scope == "key") {
    scope = engine::LabelScorer::Scope::kKey;
  } else if (o.label_scope != "transaction") {
    std::cerr << "cep replay: --label-scope: expected transaction or key, got '" << o.label_scope << "'\n";
    return kExitUsage;
  }
  const auto start = Clock::now();
  Totals totals;
  std::vector<std::vector<cep::SlotIndex>> key_groups;  // LabelScorer's key groups, by index
  if (label_slot) totals.labels.emplace(ScorerOptions(*program, scope, key_groups));
  std::vector<std::optional<std::string>> fraud_keys(key_groups.size());
  std::vector<cep::v1::Alert> to_score;  // scored after the run: labels are observed on this thread
  engine::OrderedAlertWriter writer([&](const cep::v1::Alert& alert) {
    *out << wire::AlertToJson(alert) << '\n';
    if (pass.keep != nullptr) pass.keep->push_back(alert);
    ++totals.alerts;
    ++totals.alerts_by_rule[alert.rule()];
    const int64_t day = engine::LabelScorer::DayOf(alert.ts_ms());
    ++totals.alerts_by_day[day];
    ++totals.alerts_by_rule_day[alert.rule()][day];
    if (totals.labels) to_score.push_back(alert);
  });
  const uint32_t slots = o.threads > 0 ? static_cast<uint32_t>(o.threads)
                                       : std::max(1u, std::thread::hardware_concurrency());
  engine::SlotPool pool(program, {.slots = slots, .queue_capacity = 4096});
  // The collector writes alerts in their documented order as soon as every
  // slot's watermark has passed their ts by the ordering holdback (see
  // SlotPool::ordering_holdback), so the output does not depend on the thread
  // count or on how the slots' progress interleaves.
  std::thread collector([&] {
    engine::SlotPool::Output output;
    const cep::Duration holdback = pool.ordering_holdback();
    for (;;) {
      pool.Collect(output, std::chrono::milliseconds(100));
      for (cep::v1::Alert& alert : output.alerts) writer.Add(std::move(alert));
      output.alerts.clear();
      if (output.finished) break;
      writer.AdvanceTo(output.done - holdback);
    }
    writer.Flush();
  });
  // Automatic watermark (DSL.md): the largest ts seen minus the allowed
  // out-of-orderness minus 1 ms; explicit `_watermark` lines replace it.
  const bool explicit_watermarks = (*input)->has_explicit_watermarks();
  cep::EventTime max_ts = cep::EventTime::Min();
  const bool progress = isatty(STDERR_FILENO) != 0;
  std::optional<ProgressFile> progress_file;
  if (!pass.quiet) progress_file.emplace(o);
  if (progress_file) progress_file->Write(**input, false);
  engine::ReplayRecord record;
  // Feedback reports due by `up_to` enter before the watermark passes them:
  // on time, like any event (their ts is past every earlier watermark).
  std::vector<std::shared_ptr<const cep::Event>> reports;
  auto route_feedback = [&](cep::EventTime up_to) {
    if (!feedback) return;
    feedback->Release(up_to, reports);
    for (auto& report : reports) pool.Route(std::move(report));
    reports.clear();
  };
  while ((*input)->Next(record)) {
    if (record.watermark) {
      if (explicit_watermarks) {
        route_feedback(*record.watermark);
        pool.AdvanceWatermark(*record.watermark);
      }
      continue;
    }
    if (!record.event) continue;
    const cep::EventTime ts = record.event->ts();
    if (!totals.first_ts || ts < *totals.first_ts) totals.first_ts = ts;
    if (!totals.last_ts || ts > *totals.last_ts) totals.last_ts = ts;
    if (label_slot) {
      // Read before the event reaches the rules; rules themselves can never read
      // the label (the checker rejects it), so the backtest cannot peek.
      const cep::Value& label = record.event->field(*label_slot);
      if (label.type() == cep::Type::kInt || label.type() == cep::Type::kBool) {
        const bool fraud = label.type() == cep::Type::kInt ? label.int_value() != 0 : label.bool_value();
        if (fraud && feedback) feedback->Observe(*record.event);
        if (fraud) {
          // Keys (per key group) only for fraud events: genuine ones need none.
          for (size_t g = 0; g < key_groups.size(); ++g) {
            std::string key;
            fraud_keys[g] = cep::AppendEventKey(*record.event, key_groups[g], key)
                                ? std::optional<std::string>(std::move(key))
                                : std::nullopt;
          }
        }
        totals.labels->ObserveEvent(record.event->id(), fraud, ts.millis(),
                                    fraud ? std::span<const std::optional<std::string>>(fraud_keys)
                                          : std::span<const std::optional<std::string>>());
      }
    }
    pool.Route(std::make_shared<const cep::Event>(std::move(*record.event)));
    record.event.reset();
    if (!explicit_watermarks && ts > max_ts) {
      max_ts = ts;
      route_feedback(max_ts);
      pool.AdvanceWatermark(max_ts - *out_of_orderness - cep::Duration::Millis(1));
    }
    if (progress_file) progress_file->MaybeWrite(**input);
    if (progress && (*input)->events() % 1'000'000 == 0) {
      std::fprintf(stderr, "\rcep replay: %llu events, %.0f events/s",
                   static_cast<unsigned long long>((*input)->events()),
                   static_cast<double>((*input)->events()) / Seconds(start));
    }
  }
  if (progress) std::fprintf(stderr, "\r");
  const bool input_ok = (*input)->status().ok();
  // End of input: the watermark goes to +infinity, windows close, timeouts
  // fire. On a read error the alerts so far are still written in full.
  if (input_ok) {
    route_feedback(cep::EventTime::Max());  // reports due after the input ends still count
    pool.Finish();
  } else {
    pool.Stop();
  }
  collector.join();
  out->flush();
  if (progress_file) progress_file->Write(**input, true);
  if (!input_ok) {
    std::cerr << "cep replay: " << o.input << ": " << (*input)->status().message()
              << " (after " << (*input)->events() << " events; alerts so far were written)\n";
    return kExitUserError;
  }
  if (totals.labels) {
    for (const cep::v1::Alert& alert : to_score) totals.labels->ObserveAlert(alert);
    totals.labels->Finish();
  }
  const double seconds = Seconds(start);
  const cep::RunnerStats stats = pool.stats();
  if (pass.quiet) return kExitOk;
  PrintSummary(*program, stats, **input, totals, seconds);
  nlohmann::ordered_json compare;
  if (pass.compare_with != nullptr && pass.keep != nullptr && pass.compare_program != nullptr) {
    const engine::AlertDiff diff = engine::DiffAlerts(*pass.keep, *pass.compare_with);
    PrintDiff(diff, *program, *pass.compare_program);
    compare = DiffJson(diff, *pass.compare_program);
  }
  if (!o.report.empty()) WriteReport(o, *program, stats, **input, totals, seconds, compare);
  return kExitOk;
}

int RunReplay(const ReplayOptions& o) {
  if (int refused = RefuseUnbuilt(o); refused != kExitOk) return refused;
  if (o.compare.empty()) return RunPass(o, {});
  if (o.input == "-") {
    std::cerr << "cep replay: --compare reads the input twice: give a file, not stdin\n";
    return kExitUsage;
  }
  // The compared ruleset first, quietly: its alerts are only kept.
  ReplayOptions other = o;
  other.rules = o.compare;
  other.compare.clear();
  other.set.clear();  // overrides are for the main ruleset
  other.alerts = "/dev/null";
  other.report.clear();
  std::vector<cep::v1::Alert> theirs;
  std::shared_ptr<const cep::Program> other_program;
  if (int code = RunPass(other, {.quiet = true, .keep = &theirs, .program = &other_program});
      code != kExitOk) {
    return code;
  }
  std::vector<cep::v1::Alert> ours;
  return RunPass(o, {.keep = &ours, .compare_with = &theirs, .compare_program = other_program.get()});
}

}  // namespace

void AddReplayCommand(CLI::App& app, Action& action) {
  auto o = std::make_shared<ReplayOptions>();
  CLI::App* command = app.add_subcommand(
      "replay", "replay history through a ruleset at full speed, in event time");
  command->add_option("--rules", o->rules, "ruleset file")->required();
  command->add_option("--input", o->input, "history: JSONL, CSV or delimited protobuf, gzip or plain; - for stdin")
      ->required();
  command->add_option("--format", o->format, "jsonl|csv|protobuf (default: from the file name)");
  command->add_option("--csv-map", o->csv_map, "CSV column mapping (JSON, see rulesets/fdh.csvmap.json)");
  command->add_option("--id-field", o->id_field, "field naming events in alerts")->capture_default_str();
  command->add_option("--max-out-of-orderness", o->max_out_of_orderness,
                      "how late events may arrive, e.g. 5s (automatic watermark)")
      ->capture_default_str();
  command->add_option("--alerts", o->alerts, "alerts as JSONL to FILE, or - for stdout")
      ->capture_default_str();
  command->add_option("--report", o->report, "write a JSON report (events, alerts per rule)");
  command->add_option("--threads", o->threads,
                      "worker slots, 0 for one per core (the output is the same for any count)")
      ->check(CLI::Range(0, 256))
      ->capture_default_str();
  command->add_option("--label-field", o->label_field,
                      "ground-truth field (1 fraud, 0 not): score alerts, precision and recall");
  command->add_option("--label-scope", o->label_scope,
                      "transaction: an alert is right when its completing event is fraud; key: when "
                      "any fraud event of its key lies in its span")
      ->check(CLI::IsMember({"transaction", "key"}))
      ->capture_default_str();
  command->add_option("--feedback-delay", o->feedback_delay,
                      "for each labelled fraud event, a kind == \"fraud_report\" event with its fields at ts + D "
                      "(needs --label-field), e.g. 7d");
  command->add_option("--compare", o->compare,
                      "a second ruleset: report the alerts it adds and removes per rule (shadow diff)");
  command->add_option("--html", o->html, "HTML report (issue #7)");
  command->add_option("--set", o->set,
                      "NAME=VALUE: replace const NAME's value (repeatable), e.g. --set LARGE=400");
  command->add_option("--sweep", o->sweep, "RULE.CONST=FROM..TO:STEP sweeps (issue #7)");
  command->add_option("--progress", o->progress,
                      "progress JSON to FILE, replaced atomically about every 250 ms: "
                      "{\"events\", \"bytes_read\", \"bytes_total\", \"done\"}");
  command->footer(
      "Alerts are written in order of ts, then rule, key and alert_id; the same input and\n"
      "ruleset give byte-identical output. A summary goes to stderr.");
  command->callback([&action, o] { action = [o] { return RunReplay(*o); }; });
}

}  // namespace api
