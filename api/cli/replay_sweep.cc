#include "api/cli/replay_sweep.h"

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "api/cli/cli.h"
#include "api/cli/replay_report.h"
#include "api/cli/replay_run.h"
#include "api/proto/alert_json.h"
#include "cep/base/check.h"
#include "engine/replay/sweep_grid.h"
#include "engine/replay/sweep_program.h"
#include "engine/sink/alert_id.h"
#include "rules/parser.h"

namespace api {

namespace {

int Usage(const std::string& message) {
  std::cerr << "cep replay: " << message << "\n";
  return kExitUsage;
}

// The grid of the --sweep flags, checked against --set, --compare and the
// ruleset's consts; the exit code after saying why when it is unusable.
cep::Result<std::vector<engine::SweepVariant>, int> SweepVariants(const ReplayOptions& o,
                                                                  const ConstOverrides& set,
                                                                  const std::string& text) {
  if (!o.compare.empty()) return cep::Unexpected(Usage("--sweep and --compare cannot be combined"));
  std::vector<engine::SweepParameter> parameters;
  for (const std::string& spec : o.sweep) {
    auto parameter = engine::ParseSweepParameter(spec);
    if (!parameter) return cep::Unexpected(Usage(parameter.error().message()));
    for (const auto& [name, value] : set) {
      if (name == parameter->name) {
        return cep::Unexpected(
            Usage("--set " + name + " and --sweep " + name + ": a const is either set or swept"));
      }
    }
    parameters.push_back(std::move(*parameter));
  }
  // An unknown const is a usage error here (the compiler would name it too, but
  // only after the flags passed); a text that does not parse is left to it.
  if (auto parsed = rules::Parse(text)) {
    for (const engine::SweepParameter& parameter : parameters) {
      const auto& consts = parsed->consts;
      if (std::none_of(consts.begin(), consts.end(),
                       [&](const rules::ConstDecl& d) { return d.name.name == parameter.name; })) {
        std::string known;
        for (const rules::ConstDecl& d : consts) known += (known.empty() ? "" : ", ") + d.name.name;
        return cep::Unexpected(Usage("--sweep " + parameter.name + ": ruleset " +
                                     parsed->name.name + " has no const " + parameter.name +
                                     (known.empty() ? " (it has none)" : " (it has " + known + ")")));
      }
    }
  }
  auto grid = engine::SweepGrid(parameters);
  if (!grid) return cep::Unexpected(Usage(grid.error().message()));
  return std::move(grid).value();
}

nlohmann::ordered_json SetJson(const engine::SweepVariant& variant) {
  nlohmann::ordered_json json = nlohmann::ordered_json::object();
  for (const auto& [name, value] : variant) json[name] = value;
  return json;
}

// A variant's share of the merged program's stats, by the variant's rule index.
cep::RunnerStats VariantStats(const cep::RunnerStats& merged, const engine::SweepProgram& sweep,
                              size_t rules, size_t variant) {
  cep::RunnerStats stats = merged;
  stats.rules.clear();
  for (size_t i = 0; i < rules; ++i) {
    const size_t index = sweep.MergedIndex(i, variant);
    stats.rules.push_back(index < merged.rules.size() ? merged.rules[index] : cep::RuleStats{});
  }
  return stats;
}

struct Row {
  uint64_t alerts = 0;
  double per_day = 0;
  double precision = 0, recall = 0, f1 = 0;
};

void PrintTable(const std::vector<engine::SweepVariant>& grid, const std::vector<Row>& rows,
                const std::vector<bool>& pareto, bool labels, size_t selected) {
  std::fprintf(stderr, "sweep: %zu variants\n  ", grid.size());
  for (const auto& [name, value] : grid.front()) std::fprintf(stderr, "%12s ", name.c_str());
  std::fprintf(stderr, "%9s %10s", "alerts", "alerts/day");
  if (labels) std::fprintf(stderr, " %9s %7s %7s", "precision", "recall", "F1");
  std::fprintf(stderr, "\n");
  for (size_t v = 0; v < grid.size(); ++v) {
    std::fprintf(stderr, "%c ", v == selected ? '>' : ' ');
    for (const auto& [name, value] : grid[v]) std::fprintf(stderr, "%12s ", value.c_str());
    std::fprintf(stderr, "%9llu %10.1f", static_cast<unsigned long long>(rows[v].alerts),
                 rows[v].per_day);
    if (labels) {
      std::fprintf(stderr, " %9.3f %7.3f %7.3f %s", rows[v].precision, rows[v].recall, rows[v].f1,
                   pareto[v] ? "*" : "");
    }
    std::fprintf(stderr, "\n");
  }
  std::fprintf(stderr, "  selected (>): %s (%s)%s\n", engine::VariantText(grid[selected]).c_str(),
               labels ? "highest F1" : "the first; no labels to choose by",
               labels ? "; * marks the Pareto front of precision vs recall" : "");
}

}  // namespace

int RunSweep(const ReplayOptions& o) {
  auto flags = ParseReplayFlags(o);
  if (!flags) return flags.error();
  auto set = ParseSetFlags(o.set);
  if (!set) return set.error();
  auto text = ReadRulesetText(o.rules);
  if (!text) return text.error();
  auto grid = SweepVariants(o, *set, *text);
  if (!grid) return grid.error();

  // Every variant compiled; rules that name no swept const are shared.
  std::vector<std::shared_ptr<const cep::Program>> programs;
  std::optional<rules::CompiledRuleset> first;
  for (const engine::SweepVariant& variant : *grid) {
    ConstOverrides overrides = *set;
    overrides.insert(overrides.end(), variant.begin(), variant.end());
    auto compiled = CompileForReplay(o.rules, *text, overrides);
    if (!compiled) {
      std::cerr << "cep replay: in the sweep's variant " << engine::VariantText(variant) << "\n";
      return compiled.error();
    }
    programs.push_back(compiled->program);
    if (!first) first.emplace(std::move(*compiled));
  }
  std::vector<std::string> names;
  for (const auto& [name, value] : grid->front()) names.push_back(name);
  auto sweep = engine::SweepProgram::Merge(programs, engine::RulesNamingConsts(*text, names));
  if (!sweep) {
    std::cerr << "cep replay: --sweep: " << sweep.error().message() << "\n";
    return kExitUserError;
  }
  auto stream = OpenReplayStream(o, *flags, *first);
  if (!stream) return stream.error();
  auto out = AlertOutput::Open(o.alerts);
  if (!out) return out.error();

  const size_t n = grid->size();
  std::vector<Totals> totals(n);
  for (Totals& t : totals) t.period = flags->period;
  // Every alert: of shared rules once (they belong to every variant), of
  // variant rules per variant.
  std::vector<cep::v1::Alert> shared;
  std::vector<std::vector<cep::v1::Alert>> alerts(n);
  std::optional<engine::LabelScorer> labels;
  std::vector<std::vector<cep::SlotIndex>> key_groups;
  if (stream->label_slot) labels.emplace(ScorerOptions(*programs.front(), flags->scope, key_groups));
  auto result = RunStream(
      o, *flags, *stream, sweep->program(), labels ? &*labels : nullptr, key_groups, true,
      [&](const cep::v1::Alert& alert) {
        const auto origin = sweep->Find(alert.rule());
        CHECK(origin.has_value(), "an alert of a rule the merged sweep program does not have");
        if (origin->variant) {
          cep::v1::Alert copy = alert;
          sweep->SplitAlert(copy, *origin);
          totals[*origin->variant].Count(copy);
          alerts[*origin->variant].push_back(std::move(copy));
        } else {
          for (Totals& t : totals) t.Count(alert);
          shared.push_back(alert);
        }
      });
  if (!result.ok) return kExitUserError;

  // Per variant: its alerts in their own run's order, its scores, its report.
  const size_t rules = programs.front()->rules.size();
  std::vector<Row> rows(n);
  std::vector<nlohmann::ordered_json> variant_json(n);
  nlohmann::ordered_json selected_report;
  size_t selected = 0;
  auto score = [&](size_t v) {
    totals[v].span = result.span;
    if (!labels) return;
    labels->ClearAlerts();
    for (const auto* list : {&shared, &alerts[v]}) {
      for (const cep::v1::Alert& alert : *list) {
        if (!flags->period || flags->period->Contains(alert.ts_ms())) labels->ObserveAlert(alert);
      }
    }
    labels->Finish();
    totals[v].labels = &*labels;
  };
  auto set_list = [&](size_t v) {
    std::vector<std::string> list = o.set;
    for (const auto& [name, value] : (*grid)[v]) list.push_back(name + "=" + value);
    return list;
  };
  for (size_t v = 0; v < n; ++v) {
    // The variant's alerts in the order of its own run (shared ones are in it already).
    std::vector<const cep::v1::Alert*> ordered;
    ordered.reserve(shared.size() + alerts[v].size());
    for (const auto* list : {&shared, &alerts[v]}) {
      for (const cep::v1::Alert& alert : *list) ordered.push_back(&alert);
    }
    std::stable_sort(ordered.begin(), ordered.end(), [](const auto* a, const auto* b) {
      return engine::AlertOrderLess(*a, *b);
    });
    const std::string variant = SetJson((*grid)[v]).dump();
    for (const cep::v1::Alert* alert : ordered) {
      std::string line = wire::AlertToJson(*alert);
      line.pop_back();  // the closing brace: the variant joins the alert's fields
      out.value()->stream() << line << ",\"variant\":" << variant << "}\n";
    }
    score(v);
    const Totals& t = totals[v];
    Row& row = rows[v];
    row.alerts = t.alerts;
    row.per_day = t.per_day(t.alerts);
    nlohmann::ordered_json json = {{"set", SetJson((*grid)[v])},
                                   {"alerts", t.alerts},
                                   {"alerts_per_day_mean", row.per_day}};
    nlohmann::ordered_json rule_rows = nlohmann::ordered_json::array();
    for (const cep::Rule& rule : programs[v]->rules) {
      rule_rows.push_back({{"rule", rule.name}, {"alerts", t.rule_alerts(rule.name)}});
    }
    if (labels) {
      const uint64_t frauds = labels->fraud_events();
      row.precision = labels->overall().precision();
      row.recall = labels->overall().recall(frauds);
      row.f1 = labels->overall().f1(frauds);
      json["precision"] = row.precision;
      json["recall"] = row.recall;
      json["f1"] = row.f1;
      for (auto& rule_row : rule_rows) {
        auto it = labels->by_rule().find(rule_row["rule"].get<std::string>());
        const auto s = it == labels->by_rule().end() ? engine::LabelScorer::Score{} : it->second;
        rule_row["precision"] = s.precision();
        rule_row["recall"] = s.recall(frauds);
        rule_row["f1"] = s.f1(frauds);
      }
    }
    json["rules"] = std::move(rule_rows);
    variant_json[v] = std::move(json);
    if (v == 0 || (labels && row.f1 > rows[selected].f1)) {
      selected = v;
      if (!o.report.empty() || !o.html.empty()) {
        selected_report = ReportJson(o, *programs[v], VariantStats(result.stats, *sweep, rules, v),
                                     *stream->input, t, result.seconds, set_list(v));
      }
    }
  }
  out.value()->stream().flush();
  std::vector<engine::PrecisionRecall> points;
  for (const Row& row : rows) points.push_back({row.precision, row.recall});
  const std::vector<bool> pareto = engine::ParetoFront(points);

  // The selected variant's summary (scored again: the scorer holds the last
  // variant's alerts), then the table.
  score(selected);
  std::fprintf(stderr, "cep replay --sweep: %zu variants in one pass (%zu of %zu rules shared)\n", n,
               sweep->shared_rules(), rules);
  PrintSummary(*programs[selected], VariantStats(result.stats, *sweep, rules, selected),
               *stream->input, totals[selected], result.seconds);
  PrintTable(*grid, rows, pareto, labels.has_value(), selected);

  if (o.report.empty() && o.html.empty()) return kExitOk;
  nlohmann::ordered_json variants = nlohmann::ordered_json::array();
  for (size_t v = 0; v < n; ++v) {
    if (labels) variant_json[v]["pareto"] = static_cast<bool>(pareto[v]);
    variants.push_back(std::move(variant_json[v]));
  }
  selected_report["selected"] = SetJson((*grid)[selected]);
  nlohmann::ordered_json sweep_json;
  sweep_json["parameters"] = names;
  sweep_json["variants"] = std::move(variants);
  sweep_json["shared_rules"] = sweep->shared_rules();
  sweep_json["seconds"] = result.seconds;
  selected_report["sweep"] = std::move(sweep_json);
  if (!o.report.empty() && !WriteJsonFile(o.report, selected_report)) return kExitUserError;
  if (!o.html.empty() && !WriteHtmlReport(o.html, selected_report, *text)) return kExitUserError;
  return kExitOk;
}

}  // namespace api
