#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "engine/replay/internal/backtest_report.h"

// The SVG charts of the HTML replay report (engine/replay/html_report.h). Each
// appends one <svg> element; the page adds the titles, captions and legends.
namespace engine::html {

struct PrPoint {
  double recall = 0, precision = 0;
  std::string label;  // markup (escaped)
  std::string color;
  bool pareto = false;    // joined by the front line
  bool selected = false;  // ringed
  bool overall = false;   // a square instead of a circle
  bool always_label = false;
};

struct Range {
  double lo, hi;
};

// Precision (y) against recall (x) over the given ranges, with grid, curves of
// equal F1, the Pareto front and the selected point. Labels that would overlap
// are left out unless `always_label`; `label_all` false labels only those.
void PrecisionRecallChart(std::string& out, const std::vector<PrPoint>& points, Range x, Range y,
                          std::string_view aria_label, bool label_all);

// A range around [lo, hi] on round steps, within [0, 1], for a zoomed chart.
Range ZoomRange(double lo, double hi);

// Alerts per UTC day, stacked by rule (in the rules' colours), date labels and
// the mean. Needs at least one day with alerts.
void AlertsPerDayChart(std::string& out, const Report& r);

// Keys detected per time-to-detect bucket: overall, and each rule with detected
// keys (up to six rules). Needs labels and a histogram.
void TimeToDetectChart(std::string& out, const Report& r);

// The series TimeToDetectChart draws, for the page's legend: name (escaped), colour.
std::vector<std::pair<std::string, std::string>> TimeToDetectSeries(const Report& r);

}  // namespace engine::html
