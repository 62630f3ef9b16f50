#include "engine/replay/internal/html_charts.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "engine/replay/internal/html_format.h"

namespace engine::html {
namespace {

struct Box {
  double x0, y0, x1, y1;
  bool Overlaps(const Box& o) const { return x0 < o.x1 && o.x0 < x1 && y0 < o.y1 && o.y0 < y1; }
};

struct Scale {  // data to pixels over a frame
  Frame f;
  Range x, y;
  double X(double v) const { return f.left + (v - x.lo) / (x.hi - x.lo) * f.width; }
  double Y(double v) const { return f.Bottom() - (v - y.lo) / (y.hi - y.lo) * f.height; }
  bool Inside(double vx, double vy) const {
    return vx >= x.lo - 1e-9 && vx <= x.hi + 1e-9 && vy >= y.lo - 1e-9 && vy <= y.hi + 1e-9;
  }
};

// F1 = 2PR / (P + R): the curve of equal F1 is P = F R / (2R - F), from R = F / (2 - F)
// (P = 1) to R = 1. Labelled where it leaves the chart, at the right or the top.
void F1Curves(std::string& out, const Scale& s) {
  for (double f1 : {0.2, 0.4, 0.6, 0.8}) {
    std::string points;
    const double r0 = f1 / (2 - f1);
    double label_r = -1, label_p = -1;
    for (int i = 0; i <= 80; ++i) {
      const double r = r0 + (1 - r0) * i / 80.0;
      const double p = f1 * r / (2 * r - f1);
      points += P(s.X(r)) + "," + P(s.Y(p)) + " ";
      if (s.Inside(r, p)) label_r = r, label_p = p;
    }
    out += "<polyline points=\"" + points +
           "\" fill=\"none\" stroke=\"#cbd2d9\" stroke-dasharray=\"4 3\"/>";
    if (label_r >= 0) {
      SvgText(out, s.X(label_r) - 4, s.Y(label_p) - 5, "end", "F1 " + Fixed(f1, 1), "class=\"f1\"");
    }
  }
}

void PrAxes(std::string& out, const Scale& s) {
  const Frame& f = s.f;
  const double xs = NiceStep(s.x.hi - s.x.lo, 10, 0.001);
  const double ys = NiceStep(s.y.hi - s.y.lo, 10, 0.001);
  for (double v = s.x.lo; v <= s.x.hi + xs / 2; v += xs) {
    SvgLine(out, s.X(v), f.top, s.X(v), f.Bottom(), "stroke=\"#eef1f4\"");
    SvgText(out, s.X(v), f.Bottom() + 15, "middle", StepText(v, xs));
  }
  for (double v = s.y.lo; v <= s.y.hi + ys / 2; v += ys) {
    SvgLine(out, f.left, s.Y(v), f.Right(), s.Y(v), "stroke=\"#eef1f4\"");
    SvgText(out, f.left - 6, s.Y(v) + 4, "end", StepText(v, ys));
  }
  out += "<rect x=\"" + P(f.left) + "\" y=\"" + P(f.top) + "\" width=\"" + P(f.width) +
         "\" height=\"" + P(f.height) + "\" fill=\"none\" stroke=\"#52606d\"/>";
  SvgText(out, f.left + f.width / 2, f.Bottom() + 34, "middle",
          "recall: share of fraud events caught", "class=\"axis\"");
  SvgYTitle(out, f, "precision: share of alerts that are fraud");
}

// Tries right, left, above and below the point; a label that fits nowhere is
// left out (the variants table lists every point), unless it must be shown.
void PlaceLabel(std::string& out, std::vector<Box>& taken, const Frame& f, double x, double y,
                const PrPoint& p) {
  const double w = 6.2 * static_cast<double>(p.label.size()) + 2;
  struct Candidate {
    double tx, ty;
    const char* anchor;
    Box box;
  };
  const Candidate candidates[] = {
      {x + 9, y + 4, "start", {x + 8, y - 7, x + 9 + w, y + 6}},
      {x - 9, y + 4, "end", {x - 9 - w, y - 7, x - 8, y + 6}},
      {x, y - 10, "middle", {x - w / 2, y - 21, x + w / 2, y - 8}},
      {x, y + 18, "middle", {x - w / 2, y + 7, x + w / 2, y + 20}},
  };
  const std::string cls = p.selected || p.overall ? "class=\"plabel strong\"" : "class=\"plabel\"";
  for (const Candidate& c : candidates) {
    const bool inside = c.box.x0 >= f.left && c.box.x1 <= f.Right() + 40 &&
                        c.box.y0 >= f.top - 12 && c.box.y1 <= f.Bottom();
    const bool free =
        std::none_of(taken.begin(), taken.end(), [&](const Box& b) { return b.Overlaps(c.box); });
    if (inside && free) {
      SvgText(out, c.tx, c.ty, c.anchor, p.label, cls);
      taken.push_back(c.box);
      return;
    }
  }
  if (p.always_label) SvgText(out, x + 9, y + 4, "start", p.label, cls);
}

void PrMarks(std::string& out, const Scale& s, const std::vector<const PrPoint*>& order) {
  for (const PrPoint* p : order) {
    const double cx = s.X(p->recall), cy = s.Y(p->precision);
    const std::string title = "<title>" + p->label + ": precision " + Fixed(p->precision, 3) +
                              ", recall " + Fixed(p->recall, 3) + "</title>";
    if (p->overall) {
      out += "<rect x=\"" + P(cx - 6) + "\" y=\"" + P(cy - 6) +
             "\" width=\"12\" height=\"12\" fill=\"" + p->color + "\" stroke=\"#fff\">" + title +
             "</rect>";
    } else {
      out += "<circle cx=\"" + P(cx) + "\" cy=\"" + P(cy) + "\" r=\"" + (p->pareto ? "6" : "5") +
             "\" fill=\"" + p->color + "\" stroke=\"#fff\">" + title + "</circle>";
    }
    if (p->selected) {
      out += "<circle cx=\"" + P(cx) + "\" cy=\"" + P(cy) +
             "\" r=\"11\" fill=\"none\" stroke=\"#D55E00\" stroke-width=\"2.5\"/>";
    }
  }
}

void ParetoLine(std::string& out, const Scale& s, const std::vector<PrPoint>& points) {
  std::vector<const PrPoint*> front;
  for (const PrPoint& p : points) {
    if (p.pareto) front.push_back(&p);
  }
  if (front.size() < 2) return;
  std::sort(front.begin(), front.end(), [](const PrPoint* a, const PrPoint* b) {
    return a->recall != b->recall ? a->recall < b->recall : a->precision > b->precision;
  });
  std::string line;
  for (const PrPoint* p : front) line += P(s.X(p->recall)) + "," + P(s.Y(p->precision)) + " ";
  out += "<polyline points=\"" + line + "\" fill=\"none\" stroke=\"#0072B2\" stroke-width=\"2\"/>";
}

std::string MonthLabel(int64_t day) {
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const Civil c = CivilFromDays(day);
  return std::string(kMonths[(c.month - 1) % 12]) + " " + std::to_string(c.day) +
         (c.month == 1 ? " " + std::to_string(c.year) : "");
}

struct DaySeries {
  const Days* days;
  std::string name, color;  // name escaped
};

// Date labels: every day up to two weeks, weekly up to ten, else the 1st of each month.
void DateAxis(std::string& out, const Frame& f, int64_t first, int64_t n, double slot) {
  for (int64_t i = 0; i < n; ++i) {
    const int64_t day = first + i;
    const bool tick = n <= 14 || (n <= 70 ? i % 7 == 0 : CivilFromDays(day).day == 1);
    if (!tick) continue;
    const double x = f.left + static_cast<double>(i) * slot + (n <= 14 ? slot / 2 : 0);
    SvgLine(out, x, f.Bottom(), x, f.Bottom() + 5, "stroke=\"#52606d\"");
    SvgText(out, x, f.Bottom() + 18, n <= 14 ? "middle" : "start",
            n <= 70 ? DayText(day).substr(5) : MonthLabel(day));
  }
  SvgText(out, f.left + f.width / 2, f.Bottom() + 40, "middle",
          "UTC day, " + DayText(first) + " to " + DayText(first + n - 1), "class=\"axis\"");
}

struct TtdSeries {
  const TimeToDetect* ttd;
  std::string name, color;  // name escaped
};

// Overall, then each rule with detected keys and a histogram of the same buckets;
// overall only past six rules (the bars would be too thin to read).
std::vector<TtdSeries> TtdSeriesOf(const Report& r) {
  std::vector<TtdSeries> series;
  if (!r.overall) return series;
  series.push_back({&r.overall->ttd, "overall", kOverallColor});
  if (r.rules.size() > 6) return series;
  for (const RuleFigures& rule : r.rules) {
    if (rule.score && rule.score->ttd.histogram.size() == r.overall->ttd.histogram.size() &&
        rule.score->ttd.keys_detected > 0) {
      series.push_back({&rule.score->ttd, Esc(rule.name), rule.color});
    }
  }
  return series;
}

}  // namespace

void PrecisionRecallChart(std::string& out, const std::vector<PrPoint>& points, Range x, Range y,
                          std::string_view aria_label, bool label_all) {
  const Scale s{{64, 14, 440, 380}, x, y};
  SvgOpen(out, 520, 440, aria_label);
  PrAxes(out, s);
  const std::string clip = "clip" + std::to_string(out.size());  // unique within the page
  out += "<clipPath id=\"" + clip + "\"><rect x=\"" + P(s.f.left) + "\" y=\"" + P(s.f.top) +
         "\" width=\"" + P(s.f.width) + "\" height=\"" + P(s.f.height) + "\"/></clipPath>";
  out += "<g clip-path=\"url(#" + clip + ")\">";
  F1Curves(out, s);
  ParetoLine(out, s, points);
  out += "</g>";
  // Selected, Pareto and overall points last: drawn on top, labelled first.
  std::vector<const PrPoint*> order;
  for (const PrPoint& p : points) order.push_back(&p);
  std::stable_sort(order.begin(), order.end(), [](const PrPoint* a, const PrPoint* b) {
    return (a->selected || a->pareto || a->overall) < (b->selected || b->pareto || b->overall);
  });
  PrMarks(out, s, order);
  std::vector<Box> taken;
  for (const PrPoint& p : points) {
    taken.push_back(
        {s.X(p.recall) - 6, s.Y(p.precision) - 6, s.X(p.recall) + 6, s.Y(p.precision) + 6});
  }
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    if (label_all || (*it)->always_label) {
      PlaceLabel(out, taken, s.f, s.X((*it)->recall), s.Y((*it)->precision), **it);
    }
  }
  out += "</svg>";
}

Range ZoomRange(double lo, double hi) {
  const double pad = std::max((hi - lo) * 0.15, 0.01);
  lo = std::max(0.0, lo - pad);
  hi = std::min(1.0, hi + pad);
  const double step = NiceStep(hi - lo, 8, 0.001);
  return {std::max(0.0, std::floor(lo / step) * step), std::min(1.0, std::ceil(hi / step) * step)};
}

void AlertsPerDayChart(std::string& out, const Report& r) {
  std::vector<DaySeries> series;
  for (const RuleFigures& rule : r.rules) {
    if (!rule.by_day.empty()) series.push_back({&rule.by_day, Esc(rule.name), rule.color});
  }
  if (series.empty()) series.push_back({&r.by_day, "all rules", kOverallColor});
  int64_t first = INT64_MAX, last = INT64_MIN;
  for (const DaySeries& s : series) {
    if (s.days->empty()) continue;
    first = std::min(first, s.days->begin()->first);
    last = std::max(last, s.days->rbegin()->first);
  }
  if (first > last) return;
  // A report spans months, not centuries: beyond ten years, the days are bogus.
  const int64_t n = std::min<int64_t>(last - first + 1, 3660);
  std::vector<double> totals(static_cast<size_t>(n), 0.0);
  for (const DaySeries& s : series) {
    for (const auto& [day, count] : *s.days) {
      if (day - first < n) totals[static_cast<size_t>(day - first)] += std::max(count, 0.0);
    }
  }
  const Frame f{64, 14, 1040, 240};
  SvgOpen(out, 1120, 310, "alerts per day");
  const double top =
      CountAxis(out, f, *std::max_element(totals.begin(), totals.end()), "alerts per day");
  const double slot = f.width / static_cast<double>(n);
  const double bar = n == 1 ? std::min(slot, 60.0) : std::max(slot - (slot > 4 ? 1 : 0), 0.5);
  std::vector<double> stacked(static_cast<size_t>(n), 0.0);
  for (const DaySeries& s : series) {
    for (const auto& [day, count] : *s.days) {
      if (day - first >= n) continue;
      const auto i = static_cast<size_t>(day - first);
      const double h = std::max(count, 0.0) / top * f.height;
      stacked[i] += h;
      SvgRect(out, f.left + static_cast<double>(i) * slot + (slot - bar) / 2,
              f.Bottom() - stacked[i], bar, h, s.color,
              DayText(day) + " " + s.name + ": " + Int(count));
    }
  }
  DateAxis(out, f, first, n, slot);
  if (r.per_day_mean > 0 && n > 1) {
    const double y = f.Bottom() - r.per_day_mean / top * f.height;
    SvgLine(out, f.left, y, f.Right(), y, "stroke=\"#323f4b\" stroke-dasharray=\"6 4\"");
    SvgText(out, f.Right() - 4, y - 5, "end", "mean " + Fixed(r.per_day_mean, 1) + " per day",
            "class=\"strong halo\"");
  }
  out += "</svg>";
}

std::vector<std::pair<std::string, std::string>> TimeToDetectSeries(const Report& r) {
  std::vector<std::pair<std::string, std::string>> names;
  for (const TtdSeries& s : TtdSeriesOf(r)) names.emplace_back(s.name, s.color);
  return names;
}

void TimeToDetectChart(std::string& out, const Report& r) {
  const std::vector<TtdSeries> series = TtdSeriesOf(r);
  const std::vector<Bucket>& buckets = r.overall->ttd.histogram;
  double max = 0;
  for (const TtdSeries& s : series) {
    for (const Bucket& b : s.ttd->histogram) max = std::max(max, b.keys);
  }
  const Frame f{64, 14, 440, 340};
  SvgOpen(out, 520, 400, "time to detect histogram");
  const double top = CountAxis(out, f, max, "keys detected");
  const double group = f.width / static_cast<double>(buckets.size());
  const double bar = group * 0.8 / static_cast<double>(series.size());
  for (size_t b = 0; b < buckets.size(); ++b) {
    const std::string name = buckets[b].le_ms ? Bound(*buckets[b].le_ms)
                             : b > 0 && buckets[b - 1].le_ms
                                 ? "&gt; " + Bound(*buckets[b - 1].le_ms)
                                 : "rest";
    const double x0 = f.left + static_cast<double>(b) * group + group * 0.1;
    for (size_t s = 0; s < series.size(); ++s) {
      const double keys = std::max(series[s].ttd->histogram[b].keys, 0.0);
      const double h = keys / top * f.height;
      SvgRect(out, x0 + static_cast<double>(s) * bar, f.Bottom() - h, bar, h, series[s].color,
              series[s].name + ", " + (buckets[b].le_ms ? "&#8804; " : "") + name + ": " +
                  Plural(keys, "key", "keys"));
    }
    SvgText(out, f.left + (static_cast<double>(b) + 0.5) * group, f.Bottom() + 15, "middle", name);
  }
  SvgText(out, f.left + f.width / 2, f.Bottom() + 36, "middle",
          "time to detect (upper bound of each bucket)", "class=\"axis\"");
  out += "</svg>";
}

}  // namespace engine::html
