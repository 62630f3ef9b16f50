#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "api/cli/cli.h"
#include "api/cli/command.h"
#include "api/cli/replay_options.h"
#include "api/cli/replay_report.h"
#include "api/cli/replay_run.h"
#include "api/cli/replay_sweep.h"
#include "api/proto/alert_json.h"
#include "engine/replay/alert_diff.h"
#include "engine/replay/label_scorer.h"

// `cep replay`: the flags, and a single replay or `--compare`. The pieces
// live next to this file: replay_run (flags, compile, the pass over the
// input), replay_report (summary and JSON report), replay_sweep (`--sweep`).

namespace api {
namespace {

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

int RunPass(const ReplayOptions& o, const Pass& pass) {
  auto flags = ParseReplayFlags(o);
  if (!flags) return flags.error();
  auto set = ParseSetFlags(o.set);
  if (!set) return set.error();
  auto text = ReadRulesetText(o.rules);
  if (!text) return text.error();
  auto compiled = CompileForReplay(o.rules, *text, *set);
  if (!compiled) return compiled.error();
  const std::shared_ptr<const cep::Program> program = compiled->program;
  if (pass.program != nullptr) *pass.program = program;
  auto stream = OpenReplayStream(o, *flags, *compiled);
  if (!stream) return stream.error();
  auto out = AlertOutput::Open(o.alerts);
  if (!out) return out.error();

  Totals totals;
  totals.period = flags->period;
  std::optional<engine::LabelScorer> labels;
  std::vector<std::vector<cep::SlotIndex>> key_groups;  // LabelScorer's key groups, by index
  if (stream->label_slot) labels.emplace(ScorerOptions(*program, flags->scope, key_groups));
  std::vector<cep::v1::Alert> to_score;  // scored after the run: labels are observed on this thread
  auto result = RunStream(o, *flags, *stream, program, labels ? &*labels : nullptr, key_groups,
                          !pass.quiet, [&](const cep::v1::Alert& alert) {
                            out.value()->stream() << wire::AlertToJson(alert) << '\n';
                            if (pass.keep != nullptr) pass.keep->push_back(alert);
                            if (totals.Count(alert) && labels) to_score.push_back(alert);
                          });
  out.value()->stream().flush();
  if (!result.ok) return kExitUserError;
  totals.span = result.span;
  if (labels) {
    for (const cep::v1::Alert& alert : to_score) labels->ObserveAlert(alert);
    labels->Finish();
    totals.labels = &*labels;
  }
  if (pass.quiet) return kExitOk;
  PrintSummary(*program, result.stats, *stream->input, totals, result.seconds);
  nlohmann::ordered_json compare;
  if (pass.compare_with != nullptr && pass.keep != nullptr && pass.compare_program != nullptr) {
    const engine::AlertDiff diff = engine::DiffAlerts(*pass.keep, *pass.compare_with);
    PrintDiff(diff, *program, *pass.compare_program);
    compare = DiffJson(diff, *pass.compare_program);
  }
  if (o.report.empty() && o.html.empty()) return kExitOk;
  nlohmann::ordered_json report =
      ReportJson(o, *program, result.stats, *stream->input, totals, result.seconds, o.set);
  if (!compare.is_null()) report["compare"] = compare;
  if (!o.report.empty() && !WriteJsonFile(o.report, report)) return kExitUserError;
  if (!o.html.empty() && !WriteHtmlReport(o.html, report, *text)) return kExitUserError;
  return kExitOk;
}

int RunReplay(const ReplayOptions& o) {
  if (!o.sweep.empty()) return RunSweep(o);
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
  other.html.clear();
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
  command->add_option("--report", o->report,
                      "write a JSON report (events, alerts per rule, scores; a sweep's variants)");
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
  command->add_option("--score-from", o->score_from,
                      "score (labels, time-to-detect, alerts/day) only alerts and labelled events "
                      "with ts at or after this date (2018-08-01) or RFC 3339 datetime; the replay "
                      "still runs over the whole input (warm-up)");
  command->add_option("--score-to", o->score_to,
                      "... and before this date or datetime (exclusive), e.g. 2018-09-01");
  command->add_option("--html", o->html,
                      "self-contained HTML report to FILE: per-rule table, charts, the ruleset "
                      "with each rule's figures (a sweep: precision/recall over the variants)");
  command->add_option("--set", o->set,
                      "NAME=VALUE: replace const NAME's value (repeatable), e.g. --set LARGE=400");
  command->add_option("--sweep", o->sweep,
                      "NAME=FROM..TO:STEP: replay const NAME at every value FROM, FROM+STEP, .. TO "
                      "(repeatable: the grid of all combinations, at most 1000) in one pass; one "
                      "row per variant on stderr, * on the Pareto front of precision vs recall. "
                      "--report/--html describe the variant with the highest F1 and add every "
                      "variant; --alerts gets every variant's alerts, each with a \"variant\" "
                      "field, e.g. --sweep SPIKE=2.6..3.0:0.1");
  command->add_option("--progress", o->progress,
                      "progress JSON to FILE, replaced atomically about every 250 ms: "
                      "{\"events\", \"bytes_read\", \"bytes_total\", \"done\"}");
  command->footer(
      "Alerts are written in order of ts, then rule, key and alert_id; the same input and\n"
      "ruleset give byte-identical output. A summary goes to stderr.");
  command->callback([&action, o] { action = [o] { return RunReplay(*o); }; });
}

}  // namespace api
