#include "engine/replay/internal/html_format.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace engine::html {
namespace {

// A multi-byte UTF-8 sequence starting at s[i] of length n: lead and
// continuation bytes, and none of: overlong forms, surrogates, code points above
// U+10FFFF, U+FFFE/U+FFFF (XML excludes them).
bool ValidSequence(std::string_view s, size_t i, size_t n) {
  const auto c = static_cast<unsigned char>(s[i]);
  if (c < 0xC2 || c > 0xF4 || i + n > s.size()) return false;
  for (size_t k = 1; k < n; ++k) {
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
  }
  const auto c1 = static_cast<unsigned char>(s[i + 1]);
  return !((c == 0xE0 && c1 < 0xA0) || (c == 0xED && c1 > 0x9F) || (c == 0xF0 && c1 < 0x90) ||
           (c == 0xF4 && c1 > 0x8F) ||
           (c == 0xEF && c1 == 0xBF && static_cast<unsigned char>(s[i + 2]) >= 0xBE));
}

void AppendAscii(std::string& out, char c) {
  switch (c) {
    case '<':
      out += "&lt;";
      break;
    case '>':
      out += "&gt;";
      break;
    case '&':
      out += "&amp;";
      break;
    case '"':
      out += "&quot;";
      break;
    case '\'':
      out += "&#39;";
      break;
    case '\t':
    case '\n':
      out += c;
      break;
    case '\r':
      break;
    default:
      if (c < 0x20 || c == 0x7f) {
        out += "&#xFFFD;";
      } else {
        out += c;
      }
  }
}

}  // namespace

std::string Esc(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      AppendAscii(out, s[i]);
      ++i;
      continue;
    }
    const size_t n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
    if (ValidSequence(s, i, n)) {
      out.append(s.substr(i, n));
      i += n;
    } else {
      out += "&#xFFFD;";
      ++i;
    }
  }
  return out;
}

std::string Fixed(double v, int decimals) {
  if (!std::isfinite(v)) return "n/a";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string Int(double v) {
  if (!std::isfinite(v) || std::fabs(v) > 9e18) return "n/a";
  const long long n = std::llround(v);
  const std::string digits = std::to_string(n < 0 ? -n : n);
  std::string out = n < 0 ? "-" : "";
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string Pct(double share) { return Fixed(100.0 * share, 1) + "%"; }

std::string Duration(double ms) {
  const double s = ms / 1000.0;
  if (s < 60) return Fixed(s, s < 10 && s != 0 ? 1 : 0) + " s";
  if (s < 3600) return Fixed(s / 60, s < 600 ? 1 : 0) + " min";
  if (s < 86400) return Fixed(s / 3600, 1) + " h";
  return Fixed(s / 86400, 1) + " d";
}

std::string Bound(double ms) {
  if (!std::isfinite(ms) || std::fabs(ms) > 9e18) return "n/a";
  const long long v = std::llround(ms);
  if (v > 0 && v % 86'400'000 == 0) return std::to_string(v / 86'400'000) + " d";
  if (v > 0 && v % 3'600'000 == 0) return std::to_string(v / 3'600'000) + " h";
  if (v > 0 && v % 60'000 == 0) return std::to_string(v / 60'000) + " min";
  if (v > 0 && v % 1000 == 0) return std::to_string(v / 1000) + " s";
  return std::to_string(v) + " ms";
}

std::string Plural(double n, const char* one, const char* many) {
  return Int(n) + " " + (std::isfinite(n) && std::llround(n) == 1 ? one : many);
}

std::string SetText(const Pairs& set) {
  std::string out;
  for (const auto& [name, value] : set) out += (out.empty() ? "" : ", ") + name + "=" + value;
  return out;
}

std::string ValuesText(const Pairs& set) {
  std::string out;
  for (const auto& [name, value] : set) out += (out.empty() ? "" : " / ") + value;
  return out;
}

double NiceStep(double span, int ticks, double min_step) {
  if (!(span > 0) || !std::isfinite(span)) return std::max(min_step, 1.0);
  const double raw = span / ticks;
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0}) {
    if (m * power >= raw * 0.999) return std::max(m * power, min_step);
  }
  return std::max(10 * power, min_step);
}

std::string StepText(double v, double step) {
  int decimals = 0;
  double scaled = step;
  while (decimals < 6 && std::fabs(scaled - std::round(scaled)) > 1e-9) {
    ++decimals;
    scaled *= 10;
  }
  return decimals == 0 ? Int(v) : Fixed(v, decimals);
}

std::string Td(const std::string& markup) { return "<td>" + markup + "</td>"; }

std::string ShareCell(double share) {
  const std::string w = Fixed(std::clamp(share, 0.0, 1.0) * 100, 1);
  return "<td class=\"share\" style=\"background-image:linear-gradient(#4f9bd1,#4f9bd1);"
         "background-size:" +
         w + "% 3px\">" + Fixed(share, 3) + "</td>";
}

std::string P(double v) { return Fixed(v, 1); }

void SvgOpen(std::string& out, int width, int height, std::string_view label) {
  const std::string w = std::to_string(width), h = std::to_string(height);
  out += "<svg width=\"" + w + "\" height=\"" + h + "\" viewBox=\"0 0 " + w + " " + h +
         "\" role=\"img\" aria-label=\"" + Esc(label) + "\">";
}

void SvgText(std::string& out, double x, double y, std::string_view anchor,
             std::string_view escaped, std::string_view attributes) {
  out += "<text x=\"" + P(x) + "\" y=\"" + P(y) + "\" text-anchor=\"" + std::string(anchor) + "\"";
  if (!attributes.empty()) out += " " + std::string(attributes);
  out += ">" + std::string(escaped) + "</text>";
}

void SvgLine(std::string& out, double x1, double y1, double x2, double y2,
             std::string_view attributes) {
  out += "<line x1=\"" + P(x1) + "\" y1=\"" + P(y1) + "\" x2=\"" + P(x2) + "\" y2=\"" + P(y2) +
         "\" " + std::string(attributes) + "/>";
}

void SvgRect(std::string& out, double x, double y, double w, double h, std::string_view fill,
             std::string_view title) {
  out += "<rect x=\"" + P(x) + "\" y=\"" + P(y) + "\" width=\"" + P(w) + "\" height=\"" + P(h) +
         "\" fill=\"" + std::string(fill) + "\"><title>" + std::string(title) + "</title></rect>";
}

void SvgYTitle(std::string& out, const Frame& f, std::string_view escaped) {
  const std::string x = P(14), y = P(f.top + f.height / 2);
  out += "<text x=\"" + x + "\" y=\"" + y + "\" text-anchor=\"middle\" transform=\"rotate(-90 " +
         x + " " + y + ")\" class=\"axis\">" + std::string(escaped) + "</text>";
}

double CountAxis(std::string& out, const Frame& f, double max, std::string_view title) {
  const double step = NiceStep(max, 5, 1);
  const double top = std::max(step, std::ceil(max / step) * step);
  for (double v = 0; v <= top + step / 2; v += step) {
    const double y = f.Bottom() - v / top * f.height;
    SvgLine(out, f.left, y, f.Right(), y, "stroke=\"#e4e7eb\"");
    SvgText(out, f.left - 6, y + 4, "end", Int(v));
  }
  SvgLine(out, f.left, f.top, f.left, f.Bottom(), "stroke=\"#52606d\"");
  SvgLine(out, f.left, f.Bottom(), f.Right(), f.Bottom(), "stroke=\"#52606d\"");
  SvgYTitle(out, f, title);
  return top;
}

}  // namespace engine::html
