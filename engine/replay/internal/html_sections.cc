#include "engine/replay/internal/html_sections.h"

#include <algorithm>
#include <map>
#include <vector>

#include "engine/replay/internal/html_charts.h"
#include "engine/replay/internal/html_format.h"

namespace engine::html {
namespace {

std::vector<PrPoint> VariantPoints(const Report& r) {
  std::vector<PrPoint> points;
  for (const Variant& v : r.variants) {
    if (!v.precision || !v.recall) continue;
    points.push_back({.recall = *v.recall,
                      .precision = *v.precision,
                      .label = Esc(ValuesText(v.set)),
                      .color = v.pareto ? "#0072B2" : "#9aa5b1",
                      .pareto = v.pareto,
                      .selected = v.selected,
                      .overall = false,
                      .always_label = v.selected});
  }
  return points;
}

std::string NamesList(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& name : names) out += (out.empty() ? "" : ", ") + name;
  return out;
}

// Both charts: the whole square, and when the variants sit within a third of it,
// the same zoomed in on them, where every point gets its label.
void SweepCharts(std::string& out, const Report& r) {
  const std::vector<PrPoint> points = VariantPoints(r);
  if (points.size() != r.variants.size() || points.empty()) return;
  double r0 = 1, r1 = 0, p0 = 1, p1 = 0;
  for (const PrPoint& p : points) {
    r0 = std::min(r0, p.recall), r1 = std::max(r1, p.recall);
    p0 = std::min(p0, p.precision), p1 = std::max(p1, p.precision);
  }
  const bool zoom = points.size() > 1 && r1 - r0 <= 0.35 && p1 - p0 <= 0.35;
  out += "<div class=\"charts\"><figure>";
  PrecisionRecallChart(out, points, {0, 1}, {0, 1}, "precision and recall", !zoom);
  out += "<figcaption>Each point is one variant, labelled with its values of <code>" +
         Esc(NamesList(r.parameters)) +
         "</code> (in that order). <span class=\"swatch\" style=\"background:#0072B2\"></span>"
         "Pareto front (no other variant has both higher precision and higher recall), joined "
         "by the line; <span class=\"swatch\" style=\"background:#9aa5b1\"></span>other "
         "variants; ringed: the selected variant. Dashed curves: equal F1.";
  if (zoom) out += " Zoomed in on the right.";
  out += "</figcaption></figure>";
  if (zoom) {
    out += "<figure>";
    PrecisionRecallChart(out, points, ZoomRange(r0, r1), ZoomRange(p0, p1),
                         "precision and recall, zoomed", true);
    out += "<figcaption>The same variants, zoomed in: recall " + Fixed(r0, 3) + " to " +
           Fixed(r1, 3) + ", precision " + Fixed(p0, 3) + " to " + Fixed(p1, 3) +
           ".</figcaption></figure>";
  }
  out += "</div>";
}

void VariantRow(std::string& out, const Report& r, const Variant& v) {
  out += v.selected ? "<tr class=\"sel\">" : "<tr>";
  for (const std::string& p : r.parameters) {
    auto it =
        std::find_if(v.set.begin(), v.set.end(), [&](const auto& kv) { return kv.first == p; });
    out += "<td class=\"name\">" + (it == v.set.end() ? std::string() : Esc(it->second)) + "</td>";
  }
  out += Td(Int(v.alerts)) + Td(Fixed(v.per_day, 1));
  if (r.has_labels()) {
    out += (v.precision ? ShareCell(*v.precision) : Td("")) +
           (v.recall ? ShareCell(*v.recall) : Td("")) + (v.f1 ? ShareCell(*v.f1) : Td("")) +
           Td(v.pareto ? "&#9679;" : "");
  }
  out += Td(v.selected ? "<span class=\"badge\">selected</span>" : "") + "</tr>";
}

// A rule's figures, beside its source.
std::string FigureBox(const RuleFigures& rule, bool labels) {
  std::string box = "<div class=\"figs\" style=\"border-left-color:" + rule.color + "\"><b>" +
                    Esc(rule.name) + "</b><br/>" + Plural(rule.alerts, "alert", "alerts") +
                    " &#183; " + Fixed(rule.per_day, 1) + " per day &#183; " +
                    Fixed(rule.per_1000, 2) + " per 1,000 events";
  if (labels && rule.score) {
    const Score& s = *rule.score;
    box += "<br/>precision " + Fixed(s.precision, 3) + " &#183; recall " + Fixed(s.recall, 3) +
           " &#183; F1 " + Fixed(s.f1, 3);
    if (s.caught_alone)
      box += "<br/>" + Plural(*s.caught_alone, "fraud event", "fraud events") +
             " caught by no other rule";
    if (s.ttd.keys_detected > 0) {
      box += "<br/>time to detect: median " + Duration(s.ttd.median_ms) + " &#183; p90 " +
             Duration(s.ttd.p90_ms);
    }
  }
  return box + "</div>";
}

// The rule name of a line `rule NAME {`, or "".
std::string RuleNameAt(std::string_view line) {
  size_t i = line.find_first_not_of(" \t");
  if (i == std::string_view::npos || line.substr(i, 4) != "rule") return "";
  i += 4;
  if (i >= line.size() || (line[i] != ' ' && line[i] != '\t')) return "";
  i = line.find_first_not_of(" \t", i);
  if (i == std::string_view::npos) return "";
  const size_t end = line.find_first_of(" \t{", i);
  return std::string(line.substr(i, end == std::string_view::npos ? end : end - i));
}

}  // namespace

void Sweep(std::string& out, const Report& r) {
  if (r.variants.empty()) return;
  out += "<h2>Sweep: " + Plural(static_cast<double>(r.variants.size()), "variant", "variants") +
         " of " + Esc(NamesList(r.parameters)) + "</h2>";
  SweepCharts(out, r);
  out += "<table><thead><tr>";
  for (const std::string& p : r.parameters) out += "<th class=\"name\">" + Esc(p) + "</th>";
  out += "<th>alerts</th><th>per day</th>";
  if (r.has_labels()) out += "<th>precision</th><th>recall</th><th>F1</th><th>Pareto</th>";
  out += "<th></th></tr></thead><tbody>";
  for (const Variant& v : r.variants) VariantRow(out, r, v);
  out += "</tbody></table>";
}

void Compare(std::string& out, const Report& r) {
  if (!r.compare_with) return;
  out += "<h2>Compared with " + Esc(*r.compare_with) +
         "</h2><table><thead><tr><th class=\"name\">rule</th><th>alerts here</th>"
         "<th>alerts there</th><th>both</th><th>added there</th><th>removed there</th>"
         "</tr></thead><tbody>";
  for (const CompareRow& c : r.compare) {
    out += "<tr><td class=\"name\">" + Esc(c.rule) + "</td>" + Td(Int(c.before)) +
           Td(Int(c.after)) + Td(Int(c.both)) + Td(Int(c.added)) + Td(Int(c.removed)) + "</tr>";
  }
  out += "</tbody></table>";
}

void Source(std::string& out, const Report& r, std::string_view source) {
  out += "<h2>Ruleset source</h2>";
  if (source.empty()) {
    out += "<p class=\"note\">The ruleset source was not given.</p>";
    return;
  }
  std::map<std::string, const RuleFigures*> by_name;
  for (const RuleFigures& rule : r.rules) by_name.emplace(rule.name, &rule);
  out += "<div class=\"src\">";
  std::string pre, aside;
  auto flush = [&]() {
    if (pre.empty()) return;
    out += "<div class=\"src-row\"><pre>" + pre + "</pre>" +
           (aside.empty() ? "<div></div>" : aside) + "</div>";
    pre.clear();
    aside.clear();
  };
  size_t line_no = 0, pos = 0;
  while (pos < source.size()) {
    size_t end = source.find('\n', pos);
    if (end == std::string_view::npos) end = source.size();
    const std::string_view line = source.substr(pos, end - pos);
    pos = end + 1;
    if (const std::string name = RuleNameAt(line); !name.empty()) {
      flush();  // a rule starts a row, its figures beside its first line
      auto it = by_name.find(name);
      if (it != by_name.end()) aside = FigureBox(*it->second, r.has_labels());
    }
    pre += "<span class=\"ln\">" + std::to_string(++line_no) + "</span>" + Esc(line) + "\n";
  }
  flush();
  out += "</div>";
}

}  // namespace engine::html
