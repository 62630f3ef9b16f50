#include "engine/replay/html_report.h"

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/replay/internal/backtest_report.h"
#include "engine/replay/internal/html_charts.h"
#include "engine/replay/internal/html_format.h"
#include "engine/replay/internal/html_sections.h"

// Why the page looks the way it does:
// - One file, no script: it is the artefact of a backtest, attached to a ticket
//   or a pull request, and must render the same everywhere, offline.
// - Everything from the report or the ruleset is user input (rule names, the
//   input path, the source text) and goes through Esc(), which also drops what
//   XML cannot hold, so the page stays well-formed whatever the ruleset says.
// - Order of reading: the one-sentence result and headline figures, the rules,
//   then the tuning (sweep) if any, then how fast and how often, then the source.
// - Colours: one per rule (Okabe-Ito), the same in the table, the charts and
//   the source; "overall" near-black; the selected sweep variant ringed orange.

namespace engine {
namespace {

using html::Esc;
using html::Fixed;
using html::Int;
using html::Plural;
using html::Report;
using html::ShareCell;
using html::Td;

constexpr const char* kStyle = R"(
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,"DejaVu Sans",sans-serif;
 color:#1f2933;background:#fff;margin:0 auto;padding:24px 32px;max-width:1180px;line-height:1.4}
h1{font-size:24px;margin:0 0 4px}
h2{font-size:18px;margin:30px 0 8px;border-bottom:1px solid #d9dee3;padding-bottom:4px}
code,pre,td.name{font-family:ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace}
.meta{color:#52606d;font-size:13px;margin:4px 0}
.reading{font-size:17px;margin:14px 0;padding:10px 14px;background:#f0f4f8;
 border-left:4px solid #0072B2}
.cards{display:flex;flex-wrap:wrap;gap:10px;margin:12px 0}
.card{border:1px solid #d9dee3;border-radius:6px;padding:6px 10px;flex:1 1 80px;max-width:190px}
.card .v{font-size:20px;font-weight:600;white-space:nowrap}
.card .k{font-size:12px;color:#52606d}
table{border-collapse:collapse;font-size:12.5px;margin:4px 0}
th,td{padding:4px 7px;border-bottom:1px solid #e4e7eb;text-align:right;white-space:nowrap}
th{background:#f5f7fa;font-weight:600;vertical-align:bottom}
td.name,th.name{text-align:left}
td.share{background-repeat:no-repeat;background-position:left bottom}
tr.total td{font-weight:600;border-top:2px solid #9aa5b1}
tr.sel td{background-color:#fff1e0}
.swatch{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:6px}
.charts{display:flex;flex-wrap:wrap;gap:16px 32px;align-items:flex-start}
figure{margin:8px 0}
figcaption{font-size:13px;color:#52606d;max-width:520px}
svg{max-width:100%;height:auto}
svg text{font-size:11px;fill:#323f4b}
svg text.axis{font-size:12px;fill:#1f2933}
svg text.f1{fill:#9aa5b1}
svg text.strong{font-weight:600}
svg text.halo{stroke:#fff;stroke-width:4px;paint-order:stroke}
svg text.plabel{font-size:10.5px}
.note{color:#52606d;font-style:italic}
.badge{display:inline-block;font-size:11px;padding:0 6px;border-radius:8px;background:#D55E00;
 color:#fff}
.src{border:1px solid #d9dee3;border-radius:6px}
.src-row{display:grid;grid-template-columns:minmax(0,1fr) 270px;gap:12px;
 border-top:1px solid #e4e7eb}
.src-row:first-child{border-top:none}
pre{font-size:12.5px;margin:0;padding:8px;white-space:pre-wrap;overflow-wrap:anywhere}
.ln{display:inline-block;width:3em;color:#9aa5b1;user-select:none}
.figs{font-size:12px;padding:6px 10px;border-left:4px solid #999;background:#f9fafb;
 align-self:start;margin:8px 8px 8px 0}
.figs b{font-family:ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace;
 word-break:break-all}
)";

std::string NamesText(const std::vector<std::string>& names) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    out += (i == 0 ? "" : i + 1 == names.size() ? " and " : ", ") + names[i];
  }
  return out;
}

// The sentence a reader takes away: what the rules catch at what cost.
std::string Verdict(const Report& r) {
  const bool one = r.rules.size() == 1;
  const std::string rules = Plural(static_cast<double>(r.rules.size()), "rule", "rules");
  const std::string span =
      " over " + Plural(r.events, "event", "events") + " in " + Plural(r.days, "day", "days");
  if (r.alerts == 0) {
    std::string out = rules + (one ? " raises" : " raise") + " no alert" + span + ".";
    if (r.has_labels() && r.fraud_events > 0) {
      out += " All " + Plural(r.fraud_events, "fraud event is", "fraud events are") + " missed.";
    }
    return out;
  }
  if (r.has_labels() && r.fraud_events > 0) {
    return rules + (one ? " catches " : " catch ") + html::Pct(r.overall->recall) + " of " +
           Plural(r.fraud_events, "fraud event", "fraud events") + " at " +
           html::Pct(r.overall->precision) + " precision, " + Fixed(r.per_day_mean, 1) +
           " alerts/day (F1 " + Fixed(r.overall->f1, 3) + ").";
  }
  return rules + (one ? " raises " : " raise ") + Plural(r.alerts, "alert", "alerts") + span +
         ": " + Fixed(r.per_day_mean, 1) + " alerts/day." +
         (r.has_labels() ? " The input holds no fraud event, so every alert is a false positive."
                         : " No labels: replay with --label-field to see precision and recall.");
}

// The verdict, then the sweep's, then which rule raises most alerts. Escaped.
std::string Reading(const Report& r) {
  if (r.events == 0) {
    return "The input held no events, so no rule could fire: check the input path and its "
           "format.";
  }
  std::string out = Verdict(r);
  if (!r.variants.empty()) {
    size_t front = 0;
    for (const html::Variant& v : r.variants) front += v.pareto ? 1 : 0;
    out += " Of " + Plural(static_cast<double>(r.variants.size()), "variant", "variants") + " of " +
           NamesText(r.parameters) + ", ";
    if (r.has_labels()) {
      out += Int(static_cast<double>(front)) + " lie on the precision/recall Pareto front; ";
    }
    out += "the figures here are for " +
           (r.selected.empty() ? std::string("the first") : html::SetText(r.selected)) +
           (r.has_labels() ? " (highest F1)." : ".");
  }
  if (r.rules.size() > 1 && r.alerts > 0) {
    const auto top = std::max_element(
        r.rules.begin(), r.rules.end(),
        [](const html::RuleFigures& a, const html::RuleFigures& b) { return a.alerts < b.alerts; });
    out += " " + top->name + " raises " + html::Pct(top->alerts / r.alerts) + " of the alerts.";
  }
  return Esc(out);
}

void Card(std::string& out, const std::string& value, std::string_view key) {
  out += "<div class=\"card\"><div class=\"v\">" + value + "</div><div class=\"k\">" +
         std::string(key) + "</div></div>";
}

void Cards(std::string& out, const Report& r) {
  out += "<div class=\"cards\">";
  Card(out, Int(r.alerts), "alerts");
  Card(out, Fixed(r.per_day_mean, 1), "alerts per day");
  if (r.has_labels()) {
    const html::Score& s = *r.overall;
    Card(out, Fixed(s.precision, 3), "precision");
    Card(out, Fixed(s.recall, 3), "recall");
    Card(out, Fixed(s.f1, 3), "F1");
    Card(out, Int(r.fraud_events), "fraud events");
    if (s.ttd.keys_detected > 0) {
      Card(out, html::Duration(s.ttd.median_ms), "time to detect, median");
      Card(out, html::Duration(s.ttd.p90_ms), "time to detect, p90");
    }
    Card(out, Int(s.ttd.keys_detected) + " / " + Int(s.ttd.keys_with_fraud),
         "keys with fraud detected");
  } else {
    Card(out, "no labels", "precision, recall");
  }
  out += "</div>";
}

void Header(std::string& out, const Report& r) {
  out += "<h1>Backtest of ruleset <code>" + Esc(r.ruleset) + "</code> version " + Esc(r.version) +
         "</h1><p class=\"meta\">input <code>" + Esc(r.input) + "</code> &#183; " +
         Plural(r.events, "event", "events") + " (" + Int(r.rejected) + " rejected, " +
         Int(r.late) + " late) &#183; " + Plural(r.days, "day", "days");
  if (!r.score_from.empty() || !r.score_to.empty()) {
    out += " &#183; scored from " + Esc(r.score_from) + " to " + Esc(r.score_to) +
           " (earlier events only warm up the windows)";
  }
  if (r.seconds) out += " &#183; replayed in " + Fixed(*r.seconds, 1) + " s";
  if (r.sweep_seconds) out += " (sweep " + Fixed(*r.sweep_seconds, 1) + " s)";
  out += "</p>";
  if (!r.set.empty()) {
    std::string set;
    for (const std::string& s : r.set) set += (set.empty() ? "" : ", ") + s;
    out += "<p class=\"meta\">constants overridden: <code>" + Esc(set) + "</code></p>";
  }
  if (!r.selected.empty()) {
    out += "<p class=\"meta\">sweep: the figures below are for the selected variant <code>" +
           Esc(html::SetText(r.selected)) + "</code></p>";
  }
  out += "<p class=\"reading\">" + Reading(r) + "</p>";
  Cards(out, r);
}

std::string TtdCells(const html::TimeToDetect& t) {
  const std::string keys = Int(t.keys_detected) + " / " + Int(t.keys_with_fraud);
  if (t.keys_detected == 0) return Td("&#8211;") + Td("&#8211;") + Td(keys);
  return Td(html::Duration(t.median_ms)) + Td(html::Duration(t.p90_ms)) + Td(keys);
}

std::string ScoreCells(const html::Score& s, std::optional<double> caught_alone) {
  return Td(Int(s.true_positives)) + Td(Int(s.false_positives)) + ShareCell(s.precision) +
         ShareCell(s.recall) + ShareCell(s.f1) + Td(caught_alone ? Int(*caught_alone) : "&#8211;") +
         TtdCells(s.ttd);
}

void RuleTable(std::string& out, const Report& r) {
  out +=
      "<h2>Rules</h2><table><thead><tr><th class=\"name\">rule</th><th>alerts</th>"
      "<th>per 1,000<br/>events</th><th>per day</th>";
  if (r.has_labels()) {
    out +=
        "<th>true<br/>positives</th><th>false<br/>positives</th><th>precision</th>"
        "<th>recall</th><th>F1</th><th>caught<br/>alone</th><th>time to detect<br/>median</th>"
        "<th>time to detect<br/>p90</th><th>keys<br/>detected</th>";
  }
  out += "</tr></thead><tbody>";
  for (const html::RuleFigures& rule : r.rules) {
    out += "<tr><td class=\"name\"><span class=\"swatch\" style=\"background:" + rule.color +
           "\"></span>" + Esc(rule.name) + "</td>" + Td(Int(rule.alerts)) +
           Td(Fixed(rule.per_1000, 2)) + Td(Fixed(rule.per_day, 1));
    if (r.has_labels()) {
      const html::Score s = rule.score.value_or(html::Score{});
      out += ScoreCells(s, s.caught_alone);
    }
    out += "</tr>";
  }
  const double per_1000 = r.events > 0 ? 1000 * r.alerts / r.events : 0;
  out += "<tr class=\"total\"><td class=\"name\">overall (any rule)</td>" + Td(Int(r.alerts)) +
         Td(Fixed(per_1000, 2)) + Td(Fixed(r.per_day_mean, 1));
  if (r.has_labels()) out += ScoreCells(*r.overall, std::nullopt);
  out += "</tr></tbody></table>";
  if (r.has_labels()) {
    out += "<p class=\"meta\">Labels from field <code>" + Esc(r.label_field) + "</code>, " +
           Plural(r.fraud_events, "fraud event", "fraud events") +
           ". Scoring: " + Esc(r.label_scope) +
           ". Recall is the share of fraud events caught; caught alone: fraud events no other "
           "rule caught; time to detect: per key with fraud, from its first fraud event to the "
           "first alert on it.</p>";
  } else {
    out +=
        "<p class=\"note\">No labels: this replay ran without --label-field, so there is no "
        "precision, recall or time to detect.</p>";
  }
}

std::vector<html::PrPoint> RulePoints(const Report& r) {
  std::vector<html::PrPoint> points;
  for (const html::RuleFigures& rule : r.rules) {
    if (rule.alerts == 0) continue;  // no precision to show
    const html::Score s = rule.score.value_or(html::Score{});
    points.push_back({.recall = s.recall,
                      .precision = s.precision,
                      .label = Esc(rule.name),
                      .color = rule.color,
                      .pareto = false,
                      .selected = false,
                      .overall = false,
                      .always_label = true});
  }
  points.push_back({.recall = r.overall->recall,
                    .precision = r.overall->precision,
                    .label = "overall",
                    .color = html::kOverallColor,
                    .pareto = false,
                    .selected = false,
                    .overall = true,
                    .always_label = true});
  return points;
}

void RulesPrFigure(std::string& out, const Report& r) {
  out += "<figure>";
  html::PrecisionRecallChart(out, RulePoints(r), {0, 1}, {0, 1}, "precision and recall", true);
  out +=
      "<figcaption>Each rule alone, and <b>overall</b> (any rule, the square). Up and to the "
      "right is better; the dashed curves join points of equal F1.";
  const auto silent = std::count_if(r.rules.begin(), r.rules.end(),
                                    [](const html::RuleFigures& rule) { return rule.alerts == 0; });
  if (silent > 0) {
    out +=
        " Not shown: " + Plural(static_cast<double>(silent), "rule", "rules") + " without alerts.";
  }
  out += "</figcaption></figure>";
}

void TimeToDetectFigure(std::string& out, const Report& r) {
  const html::TimeToDetect& t = r.overall->ttd;
  out += "<figure>";
  if (t.histogram.empty()) {
    out += "<p class=\"note\">This report has no time-to-detect histogram.</p></figure>";
    return;
  }
  if (t.keys_detected == 0) {
    out +=
        "<p class=\"note\">No key with fraud was detected: no time-to-detect histogram.</p>"
        "</figure>";
    return;
  }
  html::TimeToDetectChart(out, r);
  out += "<figcaption>";
  for (const auto& [name, color] : html::TimeToDetectSeries(r)) {
    out += "<span class=\"swatch\" style=\"background:" + color + "\"></span>" + name + " &#160; ";
  }
  out +=
      "<br/>For each key (account, terminal, ...) with fraud: the time from its first fraud "
      "event to the first alert on it. Overall " +
      Plural(t.keys_detected, "key", "keys") + " detected of " + Int(t.keys_with_fraud) +
      ", median " + html::Duration(t.median_ms) + ", p90 " + html::Duration(t.p90_ms) +
      ".</figcaption></figure>";
}

bool SweepHasScores(const Report& r) {
  return !r.variants.empty() &&
         std::all_of(r.variants.begin(), r.variants.end(), [](const html::Variant& v) {
           return v.precision.has_value() && v.recall.has_value();
         });
}

// Precision and recall (rules, or the sweep's in the sweep section) and time to detect.
void Scores(std::string& out, const Report& r) {
  if (!r.has_labels()) {
    out +=
        "<h2>Precision, recall and time to detect</h2><p class=\"note\">No labels: no "
        "precision/recall chart and no time-to-detect histogram.</p>";
    return;
  }
  if (r.events == 0) {
    out +=
        "<h2>Precision, recall and time to detect</h2><p class=\"note\">No events: nothing "
        "to chart.</p>";
    return;
  }
  const bool sweep = SweepHasScores(r);
  out += sweep ? "<h2>Time to detect</h2>" : "<h2>Precision, recall and time to detect</h2>";
  out += "<div class=\"charts\">";
  if (!sweep) RulesPrFigure(out, r);
  TimeToDetectFigure(out, r);
  out += "</div>";
}

void AlertsPerDay(std::string& out, const Report& r) {
  out += "<h2>Alerts per day</h2>";
  bool any = !r.by_day.empty();
  for (const html::RuleFigures& rule : r.rules) any = any || !rule.by_day.empty();
  if (!any) {
    out += "<p class=\"note\">No alerts: nothing to plot.</p>";
    return;
  }
  out += "<figure>";
  html::AlertsPerDayChart(out, r);
  out += "<figcaption style=\"max-width:none\">";
  for (const html::RuleFigures& rule : r.rules) {
    out += "<span class=\"swatch\" style=\"background:" + rule.color + "\"></span>" +
           Esc(rule.name) + " &#160; ";
  }
  out += "(stacked; hover over a bar for its count)</figcaption></figure>";
}

}  // namespace

cep::Result<std::string> RenderHtmlReport(std::string_view report_json,
                                          std::string_view ruleset_source) {
  cep::Result<Report> report = html::ReadBacktestReport(report_json);
  if (!report.has_value()) return std::move(report).error();
  const Report& r = *report;
  std::string out;
  out.reserve(128 * 1024);
  out +=
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"/><meta "
      "name=\"viewport\" content=\"width=device-width, initial-scale=1\"/><title>cep replay: " +
      Esc(r.ruleset) + " v" + Esc(r.version) + "</title><style>" + kStyle + "</style></head><body>";
  Header(out, r);
  RuleTable(out, r);
  html::Sweep(out, r);
  Scores(out, r);
  AlertsPerDay(out, r);
  html::Compare(out, r);
  html::Source(out, r, ruleset_source);
  out += "<p class=\"meta\">Written by <code>cep replay --html</code>.</p></body></html>\n";
  return out;
}

}  // namespace engine
