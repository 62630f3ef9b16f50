#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
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
#include "cep/ruleset_runner.h"
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
  // Arrive with the backtesting issue (#7); refused plainly until then.
  std::string feedback_delay, compare, html;
  std::vector<std::string> set, sweep;
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

// Options of the interface that later issues build: say so instead of ignoring them.
int RefuseUnbuilt(const ReplayOptions& o) {
  const std::pair<bool, const char*> unbuilt[] = {
      {!o.feedback_delay.empty(), "--feedback-delay"},
      {!o.compare.empty(), "--compare"},         {!o.html.empty(), "--html"},
      {!o.set.empty(), "--set"},                 {!o.sweep.empty(), "--sweep"}};
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
  std::optional<engine::LabelScorer> labels;  // with --label-field
};

nlohmann::ordered_json ScoreJson(const engine::LabelScorer::Score& score, uint64_t fraud_events) {
  return {{"true_positives", score.true_positives},
          {"false_positives", score.false_positives},
          {"unscored", score.unscored},
          {"fraud_events_caught", score.fraud_events_caught},
          {"precision", score.precision()},
          {"recall", score.recall(fraud_events)},
          {"f1", score.f1(fraud_events)}};
}

void WriteReport(const ReplayOptions& o, const cep::Program& program,
                 const cep::RunnerStats& stats, const engine::ReplayInput& input,
                 const Totals& totals, double seconds) {
  nlohmann::ordered_json report;
  const uint64_t events = input.events();
  report["ruleset"] = program.ruleset;
  report["version"] = program.version;
  report["input"] = o.input;
  report["events"] = events;
  report["rejected"] = input.rejected();
  report["late"] = stats.late_events;
  report["alerts"] = totals.alerts;
  if (totals.labels) {
    const uint64_t frauds = totals.labels->fraud_events();
    report["labels"] = {{"field", o.label_field},
                        {"labelled_events", totals.labels->labelled_events()},
                        {"fraud_events", frauds},
                        {"scope", "transaction: an alert is a true positive when its completing "
                                  "event is labelled fraud"},
                        {"overall", ScoreJson(totals.labels->overall(), frauds)}};
  }
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
                     {"unkeyed", rule_stats.unkeyed}});
    if (totals.labels) {
      auto score = totals.labels->by_rule().find(program.rules[i].name);
      rules.back()["labels"] = ScoreJson(score == totals.labels->by_rule().end()
                                             ? engine::LabelScorer::Score{}
                                             : score->second,
                                         totals.labels->fraud_events());
    }
  }
  report["rules"] = rules;
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
        std::fprintf(stderr, ", precision %.3f, recall %.3f", score->second.precision(),
                     score->second.recall(frauds));
      }
    }
    std::fprintf(stderr, "\n");
  }
  if (totals.labels) {
    const auto& overall = totals.labels->overall();
    const uint64_t frauds = totals.labels->fraud_events();
    std::fprintf(stderr, "  overall: %llu fraud events, precision %.3f, recall %.3f, F1 %.3f\n",
                 static_cast<unsigned long long>(frauds), overall.precision(),
                 overall.recall(frauds), overall.f1(frauds));
  }
  for (const auto& reject : input.first_rejects()) {
    std::fprintf(stderr, "  rejected line %llu: %s\n", static_cast<unsigned long long>(reject.line),
                 reject.reason.c_str());
  }
}

int RunReplay(const ReplayOptions& o) {
  if (int refused = RefuseUnbuilt(o); refused != kExitOk) return refused;
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
  auto compiled = rules::CompileRuleset(*text);
  if (!compiled) {
    std::cerr << rules::FormatDiagnostics(o.rules, *text, compiled.error());
    return kExitUserError;
  }
  const std::shared_ptr<const cep::Program> program = compiled->program;
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

  std::optional<cep::SlotIndex> label_slot;
  if (!o.label_field.empty()) {
    label_slot = program->schema->Find(o.label_field);
    if (!label_slot) {
      std::cerr << "cep replay: --label-field: the schema has no field '" << o.label_field << "'\n";
      return kExitUsage;
    }
  }
  const auto start = Clock::now();
  Totals totals;
  if (label_slot) totals.labels.emplace();
  std::vector<cep::v1::Alert> to_score;  // scored after the run: labels are observed on this thread
  engine::OrderedAlertWriter writer([&](const cep::v1::Alert& alert) {
    *out << wire::AlertToJson(alert) << '\n';
    ++totals.alerts;
    ++totals.alerts_by_rule[alert.rule()];
    if (totals.labels) to_score.push_back(alert);
  });
  const uint32_t slots = o.threads > 0 ? static_cast<uint32_t>(o.threads)
                                       : std::max(1u, std::thread::hardware_concurrency());
  engine::SlotPool pool(program, {slots, 4096});
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
  engine::ReplayRecord record;
  while ((*input)->Next(record)) {
    if (record.watermark) {
      if (explicit_watermarks) pool.AdvanceWatermark(*record.watermark);
      continue;
    }
    if (!record.event) continue;
    const cep::EventTime ts = record.event->ts();
    if (label_slot) {
      // Read before the event reaches the rules; rules themselves can never read
      // the label (the checker rejects it), so the backtest cannot peek.
      const cep::Value& label = record.event->field(*label_slot);
      if (label.type() == cep::Type::kInt || label.type() == cep::Type::kBool) {
        const bool fraud = label.type() == cep::Type::kInt ? label.int_value() != 0 : label.bool_value();
        totals.labels->ObserveEvent(record.event->id(), fraud);
      }
    }
    pool.Route(std::make_shared<const cep::Event>(std::move(*record.event)));
    record.event.reset();
    if (!explicit_watermarks && ts > max_ts) {
      max_ts = ts;
      pool.AdvanceWatermark(max_ts - *out_of_orderness - cep::Duration::Millis(1));
    }
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
    pool.Finish();
  } else {
    pool.Stop();
  }
  collector.join();
  out->flush();
  if (!input_ok) {
    std::cerr << "cep replay: " << o.input << ": " << (*input)->status().message()
              << " (after " << (*input)->events() << " events; alerts so far were written)\n";
    return kExitUserError;
  }
  for (const cep::v1::Alert& alert : to_score) totals.labels->ObserveAlert(alert);
  const double seconds = Seconds(start);
  const cep::RunnerStats stats = pool.stats();
  PrintSummary(*program, stats, **input, totals, seconds);
  if (!o.report.empty()) WriteReport(o, *program, stats, **input, totals, seconds);
  return kExitOk;
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
  command->add_option("--feedback-delay", o->feedback_delay, "label feedback delay (issue #7)");
  command->add_option("--compare", o->compare, "second ruleset to diff against (issue #7)");
  command->add_option("--html", o->html, "HTML report (issue #7)");
  command->add_option("--set", o->set, "RULE.CONST=VALUE overrides (issue #7)");
  command->add_option("--sweep", o->sweep, "RULE.CONST=FROM..TO:STEP sweeps (issue #7)");
  command->footer(
      "Alerts are written in order of ts, then rule, key and alert_id; the same input and\n"
      "ruleset give byte-identical output. A summary goes to stderr.");
  command->callback([&action, o] { action = [o] { return RunReplay(*o); }; });
}

}  // namespace api
