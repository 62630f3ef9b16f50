#pragma once

#include <string>
#include <string_view>

#include "engine/replay/internal/backtest_report.h"

// Text and SVG pieces of the HTML replay report (engine/replay/html_report.h).
// Everything appends markup that is also well-formed XML; strings from the
// report or the ruleset go through Esc() first.
namespace engine::html {

// `s` escaped for text and attribute values. Control characters other than tab
// and newline, and bytes that are not UTF-8, become U+FFFD: XML cannot hold them.
std::string Esc(std::string_view s);

std::string Fixed(double v, int decimals);  // "0.714"; "n/a" for NaN and infinities
std::string Int(double v);                  // 1466282 -> "1,466,282"
std::string Pct(double share);              // 0.7055 -> "70.6%"
std::string Duration(double ms);            // "0 s", "12 min", "3.7 h", "10.7 d"
std::string Bound(double ms);               // a bucket bound: 60000 -> "1 min", 86400000 -> "1 d"
std::string Plural(double n, const char* one, const char* many);  // "1 day", "3 days"
std::string SetText(const Pairs& set);                            // "SPIKE=2.8, REPORTS=3"
std::string ValuesText(const Pairs& set);                         // "2.8 / 3"

// Round axis steps: 1, 2 or 5 times a power of ten, about `ticks` per span, at
// least `min_step`; StepText writes a tick value with the step's decimals.
double NiceStep(double span, int ticks, double min_step);
std::string StepText(double v, double step);

// Table cells: `markup` as is; a share in [0, 1] with a bar under it as long as the share.
std::string Td(const std::string& markup);
std::string ShareCell(double share);

std::string P(double v);  // an SVG coordinate, one decimal

struct Frame {  // the plot area of a chart, in SVG pixels
  double left, top, width, height;
  double Right() const { return left + width; }
  double Bottom() const { return top + height; }
};

// `label` is plain text (escaped here); `escaped` and `title` are markup.
void SvgOpen(std::string& out, int width, int height, std::string_view label);
void SvgText(std::string& out, double x, double y, std::string_view anchor,
             std::string_view escaped, std::string_view attributes = "");
void SvgLine(std::string& out, double x1, double y1, double x2, double y2,
             std::string_view attributes);
void SvgRect(std::string& out, double x, double y, double w, double h, std::string_view fill,
             std::string_view title);
// A title along the left edge, turned 90 degrees.
void SvgYTitle(std::string& out, const Frame& f, std::string_view escaped);

// A count axis from 0 up on the left of `f`, with grid lines; returns its top value.
double CountAxis(std::string& out, const Frame& f, double max, std::string_view title);

}  // namespace engine::html
